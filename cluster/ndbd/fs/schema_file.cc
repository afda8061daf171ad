// cluster/ndbd/fs/schema_file.cc: see schema_file.h.
#include "cluster/ndbd/fs/schema_file.h"

#include "cluster/ndbd/fs/files.h"
#include "cluster/ndbd/fs/records.h"

namespace halb::cluster::fs {

bool write_schema(const std::string& path, const std::vector<std::string>& tables, std::string& error) {
  wire::Writer w;
  w.u32(0x48435348);  // "HSCH"
  w.u32(static_cast<uint32_t>(tables.size()));
  for (const auto& t : tables) w.str(t);
  return write_atomic(path, frame(w.bytes()), error);
}

std::optional<std::vector<std::string>> read_schema(const std::string& path, std::string& error) {
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
  if (r.u32() != 0x48435348) r.fail("not a schema file");
  std::vector<std::string> out;
  uint32_t n = r.count(4);
  for (uint32_t i = 0; i < n && r.ok(); ++i) out.push_back(r.str());
  if (r.ok() && !r.at_end()) r.fail("trailing bytes");
  if (!r.ok()) {
    error = path + ": " + r.error();
    return std::nullopt;
  }
  return out;
}

}  // namespace halb::cluster::fs
