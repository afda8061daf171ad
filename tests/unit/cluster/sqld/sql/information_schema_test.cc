// Unit tests: information_schema tables as one account may see them.
#include "cluster/sqld/sql/information_schema.h"

#include <gtest/gtest.h>

#include <map>

#include "cluster/sqld/sql/tokenizer.h"

namespace halb::cluster::sqld {
namespace {

TableDef table(const std::string& db, const std::string& name) {
  std::string sql = "CREATE TABLE " + name +
                    " (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20) DEFAULT 'x', k INT, UNIQUE KEY uk (k))";
  auto parsed = parse_create_table(tokenize(sql).tokens);
  parsed.def.db = db;
  parsed.def.name = name;
  return parsed.def;
}

struct Fixture {
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const TableDef>> defs;
  SchemaSource source;
  Fixture() {
    for (auto [db, t] : {std::pair{"shop", "orders"}, std::pair{"shop", "stock"}, std::pair{"hr", "pay"}})
      defs[{db, t}] = std::make_shared<TableDef>(table(db, t));
    source.databases = [] { return std::vector<std::string>{"shop", "hr", "empty"}; };
    source.tables = [this](const std::string& db) {
      std::vector<std::string> out;
      for (auto& [k, v] : defs)
        if (k.first == db) out.push_back(k.second);
      return out;
    };
    source.table = [this](const std::string& db, const std::string& t) -> std::shared_ptr<const TableDef> {
      auto it = defs.find({db, t});
      return it == defs.end() ? nullptr : it->second;
    };
  }
};

Privileges grants(std::vector<std::string> lines) { return Privileges::from_grants(lines); }

std::vector<std::string> column(const SchemaTable& t, const std::string& name) {
  size_t c = 0;
  while (c < t.columns.size() && t.columns[c] != name) ++c;
  std::vector<std::string> out;
  for (auto& r : t.rows) out.push_back(std::get<std::string>(r.at(c)));
  return out;
}

std::vector<std::string> user_tables(const SchemaTable& t) {
  auto schemas = column(t, "TABLE_SCHEMA"), names = column(t, "TABLE_NAME");
  std::vector<std::string> out;
  for (size_t i = 0; i < names.size(); ++i)
    if (schemas[i] != "information_schema") out.push_back(schemas[i] + "." + names[i]);
  return out;
}

TEST(InformationSchema, GlobalPrivilegesSeeEverything) {
  Fixture f;
  auto root = grants({"GRANT ALL PRIVILEGES ON *.* TO `root`@`%` WITH GRANT OPTION"});
  EXPECT_EQ(column(*information_schema_table("schemata", f.source, root), "SCHEMA_NAME"),
            (std::vector<std::string>{"empty", "hr", "information_schema", "shop"}));
  EXPECT_EQ(user_tables(*information_schema_table("TABLES", f.source, root)),
            (std::vector<std::string>{"hr.pay", "shop.orders", "shop.stock"}));
}

TEST(InformationSchema, AnAccountSeesWhatItHoldsPrivilegesOn) {
  Fixture f;
  auto u = grants({"GRANT USAGE ON *.* TO `u`@`%`", "GRANT SELECT, INSERT ON `shop`.`orders` TO `u`@`%`"});
  EXPECT_EQ(column(*information_schema_table("SCHEMATA", f.source, u), "SCHEMA_NAME"),
            (std::vector<std::string>{"information_schema", "shop"}));
  EXPECT_EQ(user_tables(*information_schema_table("TABLES", f.source, u)), (std::vector<std::string>{"shop.orders"}));
  auto cols = *information_schema_table("COLUMNS", f.source, u);
  EXPECT_EQ(column(cols, "COLUMN_NAME"), (std::vector<std::string>{"id", "v", "k"}));
  EXPECT_EQ(column(cols, "COLUMN_KEY"), (std::vector<std::string>{"PRI", "", "UNI"}));
  EXPECT_EQ(column(cols, "PRIVILEGES")[0], "select,insert");
  EXPECT_EQ(column(cols, "EXTRA")[0], "auto_increment");
  EXPECT_EQ(column(cols, "COLUMN_TYPE")[1], "varchar(20)");
  auto stats = *information_schema_table("statistics", f.source, u);
  EXPECT_EQ(column(stats, "INDEX_NAME"), (std::vector<std::string>{"PRIMARY", "uk"}));
  EXPECT_EQ(column(stats, "TABLE_NAME"), (std::vector<std::string>{"orders", "orders"}));

  auto d = grants({"GRANT USAGE ON *.* TO `d`@`%`", "GRANT SELECT ON `hr`.* TO `d`@`%`"});
  EXPECT_EQ(user_tables(*information_schema_table("TABLES", f.source, d)), (std::vector<std::string>{"hr.pay"}));
  auto nobody = grants({"GRANT USAGE ON *.* TO `n`@`%`"});
  EXPECT_TRUE(user_tables(*information_schema_table("TABLES", f.source, nobody)).empty());
  EXPECT_TRUE(information_schema_table("COLUMNS", f.source, nobody)->rows.empty());
  EXPECT_EQ(column(*information_schema_table("SCHEMATA", f.source, nobody), "SCHEMA_NAME"),
            (std::vector<std::string>{"information_schema"}));
}

TEST(InformationSchema, ShowDatabasesPrivilegeListsEverySchemaButNoTables) {
  Fixture f;
  auto s = grants({"GRANT SHOW DATABASES ON *.* TO `s`@`%`"});
  EXPECT_EQ(column(*information_schema_table("SCHEMATA", f.source, s), "SCHEMA_NAME").size(), 4u);
  EXPECT_TRUE(user_tables(*information_schema_table("TABLES", f.source, s)).empty());
}

TEST(InformationSchema, UnknownTable) {
  Fixture f;
  EXPECT_FALSE(information_schema_table("ROUTINES", f.source, grants({})));
}

}  // namespace
}  // namespace halb::cluster::sqld
