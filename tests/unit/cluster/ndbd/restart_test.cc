// Node restart by copy: a node dies, the cluster keeps writing, the node
// comes back empty, pulls every fragment from the live primaries batch by
// batch while inserts, updates and deletes keep landing -- and ends with
// exactly the rows its partner has, so it can lose that partner and serve.
#include <gtest/gtest.h>

#include "cluster/ndbd/engine/error.h"
#include "tests/unit/cluster/ndbd/sim_cluster.h"

using namespace halb::cluster::engine;
using namespace halb::cluster::engine::test;

namespace {

Table items() {
  Table t;
  t.name = "items";
  t.columns = {{"id", ColumnType::kInt, false, false, 0, 0, 0},
               {"label", ColumnType::kVarchar, false, true, 30, 0, 0},
               {"qty", ColumnType::kBigInt, false, false, 0, 0, 0}};
  t.primary_key = {0};
  t.indexes = {Index{1, "by_qty", IndexKind::kOrdered, {2}}};
  return t;
}

std::vector<Row> rows_of(Fragment& f) {
  ScanSpec all;
  all.batch_rows = 1u << 30;
  return f.scan(all, "").rows;
}

class Restart : public ::testing::TestWithParam<uint64_t> {};

TEST_P(Restart, CopiedReplicaEqualsItsPartner) {
  const uint64_t seed = GetParam();
  SimCluster c({2, 3, 4, 5}, 2, EngineConfig{}, seed);
  auto t = c.create_table(items());
  ASSERT_TRUE(t);
  std::mt19937_64 rng(seed);
  auto random_write = [&]() {
    const int64_t k = static_cast<int64_t>(rng() % 200);
    ApiOp op{t->id, OpType::kWrite, LockMode::kExclusive, {Value{k}},
             {{1, Value{"v" + std::to_string(rng() % 1000)}}, {2, Value{static_cast<int64_t>(rng() % 50)}}},
             std::nullopt};
    if (rng() % 4 == 0) op = ApiOp{t->id, OpType::kDelete, LockMode::kExclusive, {Value{k}}, {}, std::nullopt};
    auto live = c.live();
    uint32_t tc = live[rng() % live.size()];
    if (c.node(tc).distribution().state(tc) != NodeState::kAlive) tc = live.front();
    ApiExecuteReq req;
    req.ops = {op};
    req.exec = ExecType::kCommit;
    c.submit(tc, req);
  };
  for (int i = 0; i < 150; ++i) random_write();
  c.run();
  c.kill(3);
  for (int i = 0; i < 60; ++i) random_write();
  c.run();
  c.restart(3, 1);
  int calls = 0;
  ASSERT_TRUE(c.finish_restart(3, 4, [&] {
    if (++calls % 3 == 0) random_write();
  })) << "seed " << seed;
  for (int i = 0; i < 30; ++i) random_write();  // after the restart, through node 3 too
  c.run();
  c.advance(5000);
  c.run();
  EXPECT_GT(calls, 10);
  size_t rows = 0;
  for (uint32_t f = 0; f < t->fragments; ++f) {
    auto replicas = c.node(2).distribution().replicas(f);
    Fragment* a = c.node(replicas[0]).lqh().fragment(t->id, f);
    Fragment* b = c.node(replicas[1]).lqh().fragment(t->id, f);
    ASSERT_TRUE(a && b);
    auto ra = rows_of(*a), rb = rows_of(*b);
    if (ra != rb) {
      std::map<int64_t, Row> ma, mb;
      for (auto& r : ra) ma[std::get<int64_t>(r[0])] = r;
      for (auto& r : rb) mb[std::get<int64_t>(r[0])] = r;
      for (auto& [k, r] : ma)
        if (!mb.count(k) || mb[k] != r) ADD_FAILURE() << "seed " << seed << " key " << k << " differs; only on node " << replicas[0] << (mb.count(k) ? " (changed)" : "");
      for (auto& [k, r] : mb)
        if (!ma.count(k)) ADD_FAILURE() << "seed " << seed << " key " << k << " only on node " << replicas[1];
    }
    EXPECT_FALSE(a->copying() || b->copying());
    rows += rows_of(*a).size();
  }
  EXPECT_GT(rows, 50u);
  // Node 3 alone now serves its group: kill its partner and read everything.
  c.kill(2);
  c.run();
  ScanSpec all;
  EXPECT_EQ(c.scan(4, t->id, all).size(), rows) << "seed " << seed;
  for (uint32_t n : c.live()) {
    EXPECT_EQ(c.node(n).lqh().transactions(), 0u);
    EXPECT_EQ(c.node(n).tc().transactions(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, Restart, ::testing::Range<uint64_t>(1, 41));

}  // namespace
