// cluster/sqld/sql/errors.h: MySQL server errors by code -- the SQLSTATE and
// message text clients match on (PyMySQL picks exception classes by code,
// the mariadb CLI prints "ERROR code (state): text").
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "cluster/sqld/sql/session.h"

namespace halb::cluster::sqld {

namespace er {
inline constexpr uint16_t kDbCreateExists = 1007, kDbDropExists = 1008, kConCount = 1040,
                          kHandshake = 1043, kDbAccessDenied = 1044, kAccessDenied = 1045,
                          kNoDb = 1046, kUnknownCom = 1047, kBadDb = 1049, kTableExists = 1050,
                          kBadTable = 1051, kBadField = 1054, kTooLongIdent = 1059, kDupEntry = 1062,
                          kParse = 1064, kEmptyQuery = 1065, kNoSuchThread = 1094, kWrongDbName = 1102,
                          kWrongTableName = 1103, kUnknown = 1105, kRecordFileFull = 1114,
                          kNoSuchTable = 1146, kNetPacketTooLarge = 1153, kWrongColumnName = 1166,
                          kUnknownSystemVariable = 1193, kLockWaitTimeout = 1205, kLockDeadlock = 1213,
                          kNotSupportedYet = 1235, kUnknownStmtHandler = 1243, kUnsupportedPs = 1295,
                          kGetErrmsg = 1296, kGetTemporaryErrmsg = 1297, kQueryInterrupted = 1317,
                          kDataTooLong = 1406;
}

// The error `code` with MySQL's SQLSTATE and its message, each "%s" of the
// template replaced by the next of `args` (missing ones become "").
SqlError make_sql_error(uint16_t code, std::initializer_list<std::string_view> args = {});

// The SQLSTATE MySQL uses for `code` ("HY000" when it has no other).
std::string_view sqlstate_of(uint16_t code);

// The MySQL error for an NDB lock conflict that aborted the transaction:
// 1205 for NDB's time-outs (266, 274, 296, 297, 237: NDB's mysqld too rolls
// the whole transaction back on them), 1213 for a deadlock victim (298);
// 0 for any other code.
uint16_t lock_conflict_error(uint32_t ndb_code);

}  // namespace halb::cluster::sqld
