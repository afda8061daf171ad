// Unit tests: CREATE TABLE parsing, SHOW CREATE TABLE text, the cluster table.
#include "cluster/sqld/sql/table_def.h"

#include <gtest/gtest.h>

namespace halb::cluster::sqld {
namespace {

ParsedCreateTable parse(const std::string& sql) { return parse_create_table(tokenize(sql).tokens); }

TEST(TableDef, SysbenchTable) {
  auto p = parse(
      "CREATE TABLE sbtest1(\n  id INTEGER NOT NULL AUTO_INCREMENT,\n  k INTEGER DEFAULT '0' NOT NULL,\n"
      "  c CHAR(120) DEFAULT '' NOT NULL,\n  pad CHAR(60) DEFAULT '' NOT NULL,\n  PRIMARY KEY (id)\n"
      ") /*! ENGINE = innodb */ ");
  ASSERT_EQ(p.error, "");
  ASSERT_EQ(p.def.columns.size(), 4u);
  EXPECT_EQ(p.def.engine_name, "innodb");
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_TRUE(p.def.columns[0].auto_increment);
  EXPECT_EQ(p.def.columns[1].default_value.value_or("?"), "0");
  EXPECT_EQ(p.def.columns[2].type_text(), "char(120)");
  EXPECT_EQ(p.def.columns[2].display_length(), 480u);
  EXPECT_EQ(p.def.columns[0].field_type(), FieldType::kLong);
  ASSERT_NE(p.def.primary(), nullptr);
  EXPECT_EQ(p.def.primary()->columns, std::vector<std::string>{"id"});
  engine::Table t = p.def.to_cluster_table();
  EXPECT_EQ(t.primary_key, std::vector<uint32_t>{0});
  EXPECT_EQ(engine::normalise(t), "");
}

TEST(TableDef, CreateStatementRoundTrips) {
  auto p = parse(
      "CREATE TABLE IF NOT EXISTS db1.t (a BIGINT UNSIGNED NOT NULL, b VARCHAR(20) CHARACTER SET utf8mb4 NULL, "
      "d DECIMAL(10,2) DEFAULT 1.50, e ENUM('x','y') NOT NULL, ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP, "
      "PRIMARY KEY (a), UNIQUE KEY ub (b), KEY (d)) ENGINE=ndbcluster DEFAULT CHARSET=latin1 COMMENT='hi'");
  ASSERT_EQ(p.error, "");
  EXPECT_TRUE(p.if_not_exists);
  EXPECT_EQ(p.db, "db1");
  std::string text = p.def.create_statement();
  auto again = parse(text);
  ASSERT_EQ(again.error, "") << text;
  EXPECT_EQ(again.def.create_statement(), text);
  EXPECT_NE(text.find("KEY `d` (`d`)"), std::string::npos) << text;
  EXPECT_NE(text.find("UNIQUE KEY `ub` (`b`)"), std::string::npos) << text;
  engine::Table t = p.def.to_cluster_table();
  EXPECT_EQ(engine::normalise(t), "");
  EXPECT_EQ(t.indexes.size(), 3u);  // unique hash + its ordered twin + KEY d
}

TEST(TableDef, Errors) {
  EXPECT_NE(parse("CREATE TABLE t (a INT, a INT)").error, "");
  EXPECT_NE(parse("CREATE TABLE t (a INT, PRIMARY KEY (b))").error, "");
  EXPECT_NE(parse("CREATE TABLE t (a INT AUTO_INCREMENT)").error, "");
  EXPECT_NE(parse("CREATE TABLE t (a FOO)").error, "");
  EXPECT_NE(parse("CREATE TABLE t (a INT").error, "");
  EXPECT_NE(parse("CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY)").error, "");
  EXPECT_NE(parse("CREATE TABLE t (a DECIMAL(30,2))").error, "");
}

TEST(TableDef, CreateTableLike) {
  auto p = parse("CREATE TABLE IF NOT EXISTS d.copy LIKE s.orig");
  EXPECT_EQ(p.error, "");
  EXPECT_TRUE(p.if_not_exists);
  EXPECT_EQ(p.db, "d");
  EXPECT_EQ(p.def.name, "copy");
  EXPECT_EQ(p.like_db, "s");
  EXPECT_EQ(p.like_table, "orig");
  EXPECT_TRUE(p.def.columns.empty());
  p = parse("CREATE TABLE copy (LIKE orig)");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.like_db, "");
  EXPECT_EQ(p.like_table, "orig");
  for (const char* bad : {"CREATE TABLE copy LIKE", "CREATE TABLE copy LIKE orig x", "CREATE TABLE copy (LIKE orig",
                          "CREATE TABLE copy LIKE s."})
    EXPECT_EQ(parse(bad).error, "syntax") << bad;
  const std::string refused = "CREATE TABLE ... SELECT is not supported; use CREATE TABLE ... LIKE, then INSERT ... SELECT";
  EXPECT_EQ(parse("CREATE TABLE copy AS SELECT 1").error, refused);
  EXPECT_EQ(parse("CREATE TABLE copy SELECT 1").error, refused);
}

TEST(TableDef, NoPrimaryKeyGetsTheHiddenKey) {
  auto p = parse("CREATE TABLE t (a INT, b TEXT)");
  ASSERT_EQ(p.error, "");
  engine::Table t = p.def.to_cluster_table();
  EXPECT_EQ(engine::normalise(t), "");
  EXPECT_TRUE(t.hidden_key);
}

}  // namespace
}  // namespace halb::cluster::sqld
