// cluster/sqld/sql/system_vars.h: the system variables halb-sqld knows,
// with their defaults, kinds, and whether SET may change them.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/sqld/sql/cluster_engine.h"

namespace halb::cluster::sqld {

struct SystemVar {
  std::string value;
  bool numeric = false;
  bool read_only = false;
};

// The server's variables (GLOBAL scope), built from the engine options.
class GlobalVars {
 public:
  explicit GlobalVars(const EngineOptions& o);
  std::optional<SystemVar> get(const std::string& name) const;
  // False if unknown (1193) or read-only (1238).
  bool set(const std::string& name, const std::string& value, bool& read_only);
  std::map<std::string, SystemVar> all() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, SystemVar> vars_;
};

// Canonical spellings: "tx_isolation" -> "transaction_isolation" is NOT
// folded (both exist); names are lower-cased and stripped of scope prefixes.
std::string var_name(std::string_view raw, std::string* scope = nullptr);

}  // namespace halb::cluster::sqld
