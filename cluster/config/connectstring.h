// cluster/config/connectstring.h: how a cluster process finds its
// management servers.
//
// A connectstring is `[nodeid=N,]host[:port][,host[:port]]...`, tokens split
// on `,` or `;` with blanks around them ignored. A host token may be written
// `host:port`, `host=host:port`, `host://host:port`, `mgmd=host:port` or a
// bare host (port 1186); `nodeid=N` (or `OwnProcessId N`) fixes the node id,
// once; `file=<path>` / `file://<path>` points at a file holding more of it;
// tokens starting with `#` are ignored (LocalConfig.cpp). The whole value may
// be quoted, as my.cnf lines often are.
//
// Where it comes from is decided by resolve_connectstring(), in NDB's order:
// the command line (or the same option from my.cnf), an explicit file, the
// NDB_CONNECTSTRING environment value, Ndb.cfg in NDB_HOME, Ndb.cfg in the
// working directory, then `localhost:1186`. A source that carries only a
// nodeid keeps the search going for hosts. The function reads no
// environment itself: callers pass what they found.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/config/model.h"

namespace halb::cluster {

struct MgmServer {
  std::string host;
  uint16_t port = kDefaultMgmPort;
  std::string to_string() const { return host + ":" + std::to_string(port); }
  friend bool operator==(const MgmServer&, const MgmServer&) = default;
};

struct ConnectString {
  uint32_t node_id = 0;            // 0: the management server picks one
  std::vector<MgmServer> servers;  // tried in this order, looping until one answers
  std::string file;                // a file= token, not yet read
  // NDB's rendering, e.g. "nodeid=0,localhost:1186" in
  // "Unable to connect with connect string: ...".
  std::string to_string() const;
};

class ConnectStringError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses one connectstring; throws ConnectStringError saying which token is wrong.
ConnectString parse_connectstring(std::string_view text);

struct ConnectStringSources {
  std::optional<std::string> command_line;  // -c, --connect-string, --ndb-connectstring
  std::optional<std::string> my_cnf;        // the same option from the program's my.cnf groups
  std::optional<std::string> environment;   // value of NDB_CONNECTSTRING, if set
  std::optional<std::string> ndb_home_cfg;  // contents of $NDB_HOME/Ndb.cfg, if present
  std::optional<std::string> cwd_cfg;       // contents of ./Ndb.cfg, if present
  uint32_t forced_node_id = 0;              // --ndb-nodeid; 0 = not given
  // Reads a file= target; nullopt when it cannot be read. Unset: files are
  // read from disk.
  std::function<std::optional<std::string>(const std::string&)> read_file;
};

struct ResolvedConnectString {
  ConnectString connect;
  std::string source;  // "command line", "my.cnf", "file <path>", "NDB_CONNECTSTRING", "NDB_HOME/Ndb.cfg", "Ndb.cfg", "default"
};

// Walks the sources in NDB's order. Throws ConnectStringError when a source
// that is present does not parse or its file= cannot be read (NDB stops too).
ResolvedConnectString resolve_connectstring(const ConnectStringSources& sources);

}  // namespace halb::cluster
