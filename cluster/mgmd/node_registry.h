// cluster/mgmd/node_registry.h: which node ids are taken, by whom, and what
// state each node is in -- the management server's view of the cluster.
//
// Pure bookkeeping, no sockets: the server tells it about sessions opening
// and closing and about the states nodes report, and asks it for `get
// nodeid` decisions and `get status` rows. Host checks compare the peer's
// address with the addresses the node's HostName resolved to when the
// configuration was loaded (resolution is the caller's job, so tests and
// the daemon's loop never wait on DNS).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/config/model.h"
#include "cluster/mgmapi/node_status.h"
#include "cluster/mgmapi/session.h"

namespace halb::cluster::mgmd {

// "ndbd(NDB)", "mysqld(API)", "ndb_mgmd(MGM)": how NDB names types in texts.
std::string type_display(NodeType t);

// HostName -> the addresses it stands for ("127.0.0.1", "::1"...).
using HostAddresses = std::map<std::string, std::set<std::string>>;

// Every HostName of the configuration resolved with getaddrinfo (blocking).
// Names that do not resolve map to an empty set, which no peer matches.
HostAddresses resolve_hosts(const ClusterConfig& config);

// "::ffff:127.0.0.1" -> "127.0.0.1"
std::string normalize_address(std::string address);

struct Allocation {
  bool ok = false;
  uint32_t node_id = 0;
  std::string error;  // the `result:` text on refusal
};

class NodeRegistry {
 public:
  NodeRegistry(const ClusterConfig& config, HostAddresses hosts, uint32_t own_id);

  // `get nodeid`: `requested` 0 = any free id of `type`. `owner` identifies
  // the connection that holds the reservation.
  Allocation allocate(uint32_t requested, NodeType type, const std::string& peer_address, uint64_t owner,
                      uint32_t version);
  // The connection went away: its id is free again and the node not connected.
  // Returns the node id it held (0 if none).
  uint32_t release(uint64_t owner);
  // A session started on the connection holding `node_id`.
  void session_started(uint32_t node_id);
  void report(uint32_t node_id, const mgmapi::StateReport& r);
  // Marks a node as shutting down / restarting until it reports or leaves.
  void set_status(uint32_t node_id, mgmapi::NodeStatus s);

  std::optional<NodeType> type_of(uint32_t node_id) const;
  const mgmapi::NodeState* state(uint32_t node_id) const;
  std::vector<mgmapi::NodeState> states() const;
  // Ids of configured nodes of a type, ascending.
  std::vector<uint32_t> ids_of(NodeType t) const;
  uint64_t owner_of(uint32_t node_id) const;

 private:
  bool host_allowed(const std::string& config_host, const std::string& peer) const;
  struct Slot {
    mgmapi::NodeState state;
    uint64_t owner = 0;  // 0: free
  };
  std::map<uint32_t, Slot> slots_;
  HostAddresses hosts_;
  std::map<uint32_t, int> config_groups_;  // data node -> node group from config
};

}  // namespace halb::cluster::mgmd
