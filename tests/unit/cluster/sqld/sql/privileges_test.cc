// Unit tests: privilege lists, grant levels, the stored GRANT lines, and the
// ON DUPLICATE KEY UPDATE helpers.
#include "cluster/sqld/sql/privileges.h"

#include <gtest/gtest.h>

#include "cluster/sqld/sql/table_def.h"
#include "cluster/sqld/sql/upsert.h"

namespace halb::cluster::sqld {
namespace {

uint32_t mask_of(const std::string& text, bool* all = nullptr, std::string* error = nullptr) {
  auto t = tokenize(text).tokens;
  uint32_t mask = 0;
  bool a = false;
  std::string e;
  bool ok = parse_privilege_list(t, 0, t.size() - 1, mask, a, e);
  if (all) *all = a;
  if (error) *error = ok ? "" : e;
  return ok ? mask : 0xFFFFFFFFu;
}

TEST(Privileges, ParsesPrivilegeLists) {
  EXPECT_EQ(mask_of("SELECT, INSERT"), priv::kSelect | priv::kInsert);
  EXPECT_EQ(mask_of("create temporary tables, LOCK TABLES"), priv::kCreateTemporaryTables | priv::kLockTables);
  EXPECT_EQ(mask_of("SHOW DATABASES, GRANT OPTION"), priv::kShowDatabases | priv::kGrantOption);
  EXPECT_EQ(mask_of("USAGE"), 0u);
  EXPECT_EQ(mask_of("SYSTEM_VARIABLES_ADMIN"), priv::kSuper);
  bool all = false;
  EXPECT_EQ(mask_of("ALL PRIVILEGES", &all), 0u);
  EXPECT_TRUE(all);
  std::string error;
  EXPECT_EQ(mask_of("SELECT, FLY", nullptr, &error), 0xFFFFFFFFu);
  EXPECT_EQ(error, "unknown privilege FLY");
  EXPECT_EQ(mask_of("SELECT (a, b)", nullptr, &error), 0xFFFFFFFFu);
  EXPECT_EQ(error, "column privileges are not supported");
  EXPECT_EQ(mask_of("SELECT INSERT"), 0xFFFFFFFFu);
}

TEST(Privileges, ParsesTargets) {
  auto target = [](const std::string& text, const std::string& db) {
    auto t = tokenize(text).tokens;
    GrantTarget g;
    if (!parse_grant_target(t, 0, t.size() - 1, db, g)) return std::string("bad");
    return g.db + "|" + g.table;
  };
  EXPECT_EQ(target("*.*", ""), "*|*");
  EXPECT_EQ(target("`my db`.*", ""), "my db|*");
  EXPECT_EQ(target("TABLE d.t", ""), "d|t");
  EXPECT_EQ(target("*", "cur"), "cur|*");
  EXPECT_EQ(target("t", "cur"), "cur|t");
  EXPECT_EQ(target("t", ""), "bad");
  EXPECT_EQ(target("*.t", ""), "bad");
}

TEST(Privileges, LevelsApplyDownwards) {
  Privileges p = Privileges::from_grants({"GRANT SELECT ON `shop`.* TO `u`@`%`",
                                          "GRANT INSERT, UPDATE ON `shop`.`orders` TO `u`@`%`",
                                          "GRANT ALL PRIVILEGES ON `test\\_%`.* TO `u`@`%` WITH GRANT OPTION",
                                          "GRANT PROCESS ON *.* TO `u`@`%`", "this line is ignored"});
  EXPECT_EQ(p.global(), priv::kProcess);
  EXPECT_EQ(p.on_table("shop", "orders"), priv::kProcess | priv::kSelect | priv::kInsert | priv::kUpdate);
  EXPECT_EQ(p.on_table("shop", "items"), priv::kProcess | priv::kSelect);
  EXPECT_EQ(p.on_database("other"), priv::kProcess);
  EXPECT_TRUE(p.any_on_database("shop"));
  EXPECT_FALSE(p.any_on_database("other"));
  // '\_' is a literal underscore, '%' any run
  EXPECT_TRUE(p.on_database("test_1") & priv::kDrop);
  EXPECT_TRUE(p.on_database("test_1") & priv::kGrantOption);
  EXPECT_FALSE(p.on_database("testx1") & priv::kDrop);
}

TEST(Privileges, GrantAndRevokeRewriteTheLines) {
  Privileges p = Privileges::from_grants({"GRANT ALL ON testdatabase.* TO web@'127.0.0.%'"});
  EXPECT_EQ(p.grant_lines("web", "127.0.0.%"),
            (std::vector<std::string>{"GRANT USAGE ON *.* TO `web`@`127.0.0.%`",
                                      "GRANT ALL PRIVILEGES ON `testdatabase`.* TO `web`@`127.0.0.%`"}));
  EXPECT_TRUE(p.revoke(GrantTarget{"testdatabase", "*"}, priv::kAllDatabase & ~(priv::kSelect | priv::kInsert)));
  EXPECT_FALSE(p.revoke(GrantTarget{"testdatabase", "*"}, priv::kDrop));
  EXPECT_FALSE(p.revoke(GrantTarget{"nope", "*"}, priv::kSelect));
  p.grant(GrantTarget{}, priv::kAllGlobal | priv::kGrantOption);
  p.grant(GrantTarget{"d", "t"}, priv::kDelete);
  EXPECT_EQ(p.grant_lines("web", "%"),
            (std::vector<std::string>{"GRANT ALL PRIVILEGES ON *.* TO `web`@`%` WITH GRANT OPTION",
                                      "GRANT SELECT, INSERT ON `testdatabase`.* TO `web`@`%`",
                                      "GRANT DELETE ON `d`.`t` TO `web`@`%`"}));
  // the lines read back as the same privileges
  Privileges again = Privileges::from_grants(p.grant_lines("web", "%"));
  EXPECT_EQ(again.grant_lines("web", "%"), p.grant_lines("web", "%"));
  EXPECT_TRUE(again.revoke(GrantTarget{"testdatabase", "*"}, priv::kSelect | priv::kInsert));
  EXPECT_EQ(again.grant_lines("web", "%").size(), 2u);
}

TEST(Upsert, FindsOnDuplicateKeyUpdate) {
  auto at = [](const std::string& sql) { return on_duplicate_position(tokenize(sql).tokens); };
  EXPECT_EQ(at("INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE n = 1"), 7u);
  EXPECT_EQ(at("INSERT INTO t SELECT * FROM a JOIN b ON a.x = b.x ON DUPLICATE KEY UPDATE n = 1"), 17u);
  EXPECT_EQ(at("INSERT INTO t VALUES ('ON DUPLICATE KEY UPDATE')"), 0u);
  EXPECT_EQ(at("UPDATE t SET n = 1"), 0u);
  EXPECT_EQ(at("INSERT INTO t ON DUPLICATE"), 0u);
}

TEST(Upsert, InlinesParametersAsLiterals) {
  std::string sql = "INSERT INTO t VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE s = ?";
  auto t = tokenize(sql).tokens;
  std::string out = inline_parameters(t, sql, {Value{int64_t{-5}}, Value{std::monostate{}}, Value{2.5},
                                                Value{std::string("it's a \\ \0 x", 12)}, Value{uint64_t{7}}});
  EXPECT_EQ(out, std::string("INSERT INTO t VALUES (-5, NULL, 2.5, 'it''s a \\\\ \\0 x') ON DUPLICATE KEY UPDATE s = 7"));
  auto back = tokenize(out).tokens;
  EXPECT_EQ(back[12].text, std::string("it's a \\ \0 x", 12));
}

TEST(TableDefSizes, RowAndColumnLimits) {
  auto check = [](const std::string& sql) {
    auto p = parse_create_table(tokenize(sql).tokens);
    EXPECT_EQ(p.error, "") << sql;
    auto e = p.def.check_sizes();
    return e ? e->code : 0;
  };
  EXPECT_EQ(check("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(16000), x TEXT, b BLOB)"), 0);
  EXPECT_EQ(check("CREATE TABLE t (a VARCHAR(20000))"), 1074);
  EXPECT_EQ(check("CREATE TABLE t (a VARBINARY(65536))"), 1074);
  EXPECT_EQ(check("CREATE TABLE t (a VARCHAR(10000), b VARCHAR(10000))"), 1118);
  EXPECT_EQ(check("CREATE TABLE t (a VARBINARY(60000), b LONGTEXT)"), 0);
  auto p = parse_create_table(tokenize("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(16383) NOT NULL)").tokens);
  engine::Table t = p.def.to_cluster_table();
  EXPECT_EQ(engine::normalise(t), "");
}

TEST(Privileges, ColumnPrivilegesParseAndPrintAsMySqlDoes) {
  auto t = tokenize("SELECT (a, `B`), INSERT (a), DELETE").tokens;
  uint32_t mask = 0;
  bool all = false;
  std::string error;
  std::vector<ColumnGrant> cols;
  ASSERT_TRUE(parse_privilege_list(t, 0, t.size() - 1, mask, all, error, &cols)) << error;
  EXPECT_EQ(mask, priv::kDelete);
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[0].bit, priv::kSelect);
  EXPECT_EQ(cols[0].columns, (std::vector<std::string>{"a", "B"}));
  std::vector<ColumnGrant> other;
  auto bad = tokenize("DELETE (a)").tokens;
  EXPECT_FALSE(parse_privilege_list(bad, 0, bad.size() - 1, mask, all, error, &other));
  auto empty = tokenize("SELECT ()").tokens;
  EXPECT_FALSE(parse_privilege_list(empty, 0, empty.size() - 1, mask, all, error, &other));

  Privileges p;
  GrantTarget on{"d", "t"};
  p.grant(on, priv::kDelete);
  p.grant_columns(on, cols);
  const std::vector<std::string> lines = {"GRANT USAGE ON *.* TO `u`@`%`",
                                          "GRANT SELECT (`a`, `B`), INSERT (`a`), DELETE ON `d`.`t` TO `u`@`%`"};
  EXPECT_EQ(p.grant_lines("u", "%"), lines);
  Privileges back = Privileges::from_grants(lines);
  EXPECT_EQ(back.grant_lines("u", "%"), lines);
  EXPECT_EQ(back.on_column("d", "t", "b"), priv::kSelect | priv::kDelete);
  EXPECT_EQ(back.on_column("d", "t", "A"), priv::kSelect | priv::kInsert | priv::kDelete);
  EXPECT_EQ(back.on_column("d", "t", "c"), priv::kDelete);
  EXPECT_EQ(back.column_bits("d", "t"), priv::kSelect | priv::kInsert);
  EXPECT_TRUE(back.has_column_grants());
  EXPECT_TRUE(back.any_on_database("d"));

  // a table-level privilege of the same kind prints without columns
  back.grant(on, priv::kSelect);
  EXPECT_EQ(back.grant_lines("u", "%")[1], "GRANT SELECT, INSERT (`a`), DELETE ON `d`.`t` TO `u`@`%`");
  back.revoke(on, priv::kSelect | priv::kDelete);
  EXPECT_TRUE(back.revoke_columns(on, {ColumnGrant{priv::kSelect, {"A", "b"}}}));
  EXPECT_EQ(back.grant_lines("u", "%")[1], "GRANT INSERT (`a`) ON `d`.`t` TO `u`@`%`");
  EXPECT_FALSE(back.revoke_columns(on, {ColumnGrant{priv::kUpdate, {"a"}}}));
  EXPECT_TRUE(back.revoke_columns(on, {ColumnGrant{priv::kInsert, {"a"}}}));
  EXPECT_EQ(back.grant_lines("u", "%").size(), 1u);
  EXPECT_FALSE(back.has_column_grants());
  EXPECT_FALSE(back.any_on_table("d", "t"));
}

}  // namespace
}  // namespace halb::cluster::sqld
