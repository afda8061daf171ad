// OK/ERR/EOF and column definition layouts, text rows, and the binary row
// MariaDB sent for the reference's eleven-column SELECT (§3.6).
#include <gtest/gtest.h>

#include <string>

#include "cluster/sqld/protocol/results.h"
#include "cluster/sqld/sql/errors.h"

using namespace halb::cluster::sqld;
using namespace halb::cluster::sqld::protocol;

namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  std::string digits;
  for (char c : hex)
    if (c != ' ' && c != '|') digits.push_back(c);
  for (size_t i = 0; i + 1 < digits.size(); i += 2) out.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

ColumnDef col(FieldType t) {
  ColumnDef c;
  c.type = t;
  return c;
}

}  // namespace

TEST(Results, OkErrEof) {
  std::string ok;
  encode_ok(ok, 1, 300, 0x0002, 0, "Rows matched: 1  Changed: 1  Warnings: 0");
  EXPECT_EQ(ok, unhex("00 01 fc2c01 0200 0000 28") + "Rows matched: 1  Changed: 1  Warnings: 0");
  std::string err;
  encode_err(err, make_sql_error(1045, {"u", "127.0.0.1", "YES"}));
  EXPECT_EQ(err, unhex("ff 1504") + "#28000Access denied for user 'u'@'127.0.0.1' (using password: YES)");
  std::string eof;
  encode_eof(eof, 0, 0x000a);
  EXPECT_EQ(eof, unhex("fe 0000 0a00"));
}

TEST(Results, VersionCommentColumnAndRow) {
  ColumnDef c;
  c.name = "@@version_comment";
  c.charset = 33;
  c.length = 27;
  c.type = FieldType::kVarString;
  c.decimals = 39;
  std::string out;
  encode_column_def(out, c);
  EXPECT_EQ(out, std::string("\x03" "def\0\0\0\x11@@version_comment\0\x0c\x21\x00\x1b\x00\x00\x00\xfd\x00\x00\x27\x00\x00", 39));
  std::string row;
  encode_text_row(row, {Value{std::string("Debian 12")}});
  EXPECT_EQ(row, "\x09" "Debian 12");
}

TEST(Results, FieldListCarriesDefaults) {
  ColumnDef c = col(FieldType::kLong);
  c.default_value = "0";
  std::string with, without;
  encode_column_def(with, c, true);
  c.default_value.reset();
  encode_column_def(without, c, true);
  EXPECT_EQ(with.substr(with.size() - 2), "\x01" "0");
  EXPECT_EQ(without.back(), '\xfb');
}

TEST(Results, TextRowNullsAndNumbers) {
  std::string row;
  encode_text_row(row, {Value{}, Value{int64_t{-7}}, Value{uint64_t{18446744073709551615ull}}, Value{2.5}});
  EXPECT_EQ(row, std::string("\xfb\x02-7\x14" "18446744073709551615\x03" "2.5", 29));
}

TEST(Results, MeasuredBinaryRow) {
  std::vector<ColumnDef> cols = {col(FieldType::kLong),     col(FieldType::kDouble),     col(FieldType::kVarString),
                                 col(FieldType::kDatetime), col(FieldType::kNewDecimal), col(FieldType::kNull),
                                 col(FieldType::kDate),     col(FieldType::kLongLong),   col(FieldType::kFloat),
                                 col(FieldType::kTime),     col(FieldType::kLong)};
  Row row = {Value{int64_t{1}},
             Value{2.5},
             Value{std::string("x")},
             Value{std::string("2021-03-04 05:06:07.5")},
             Value{std::string("3.00")},
             Value{},
             Value{std::string("2020-01-02")},
             Value{int64_t{12345678901}},
             Value{1.5},
             Value{std::string("01:02:03")},
             Value{int64_t{-7}}};
  std::string out;
  encode_binary_row(out, row, cols);
  EXPECT_EQ(out, unhex("00 | 80 00 | 01000000 | 0000000000000440 | 01 78 | "
                       "0b e507 03 04 05 06 07 20a10700 | 04 332e3030 | 04 e407 01 02 | "
                       "351cdcdf02000000 | 0000c03f | 08 00 00000000 01 02 03 | f9ffffff"));
}

TEST(Results, BinaryTemporalEdgeCases) {
  std::string out;
  append_binary_datetime(out, "0000-00-00 00:00:00");
  EXPECT_EQ(out, unhex("00"));
  out.clear();
  append_binary_datetime(out, "2020-01-02 00:00:00");
  EXPECT_EQ(out, unhex("04 e407 01 02"));
  out.clear();
  append_binary_datetime(out, "2020-01-02 03:04:05");
  EXPECT_EQ(out, unhex("07 e407 01 02 03 04 05"));
  out.clear();
  append_binary_time(out, "-25:00:01.000002");
  EXPECT_EQ(out, unhex("0c 01 01000000 01 00 01 02000000"));
  out.clear();
  append_binary_time(out, "00:00:00");
  EXPECT_EQ(out, unhex("00"));
  out.clear();
  append_binary_datetime(out, "garbage");
  EXPECT_EQ(out, unhex("00"));
}

TEST(Results, BinaryRowConvertsMismatchedValues) {
  // The SQL side may hand text for a numeric column and numbers for a string one.
  std::vector<ColumnDef> cols = {col(FieldType::kLongLong), col(FieldType::kVarString), col(FieldType::kTiny)};
  std::string out;
  encode_binary_row(out, {Value{std::string("42")}, Value{int64_t{5}}, Value{2.0}}, cols);
  EXPECT_EQ(out, unhex("00 00 2a00000000000000 0135 02"));
}
