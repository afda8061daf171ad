// cluster/sqld/sql/errors.cc: MySQL's wording for the errors halb-sqld sends.
#include "cluster/sqld/sql/errors.h"

#include <string>

namespace halb::cluster::sqld {
namespace {

struct ErrorText {
  uint16_t code;
  const char* sqlstate;
  const char* format;
};

// Texts as MySQL 8.0 / MariaDB 10.11 print them.
constexpr ErrorText kErrors[] = {
    {er::kDbCreateExists, "HY000", "Can't create database '%s'; database exists"},
    {er::kDbDropExists, "HY000", "Can't drop database '%s'; database doesn't exist"},
    {er::kConCount, "08004", "Too many connections"},
    {er::kHandshake, "08S01", "Bad handshake"},
    {er::kDbAccessDenied, "42000", "Access denied for user '%s'@'%s' to database '%s'"},
    {er::kAccessDenied, "28000", "Access denied for user '%s'@'%s' (using password: %s)"},
    {er::kNoDb, "3D000", "No database selected"},
    {er::kUnknownCom, "08S01", "Unknown command"},
    {er::kBadDb, "42000", "Unknown database '%s'"},
    {er::kTableExists, "42S01", "Table '%s' already exists"},
    {er::kBadTable, "42S02", "Unknown table '%s'"},
    {er::kBadField, "42S22", "Unknown column '%s' in '%s'"},
    {er::kTooLongIdent, "42000", "Identifier name '%s' is too long"},
    {er::kDupEntry, "23000", "Duplicate entry '%s' for key '%s'"},
    {er::kParse, "42000",
     "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server "
     "version for the right syntax to use near '%s' at line %s"},
    {er::kEmptyQuery, "42000", "Query was empty"},
    {er::kNoSuchThread, "HY000", "Unknown thread id: %s"},
    {er::kWrongDbName, "42000", "Incorrect database name '%s'"},
    {er::kWrongTableName, "42000", "Incorrect table name '%s'"},
    {er::kUnknown, "HY000", "Unknown error"},
    {er::kRecordFileFull, "HY000", "The table '%s' is full"},
    {er::kWrongColumnName, "42000", "Incorrect column name '%s'"},
    {er::kNoSuchTable, "42S02", "Table '%s' doesn't exist"},
    {er::kNetPacketTooLarge, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes"},
    {er::kUnknownSystemVariable, "HY000", "Unknown system variable '%s'"},
    {er::kLockWaitTimeout, "HY000", "Lock wait timeout exceeded; try restarting transaction"},
    {er::kLockDeadlock, "40001", "Deadlock found when trying to get lock; try restarting transaction"},
    {er::kNotSupportedYet, "42000", "This version of halb-sqld doesn't yet support '%s'"},
    {er::kUnknownStmtHandler, "HY000", "Unknown prepared statement handler (%s) given to %s"},
    {er::kUnsupportedPs, "HY000", "This command is not supported in the prepared statement protocol yet"},
    {er::kGetErrmsg, "HY000", "Got error %s '%s' from %s"},
    {er::kGetTemporaryErrmsg, "HY000", "Got temporary error %s '%s' from %s"},
    {er::kQueryInterrupted, "70100", "Query execution was interrupted"},
    {er::kDataTooLong, "22001", "Data too long for column '%s' at row %s"},
};

const ErrorText* find(uint16_t code) {
  for (const auto& e : kErrors)
    if (e.code == code) return &e;
  return nullptr;
}

}  // namespace

std::string_view sqlstate_of(uint16_t code) {
  const ErrorText* e = find(code);
  return e ? e->sqlstate : "HY000";
}

SqlError make_sql_error(uint16_t code, std::initializer_list<std::string_view> args) {
  SqlError out;
  out.code = code;
  const ErrorText* e = find(code);
  if (!e) {
    out.sqlstate = "HY000";
    out.message = "Unknown error " + std::to_string(code);
    return out;
  }
  out.sqlstate = e->sqlstate;
  auto next = args.begin();
  for (const char* p = e->format; *p; ++p) {
    if (p[0] == '%' && p[1] == 's') {
      if (next != args.end()) out.message.append(*next++);
      ++p;
    } else {
      out.message.push_back(*p);
    }
  }
  return out;
}

uint16_t lock_conflict_error(uint32_t ndb_code) {
  switch (ndb_code) {
    case 266:
    case 274:
    case 296:
    case 297:
    case 237:
      return er::kLockWaitTimeout;
    case 298:
      return er::kLockDeadlock;
    default:
      return 0;
  }
}

}  // namespace halb::cluster::sqld
