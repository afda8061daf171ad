// cluster/ndbd/engine/distribution.h: which live node holds which fragment
// replica, on top of placement's node groups. A node is alive, starting
// (being filled by copy: it takes every write, at the end of the chain, but
// serves no reads) or dead; a dead primary's first live backup leads.
// Committed reads may use any live replica (NDB's READ_BACKUP): commit
// installs a change on the backups before the primary and the API hears of
// it only after the primary, so once a commit is acknowledged every live
// replica returns it.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "cluster/ndbd/engine/table.h"
#include "cluster/placement/node_groups.h"

namespace halb::cluster::engine {

enum class NodeState : uint8_t { kDead = 0, kStarting, kAlive };

class Distribution {
 public:
  // Every node starts alive.
  explicit Distribution(std::vector<NodeGroup> groups);

  void set_state(uint32_t node, NodeState s);
  NodeState state(uint32_t node) const;
  bool alive(uint32_t node) const { return state(node) == NodeState::kAlive; }
  std::vector<uint32_t> live_nodes() const;  // ascending
  std::vector<uint32_t> data_nodes() const;  // every configured data node, ascending

  // Every replica of the fragment, configured primary first, whatever the state.
  std::vector<uint32_t> replicas(uint32_t fragment) const;
  // The prepare chain: live replicas primary first, then starting ones.
  std::vector<uint32_t> write_chain(uint32_t fragment) const;
  // The replica serving locking reads and leading writes; 0 when none is alive.
  uint32_t primary(uint32_t fragment) const;
  // The replica a committed read (or a scan) uses: `near` when it is an
  // alive replica of the fragment, so a coordinator reads its own copy
  // instead of asking the primary's node; else primary().
  uint32_t read_replica(uint32_t fragment, uint32_t near) const;
  // Whether every node group still has a live member.
  bool complete() const;

 private:
  std::vector<NodeGroup> groups_;
  std::map<uint32_t, NodeState> states_;
};

// The fragment a row of `t` with primary key `key` lives in. The
// coordinator routes by it, and the client API uses the same to choose the
// coordinator (the fragment's primary) for a transaction it starts with a key.
uint32_t fragment_of_primary_key(const Table& t, const std::vector<Value>& key);

}  // namespace halb::cluster::engine
