// cluster/ndbd/fs/files.h: the few file operations the data node's files
// need, each either done completely or reported with a sentence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace halb::cluster::fs {

// Writes `bytes` to path.tmp, fsyncs it, renames it over `path` and fsyncs
// the directory: afterwards the file holds either the old or the new bytes.
bool write_atomic(const std::string& path, const std::string& bytes, std::string& error);
// The whole file; nullopt (with `error`) when it cannot be read.
std::optional<std::string> read_all(const std::string& path, std::string& error);
// Names in `dir` (not . and ..); empty when it does not exist.
std::vector<std::string> list_dir(const std::string& dir);
bool make_dir(const std::string& dir, std::string& error);
bool fsync_dir(const std::string& dir, std::string& error);
// Removes a file or a directory tree; missing is fine.
bool remove_tree(const std::string& path, std::string& error);
bool exists(const std::string& path);

}  // namespace halb::cluster::fs
