// cluster/ndbd/fs/schema_file.h: the dictionary on disk -- every user table
// definition (engine/table_codec.h bytes) with the GCI of its CREATE and, once
// dropped, of its DROP, rewritten whole on each change. A system restart to
// GCI r puts back exactly the tables created at or below r and not dropped
// at or below r.
//
//   one frame (records.h): "HSC2" u32 count { str table, u64 create_gci, u64 drop_gci }
//   (older files: "HSCH" u32 count { str table }, read as created at GCI 0)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace halb::cluster::fs {

struct SchemaEntry {
  std::string table;        // encoded definition
  uint64_t create_gci = 0;  // 0: before any GCI this node can restore to
  uint64_t drop_gci = 0;    // 0: not dropped
  bool operator==(const SchemaEntry&) const = default;
  // In the dictionary as of GCI `gci`?
  bool present_at(uint64_t gci) const { return create_gci <= gci && (drop_gci == 0 || drop_gci > gci); }
};

bool write_schema(const std::string& path, const std::vector<SchemaEntry>& tables, std::string& error);
// The entries; nullopt with `error` when the file is missing or damaged.
std::optional<std::vector<SchemaEntry>> read_schema(const std::string& path, std::string& error);

}  // namespace halb::cluster::fs
