// cluster/ndbd/fs/schema_file.h: the dictionary on disk -- every user table
// definition (engine/table_codec.h bytes), rewritten whole on each change.
//
//   one frame (records.h): "HSCH" u32 count { str table }
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace halb::cluster::fs {

bool write_schema(const std::string& path, const std::vector<std::string>& tables, std::string& error);
// The encoded tables; nullopt with `error` when the file is missing or damaged.
std::optional<std::vector<std::string>> read_schema(const std::string& path, std::string& error);

}  // namespace halb::cluster::fs
