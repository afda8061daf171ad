// cluster/ndbd/backup/format.h: the three files a data node writes for one
// backup, and their readers.
//
// Every file is a header and a list of records:
//   header  "HALBBKP" u8 kind ('C' ctl, 'D' data, 'L' log) u8 version(1)
//           u32 backup id u32 node id                        (17 bytes)
//   record  u32 payload length u8 type payload u32 crc32(type + payload)
// Integers little-endian. A file ends with exactly one kEnd record; a file
// without one was cut short (a crash, a full disk) and is refused, as is
// any record whose checksum does not match and anything after kEnd.
//
//   ctl   kCtlInfo{u32 backup u32 node u64 start_gci u64 stop_gci u32 n {u32 node}}
//         kCtlTable{str encoded table}...  kCtlFragment{u32 table u32 fragment u32 node}...
//         kEnd{u64 tables u64 fragments}
//   Data  per fragment: kFragmentBegin{u32 table u32 fragment} kRow{row}...
//         kFragmentEnd{u32 table u32 fragment u64 rows u32 crc32 of the row payloads}
//         kEnd{u64 rows u64 fragments}
//   log   kLogEntry{u64 gci u32 table u32 fragment u8 op row}...  kEnd{u64 entries}
// row = u16 n { u8 tag (0 NULL, 1 int64, 2 uint64, 3 double, 4 bytes) value }.
// A log entry carries the full row after the change (op 1, write) or the
// primary key values (op 2, delete), so applying it twice does no harm.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/ndbd/engine/value.h"

namespace halb::cluster::backup {

enum class FileKind : uint8_t { kCtl = 'C', kData = 'D', kLog = 'L' };

enum RecordType : uint8_t {
  kEnd = 1,
  kCtlInfo = 10,
  kCtlTable = 11,
  kCtlFragment = 12,
  kFragmentBegin = 20,
  kRow = 21,
  kFragmentEnd = 22,
  kLogEntry = 30,
};

enum class LogOp : uint8_t { kWrite = 1, kDelete = 2 };

inline constexpr size_t kHeaderBytes = 17;
// No record is larger: a row is at most a few tens of KB, a table definition less.
inline constexpr uint32_t kMaxRecordBytes = 16u << 20;

// File names inside BACKUP/BACKUP-<id>/, as NDB names them.
std::string backup_dir_name(uint32_t backup_id);  // "BACKUP-<id>"
std::string ctl_file_name(uint32_t backup_id, uint32_t node);
std::string data_file_name(uint32_t backup_id, uint32_t node);
std::string log_file_name(uint32_t backup_id, uint32_t node);

std::string encode_header(FileKind kind, uint32_t backup_id, uint32_t node);
std::string encode_record(uint8_t type, std::string_view payload);
void put_row(std::string& out, const engine::Row& row);

struct FragmentRef {
  uint32_t table = 0;
  uint32_t fragment = 0;
  uint32_t node = 0;
  bool operator==(const FragmentRef&) const = default;
};

struct CtlFile {
  uint32_t backup_id = 0;
  uint32_t node_id = 0;
  uint64_t start_gci = 0;
  uint64_t stop_gci = 0;
  std::vector<uint32_t> nodes;       // data nodes that took part
  std::vector<std::string> tables;   // engine/table_codec encodings
  std::vector<FragmentRef> fragments;
};
std::string encode_ctl(const CtlFile& c);
std::optional<CtlFile> decode_ctl(std::string_view bytes, std::string& error);

std::string encode_fragment_begin(uint32_t table, uint32_t fragment);
std::string encode_row_record(uint32_t table, const engine::Row& row);  // kRow payload: u32 table + row
std::string encode_fragment_end(uint32_t table, uint32_t fragment, uint64_t rows, uint32_t crc);
std::string encode_data_end(uint64_t rows, uint64_t fragments);

struct LogEntry {
  uint64_t gci = 0;
  uint32_t table = 0;
  uint32_t fragment = 0;
  LogOp op = LogOp::kWrite;
  engine::Row values;  // the row (write) or the key values (delete)
  bool operator==(const LogEntry&) const = default;
};
std::string encode_log_entry(const LogEntry& e);
std::string encode_log_end(uint64_t entries);

// Reads a file record by record, checking the header, each checksum, and
// that it ends with kEnd. `error` names the file offset of what is wrong.
class RecordReader {
 public:
  // Opens `path`; check error() after.
  RecordReader(const std::string& path, FileKind kind);
  // Over bytes in memory (tests, the ctl file).
  struct Bytes {
    std::string bytes;
  };
  RecordReader(Bytes bytes, FileKind kind);
  // The next record; false at kEnd (ended() true) or on an error.
  bool next(uint8_t& type, std::string& payload);
  bool ended() const { return ended_; }
  const std::string& error() const { return error_; }
  uint32_t backup_id() const { return backup_id_; }
  uint32_t node_id() const { return node_id_; }
  uint64_t offset() const { return offset_; }
  // The kEnd record's payload, once ended().
  const std::string& end_payload() const { return end_payload_; }

 private:
  bool read(char* into, size_t n);
  void check_header(FileKind kind);
  bool fail(const std::string& why);
  std::ifstream file_;
  std::string mem_;
  size_t mem_pos_ = 0;
  bool from_file_ = false;
  uint64_t offset_ = 0;
  uint32_t backup_id_ = 0, node_id_ = 0;
  bool ended_ = false;
  std::string end_payload_;
  std::string error_;
};

// One Data file, row by row. Each fragment's rows are counted and summed as
// they go by and checked against its kFragmentEnd: a mismatch is an error
// at the fragment's end (rows already handed out came from a damaged
// fragment, and the caller must treat the whole restore as failed).
class DataReader {
 public:
  explicit DataReader(const std::string& path) : r_(path, FileKind::kData) {}
  DataReader(std::string bytes, bool /*in_memory*/) : r_(RecordReader::Bytes{std::move(bytes)}, FileKind::kData) {}
  // The next row and its table id; false at the end of the file or on an error.
  bool next(uint32_t& table, engine::Row& row);
  bool ended() const { return r_.ended() && error_.empty(); }
  const std::string& error() const { return error_.empty() ? r_.error() : error_; }
  uint32_t backup_id() const { return r_.backup_id(); }
  uint32_t node_id() const { return r_.node_id(); }
  uint64_t rows() const { return rows_; }
  uint64_t fragments() const { return fragments_; }

 private:
  bool fail(const std::string& why);
  RecordReader r_;
  std::string error_;
  bool in_fragment_ = false;
  uint32_t table_ = 0, fragment_ = 0, crc_ = 0;
  uint64_t fragment_rows_ = 0, rows_ = 0, fragments_ = 0;
};

class LogReader {
 public:
  explicit LogReader(const std::string& path) : r_(path, FileKind::kLog) {}
  LogReader(std::string bytes, bool /*in_memory*/) : r_(RecordReader::Bytes{std::move(bytes)}, FileKind::kLog) {}
  bool next(LogEntry& out);
  bool ended() const { return r_.ended() && error_.empty(); }
  const std::string& error() const { return error_.empty() ? r_.error() : error_; }
  uint32_t backup_id() const { return r_.backup_id(); }
  uint32_t node_id() const { return r_.node_id(); }

 private:
  RecordReader r_;
  std::string error_;
  uint64_t entries_ = 0;
};

}  // namespace halb::cluster::backup
