// The dictionary and the table definition encoding: ids and versions, 721
// and 709, hidden keys, unique index tables, and a definition surviving the
// wire byte for byte while damaged bytes are refused, never crash.
#include <gtest/gtest.h>

#include <random>

#include "cluster/ndbd/engine/dictionary.h"
#include "cluster/ndbd/engine/error.h"
#include "cluster/ndbd/engine/table_codec.h"

using namespace halb::cluster::engine;

namespace {

Table users() {
  Table t;
  t.name = "users";
  t.columns = {{"id", ColumnType::kInt, true, false, 0, 0, 0},
               {"email", ColumnType::kVarchar, false, true, 120, 0, 0},
               {"score", ColumnType::kDecimal, false, true, 0, 12, 2},
               {"seen", ColumnType::kDatetime, false, true, 0, 0, 0}};
  t.primary_key = {0};
  t.indexes = {Index{1, "email", IndexKind::kUniqueHash, {1}}, Index{2, "by_score", IndexKind::kOrdered, {2, 3}}};
  return t;
}

TEST(Dictionary, CreateFindDrop) {
  Dictionary d;
  auto r = d.create(users(), 4);
  ASSERT_EQ(r.error, 0u) << r.detail;
  EXPECT_EQ(r.table->id, 1u);
  EXPECT_EQ(r.table->version, 1u);
  EXPECT_EQ(r.table->fragments, 4u);
  EXPECT_EQ(d.find("users"), r.table);
  auto u = d.unique_index_table(r.table->id, 1);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->name, "users/email$unique");
  EXPECT_EQ(u->primary_key, (std::vector<uint32_t>{0}));
  EXPECT_EQ(u->columns.size(), 2u);  // email, then the base table's key
  EXPECT_FALSE(d.unique_index_table(r.table->id, 2));
  EXPECT_EQ(d.create(users(), 4).error, err::kTableExists);
  EXPECT_EQ(d.drop("nope").error, err::kNoSuchTable);
  EXPECT_EQ(d.drop("users").error, 0u);
  EXPECT_FALSE(d.find("users"));
  EXPECT_FALSE(d.find("users/email$unique"));
  EXPECT_TRUE(d.tables().empty());
  // The id comes back, with a higher version: (id, version) names one table.
  auto again = d.create(users(), 4);
  ASSERT_EQ(again.error, 0u);
  EXPECT_EQ(again.table->id, 1u);
  EXPECT_EQ(again.table->version, 2u);
  EXPECT_EQ(d.unique_index_table(1, 1)->version, 2u);
}

TEST(Dictionary, BadDefinitionsAreRefusedWithAReason) {
  Dictionary d;
  Table t = users();
  t.columns[1].length = 0;
  auto r = d.create(t, 2);
  EXPECT_EQ(r.error, err::kBadRequest);
  EXPECT_NE(r.detail.find("email"), std::string::npos);
  t = users();
  t.columns[0].nullable = true;
  EXPECT_EQ(d.create(t, 2).error, err::kBadRequest);
  t = users();
  t.indexes[1].columns = {9};
  EXPECT_EQ(d.create(t, 2).error, err::kBadRequest);
  Dictionary small(1);
  EXPECT_EQ(small.create(users(), 2).error, 826u);  // the unique index needs a second table
}

TEST(Dictionary, TableWithoutKeyGetsHiddenKey) {
  Dictionary d;
  Table t;
  t.name = "log";
  t.columns = {{"line", ColumnType::kText, false, true, 2000, 0, 0}};
  auto r = d.create(t, 2);
  ASSERT_EQ(r.error, 0u);
  EXPECT_TRUE(r.table->hidden_key);
  EXPECT_EQ(r.table->columns.back().name, "$PK");
  EXPECT_EQ(r.table->primary_key, (std::vector<uint32_t>{1}));
}

TEST(Dictionary, InstallKeepsTheNewestVersion) {
  Dictionary d;
  Table t = users();
  t.id = 7;
  t.version = 2;
  ASSERT_EQ(d.install(t).error, 0u);
  t.version = 1;
  t.columns[1].length = 10;
  EXPECT_EQ(d.install(t).table->columns[1].length, 120u);
  t.version = 3;
  EXPECT_EQ(d.install(t).table->columns[1].length, 10u);
}

TEST(TableCodec, RoundTrip) {
  Dictionary d;
  auto r = d.create(users(), 4);
  std::string bytes = encode_table(*r.table);
  std::string error;
  auto back = decode_table(bytes, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(encode_table(*back), bytes);
  EXPECT_EQ(back->name, "users");
  EXPECT_EQ(back->columns[2].precision, 12);
  EXPECT_TRUE(back->columns[0].is_unsigned);
  EXPECT_EQ(back->indexes[1].columns, (std::vector<uint32_t>{2, 3}));
  EXPECT_LT(bytes.size(), 160u);  // compact: names plus a few bytes per column
  Table hidden;
  hidden.name = "h";
  hidden.columns = {{"x", ColumnType::kInt, false, true, 0, 0, 0}};
  ASSERT_EQ(normalise(hidden), "");
  auto h = decode_table(encode_table(hidden), error);
  ASSERT_TRUE(h) << error;
  EXPECT_TRUE(h->hidden_key);
  EXPECT_EQ(h->columns.size(), 2u);
}

TEST(TableCodec, DamagedBytesAreRefused) {
  Dictionary d;
  std::string bytes = encode_table(*d.create(users(), 4).table);
  std::string error;
  for (size_t n = 0; n < bytes.size(); ++n) {
    error.clear();
    EXPECT_FALSE(decode_table(bytes.substr(0, n), error)) << n;
    EXPECT_FALSE(error.empty());
  }
  EXPECT_FALSE(decode_table(bytes + "x", error));
  EXPECT_EQ(error, "trailing bytes after table definition");
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {  // flipped bytes: refused or a valid table, never a crash
    std::string b = bytes;
    b[rng() % b.size()] ^= static_cast<char>(1 + rng() % 255);
    auto t = decode_table(b, error);
    if (t) {
      EXPECT_EQ(normalise(*t), "");
    }
  }
}

}  // namespace
