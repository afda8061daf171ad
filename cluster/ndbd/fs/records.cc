// cluster/ndbd/fs/records.cc: see records.h.
#include "cluster/ndbd/fs/records.h"

#include "cluster/ndbd/fs/crc32c.h"
#include "cluster/ndbd/wire/value_codec.h"

namespace halb::cluster::fs {

using engine::Row;

std::string frame(std::string_view body) {
  wire::Writer w;
  w.u32(static_cast<uint32_t>(body.size()));
  w.u32(crc32c(body));
  std::string out = w.take();
  out.append(body);
  return out;
}

FrameResult read_frame(std::string_view bytes, size_t& pos, std::string_view& body, size_t max_body) {
  if (pos >= bytes.size()) return FrameResult::kEnd;
  if (bytes.size() - pos < kFrameHeader) {
    // Zero padding at the end of a preallocated or torn file is an end.
    return bytes.find_first_not_of('\0', pos) == std::string_view::npos ? FrameResult::kEnd : FrameResult::kTruncated;
  }
  wire::Reader r(bytes.substr(pos, kFrameHeader));
  uint32_t len = r.u32();
  uint32_t crc = r.u32();
  if (len == 0 && crc == 0 && bytes.find_first_not_of('\0', pos) == std::string_view::npos) return FrameResult::kEnd;
  if (len == 0 || len > max_body) return FrameResult::kBadLength;
  if (bytes.size() - pos - kFrameHeader < len) return FrameResult::kTruncated;
  std::string_view b = bytes.substr(pos + kFrameHeader, len);
  if (crc32c(b) != crc) return FrameResult::kBadChecksum;
  body = b;
  pos += kFrameHeader + len;
  return FrameResult::kOk;
}

const char* frame_result_text(FrameResult r) {
  switch (r) {
    case FrameResult::kOk: return "ok";
    case FrameResult::kEnd: return "end";
    case FrameResult::kTruncated: return "a record is cut short";
    case FrameResult::kBadChecksum: return "a record's checksum does not match";
    case FrameResult::kBadLength: return "a record's length is not believable";
  }
  return "?";
}

namespace {

void put_change_head(wire::Writer& w, uint64_t gci, uint32_t table, uint32_t version, uint32_t fragment,
                     engine::ChangeOp op, std::string_view key) {
  w.u8(static_cast<uint8_t>(RedoKind::kChange));
  w.u64(gci);
  w.u32(table);
  w.u32(version);
  w.u32(fragment);
  w.u8(static_cast<uint8_t>(op));
  w.str(key);
}

}  // namespace

std::string encode_redo(const RedoRecord& r) {
  wire::Writer w;
  if (r.kind != RedoKind::kChange) {
    w.u8(static_cast<uint8_t>(r.kind));
    w.u64(r.gci);
    if (r.kind == RedoKind::kGciEnd && !r.nodes.empty()) {
      w.u32(static_cast<uint32_t>(r.nodes.size()));
      for (const auto& [id, gci] : r.nodes) {
        w.u32(id);
        w.u64(gci);
      }
    }
    return w.take();
  }
  put_change_head(w, r.gci, r.table_id, r.table_version, r.fragment, r.op, r.key);
  if (r.op != engine::ChangeOp::kDelete) wire::put_values(w, r.row ? *r.row : Row{});
  return w.take();
}

std::string encode_change(const engine::RowChange& c) {
  wire::Writer w;
  put_change_head(w, c.gci, c.table_id, c.table_version, c.fragment, c.op, c.key);
  if (c.op != engine::ChangeOp::kDelete) wire::put_values(w, c.row ? *c.row : Row{});
  return w.take();
}

std::optional<RedoRecord> decode_redo(std::string_view body, std::string& error) {
  wire::Reader r(body);
  RedoRecord out;
  uint8_t kind = r.u8();
  if (kind < 1 || kind > 3) {
    error = "unknown redo record kind " + std::to_string(kind);
    return std::nullopt;
  }
  out.kind = static_cast<RedoKind>(kind);
  out.gci = r.u64();
  if (out.kind == RedoKind::kChange) {
    out.table_id = r.u32();
    out.table_version = r.u32();
    out.fragment = r.u32();
    uint8_t op = r.u8();
    if (op < 1 || op > 4) r.fail("unknown change operation " + std::to_string(op));
    out.op = static_cast<engine::ChangeOp>(op);
    out.key = r.str();
    if (r.ok() && out.op != engine::ChangeOp::kDelete) out.row = wire::get_values(r);
  } else if (out.kind == RedoKind::kGciEnd && r.ok() && !r.at_end()) {
    const uint32_t count = r.u32();
    if (count > 255) r.fail("a GCI end mark names " + std::to_string(count) + " nodes");
    for (uint32_t i = 0; r.ok() && i < count; ++i) {
      const uint32_t id = r.u32();
      const uint64_t gci = r.u64();
      if (id == 0 || id > 255) r.fail("a GCI end mark names node " + std::to_string(id));
      else out.nodes[id] = gci;
    }
  }
  if (r.ok() && !r.at_end()) r.fail("trailing bytes after the record");
  if (!r.ok()) {
    error = r.error();
    return std::nullopt;
  }
  return out;
}

}  // namespace halb::cluster::fs
