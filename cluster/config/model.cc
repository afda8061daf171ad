// cluster/config/model.cc: the few lookups the plain config structs offer.
#include "cluster/config/model.h"

#include <algorithm>

namespace halb::cluster {

std::vector<uint32_t> ClusterConfig::data_node_ids() const {
  std::vector<uint32_t> ids;
  ids.reserve(data_nodes.size());
  for (const auto& n : data_nodes) ids.push_back(n.node_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::optional<NodeType> ClusterConfig::type_of(uint32_t node_id) const {
  auto has = [node_id](const auto& nodes) {
    return std::any_of(nodes.begin(), nodes.end(), [node_id](const auto& n) { return n.node_id == node_id; });
  };
  if (has(data_nodes)) return NodeType::kData;
  if (has(api_nodes)) return NodeType::kApi;
  if (has(mgm_nodes)) return NodeType::kMgm;
  return std::nullopt;
}

}  // namespace halb::cluster
