// cluster/api/coordinator.h: which data node coordinates a transaction --
// NDB's distribution awareness. A transaction whose first operation is a
// primary-key operation goes to the node that reads that key's fragment
// (its primary replica, or the first started backup when the primary is
// down): a committed read is then client -> primary -> client, two hops
// instead of four through another node's coordinator. Anything else (a
// unique-index operation, a table the API has not seen) is left to round
// robin.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/ndbd/engine/distribution.h"
#include "cluster/ndbd/engine/messages.h"
#include "cluster/ndbd/engine/table.h"

namespace halb::cluster::api {

// Table definitions by id, as the dictionary last gave them to any member of
// a connection pool (get_table fills it). Thread-safe.
class TableDirectory {
 public:
  void remember(std::shared_ptr<const engine::Table> t);
  void forget(const std::string& name);
  std::shared_ptr<const engine::Table> find(uint32_t id) const;

 private:
  mutable std::mutex mu_;
  std::map<uint32_t, std::shared_ptr<const engine::Table>> by_id_;
};

// The started data node that serves reads of `key`'s fragment in `view`
// (a Distribution whose alive nodes are the started data nodes the API is
// linked to); 0 when none is.
uint32_t coordinator_for_key(const engine::Distribution& view, const engine::Table& t,
                             const std::vector<engine::Value>& key);

// The same for a transaction's first operation; 0 when it has no primary
// key to route by (unique-index access, an insert into a table whose hidden
// key the coordinator makes up, a key of the wrong length) or `t` is null.
uint32_t coordinator_for_operation(const engine::Distribution& view, const engine::Table* t, const engine::ApiOp& op);

// A view of the cluster's node groups with every data node down (the API
// marks them up as links start); nullopt when the configuration has no data
// nodes or an uneven replica count.
std::optional<engine::Distribution> empty_view(const std::vector<uint32_t>& data_nodes, uint32_t replicas);

}  // namespace halb::cluster::api
