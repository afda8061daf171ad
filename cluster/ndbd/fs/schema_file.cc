// cluster/ndbd/fs/schema_file.cc: see schema_file.h.
#include "cluster/ndbd/fs/schema_file.h"

#include "cluster/ndbd/fs/files.h"
#include "cluster/ndbd/fs/records.h"

namespace halb::cluster::fs {

namespace {
constexpr uint32_t kMagicV1 = 0x48435348;  // "HSCH"
constexpr uint32_t kMagicV2 = 0x48534332;  // "HSC2"
}  // namespace

bool write_schema(const std::string& path, const std::vector<SchemaEntry>& tables, std::string& error) {
  wire::Writer w;
  w.u32(kMagicV2);
  w.u32(static_cast<uint32_t>(tables.size()));
  for (const auto& t : tables) {
    w.str(t.table);
    w.u64(t.create_gci);
    w.u64(t.drop_gci);
  }
  return write_atomic(path, frame(w.bytes()), error);
}

std::optional<std::vector<SchemaEntry>> read_schema(const std::string& path, std::string& error) {
  auto bytes = read_all(path, error);
  if (!bytes) return std::nullopt;
  size_t pos = 0;
  std::string_view body;
  FrameResult fr = read_frame(*bytes, pos, body, bytes->size());
  if (fr != FrameResult::kOk || pos != bytes->size()) {
    error = path + ": " + (fr == FrameResult::kOk ? "trailing bytes" : frame_result_text(fr));
    return std::nullopt;
  }
  wire::Reader r(body);
  const uint32_t magic = r.u32();
  if (magic != kMagicV1 && magic != kMagicV2) r.fail("not a schema file");
  std::vector<SchemaEntry> out;
  uint32_t n = r.count(magic == kMagicV2 ? 20 : 4);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    SchemaEntry e;
    e.table = r.str();
    if (magic == kMagicV2) {
      e.create_gci = r.u64();
      e.drop_gci = r.u64();
    }
    out.push_back(std::move(e));
  }
  if (r.ok() && !r.at_end()) r.fail("trailing bytes");
  if (!r.ok()) {
    error = path + ": " + r.error();
    return std::nullopt;
  }
  return out;
}

}  // namespace halb::cluster::fs
