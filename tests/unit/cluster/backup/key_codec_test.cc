// Key bytes back to key values: every column type round trips through
// engine::encode_key, and bytes that are no key are refused.
#include <gtest/gtest.h>

#include "cluster/ndbd/backup/key_codec.h"

using namespace halb::cluster;
using engine::ColumnType;
using engine::Value;

namespace {
engine::Table keyed(std::vector<engine::Column> cols) {
  engine::Table t;
  t.name = "k";
  t.columns = std::move(cols);
  for (uint32_t i = 0; i < t.columns.size(); ++i) t.primary_key.push_back(i);
  EXPECT_EQ(engine::normalise(t), "");
  return t;
}
}  // namespace

TEST(KeyCodec, EveryKindRoundTrips) {
  auto t = keyed({{"a", ColumnType::kInt, false, false, 0, 0, 0},
                  {"b", ColumnType::kBigInt, true, false, 0, 0, 0},
                  {"c", ColumnType::kDouble, false, false, 0, 0, 0},
                  {"d", ColumnType::kVarchar, false, false, 20, 0, 0},
                  {"e", ColumnType::kVarbinary, false, false, 20, 0, 0},
                  {"f", ColumnType::kDatetime, false, false, 0, 0, 0}});
  std::vector<std::vector<Value>> keys = {
      {int64_t{-5}, uint64_t{18446744073709551615ull}, -2.5, std::string("abc"), std::string("\0\xff\0", 3), int64_t{20240101120000}},
      {int64_t{2147483647}, uint64_t{0}, 0.0, std::string(""), std::string(""), int64_t{0}},
      {int64_t{-2147483648ll}, uint64_t{7}, 1e300, std::string("x y"), std::string("\xff", 1), int64_t{19991231235959}}};
  for (auto& k : keys) {
    std::string bytes = engine::encode_key_values(t, t.primary_key, k);
    auto back = backup::decode_primary_key(t, bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, k);
    EXPECT_EQ(engine::encode_key_values(t, t.primary_key, *back), bytes);
  }
}

TEST(KeyCodec, NotAKeyIsRefused) {
  auto t = keyed({{"a", ColumnType::kInt, false, false, 0, 0, 0}, {"d", ColumnType::kVarchar, false, false, 20, 0, 0}});
  std::string bytes = engine::encode_key_values(t, t.primary_key, {int64_t{1}, std::string("ab")});
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(backup::decode_primary_key(t, bytes.substr(0, n))) << n;
  EXPECT_FALSE(backup::decode_primary_key(t, bytes + "x"));
  std::string bad = bytes;
  bad[0] = '\2';
  EXPECT_FALSE(backup::decode_primary_key(t, bad));
}
