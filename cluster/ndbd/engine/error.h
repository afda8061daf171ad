// cluster/ndbd/engine/error.h: NDB error codes the engine returns, with the
// texts and classes of 5.0's ndberror.c so the SQL node can map them (827 and
// 625 to 1114 "table is full", 266 to 1205, 630 to 1062, ...).
#pragma once

#include <cstdint>
#include <string_view>

namespace halb::cluster::engine {

// ndberror.c's classification, reduced to what callers act on: temporary
// errors are retried by the application, the others are not.
enum class ErrorClass {
  kNone,
  kNoDataFound,             // 626
  kConstraintViolation,     // 630, 893
  kInsufficientSpace,       // 827, 625
  kTemporaryResource,       // 233, 1217
  kTimeoutExpired,          // 266, 298
  kNodeRecovery,            // 286
  kSchema,                  // 709, 721, 4259 ...
  kApplication,             // bad requests from the caller
};

namespace err {
inline constexpr uint32_t kNone = 0;
inline constexpr uint32_t kDeadlockTimeout = 266;
// halb's own: the victim of a lock cycle found by the wait graph (not a
// code NDB has; it finds deadlocks only by timeout, 266). The SQL node
// answers it with MySQL's 1213, so clients know the whole transaction is gone.
inline constexpr uint32_t kDeadlockVictim = 298;
inline constexpr uint32_t kNodeFailureAbort = 286;
inline constexpr uint32_t kTcOutOfOperations = 233;
inline constexpr uint32_t kIndexMemoryFull = 625;
inline constexpr uint32_t kTupleNotFound = 626;
inline constexpr uint32_t kTupleExists = 630;
inline constexpr uint32_t kDataMemoryFull = 827;
inline constexpr uint32_t kUniqueViolation = 893;
inline constexpr uint32_t kNoSuchTable = 709;
inline constexpr uint32_t kTableExists = 721;
inline constexpr uint32_t kLqhOutOfOperations = 1217;
inline constexpr uint32_t kRedoLogFull = 410;  // 1220 in later versions: same meaning
inline constexpr uint32_t kBadRequest = 4275;      // "The table definition / request is invalid"
inline constexpr uint32_t kAttributeBad = 4226;    // value does not fit the column
inline constexpr uint32_t kNullNotAllowed = 839;   // "Illegal null attribute"
inline constexpr uint32_t kTransactionAborted = 4350;  // operations after abort
}  // namespace err

std::string_view error_text(uint32_t code);
ErrorClass error_class(uint32_t code);
inline bool is_temporary(uint32_t code) {
  auto c = error_class(code);
  return c == ErrorClass::kTemporaryResource || c == ErrorClass::kTimeoutExpired ||
         c == ErrorClass::kNodeRecovery;
}

}  // namespace halb::cluster::engine
