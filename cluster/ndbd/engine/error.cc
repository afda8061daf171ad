// cluster/ndbd/engine/error.cc: texts and classes of the engine's NDB errors.
#include "cluster/ndbd/engine/error.h"

namespace halb::cluster::engine {

namespace {
struct Entry {
  uint32_t code;
  ErrorClass cls;
  std::string_view text;
};

constexpr Entry kErrors[] = {
    {err::kNone, ErrorClass::kNone, "No error"},
    {err::kDeadlockTimeout, ErrorClass::kTimeoutExpired, "Time-out in NDB, probably caused by deadlock"},
    {err::kDeadlockVictim, ErrorClass::kTimeoutExpired, "Deadlock detected, transaction aborted"},
    {err::kNodeFailureAbort, ErrorClass::kNodeRecovery, "Node failure caused abort of transaction"},
    {err::kTcOutOfOperations, ErrorClass::kTemporaryResource,
     "Out of operation records in transaction coordinator (increase MaxNoOfConcurrentOperations)"},
    {err::kIndexMemoryFull, ErrorClass::kInsufficientSpace,
     "Out of memory in Ndb Kernel, hash index part (increase IndexMemory)"},
    {err::kTupleNotFound, ErrorClass::kNoDataFound, "Tuple did not exist"},
    {err::kTupleExists, ErrorClass::kConstraintViolation, "Tuple already existed when attempting to insert"},
    {err::kDataMemoryFull, ErrorClass::kInsufficientSpace,
     "Out of memory in Ndb Kernel, table data (increase DataMemory)"},
    {err::kUniqueViolation, ErrorClass::kConstraintViolation,
     "Constraint violation e.g. duplicate value in unique index"},
    {err::kNoSuchTable, ErrorClass::kSchema, "No such table existed"},
    {err::kTableExists, ErrorClass::kSchema, "Table or index with given name already exists"},
    {err::kLqhOutOfOperations, ErrorClass::kTemporaryResource,
     "Out of operation records in local data manager (increase MaxNoOfLocalOperations)"},
    {err::kRedoLogFull, ErrorClass::kTemporaryResource,
     "REDO log files overloaded, consult online manual (decrease TimeBetweenLocalCheckpoints, and|or increase "
     "NoOfFragmentLogFiles)"},
    {err::kBadRequest, ErrorClass::kApplication, "Invalid request or table definition"},
    {err::kAttributeBad, ErrorClass::kApplication, "Value does not fit the column"},
    {err::kNullNotAllowed, ErrorClass::kApplication, "Illegal null attribute"},
    {err::kTransactionAborted, ErrorClass::kApplication, "Transaction already aborted"},
};

const Entry* find(uint32_t code) {
  for (const auto& e : kErrors)
    if (e.code == code) return &e;
  return nullptr;
}
}  // namespace

std::string_view error_text(uint32_t code) {
  const Entry* e = find(code);
  return e ? e->text : std::string_view("Unknown error code");
}

ErrorClass error_class(uint32_t code) {
  const Entry* e = find(code);
  return e ? e->cls : ErrorClass::kApplication;
}

}  // namespace halb::cluster::engine
