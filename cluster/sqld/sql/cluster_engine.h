// cluster/sqld/sql/cluster_engine.h: the Engine halb-sqld runs -- the SQL
// side over the cluster's client API (cluster/api).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster/sqld/sql/session.h"
#include "lib/log/log.h"

namespace halb::cluster::sqld {

// What the MySQL protocol greeting and @@version show. Starts with an
// integer (PyMySQL parses it) and is not "5.5.5-" prefixed (libmariadb would
// switch to MariaDB extras).
inline constexpr const char* kServerVersion = "8.0.36-halb";

struct EngineOptions {
  std::string connectstring;          // ndb-connectstring / [mysql_cluster]
  double connect_timeout_s = 30;      // first contact with halb-mgmd and a started data node
  // ndb-cluster-connection-pool: cluster connections, each its own API node
  // id, sessions spread over them round robin.
  uint32_t connection_pool = 1;
  // ndb-cluster-connection-pool-nodeids: each member's node id, in order
  // (empty: the connectstring's nodeid for the first, any free slot after).
  std::vector<uint32_t> connection_pool_node_ids;
  // Password for 'root'@'localhost' and 'root'@'127.0.0.1', set only when the
  // cluster holds no accounts yet (first start of the first SQL node).
  std::string initial_root_password;
  uint16_t port = 3306;               // for @@port
  std::string socket;                 // for @@socket
  std::string bind_address;
  uint32_t max_connections = 151;     // for @@max_connections
  uint64_t max_allowed_packet = 64ull << 20;
  uint32_t wait_timeout_s = 28800;
  // Primary-key point reads without SQLite (point_select.h); off only to
  // compare against the SQLite path.
  bool sql_fast_path = true;
  // SQLite statements each connection keeps for text queries it repeats
  // (statement_cache.h); 0 prepares every query afresh.
  uint32_t statement_cache = 64;
};

// Connects to the cluster (API node id from halb-mgmd), makes sure the
// catalog exists, and returns the engine; nullptr with `error` set when the
// cluster cannot be reached in time.
std::unique_ptr<Engine> make_cluster_engine(const EngineOptions& options, log::Logger& logger,
                                            std::string& error);

}  // namespace halb::cluster::sqld
