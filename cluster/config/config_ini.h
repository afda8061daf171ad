// cluster/config/config_ini.h: read config.ini the way ndb_mgmd 5.0 does.
//
// The file is a list of sections ([NDBD], [MYSQLD], [NDB_MGMD] or their
// DB/API/MGM aliases, [TCP], [SHM], [SCI], [COMPUTER], [SYSTEM]) holding
// `name=value` or `name: value` lines. Section and parameter names are
// case-insensitive; `#` starts a comment (`;` does not: it is a legal value
// character, e.g. in LogDestination); integers take k/K, M, G suffixes.
// A repeated section is another node; a `[... DEFAULT]` section gives values
// to the sections of its type that come after it, never to earlier ones.
// Node ids are explicit (NodeId, or the deprecated Id) or assigned in file
// order: the next number after the previous node's id that no earlier
// section has taken (InitConfigFileParser's transformNode) -- management
// nodes get no priority. Errors say `file:line: ` followed by NDB's text
// where the reference gives it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cluster/config/model.h"
#include "lib/config/reader.h"

namespace halb::cluster {

struct LoadedConfig {
  ClusterConfig config;
  // `file:line: Cluster configuration warning ...` lines: an assigned id that
  // had to skip a taken one, two data nodes of a group on one host, an
  // arbitrator on a data node's host. Loading still succeeds.
  std::vector<std::string> warnings;
};

// Reads, defaults and validates a config.ini. Throws halb::config::ConfigError
// (file:line: message) on the first error, as ndb_mgmd refuses to start.
LoadedConfig load_config_ini(const std::string& path);
// Same over text in memory; `file` only names it in messages.
LoadedConfig parse_config_ini(std::string_view text, const std::string& file);

}  // namespace halb::cluster
