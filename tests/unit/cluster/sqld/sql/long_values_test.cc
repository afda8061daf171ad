// Unit tests: how long TEXT/BLOB values split into a head and parts.
#include "cluster/sqld/sql/long_values.h"

#include <gtest/gtest.h>

namespace halb::cluster::sqld::long_values {
namespace {

ColumnMeta column(const std::string& base) {
  ColumnMeta c;
  c.name = "c";
  c.base = base;
  return c;
}

std::string bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xFF);
  return s;
}

TEST(LongValues, OnlyMediumAndLongColumnsHaveParts) {
  for (const char* b : {"mediumblob", "longblob", "mediumtext", "longtext"}) EXPECT_TRUE(is_long_column(column(b))) << b;
  for (const char* b : {"blob", "text", "tinyblob", "varbinary", "varchar"}) EXPECT_FALSE(is_long_column(column(b))) << b;
  EXPECT_EQ(max_length(column("mediumtext")), 16777215u);
  EXPECT_EQ(max_length(column("longblob")), 4294967295u);
}

TEST(LongValues, PartsTableNameFollowsTheClusterTable) {
  EXPECT_EQ(parts_table_name("db/def/t", 3), "db/def/NDB$BLOB_t_3");
  EXPECT_EQ(parts_table_name("db/def/t#2", 0), "db/def/NDB$BLOB_t#2_0");
}

TEST(LongValues, PartsTableIsKeyedByThePrimaryKeyAndPartNumber) {
  engine::Table main;
  main.name = "db/def/t";
  main.columns = {{"a", engine::ColumnType::kVarchar, false, false, 20, 0, 0},
                  {"b", engine::ColumnType::kBlob, false, true, engine::kInlineBlobLimit, 0, 0},
                  {"id", engine::ColumnType::kBigInt, false, false, 0, 0, 0}};
  main.primary_key = {2, 0};
  engine::Table p = parts_table(main, 1, "db/def/NDB$BLOB_t_1");
  ASSERT_EQ(p.columns.size(), 4u);
  EXPECT_EQ(p.columns[0].name, "id");
  EXPECT_EQ(p.columns[1].name, "a");
  EXPECT_EQ(p.columns[2].name, "NDB$PART");
  EXPECT_EQ(p.columns[3].type, engine::ColumnType::kBlob);
  EXPECT_EQ(p.columns[3].length, kPartBytes);
  EXPECT_EQ(p.primary_key, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(engine::normalise(p), "");
}

TEST(LongValues, ShortValuesStayInTheRowAsTheyAre) {
  EXPECT_FALSE(needs_parts(engine::kInlineBlobLimit - 1));
  EXPECT_TRUE(needs_parts(engine::kInlineBlobLimit));
  // a plain value of exactly the head's length is no head: its first 8 bytes
  // do not say it needs parts
  EXPECT_FALSE(length_of_head(engine::Value{std::string(engine::kInlineBlobLimit, 'x').replace(0, 8, 8, '\0')}));
  EXPECT_FALSE(length_of_head(engine::Value{bytes(100)}));
  EXPECT_FALSE(length_of_head(engine::Value{int64_t{5}}));
}

TEST(LongValues, HeadAndPartsMakeTheValueAgain) {
  for (size_t n : {size_t{engine::kInlineBlobLimit}, kHeadBytes + kPartBytes, kHeadBytes + kPartBytes + 1,
                   size_t{5} << 20}) {
    std::string v = bytes(n);
    std::string head = head_of(v);
    ASSERT_EQ(head.size(), engine::kInlineBlobLimit);
    auto length = length_of_head(engine::Value{head});
    ASSERT_TRUE(length);
    EXPECT_EQ(*length, n);
    std::string again = head.substr(8);
    for (size_t k = 0; k < part_count(n); ++k) {
      std::string part = part_of(v, k);
      EXPECT_LE(part.size(), kPartBytes);
      EXPECT_FALSE(part.empty());
      again += part;
    }
    EXPECT_EQ(again, v) << n;
  }
  EXPECT_EQ(part_count(kHeadBytes + kPartBytes), 1u);
  EXPECT_EQ(part_count(kHeadBytes + kPartBytes + 1), 2u);
}

TEST(LongValues, TakeLongValuesLeavesHeadsAndUnchangedColumns) {
  TableDef def;
  def.columns = {column("int"), column("longblob"), column("mediumtext"), column("longblob"), column("blob")};
  std::string big = bytes(200000);
  engine::Row row = {int64_t{1}, big, std::string("short"), std::string("kept head"), bytes(70)};
  Pending p = take_long_values(def, row, {false, false, false, true, false});
  ASSERT_EQ(p.values.size(), 2u);
  EXPECT_EQ(p.values[0].first, 1u);
  EXPECT_EQ(p.values[0].second, big);
  EXPECT_EQ(row[1], engine::Value{head_of(big)});
  EXPECT_EQ(p.values[1].first, 2u);
  EXPECT_EQ(p.values[1].second, std::string());  // no parts: only old ones to remove
  EXPECT_EQ(row[2], engine::Value{std::string("short")});
  EXPECT_EQ(row[3], engine::Value{std::string("kept head")});
  engine::Row nulls = {int64_t{1}, engine::Value{}, engine::Value{}, engine::Value{}, engine::Value{}};
  Pending q = take_long_values(def, nulls, {});
  ASSERT_EQ(q.values.size(), 3u);
  EXPECT_FALSE(q.values[0].second);
}

}  // namespace
}  // namespace halb::cluster::sqld::long_values
