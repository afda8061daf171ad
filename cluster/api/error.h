// cluster/api/error.h: NDB error codes as the client API reports them, with
// the class that tells an application what to do: retry a temporary error
// (after a short pause), give up on a permanent one, and treat an unknown
// result (the coordinator died during commit) as "maybe committed".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace halb::cluster::api {

enum class ErrorStatus { kSuccess, kTemporary, kPermanent, kUnknownResult };

enum class ErrorClass {
  kNoError,
  kApplicationError,     // 4226, 839, 4275, 4350: a bad request
  kNoDataFound,          // 626
  kConstraintViolation,  // 630, 893
  kSchemaError,          // 709, 721
  kInsufficientSpace,    // 827, 625, 826
  kTemporaryResourceError,  // 233, 1217
  kNodeRecoveryError,    // 286, 4010, 4035: a node failed or is starting
  kOverloadError,        // 410, 1220, 1221
  kTimeoutExpired,       // 266, 274, 296, 297, 237, 298 (a deadlock victim)
  kUnknownResultError,   // 4009 and lost links during commit
  kInternalError,
};

struct NdbError {
  uint32_t code = 0;
  ErrorClass classification = ErrorClass::kNoError;
  ErrorStatus status = ErrorStatus::kSuccess;
  std::string message;

  explicit operator bool() const { return code != 0; }
  bool temporary() const { return status == ErrorStatus::kTemporary; }
};

// The error for `code` with NDB's text and class; `detail` is appended.
NdbError make_error(uint32_t code, std::string_view detail = {});
std::string_view class_name(ErrorClass c);
std::string_view status_name(ErrorStatus s);

// Codes the API itself produces.
inline constexpr uint32_t kErrClusterFailure = 4009;     // no data node reachable
inline constexpr uint32_t kErrNodeFailure = 4010;        // the coordinator's link closed during the request
inline constexpr uint32_t kErrTimeout = 4012;            // no answer in time
inline constexpr uint32_t kErrClusterUnavailable = 4035; // no started data node
inline constexpr uint32_t kErrBadRequest = 4275;         // a request the data nodes cannot take (too large)

}  // namespace halb::cluster::api
