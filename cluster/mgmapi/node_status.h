// cluster/mgmapi/node_status.h: what `get status` says about each node.
//
// halb-mgmd fills these from its sessions and the configuration; halb-mgm
// decodes them and prints SHOW and STATUS. The reply is NDB's `node status`
// block (`node.<id>.type/status/version/startphase/dynamic_id/node_group/
// connect_count/address`) plus two halb fields: `node.<id>.hostname`, the
// HostName the configuration gives the node, which SHOW prints for a node
// that is not connected (ndb_mgm fetched the whole configuration for that),
// and `node.<id>.transporter_port`, the port the node reported accepting
// transport links on (NDB 5.0 handed out such dynamic ports through the
// management server too).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/config/model.h"
#include "cluster/mgmapi/protocol.h"

namespace halb::cluster::mgmapi {

enum class NodeStatus { kNoContact, kNotStarted, kStarting, kStarted, kShuttingDown, kRestarting, kSingleUser };

// NO_CONTACT, NOT_STARTED, STARTING, STARTED, SHUTTING_DOWN, RESTARTING, SINGLE USER MODE
std::string_view status_token(NodeStatus s);
std::optional<NodeStatus> status_from_token(std::string_view token);
// What ndb_mgm prints: "not connected", "not started", "starting", "started",
// "shutting down", "restarting", "single user mode".
std::string_view status_words(NodeStatus s);

// NDB, API, MGM
std::string_view type_token(NodeType t);
std::optional<NodeType> type_from_token(std::string_view token);

struct NodeState {
  uint32_t node_id = 0;
  NodeType type = NodeType::kData;
  NodeStatus status = NodeStatus::kNoContact;
  uint32_t version = 0;      // 0 while not connected
  uint32_t start_phase = 0;  // while starting
  uint32_t dynamic_id = 0;   // join order among data nodes; 0 unknown
  int node_group = -1;       // -1 unknown / not a data node
  uint32_t connect_count = 0;
  std::string address;        // peer address when connected
  std::string config_host;    // HostName from config.ini; empty = any host
  uint16_t transporter_port = 0;  // where the node accepts transport links; 0 unknown

  bool connected() const { return status != NodeStatus::kNoContact; }
};

// `node status` reply from states (any order; written by ascending id).
Message encode_status(const std::vector<NodeState>& nodes);
// Decodes a `node status` reply; nullopt with `error` set when it is not one.
std::optional<std::vector<NodeState>> decode_status(const Message& reply, std::string& error);

// The Master of SHOW: among data nodes that are starting or started, the one
// with the lowest dynamic id (node id when none reported one); 0 when none.
uint32_t master_node(const std::vector<NodeState>& nodes);

}  // namespace halb::cluster::mgmapi
