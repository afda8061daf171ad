// cluster/ndbd/fs/records.h: the byte layouts inside the data node's files.
//
// A framed record (redo log, LCP data blocks) is
//   u32 length of the body, u32 CRC-32C of the body, body
// little-endian. A row is u32 column count, then per value a tag byte
// (0 NULL, 1 int64, 2 uint64, 3 double, 4 bytes: u32 length + bytes) and
// its data -- the same value tags the engine's wire uses.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/ndbd/engine/change_sink.h"
#include "cluster/ndbd/engine/value.h"
#include "cluster/ndbd/wire/buffer.h"

namespace halb::cluster::fs {

inline constexpr size_t kFrameHeader = 8;

// body -> length + crc + body.
std::string frame(std::string_view body);

enum class FrameResult { kOk, kEnd, kTruncated, kBadChecksum, kBadLength };
// Reads the frame at `pos` of `bytes`: kOk with `body` and pos advanced;
// kEnd when pos is at the end (or at zero padding); otherwise why the rest
// cannot be trusted. `max_body` bounds a believable length.
FrameResult read_frame(std::string_view bytes, size_t& pos, std::string_view& body, size_t max_body);
const char* frame_result_text(FrameResult r);

// One redo log record.
enum class RedoKind : uint8_t {
  kChange = 1,   // a committed row change
  kGciEnd = 2,   // every change of GCIs up to `gci` is before this record (+ node GCIs)
  kRestart = 3,  // the node restarted to GCI `gci`: earlier records above it never happened
};

struct RedoRecord {
  RedoKind kind = RedoKind::kChange;
  uint64_t gci = 0;
  // kChange only.
  uint32_t table_id = 0;
  uint32_t table_version = 0;
  uint32_t fragment = 0;
  engine::ChangeOp op = engine::ChangeOp::kInsert;
  std::string key;
  std::optional<engine::Row> row;  // none for kDelete
  // kGciEnd only (may be empty: files of an older version, or a restart
  // mark): per data node, the last GCI it took part in as far as the
  // writer knows -- NDB's "last completed GCI per node" of the sysfile. A
  // value above `gci` says the node went on after the writer left.
  // Encoded after the GCI as u32 count, then u32 node id + u64 GCI each.
  std::map<uint32_t, uint64_t> nodes;
};

std::string encode_redo(const RedoRecord& r);
std::string encode_change(const engine::RowChange& c);  // the same bytes, without copying the row first
std::optional<RedoRecord> decode_redo(std::string_view body, std::string& error);

}  // namespace halb::cluster::fs
