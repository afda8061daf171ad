// Unit tests: MySQL statements rewritten for SQLite.
#include "cluster/sqld/sql/rewrite.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace halb::cluster::sqld {
namespace {

Rewritten rw(const std::string& sql, const std::string& db = "d", bool values_feed_insert = false) {
  RewriteEnv env;
  env.current_db = db;
  env.values_feed_insert = values_feed_insert;
  env.sysvar = [](const std::string& n) -> std::optional<std::string> {
    if (n == "version_comment") return std::string("'halb'");
    if (n == "session.autocommit" || n == "autocommit") return std::string("1");
    return std::nullopt;
  };
  env.uservar = [](const std::string& n) { return n == "x" ? std::string("42") : std::string("NULL"); };
  return rewrite_for_sqlite(tokenize(sql).tokens, sql, env);
}

TEST(Rewrite, TablesBecomeVirtualTablesWithTheirNamesAsAliases) {
  auto r = rw("SELECT c FROM sbtest1 WHERE id=1");
  EXPECT_EQ(r.sql, "SELECT c FROM \"d/sbtest1\" AS \"sbtest1\" WHERE id = 1");
  ASSERT_EQ(r.tables.size(), 1u);
  EXPECT_EQ(r.tables[0].vtab(), "d/sbtest1");
  auto q = rw("SELECT a.x FROM other.t a JOIN t2 b ON a.x = b.y");
  EXPECT_EQ(q.sql, "SELECT a . x FROM \"other/t\" AS \"a\" JOIN \"d/t2\" AS \"b\" ON a . x = b . y");
}

TEST(Rewrite, NoDatabaseSelected) {
  auto r = rw("SELECT * FROM t", "");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, 1046);
  EXPECT_FALSE(rw("SELECT 1", "").error);
}

TEST(Rewrite, ExpressionsAreNamedByTheirText) {
  auto r = rw("SELECT COUNT(*), c, t.c, 1+1 AS two, @@version_comment, 'x' y FROM t");
  EXPECT_NE(r.sql.find("COUNT ( * ) AS \"COUNT(*)\""), std::string::npos) << r.sql;
  EXPECT_NE(r.sql.find("'halb' AS \"@@version_comment\""), std::string::npos) << r.sql;
  EXPECT_EQ(r.sql.find("AS \"c\""), std::string::npos) << r.sql;
  EXPECT_EQ(r.select_items.size(), 6u);
}

TEST(Rewrite, MySqlOnlySyntax) {
  EXPECT_EQ(rw("INSERT IGNORE INTO t VALUES (1)").sql, "INSERT OR IGNORE INTO \"d/t\" AS \"t\" VALUES ( 1 )");
  EXPECT_EQ(rw("SELECT 1 FROM DUAL").sql, "SELECT 1 AS \"1\"");
  auto fu = rw("SELECT c FROM t WHERE id = 1 FOR UPDATE");
  EXPECT_EQ(fu.lock, engine::LockMode::kExclusive);
  EXPECT_EQ(fu.sql.find("FOR"), std::string::npos);
  EXPECT_EQ(rw("SELECT c FROM t LOCK IN SHARE MODE").lock, engine::LockMode::kShared);
  EXPECT_EQ(rw("UPDATE t SET a = 1").lock, engine::LockMode::kExclusive);
  EXPECT_EQ(rw("SELECT SQL_NO_CACHE a FROM t USE INDEX (k) WHERE a || b").sql,
            "SELECT a FROM \"d/t\" AS \"t\" WHERE a OR b");
  EXPECT_NE(rw("SELECT 5/2").sql.find("5 * 1.0 / 2"), std::string::npos);
  EXPECT_NE(rw("SELECT IF(a, 1, 2) FROM t").sql.find("iif ("), std::string::npos);
  EXPECT_NE(rw("SELECT @x").sql.find("42"), std::string::npos);
}

TEST(Rewrite, StringsAreRequotedForSqlite) {
  auto r = rw("SELECT 'x\\'y', \"dq\"");
  EXPECT_NE(r.sql.find("'x''y' COLLATE mysql_ci"), std::string::npos) << r.sql;
  EXPECT_NE(r.sql.find("'dq'"), std::string::npos) << r.sql;
  EXPECT_NE(rw("SELECT 'a\\_b' LIKE 'a\\_%'").sql.find("ESCAPE '\\'"), std::string::npos);
  EXPECT_EQ(sqlite_literal(std::string("a\0b", 3)), "X'610062'");
}

TEST(Rewrite, UnknownSystemVariable) {
  auto r = rw("SELECT @@nonsense");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, 1193);
}

TEST(Rewrite, PlaceholdersAreCounted) { EXPECT_EQ(rw("SELECT c FROM t WHERE id BETWEEN ? AND ?").placeholders, 2); }

TEST(Rewrite, SyntaxErrorNamesTheTextAndLine) {
  SqlError e = syntax_error("SELECT 1\nFROMM x", 9);
  EXPECT_EQ(e.code, 1064);
  EXPECT_NE(e.message.find("near 'FROMM x' at line 2"), std::string::npos);
}

std::string hex_literal(std::string_view bytes) {
  std::string out = "X'";
  char b[3];
  for (unsigned char c : bytes) {
    std::snprintf(b, sizeof b, "%02X", c);
    out += b;
  }
  return out + "'";
}

TEST(Rewrite, DefaultAsAValueBecomesTheMarkerTheVirtualTableReplaces) {
  const std::string m = hex_literal(default_marker());
  EXPECT_EQ(rw("INSERT INTO t VALUES (DEFAULT, 'x')").sql,
            "INSERT INTO \"d/t\" AS \"t\" VALUES ( " + m + " , 'x' COLLATE mysql_ci )");
  EXPECT_EQ(rw("INSERT INTO t (a,b) VALUES (1,DEFAULT),(DEFAULT,2)").sql,
            "INSERT INTO \"d/t\" AS \"t\" ( a , b ) VALUES ( 1 , " + m + " ) , ( " + m + " , 2 )");
  EXPECT_EQ(rw("REPLACE INTO t VALUES (DEFAULT)").sql, "REPLACE INTO \"d/t\" AS \"t\" VALUES ( " + m + " )");
  EXPECT_EQ(rw("VALUES (DEFAULT), (1)", "d", true).sql, "VALUES ( " + m + " ) , ( 1 )");
  EXPECT_EQ(rw("UPDATE t SET a = DEFAULT WHERE b = 1").sql,
            "UPDATE \"d/t\" AS \"t\" SET a = " + m + " WHERE b = 1");
  EXPECT_EQ(rw("UPDATE t SET a = 1, b = DEFAULT").sql, "UPDATE \"d/t\" AS \"t\" SET a = 1 , b = " + m);
  EXPECT_EQ(rw("UPDATE t SET t.b = DEFAULT").sql, "UPDATE \"d/t\" AS \"t\" SET t . b = " + m);
  EXPECT_EQ(rw("INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE b = DEFAULT").sql.find(m) != std::string::npos,
            true);
  // DEFAULT(col) is MySQL's function; a SELECT has no DEFAULT value.
  EXPECT_EQ(rw("INSERT INTO t VALUES (DEFAULT(a))").sql, "INSERT INTO \"d/t\" AS \"t\" VALUES ( DEFAULT ( a ) )");
  EXPECT_EQ(rw("SELECT DEFAULT FROM t").sql.find("X'"), std::string::npos);
}

TEST(Rewrite, DefaultInsideAnExpressionStaysDefaultSoTheMarkerCannotBeStored) {
  // MySQL refuses these (1064); SQLite refuses DEFAULT the same way, while
  // the marker inside an expression could end up stored and read back.
  for (const char* sql : {"INSERT INTO t VALUES (CONCAT(DEFAULT, 'x'))", "INSERT INTO t VALUES (f((1), (DEFAULT)))",
                          "INSERT INTO t VALUES ((DEFAULT))", "INSERT INTO t VALUES (DEFAULT || 'x')",
                          "UPDATE t SET a = DEFAULT || 'x'", "UPDATE t SET a = CONCAT(b, DEFAULT)",
                          "INSERT INTO t SELECT DEFAULT", "VALUES (DEFAULT)", "UPDATE t SET a = 1 WHERE b = DEFAULT",
                          "DELETE FROM t WHERE b = DEFAULT", "INSERT INTO t SELECT a FROM u WHERE b = DEFAULT"})
    EXPECT_EQ(rw(sql).sql.find("X'"), std::string::npos) << sql;
}

TEST(Rewrite, DefaultMarkerIsRandomPerProcessAndStable) {
  std::string_view m = default_marker();
  EXPECT_EQ(m.size(), 14u + 16u);
  EXPECT_EQ(m.substr(0, 14), std::string_view("\x01halb-default\x01", 14));
  EXPECT_EQ(default_marker(), m);
  EXPECT_NE(m.substr(14), std::string(16, '\0'));
}

}  // namespace
}  // namespace halb::cluster::sqld
