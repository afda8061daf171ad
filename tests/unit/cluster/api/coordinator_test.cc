// Coordinator choice: a transaction starting with a key goes to the started
// node that reads that key's fragment -- the node halb-ndbd's own routing
// sends the read to -- and falls back to a backup, then to round robin (0).
#include <gtest/gtest.h>

#include <set>

#include "cluster/api/coordinator.h"
#include "cluster/placement/node_groups.h"

using namespace halb::cluster;
using namespace halb::cluster::api;

namespace {

engine::Table table_with_fragments(uint32_t fragments) {
  engine::Table t;
  t.id = 7;
  t.name = "sbtest/sbtest1";
  t.columns.push_back({"id", engine::ColumnType::kInt});
  t.columns.push_back({"k", engine::ColumnType::kInt});
  t.primary_key = {0};
  t.fragments = fragments;
  return t;
}

std::vector<engine::Value> key(int64_t id) { return {engine::Value(id)}; }

engine::Distribution all_started(const std::vector<uint32_t>& nodes, uint32_t replicas) {
  auto v = empty_view(nodes, replicas);
  EXPECT_TRUE(v.has_value());
  for (uint32_t n : nodes) v->set_state(n, engine::NodeState::kAlive);
  return *v;
}

}  // namespace

TEST(ApiCoordinator, KeyGoesToItsFragmentsPrimary) {
  const std::vector<uint32_t> nodes{2, 3, 4, 5};
  auto view = all_started(nodes, 2);
  auto groups = make_node_groups(nodes, 2);
  engine::Table t = table_with_fragments(4);
  std::set<uint32_t> chosen;
  for (int64_t id = 1; id <= 200; ++id) {
    uint32_t f = engine::fragment_of_primary_key(t, key(id));
    uint32_t want = place_fragment(groups, f).primary;
    EXPECT_EQ(coordinator_for_key(view, t, key(id)), want) << id;
    chosen.insert(want);
  }
  // keys spread over every data node as primary
  EXPECT_EQ(chosen, std::set<uint32_t>(nodes.begin(), nodes.end()));
}

TEST(ApiCoordinator, SameChoiceAsTheDataNodesDistribution) {
  // The data node's Distribution (every node alive) reads from the same node.
  engine::Distribution node_side(make_node_groups({2, 3}, 2));
  auto view = all_started({2, 3}, 2);
  engine::Table t = table_with_fragments(2);
  for (int64_t id = 1; id <= 50; ++id)
    EXPECT_EQ(coordinator_for_key(view, t, key(id)), node_side.primary(engine::fragment_of_primary_key(t, key(id))));
}

TEST(ApiCoordinator, PrimaryDownFallsBackToTheStartedBackup) {
  auto view = all_started({2, 3}, 2);
  engine::Table t = table_with_fragments(2);
  int64_t on2 = 0;
  for (int64_t id = 1; id <= 100 && !on2; ++id)
    if (coordinator_for_key(view, t, key(id)) == 2) on2 = id;
  ASSERT_NE(on2, 0);
  view.set_state(2, engine::NodeState::kDead);
  EXPECT_EQ(coordinator_for_key(view, t, key(on2)), 3u);
  view.set_state(2, engine::NodeState::kStarting);  // being filled: serves no reads yet
  EXPECT_EQ(coordinator_for_key(view, t, key(on2)), 3u);
  view.set_state(3, engine::NodeState::kDead);
  view.set_state(2, engine::NodeState::kDead);
  EXPECT_EQ(coordinator_for_key(view, t, key(on2)), 0u);  // none started: round robin decides
}

TEST(ApiCoordinator, EmptyViewHasEveryNodeDown) {
  auto view = empty_view({2, 3, 4, 5}, 2);
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->live_nodes().empty());
  EXPECT_EQ(view->data_nodes(), (std::vector<uint32_t>{2, 3, 4, 5}));
  EXPECT_EQ(coordinator_for_key(*view, table_with_fragments(4), key(1)), 0u);
  EXPECT_FALSE(empty_view({}, 2));
  EXPECT_FALSE(empty_view({2, 3, 4}, 2));  // uneven: no view, round robin only
  EXPECT_FALSE(empty_view({2, 3}, 0));
}

TEST(ApiCoordinator, OperationsWithoutARoutableKeyAreLeftToRoundRobin) {
  auto view = all_started({2, 3}, 2);
  engine::Table t = table_with_fragments(2);
  engine::ApiOp op;
  op.table_id = t.id;
  op.key = key(5);
  EXPECT_NE(coordinator_for_operation(view, &t, op), 0u);
  EXPECT_EQ(coordinator_for_operation(view, nullptr, op), 0u);  // table not known to the API
  engine::ApiOp unique = op;
  unique.unique_index = 1;  // the key is an index key, not the row's
  EXPECT_EQ(coordinator_for_operation(view, &t, unique), 0u);
  engine::ApiOp other = op;
  other.table_id = 8;
  EXPECT_EQ(coordinator_for_operation(view, &t, other), 0u);
  engine::ApiOp hidden_insert = op;
  hidden_insert.type = engine::OpType::kInsert;
  hidden_insert.key.clear();  // the coordinator makes the hidden key up
  EXPECT_EQ(coordinator_for_operation(view, &t, hidden_insert), 0u);
  engine::ApiOp too_long = op;
  too_long.key = {int64_t{5}, int64_t{1}};
  EXPECT_EQ(coordinator_for_operation(view, &t, too_long), 0u);
}

TEST(ApiCoordinator, DirectoryReplacesARecreatedTable) {
  TableDirectory d;
  auto a = std::make_shared<engine::Table>(table_with_fragments(2));
  d.remember(a);
  EXPECT_EQ(d.find(7), a);
  auto b = std::make_shared<engine::Table>(table_with_fragments(4));
  b->id = 9;  // same name, new id after DROP + CREATE
  d.remember(b);
  EXPECT_EQ(d.find(7), nullptr);
  EXPECT_EQ(d.find(9), b);
  d.forget("sbtest/sbtest1");
  EXPECT_EQ(d.find(9), nullptr);
  d.remember(nullptr);
}
