// cluster/config/my_cnf.h: the cluster's options in MySQL option files.
//
// my.cnf is `[group]` headers and `option` or `option = value` lines; `#` and
// `;` start comment lines, `#` after a blank ends a value, values may be
// quoted, and `-`/`_` are the same in option names. Every cluster program
// reads `[mysql_cluster]` and then its own group (`[ndbd]`, `[ndb_mgm]`,
// `[ndb_mgmd]`, `[ndb_restore]`, `[mysqld]`); a later value wins, as with
// MySQL's load_defaults. `!include` directives are not followed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/reader.h"

namespace halb::cluster {

struct MyCnfOption {
  std::string name;                  // lower case, '_' written as '-'
  std::optional<std::string> value;  // nullopt for a bare flag (`ndbcluster`)
  int line = 0;
};

struct MyCnfGroup {
  std::string name;  // lower case
  std::vector<MyCnfOption> options;
  int line = 0;
};

struct MyCnf {
  std::string file;
  std::vector<MyCnfGroup> groups;  // in file order; a group may appear twice
};

// Throws halb::config::ConfigError (file:line) on a malformed line.
MyCnf parse_my_cnf(std::string_view text, const std::string& file);
MyCnf load_my_cnf(const std::string& path);

enum class ClusterProgram { kNdbd, kNdbMgm, kNdbMgmd, kNdbRestore, kMysqld };

// Groups a program reads, in the order later values override earlier ones.
std::vector<std::string_view> groups_for(ClusterProgram program);

// What the cluster needs from a program's groups.
struct ClusterOptions {
  std::optional<std::string> connectstring;  // ndb-connectstring / connect-string
  int connectstring_line = 0;
  bool ndbcluster = false;                   // mysqld: engine enabled (skip-ndbcluster clears it)
  uint32_t node_id = 0;                      // ndb-nodeid; 0 = not given
  std::optional<std::string> config_file;    // ndb_mgmd: config-file
};

// Throws ConfigError when ndb-nodeid is not a number from 1 to 63.
ClusterOptions cluster_options(const MyCnf& cnf, ClusterProgram program);

}  // namespace halb::cluster
