// cluster/ndbd/engine/distribution.cc: live replica chains.
#include "cluster/ndbd/engine/distribution.h"

#include <algorithm>

namespace halb::cluster::engine {

Distribution::Distribution(std::vector<NodeGroup> groups) : groups_(std::move(groups)) {
  for (const auto& g : groups_)
    for (uint32_t n : g.members) states_[n] = NodeState::kAlive;
}

void Distribution::set_state(uint32_t node, NodeState s) {
  auto it = states_.find(node);
  if (it != states_.end()) it->second = s;
}

NodeState Distribution::state(uint32_t node) const {
  auto it = states_.find(node);
  return it == states_.end() ? NodeState::kDead : it->second;
}

std::vector<uint32_t> Distribution::live_nodes() const {
  std::vector<uint32_t> out;
  for (const auto& [n, s] : states_)
    if (s == NodeState::kAlive) out.push_back(n);
  return out;
}

std::vector<uint32_t> Distribution::data_nodes() const {
  std::vector<uint32_t> out;
  for (const auto& [n, s] : states_) out.push_back(n);
  return out;
}

std::vector<uint32_t> Distribution::replicas(uint32_t fragment) const {
  FragmentReplicas f = place_fragment(groups_, fragment);
  std::vector<uint32_t> out{f.primary};
  out.insert(out.end(), f.backups.begin(), f.backups.end());
  return out;
}

std::vector<uint32_t> Distribution::write_chain(uint32_t fragment) const {
  std::vector<uint32_t> out;
  const auto all = replicas(fragment);
  for (uint32_t n : all)
    if (alive(n)) out.push_back(n);
  if (out.empty()) return out;  // no live replica: nothing may be written
  for (uint32_t n : all)
    if (state(n) == NodeState::kStarting) out.push_back(n);
  return out;
}

uint32_t Distribution::primary(uint32_t fragment) const {
  for (uint32_t n : replicas(fragment))
    if (alive(n)) return n;
  return 0;
}

uint32_t Distribution::read_replica(uint32_t fragment, uint32_t near) const {
  if (alive(near)) {
    const auto all = replicas(fragment);
    if (std::find(all.begin(), all.end(), near) != all.end()) return near;
  }
  return primary(fragment);
}

bool Distribution::complete() const {
  for (const auto& g : groups_) {
    bool any = false;
    for (uint32_t n : g.members) any = any || alive(n);
    if (!any) return false;
  }
  return true;
}

uint32_t fragment_of_primary_key(const Table& t, const std::vector<Value>& key) {
  return fragment_of_key(encode_key_values(t, t.primary_key, key), t.fragments > 0 ? t.fragments : 1);
}

}  // namespace halb::cluster::engine
