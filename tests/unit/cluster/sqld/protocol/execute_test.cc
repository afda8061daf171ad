// COM_STMT_EXECUTE parameter decoding: sysbench's captured packets (types
// on the first execute only), NULL bitmaps, long data, temporal values.
#include <gtest/gtest.h>

#include <string>

#include "cluster/sqld/protocol/execute.h"
#include "cluster/sqld/protocol/wire.h"

using namespace halb::cluster::sqld;
using namespace halb::cluster::sqld::protocol;

namespace {

std::string unhex(std::string_view hex) {
  std::string out, digits;
  for (char c : hex)
    if (c != ' ' && c != '|') digits.push_back(c);
  for (size_t i = 0; i + 1 < digits.size(); i += 2) out.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

}  // namespace

TEST(Execute, SysbenchTypesRememberedAcrossExecutes) {
  PreparedParams params(1);
  std::vector<Value> values;
  std::string err;
  std::string first = unhex("03000000 00 01000000 | 00 | 01 | 0800 | 0300000000000000");
  ExecuteHeader h;
  ASSERT_TRUE(parse_execute_header(first, h));
  EXPECT_EQ(h.statement_id, 3u);
  EXPECT_EQ(h.iterations, 1u);
  ASSERT_TRUE(decode_execute_params(first, params, values, err)) << err;
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(values[0]), 3);
  std::string later = unhex("03000000 00 01000000 | 00 | 00 | 0900000000000000");
  ASSERT_TRUE(decode_execute_params(later, params, values, err)) << err;
  EXPECT_EQ(std::get<int64_t>(values[0]), 9);
}

TEST(Execute, NeverBoundTypesAreAnError) {
  PreparedParams params(1);
  std::vector<Value> values;
  std::string err;
  EXPECT_FALSE(decode_execute_params(unhex("03000000 00 01000000 00 00 0300000000000000"), params, values, err));
}

TEST(Execute, SysbenchInsertWithStringsAndNull) {
  PreparedParams params(4);
  std::vector<Value> values;
  std::string err;
  std::string p = unhex("01000000 00 01000000 | 02 | 01 | 0800 0800 fd00 fd00 | 0500000000000000") +
                  "\x03" "abc" + "\x02" "de";
  ASSERT_TRUE(decode_execute_params(p, params, values, err)) << err;
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(std::get<int64_t>(values[0]), 5);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(values[1]));
  EXPECT_EQ(std::get<std::string>(values[2]), "abc");
  EXPECT_EQ(std::get<std::string>(values[3]), "de");
}

TEST(Execute, SignedUnsignedAndFloats) {
  PreparedParams params(5);
  std::vector<Value> values;
  std::string err;
  std::string p = unhex("01000000 00 01000000 00 01 | 0100 0180 0200 0400 0500 | ff ff feff 0000c03f 0000000000000440");
  ASSERT_TRUE(decode_execute_params(p, params, values, err)) << err;
  EXPECT_EQ(std::get<int64_t>(values[0]), -1);
  EXPECT_EQ(std::get<uint64_t>(values[1]), 255u);
  EXPECT_EQ(std::get<int64_t>(values[2]), -2);
  EXPECT_EQ(std::get<double>(values[3]), 1.5);
  EXPECT_EQ(std::get<double>(values[4]), 2.5);
}

TEST(Execute, TemporalParametersBecomeMySqlText) {
  PreparedParams params(3);
  std::vector<Value> values;
  std::string err;
  std::string p = unhex("01000000 00 01000000 00 01 | 0c00 0a00 0b00 |"
                        "0b e507 03 04 05 06 07 20a10700 | 04 e407 01 02 | 08 01 01000000 01 02 03");
  ASSERT_TRUE(decode_execute_params(p, params, values, err)) << err;
  EXPECT_EQ(std::get<std::string>(values[0]), "2021-03-04 05:06:07.500000");
  EXPECT_EQ(std::get<std::string>(values[1]), "2020-01-02");
  EXPECT_EQ(std::get<std::string>(values[2]), "-25:02:03");
}

TEST(Execute, LongDataReplacesTheInlineValue) {
  PreparedParams params(2);
  params.long_data[0] = std::string("part1part2");
  std::vector<Value> values;
  std::string err;
  std::string p = unhex("01000000 00 01000000 00 01 | fc00 0800 | 0700000000000000");
  ASSERT_TRUE(decode_execute_params(p, params, values, err)) << err;
  EXPECT_EQ(std::get<std::string>(values[0]), "part1part2");
  EXPECT_EQ(std::get<int64_t>(values[1]), 7);
  LongData d;
  ASSERT_TRUE(parse_long_data(unhex("07000000 0100") + "bytes", d));
  EXPECT_EQ(d.statement_id, 7u);
  EXPECT_EQ(d.param, 1);
  EXPECT_EQ(d.data, "bytes");
}

TEST(Execute, TruncatedAndUnknownTypesFail) {
  std::string full = unhex("01000000 00 01000000 00 01 | fd00 | 05") + "abc";
  for (size_t n = 0; n < full.size(); ++n) {
    PreparedParams params(1);
    std::vector<Value> values;
    std::string err;
    EXPECT_FALSE(decode_execute_params(full.substr(0, n), params, values, err)) << n;
  }
  PreparedParams params(1);
  std::vector<Value> values;
  std::string err;
  EXPECT_FALSE(decode_execute_params(unhex("01000000 00 01000000 00 01 | 1100 | 00"), params, values, err));
}
