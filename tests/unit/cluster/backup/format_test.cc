// Backup file formats: ctl, Data and log files round trip; a file cut at
// any byte is refused as truncated; any flipped byte is refused (checksum,
// magic, header); counts that disagree with the contents are refused.
#include <gtest/gtest.h>

#include "cluster/ndbd/backup/format.h"
#include "cluster/transport/frame.h"

using namespace halb::cluster::backup;
using halb::cluster::engine::Row;
using halb::cluster::engine::Value;

namespace {

CtlFile sample_ctl() {
  CtlFile c;
  c.backup_id = 7;
  c.node_id = 3;
  c.start_gci = 177;
  c.stop_gci = 180;
  c.nodes = {2, 3};
  c.tables = {"table-one-bytes", std::string("\0\1\2binary", 9)};
  c.fragments = {{1, 0, 3}, {1, 2, 3}, {5, 1, 3}};
  return c;
}

std::vector<Row> sample_rows() {
  return {{Value{int64_t{1}}, Value{std::string("ann")}, Value{}},
          {Value{int64_t{-2}}, Value{uint64_t{18446744073709551615ull}}, Value{2.5}},
          {Value{int64_t{3}}, Value{std::string(3000, 'x')}, Value{std::string("\0z", 2)}}};
}

// Two fragments: table 1 fragment 0 with the sample rows, table 1 fragment 2 empty.
std::string sample_data() {
  std::string out = encode_header(FileKind::kData, 7, 3);
  out += encode_fragment_begin(1, 0);
  uint32_t crc = 0;
  for (auto& r : sample_rows()) {
    std::string rec = encode_row_record(1, r);
    crc = halb::cluster::transport::crc32(std::string_view(rec).substr(5, rec.size() - 9), crc);
    out += rec;
  }
  out += encode_fragment_end(1, 0, 3, crc);
  out += encode_fragment_begin(1, 2);
  out += encode_fragment_end(1, 2, 0, 0);
  return out + encode_data_end(3, 2);
}

std::vector<LogEntry> sample_log() {
  return {{178, 1, 0, LogOp::kWrite, sample_rows()[0]},
          {179, 1, 0, LogOp::kDelete, {Value{int64_t{-2}}}},
          {181, 5, 1, LogOp::kWrite, sample_rows()[2]}};
}

std::string sample_log_file() {
  std::string out = encode_header(FileKind::kLog, 7, 3);
  for (auto& e : sample_log()) out += encode_log_entry(e);
  return out + encode_log_end(3);
}

// Reads a Data file fully; the rows, or nullopt with the error.
std::optional<std::vector<Row>> read_data(const std::string& bytes, std::string& error) {
  DataReader r(bytes, true);
  std::vector<Row> rows;
  uint32_t table;
  Row row;
  while (r.next(table, row)) rows.push_back(row);
  if (!r.ended()) {
    error = r.error();
    return std::nullopt;
  }
  return rows;
}

std::optional<std::vector<LogEntry>> read_log(const std::string& bytes, std::string& error) {
  LogReader r(bytes, true);
  std::vector<LogEntry> out;
  LogEntry e;
  while (r.next(e)) out.push_back(e);
  if (!r.ended()) {
    error = r.error();
    return std::nullopt;
  }
  return out;
}

}  // namespace

TEST(BackupFormat, NamesAsNdb) {
  EXPECT_EQ(backup_dir_name(12), "BACKUP-12");
  EXPECT_EQ(ctl_file_name(12, 2), "BACKUP-12.2.ctl");
  EXPECT_EQ(data_file_name(12, 2), "BACKUP-12-0.2.Data");
  EXPECT_EQ(log_file_name(12, 2), "BACKUP-12.2.log");
}

TEST(BackupFormat, CtlRoundTrip) {
  std::string error;
  auto c = decode_ctl(encode_ctl(sample_ctl()), error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->backup_id, 7u);
  EXPECT_EQ(c->node_id, 3u);
  EXPECT_EQ(c->start_gci, 177u);
  EXPECT_EQ(c->stop_gci, 180u);
  EXPECT_EQ(c->nodes, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(c->tables, sample_ctl().tables);
  EXPECT_EQ(c->fragments, sample_ctl().fragments);
}

TEST(BackupFormat, DataRoundTrip) {
  std::string error;
  auto rows = read_data(sample_data(), error);
  ASSERT_TRUE(rows) << error;
  EXPECT_EQ(*rows, sample_rows());
}

TEST(BackupFormat, LogRoundTrip) {
  std::string error;
  auto log = read_log(sample_log_file(), error);
  ASSERT_TRUE(log) << error;
  EXPECT_EQ(*log, sample_log());
}

TEST(BackupFormat, EveryTruncationIsRefused) {
  std::string ctl = encode_ctl(sample_ctl()), data = sample_data(), log = sample_log_file();
  std::string error;
  for (size_t n = 0; n < ctl.size(); ++n) EXPECT_FALSE(decode_ctl(ctl.substr(0, n), error)) << "ctl cut at " << n;
  for (size_t n = 0; n < data.size(); ++n) EXPECT_FALSE(read_data(data.substr(0, n), error)) << "Data cut at " << n;
  for (size_t n = 0; n < log.size(); ++n) EXPECT_FALSE(read_log(log.substr(0, n), error)) << "log cut at " << n;
  read_log(log.substr(0, log.size() - 3), error);
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST(BackupFormat, EveryFlippedByteIsRefused) {
  std::string ctl = encode_ctl(sample_ctl()), data = sample_data(), log = sample_log_file();
  std::string error;
  for (size_t i = 0; i < ctl.size(); ++i) {
    std::string b = ctl;
    b[i] ^= 0x10;
    // The header's ids are not checksummed; the info record repeats them.
    EXPECT_FALSE(decode_ctl(b, error)) << "ctl flip at " << i;
  }
  for (size_t i = 0; i < data.size(); ++i) {
    if (i >= 9 && i < kHeaderBytes) continue;  // backup/node id in the header: only named, not checked
    std::string b = data;
    b[i] ^= 0x10;
    EXPECT_FALSE(read_data(b, error)) << "Data flip at " << i;
  }
  for (size_t i = 0; i < log.size(); ++i) {
    if (i >= 9 && i < kHeaderBytes) continue;
    std::string b = log;
    b[i] ^= 0x10;
    EXPECT_FALSE(read_log(b, error)) << "log flip at " << i;
  }
}

TEST(BackupFormat, WrongKindAndTrailingBytesAreRefused) {
  std::string error;
  EXPECT_FALSE(read_log(sample_data(), error));
  EXPECT_NE(error.find("is not a log file"), std::string::npos) << error;
  EXPECT_FALSE(read_data(sample_data() + "x", error));
  EXPECT_NE(error.find("after the end record"), std::string::npos) << error;
  EXPECT_FALSE(decode_ctl("garbage that is long enough", error));
  EXPECT_NE(error.find("bad magic"), std::string::npos) << error;
}

TEST(BackupFormat, CountsMustMatch) {
  // A fragment that claims more rows than it holds (a record lost whole).
  std::string out = encode_header(FileKind::kData, 1, 2);
  out += encode_fragment_begin(1, 0);
  out += encode_row_record(1, sample_rows()[0]);
  out += encode_fragment_end(1, 0, 2, 0);
  out += encode_data_end(2, 1);
  std::string error;
  EXPECT_FALSE(read_data(out, error));
  EXPECT_NE(error.find("says 2 rows"), std::string::npos) << error;
  // A log whose end counts another number of entries.
  std::string log = encode_header(FileKind::kLog, 1, 2) + encode_log_entry(sample_log()[0]) + encode_log_end(2);
  EXPECT_FALSE(read_log(log, error));
  EXPECT_NE(error.find("counts 2 entries"), std::string::npos) << error;
}
