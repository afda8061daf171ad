// Unit tests: MySQL values <-> stored values, strict-mode checks.
#include "cluster/sqld/sql/value_codec.h"

#include <gtest/gtest.h>

#include "cluster/sqld/sql/sqlite_tables.h"

namespace halb::cluster::sqld {
namespace {

ColumnMeta col(const std::string& base, uint32_t length = 0, bool is_unsigned = false) {
  ColumnMeta c;
  c.name = "c";
  c.base = base;
  c.length = length;
  c.is_unsigned = is_unsigned;
  return c;
}

SqlInput text(const std::string& s) {
  SqlInput in;
  in.kind = SqlInput::Kind::kText;
  in.s = s;
  return in;
}

SqlInput integer(int64_t v) {
  SqlInput in;
  in.kind = SqlInput::Kind::kInt;
  in.i = v;
  return in;
}

TEST(ValueCodec, IntegersAndRanges) {
  SqlError e;
  EXPECT_EQ(std::get<int64_t>(*to_stored(col("int"), text("42"), 1, e)), 42);
  EXPECT_FALSE(to_stored(col("tinyint"), integer(300), 1, e));
  EXPECT_EQ(e.code, 1264);
  EXPECT_FALSE(to_stored(col("int", 0, true), integer(-1), 1, e));
  EXPECT_FALSE(to_stored(col("int"), text("abc"), 3, e));
  EXPECT_EQ(e.code, 1366);
  EXPECT_NE(e.message.find("at row 3"), std::string::npos);
}

TEST(ValueCodec, StringsAreCheckedInCharacters) {
  SqlError e;
  auto v = to_stored(col("varchar", 3), text("h\xc3\xa9llo"), 2, e);
  EXPECT_FALSE(v);
  EXPECT_EQ(e.code, 1406);
  EXPECT_NE(e.message.find("at row 2"), std::string::npos);
  EXPECT_TRUE(to_stored(col("varchar", 3), text("\xc3\xa9\xc3\xa9\xc3\xa9"), 1, e));
  EXPECT_EQ(std::get<std::string>(*to_stored(col("char", 5), text("ab  "), 1, e)), "ab");
}

TEST(ValueCodec, TemporalTextRoundTrips) {
  SqlError e;
  for (auto [base, s] : std::vector<std::pair<std::string, std::string>>{
           {"datetime", "2021-03-04 05:06:07"}, {"date", "2020-01-02"}, {"time", "-01:02:03"},
           {"timestamp", "2021-03-04 05:06:07"}}) {
    auto v = to_stored(col(base), text(s), 1, e);
    ASSERT_TRUE(v) << base << " " << e.message;
    EXPECT_EQ(stored_to_text(col(base), *v), s);
  }
  EXPECT_FALSE(to_stored(col("date"), text("2020-13-01"), 1, e));
  EXPECT_EQ(e.code, 1292);
}

TEST(ValueCodec, DecimalsAreScaledIntegers) {
  SqlError e;
  ColumnMeta d = col("decimal");
  d.precision = 5;
  d.scale = 2;
  auto v = to_stored(d, text("123.45"), 1, e);
  ASSERT_TRUE(v);
  EXPECT_EQ(std::get<int64_t>(*v), 12345);
  EXPECT_EQ(stored_to_text(d, *v), "123.45");
  EXPECT_FALSE(to_stored(d, text("1234.5"), 1, e));
}

TEST(ValueCodec, MySqlCollation) {
  EXPECT_EQ(mysql_ci_compare("abc", "ABC"), 0);
  EXPECT_EQ(mysql_ci_compare("abc  ", "ABC"), 0);
  EXPECT_LT(mysql_ci_compare("abc", "abd"), 0);
  EXPECT_GT(mysql_ci_compare("abcd", "ABC"), 0);
}

}  // namespace
}  // namespace halb::cluster::sqld
