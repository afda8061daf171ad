// cluster/ndbd/backup/format.cc: backup file formats (see format.h).
#include "cluster/ndbd/backup/format.h"

#include "cluster/ndbd/wire/buffer.h"
#include "cluster/ndbd/wire/value_codec.h"
#include "cluster/transport/frame.h"

namespace halb::cluster::backup {

namespace {

constexpr std::string_view kMagic = "HALBBKP";
constexpr uint8_t kVersion = 1;

void put_row(wire::Writer& w, const engine::Row& row) {
  w.u16(static_cast<uint16_t>(row.size()));
  for (auto& v : row) wire::put_value(w, v);
}

engine::Row get_row(wire::Reader& r) {
  engine::Row row;
  uint16_t n = r.u16();
  if (n > r.left()) {
    r.fail("a row's column count runs past its record");
    return row;
  }
  row.reserve(n);
  for (uint16_t i = 0; i < n && r.ok(); ++i) row.push_back(wire::get_value(r));
  return row;
}

std::string kind_name(FileKind k) {
  switch (k) {
    case FileKind::kCtl: return "ctl";
    case FileKind::kData: return "Data";
    case FileKind::kLog: return "log";
  }
  return "?";
}

}  // namespace

std::string backup_dir_name(uint32_t id) { return "BACKUP-" + std::to_string(id); }
std::string ctl_file_name(uint32_t id, uint32_t node) {
  return "BACKUP-" + std::to_string(id) + "." + std::to_string(node) + ".ctl";
}
std::string data_file_name(uint32_t id, uint32_t node) {
  return "BACKUP-" + std::to_string(id) + "-0." + std::to_string(node) + ".Data";
}
std::string log_file_name(uint32_t id, uint32_t node) {
  return "BACKUP-" + std::to_string(id) + "." + std::to_string(node) + ".log";
}

std::string encode_header(FileKind kind, uint32_t backup_id, uint32_t node) {
  wire::Writer w;
  std::string out(kMagic);
  w.u8(static_cast<uint8_t>(kind));
  w.u8(kVersion);
  w.u32(backup_id);
  w.u32(node);
  return out + w.bytes();
}

std::string encode_record(uint8_t type, std::string_view payload) {
  wire::Writer w;
  w.u32(static_cast<uint32_t>(payload.size()));
  w.u8(type);
  std::string out = w.take();
  out.append(payload);
  std::string body(1, static_cast<char>(type));
  body.append(payload);
  wire::Writer c;
  c.u32(transport::crc32(body));
  return out + c.bytes();
}

void put_row(std::string& out, const engine::Row& row) {
  wire::Writer w;
  put_row(w, row);
  out += w.bytes();
}

std::string encode_ctl(const CtlFile& c) {
  std::string out = encode_header(FileKind::kCtl, c.backup_id, c.node_id);
  wire::Writer info;
  info.u32(c.backup_id);
  info.u32(c.node_id);
  info.u64(c.start_gci);
  info.u64(c.stop_gci);
  info.u32(static_cast<uint32_t>(c.nodes.size()));
  for (uint32_t n : c.nodes) info.u32(n);
  out += encode_record(kCtlInfo, info.bytes());
  for (auto& t : c.tables) {
    wire::Writer w;
    w.str(t);
    out += encode_record(kCtlTable, w.bytes());
  }
  for (auto& f : c.fragments) {
    wire::Writer w;
    w.u32(f.table);
    w.u32(f.fragment);
    w.u32(f.node);
    out += encode_record(kCtlFragment, w.bytes());
  }
  wire::Writer end;
  end.u64(c.tables.size());
  end.u64(c.fragments.size());
  return out + encode_record(kEnd, end.bytes());
}

std::optional<CtlFile> decode_ctl(std::string_view bytes, std::string& error) {
  RecordReader r{RecordReader::Bytes{std::string(bytes)}, FileKind::kCtl};
  CtlFile c;
  c.backup_id = r.backup_id();
  c.node_id = r.node_id();
  uint8_t type;
  std::string payload;
  bool have_info = false;
  while (r.next(type, payload)) {
    wire::Reader p(payload);
    switch (type) {
      case kCtlInfo: {
        uint32_t id = p.u32(), node = p.u32();
        c.start_gci = p.u64();
        c.stop_gci = p.u64();
        uint32_t n = p.count(4);
        for (uint32_t i = 0; i < n; ++i) c.nodes.push_back(p.u32());
        if (p.ok() && (id != c.backup_id || node != c.node_id)) p.fail("the info record names another backup or node");
        have_info = true;
        break;
      }
      case kCtlTable: c.tables.push_back(p.str()); break;
      case kCtlFragment: {
        FragmentRef f;
        f.table = p.u32();
        f.fragment = p.u32();
        f.node = p.u32();
        c.fragments.push_back(f);
        break;
      }
      default: p.fail("unexpected record type " + std::to_string(type) + " in a ctl file");
    }
    if (!p.ok() || !p.at_end()) {
      error = "ctl file: bad record before offset " + std::to_string(r.offset()) + ": " +
              (p.ok() ? std::string("trailing bytes") : p.error());
      return std::nullopt;
    }
  }
  if (!r.ended()) {
    error = r.error();
    return std::nullopt;
  }
  if (!have_info) {
    error = "ctl file: no info record";
    return std::nullopt;
  }
  return c;
}

std::string encode_fragment_begin(uint32_t table, uint32_t fragment) {
  wire::Writer w;
  w.u32(table);
  w.u32(fragment);
  return encode_record(kFragmentBegin, w.bytes());
}

std::string encode_row_record(uint32_t table, const engine::Row& row) {
  wire::Writer w;
  w.u32(table);
  put_row(w, row);
  return encode_record(kRow, w.bytes());
}

std::string encode_fragment_end(uint32_t table, uint32_t fragment, uint64_t rows, uint32_t crc) {
  wire::Writer w;
  w.u32(table);
  w.u32(fragment);
  w.u64(rows);
  w.u32(crc);
  return encode_record(kFragmentEnd, w.bytes());
}

std::string encode_data_end(uint64_t rows, uint64_t fragments) {
  wire::Writer w;
  w.u64(rows);
  w.u64(fragments);
  return encode_record(kEnd, w.bytes());
}

std::string encode_log_entry(const LogEntry& e) {
  wire::Writer w;
  w.u64(e.gci);
  w.u32(e.table);
  w.u32(e.fragment);
  w.u8(static_cast<uint8_t>(e.op));
  put_row(w, e.values);
  return encode_record(kLogEntry, w.bytes());
}

std::string encode_log_end(uint64_t entries) {
  wire::Writer w;
  w.u64(entries);
  return encode_record(kEnd, w.bytes());
}

// ---- RecordReader -----------------------------------------------------------

RecordReader::RecordReader(const std::string& path, FileKind kind) : from_file_(true) {
  file_.open(path, std::ios::binary);
  if (!file_) {
    error_ = path + ": cannot open";
    return;
  }
  check_header(kind);
  if (!error_.empty()) error_ = path + ": " + error_;
}

RecordReader::RecordReader(Bytes bytes, FileKind kind) : mem_(std::move(bytes.bytes)) { check_header(kind); }

bool RecordReader::read(char* into, size_t n) {
  if (from_file_) {
    file_.read(into, static_cast<std::streamsize>(n));
    if (static_cast<size_t>(file_.gcount()) != n) return false;
  } else {
    if (mem_.size() - mem_pos_ < n) return false;
    mem_.copy(into, n, mem_pos_);
    mem_pos_ += n;
  }
  offset_ += n;
  return true;
}

bool RecordReader::fail(const std::string& why) {
  if (error_.empty()) error_ = why;
  return false;
}

void RecordReader::check_header(FileKind kind) {
  char h[kHeaderBytes];
  if (!read(h, sizeof h)) {
    fail("too short for a backup " + kind_name(kind) + " file header");
    return;
  }
  if (std::string_view(h, kMagic.size()) != kMagic) {
    fail("not a halb backup file (bad magic)");
    return;
  }
  wire::Reader r(std::string_view(h + kMagic.size(), sizeof h - kMagic.size()));
  uint8_t k = r.u8(), version = r.u8();
  backup_id_ = r.u32();
  node_id_ = r.u32();
  if (k != static_cast<uint8_t>(kind))
    fail("is not a " + kind_name(kind) + " file (kind '" + std::string(1, static_cast<char>(k)) + "')");
  else if (version != kVersion)
    fail("format version " + std::to_string(version) + " is not supported (this halb reads " +
         std::to_string(kVersion) + ")");
}

bool RecordReader::next(uint8_t& type, std::string& payload) {
  if (!error_.empty() || ended_) return false;
  uint64_t at = offset_;
  char head[5];
  if (!read(head, sizeof head)) {
    std::string where = " at offset " + std::to_string(at);
    return fail("truncated" + where + ": the file ends without its end record");
  }
  wire::Reader h(std::string_view(head, sizeof head));
  uint32_t len = h.u32();
  type = h.u8();
  if (len > kMaxRecordBytes)
    return fail("corrupt record at offset " + std::to_string(at) + ": length " + std::to_string(len));
  payload.assign(len, '\0');
  char crc_bytes[4];
  if (!read(payload.data(), len) || !read(crc_bytes, 4))
    return fail("truncated at offset " + std::to_string(at) + ": the last record is incomplete");
  std::string body(1, static_cast<char>(type));
  body.append(payload);
  uint32_t crc = wire::Reader(std::string_view(crc_bytes, 4)).u32();
  if (crc != transport::crc32(body)) return fail("checksum mismatch in the record at offset " + std::to_string(at));
  if (type == kEnd) {
    // Nothing may follow the end record.
    char extra;
    if (read(&extra, 1)) return fail("bytes after the end record at offset " + std::to_string(offset_ - 1));
    ended_ = true;
    end_payload_ = payload;
    return false;
  }
  return true;
}

// ---- DataReader ---------------------------------------------------------------

bool DataReader::fail(const std::string& why) {
  if (error_.empty()) error_ = "Data file: " + why + " (near offset " + std::to_string(r_.offset()) + ")";
  return false;
}

bool DataReader::next(uint32_t& table, engine::Row& row) {
  if (!error_.empty()) return false;
  uint8_t type;
  std::string payload;
  while (r_.next(type, payload)) {
    wire::Reader p(payload);
    switch (type) {
      case kFragmentBegin:
        if (in_fragment_) return fail("a fragment begins inside another");
        table_ = p.u32();
        fragment_ = p.u32();
        in_fragment_ = true;
        crc_ = 0;
        fragment_rows_ = 0;
        if (!p.ok() || !p.at_end()) return fail("bad fragment header");
        break;
      case kRow: {
        if (!in_fragment_) return fail("a row outside any fragment");
        table = p.u32();
        row = get_row(p);
        if (!p.ok() || !p.at_end()) return fail("bad row: " + (p.ok() ? std::string("trailing bytes") : p.error()));
        if (table != table_) return fail("a row of table " + std::to_string(table) + " inside a fragment of table " +
                                         std::to_string(table_));
        crc_ = transport::crc32(payload, crc_);
        ++fragment_rows_;
        ++rows_;
        return true;
      }
      case kFragmentEnd: {
        uint32_t t = p.u32(), f = p.u32();
        uint64_t n = p.u64();
        uint32_t crc = p.u32();
        if (!p.ok() || !p.at_end() || !in_fragment_ || t != table_ || f != fragment_)
          return fail("a fragment end that matches no fragment");
        if (n != fragment_rows_)
          return fail("table " + std::to_string(t) + " fragment " + std::to_string(f) + " says " + std::to_string(n) +
                      " rows, the file holds " + std::to_string(fragment_rows_));
        if (crc != crc_)
          return fail("table " + std::to_string(t) + " fragment " + std::to_string(f) + ": rows checksum mismatch");
        in_fragment_ = false;
        ++fragments_;
        break;
      }
      default: return fail("unexpected record type " + std::to_string(type));
    }
  }
  if (r_.ended()) {
    wire::Reader p(r_.end_payload());
    uint64_t rows = p.u64(), frags = p.u64();
    if (in_fragment_) return fail("the file ends inside a fragment");
    if (!p.ok() || rows != rows_ || frags != fragments_)
      return fail("the end record counts " + std::to_string(rows) + " rows, the file holds " + std::to_string(rows_));
  }
  return false;
}

// ---- LogReader ----------------------------------------------------------------

bool LogReader::next(LogEntry& out) {
  if (!error_.empty()) return false;
  uint8_t type;
  std::string payload;
  if (r_.next(type, payload)) {
    wire::Reader p(payload);
    if (type != kLogEntry) {
      error_ = "log file: unexpected record type " + std::to_string(type);
      return false;
    }
    out.gci = p.u64();
    out.table = p.u32();
    out.fragment = p.u32();
    uint8_t op = p.u8();
    out.values = get_row(p);
    if (p.ok() && op != static_cast<uint8_t>(LogOp::kWrite) && op != static_cast<uint8_t>(LogOp::kDelete))
      p.fail("unknown operation " + std::to_string(op));
    if (!p.ok() || !p.at_end()) {
      error_ = "log file: bad entry before offset " + std::to_string(r_.offset()) + ": " +
               (p.ok() ? std::string("trailing bytes") : p.error());
      return false;
    }
    out.op = static_cast<LogOp>(op);
    ++entries_;
    return true;
  }
  if (r_.ended()) {
    wire::Reader p(r_.end_payload());
    uint64_t n = p.u64();
    if (!p.ok() || n != entries_)
      error_ = "log file: the end record counts " + std::to_string(n) + " entries, the file holds " +
               std::to_string(entries_);
  }
  return false;
}

}  // namespace halb::cluster::backup
