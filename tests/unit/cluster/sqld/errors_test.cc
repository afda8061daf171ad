#include "cluster/sqld/sql/errors.h"

#include <gtest/gtest.h>

namespace halb::cluster::sqld {
namespace {

TEST(SqlErrors, AccessDeniedFillsUserHostAndPasswordWord) {
  SqlError e = make_sql_error(er::kAccessDenied, {"sb", "127.0.0.1", "YES"});
  EXPECT_EQ(e.code, 1045);
  EXPECT_EQ(e.sqlstate, "28000");
  EXPECT_EQ(e.message, "Access denied for user 'sb'@'127.0.0.1' (using password: YES)");
}

TEST(SqlErrors, DeadlockIsSerializationFailure) {
  SqlError e = make_sql_error(er::kLockDeadlock);
  EXPECT_EQ(e.sqlstate, "40001");
  EXPECT_EQ(sqlstate_of(er::kDupEntry), "23000");
}

TEST(SqlErrors, NdbLockConflictsMapToTimeoutOrDeadlock) {
  for (uint32_t code : {266u, 274u, 296u, 297u, 237u}) EXPECT_EQ(lock_conflict_error(code), er::kLockWaitTimeout);
  EXPECT_EQ(lock_conflict_error(298), er::kLockDeadlock);
  EXPECT_EQ(lock_conflict_error(630), 0);
  EXPECT_EQ(lock_conflict_error(0), 0);
}

TEST(SqlErrors, MissingArgumentsBecomeEmptyAndUnknownCodesStayHY000) {
  EXPECT_EQ(make_sql_error(er::kBadDb).message, "Unknown database ''");
  SqlError e = make_sql_error(4242);
  EXPECT_EQ(e.sqlstate, "HY000");
  EXPECT_EQ(e.message, "Unknown error 4242");
}

}  // namespace
}  // namespace halb::cluster::sqld
