// cluster/api/coordinator.cc: coordinator choice (see coordinator.h).
#include "cluster/api/coordinator.h"

#include <stdexcept>

namespace halb::cluster::api {

void TableDirectory::remember(std::shared_ptr<const engine::Table> t) {
  if (!t) return;
  std::lock_guard<std::mutex> lk(mu_);
  // A dropped table's id may come back with another definition.
  for (auto it = by_id_.begin(); it != by_id_.end();)
    it = it->second->name == t->name && it->first != t->id ? by_id_.erase(it) : std::next(it);
  by_id_[t->id] = std::move(t);
}

void TableDirectory::forget(const std::string& name) {
  std::lock_guard<std::mutex> lk(mu_);
  for (auto it = by_id_.begin(); it != by_id_.end();) it = it->second->name == name ? by_id_.erase(it) : std::next(it);
}

std::shared_ptr<const engine::Table> TableDirectory::find(uint32_t id) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

uint32_t coordinator_for_key(const engine::Distribution& view, const engine::Table& t,
                             const std::vector<engine::Value>& key) {
  if (t.primary_key.empty() || key.size() != t.primary_key.size()) return 0;
  for (size_t i = 0; i < key.size(); ++i)
    if (t.primary_key[i] >= t.columns.size()) return 0;
  return view.primary(engine::fragment_of_primary_key(t, key));
}

uint32_t coordinator_for_operation(const engine::Distribution& view, const engine::Table* t, const engine::ApiOp& op) {
  if (!t || op.unique_index || op.table_id != t->id) return 0;
  return coordinator_for_key(view, *t, op.key);
}

std::optional<engine::Distribution> empty_view(const std::vector<uint32_t>& data_nodes, uint32_t replicas) {
  if (data_nodes.empty() || replicas == 0) return std::nullopt;
  try {
    engine::Distribution view(make_node_groups(data_nodes, replicas));
    for (uint32_t n : view.data_nodes()) view.set_state(n, engine::NodeState::kDead);
    return view;
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

}  // namespace halb::cluster::api
