// cluster/api/error.cc: error texts and classes (see error.h).
#include "cluster/api/error.h"

namespace halb::cluster::api {

namespace {
struct Known {
  uint32_t code;
  ErrorClass cls;
  ErrorStatus status;
  const char* text;
};
constexpr ErrorStatus T = ErrorStatus::kTemporary, P = ErrorStatus::kPermanent, U = ErrorStatus::kUnknownResult;
constexpr Known kKnown[] = {
    {233, ErrorClass::kTemporaryResourceError, T,
     "Out of operation records in transaction coordinator (increase MaxNoOfConcurrentOperations)"},
    {1217, ErrorClass::kTemporaryResourceError, T,
     "Out of operation records in local data manager (increase MaxNoOfLocalOperations)"},
    {237, ErrorClass::kTimeoutExpired, T, "Transaction had timed out when trying to commit it"},
    {266, ErrorClass::kTimeoutExpired, T, "Time-out in NDB, probably caused by deadlock"},
    {274, ErrorClass::kTimeoutExpired, T, "Time-out in NDB, probably caused by deadlock"},
    {296, ErrorClass::kTimeoutExpired, T, "Time-out in NDB, probably caused by deadlock"},
    {297, ErrorClass::kTimeoutExpired, T, "Time-out in NDB, probably caused by deadlock"},
    {298, ErrorClass::kTimeoutExpired, T, "Deadlock detected, transaction aborted"},
    {286, ErrorClass::kNodeRecoveryError, T, "Node failure caused abort of transaction"},
    {4010, ErrorClass::kNodeRecoveryError, T, "Node failure caused abort of transaction"},
    {4035, ErrorClass::kNodeRecoveryError, T, "Cluster temporary unavailable"},
    {410, ErrorClass::kOverloadError, T, "REDO log files overloaded"},
    {1220, ErrorClass::kOverloadError, T, "REDO log files overloaded"},
    {1221, ErrorClass::kOverloadError, T, "REDO buffers overloaded (increase RedoBuffer)"},
    {4012, ErrorClass::kTimeoutExpired, T, "Request ndbd time-out, maybe due to high load or communication problems"},
    {4009, ErrorClass::kUnknownResultError, U, "Cluster Failure"},
    {626, ErrorClass::kNoDataFound, P, "Tuple did not exist"},
    {630, ErrorClass::kConstraintViolation, P, "Tuple already existed when attempting to insert"},
    {893, ErrorClass::kConstraintViolation, P, "Constraint violation e.g. duplicate value in unique index"},
    {709, ErrorClass::kSchemaError, P, "No such table existed"},
    {721, ErrorClass::kSchemaError, P, "Table or index with given name already exists"},
    {761, ErrorClass::kSchemaError, P, "Unable to drop table as backup is in progress"},
    {827, ErrorClass::kInsufficientSpace, P, "Out of memory in Ndb Kernel, table data (increase DataMemory)"},
    {625, ErrorClass::kInsufficientSpace, P, "Out of memory in Ndb Kernel, hash index part (increase IndexMemory)"},
    {826, ErrorClass::kInsufficientSpace, P, "Too many tables and attributes (increase MaxNoOfAttributes or MaxNoOfTables)"},
    {839, ErrorClass::kApplicationError, P, "Illegal null attribute"},
    {4226, ErrorClass::kApplicationError, P, "Bad attribute value"},
    {4275, ErrorClass::kApplicationError, P, "The table definition or request is invalid"},
    {4350, ErrorClass::kApplicationError, P, "Transaction already aborted"},
};
}  // namespace

NdbError make_error(uint32_t code, std::string_view detail) {
  NdbError e;
  e.code = code;
  if (code == 0) return e;
  e.classification = ErrorClass::kInternalError;
  e.status = ErrorStatus::kPermanent;
  e.message = "Unknown error code";
  for (auto& k : kKnown)
    if (k.code == code) {
      e.classification = k.cls;
      e.status = k.status;
      e.message = k.text;
    }
  if (!detail.empty()) e.message += std::string(": ") + std::string(detail);
  return e;
}

std::string_view class_name(ErrorClass c) {
  switch (c) {
    case ErrorClass::kNoError: return "No error";
    case ErrorClass::kApplicationError: return "Application error";
    case ErrorClass::kNoDataFound: return "No data found";
    case ErrorClass::kConstraintViolation: return "Constraint violation";
    case ErrorClass::kSchemaError: return "Schema error";
    case ErrorClass::kInsufficientSpace: return "Insufficient space";
    case ErrorClass::kTemporaryResourceError: return "Temporary Resource error";
    case ErrorClass::kNodeRecoveryError: return "Node Recovery error";
    case ErrorClass::kOverloadError: return "Overload error";
    case ErrorClass::kTimeoutExpired: return "Timeout expired";
    case ErrorClass::kUnknownResultError: return "Unknown result error";
    case ErrorClass::kInternalError: return "Internal error";
  }
  return "?";
}

std::string_view status_name(ErrorStatus s) {
  switch (s) {
    case ErrorStatus::kSuccess: return "Success";
    case ErrorStatus::kTemporary: return "Temporary error";
    case ErrorStatus::kPermanent: return "Permanent error";
    case ErrorStatus::kUnknownResult: return "Unknown result";
  }
  return "?";
}

}  // namespace halb::cluster::api
