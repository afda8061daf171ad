// Concurrent transfers between accounts (exclusive reads, then updates)
// over a seeded random interleaving, with lock waits resolved by the 266
// timeout and a random data node dying part way: the total is conserved
// because every transfer is all-or-nothing, every live replica agrees, and
// no lock or transaction record outlives the run.
#include <gtest/gtest.h>

#include "cluster/ndbd/engine/error.h"
#include "tests/unit/cluster/ndbd/sim_cluster.h"

using namespace halb::cluster::engine;
using namespace halb::cluster::engine::test;

namespace {

constexpr int kAccounts = 8;
constexpr int64_t kStart = 100;

class Bank : public ::testing::TestWithParam<uint64_t> {};

TEST_P(Bank, TransfersConserveTheTotal) {
  const uint64_t seed = GetParam();
  EngineConfig cfg;
  cfg.deadlock_timeout_ms = 1200;
  SimCluster c({2, 3, 4, 5}, 2, cfg, seed);
  Table t;
  t.name = "bank";
  t.columns = {{"id", ColumnType::kInt, false, false, 0, 0, 0}, {"balance", ColumnType::kBigInt, false, false, 0, 0, 0}};
  t.primary_key = {0};
  auto table = c.create_table(t);
  ASSERT_TRUE(table);
  std::vector<ApiOp> init;
  for (int64_t a = 0; a < kAccounts; ++a)
    init.push_back(ApiOp{table->id, OpType::kInsert, LockMode::kExclusive, {Value{a}}, {{1, Value{kStart}}}, std::nullopt});
  ASSERT_EQ(c.execute(2, ApiExecuteReq{0, 0, 0, init, ExecType::kCommit}).state, TransState::kCommitted);

  std::mt19937_64 rng(seed);
  struct Client {
    int remaining = 4;
    int step = 0;  // 0 idle, 1 reading, 2 committing
    uint32_t tc = 0, request = 0;
    TransId trans = 0;
    int64_t a = 0, b = 0, amount = 0;
  };
  std::vector<Client> clients(5);
  auto pick_tc = [&] {
    auto live = c.live();
    return live[rng() % live.size()];
  };
  auto start = [&](Client& cl) {
    cl.tc = pick_tc();
    cl.a = static_cast<int64_t>(rng() % kAccounts);
    cl.b = (cl.a + 1 + static_cast<int64_t>(rng() % (kAccounts - 1))) % kAccounts;
    cl.amount = static_cast<int64_t>(rng() % 30);
    std::vector<ApiOp> ops{ApiOp{table->id, OpType::kRead, LockMode::kExclusive, {Value{cl.a}}, {}, std::nullopt},
                           ApiOp{table->id, OpType::kRead, LockMode::kExclusive, {Value{cl.b}}, {}, std::nullopt}};
    cl.request = c.submit(cl.tc, ApiExecuteReq{0, 0, 0, ops, ExecType::kNoCommit});
    cl.step = 1;
  };
  const int kill_at = static_cast<int>(rng() % 400);
  const bool kill = seed % 4 != 0;
  int steps = 0, committed = 0, aborted = 0;
  bool killed = false;
  for (auto& cl : clients) start(cl);
  for (int guard = 0; guard < 100000; ++guard) {
    bool progressed = c.step();
    if (progressed) ++steps;
    if (kill && !killed && steps >= kill_at) {
      c.kill(2 + static_cast<uint32_t>(rng() % 4));
      killed = true;
    }
    bool busy = false;
    for (auto& cl : clients) {
      if (cl.step == 0) continue;
      busy = true;
      if (c.dead(cl.tc)) {  // its coordinator died: the outcome is the takeover's business
        cl.step = 0;
        if (--cl.remaining > 0) start(cl);
        continue;
      }
      auto r = c.take_reply(cl.request);
      if (!r) continue;
      if (r->state == TransState::kAborted) {
        ++aborted;
        EXPECT_TRUE(r->error == err::kDeadlockTimeout || r->error == err::kDeadlockVictim ||
                    r->error == err::kNodeFailureAbort)
            << r->error;
        cl.step = 0;
      } else if (cl.step == 1) {
        int64_t ba = std::get<int64_t>((*r->results[0].row)[1]);
        int64_t bb = std::get<int64_t>((*r->results[1].row)[1]);
        std::vector<ApiOp> ops{
            ApiOp{table->id, OpType::kUpdate, LockMode::kExclusive, {Value{cl.a}}, {{1, Value{ba - cl.amount}}}, std::nullopt},
            ApiOp{table->id, OpType::kUpdate, LockMode::kExclusive, {Value{cl.b}}, {{1, Value{bb + cl.amount}}}, std::nullopt}};
        cl.request = c.submit(cl.tc, ApiExecuteReq{0, 0, r->trans, ops, ExecType::kCommit});
        cl.step = 2;
        continue;
      } else {
        EXPECT_EQ(r->state, TransState::kCommitted);
        ++committed;
        cl.step = 0;
      }
      if (--cl.remaining > 0) start(cl);
    }
    if (!busy && !progressed) break;
    if (!progressed) c.advance(600);  // everyone waits on a lock: let the timeout speak
  }
  c.run();
  c.advance(5000);
  c.run();
  int64_t total = 0;
  for (int64_t a = 0; a < kAccounts; ++a) {
    std::optional<Row> first;
    const uint32_t frag = halb::cluster::fragment_of_key(encode_key_values(*table, table->primary_key, {Value{a}}),
                                                         table->fragments);
    int replicas = 0;
    for (uint32_t n : c.node(c.live().front()).distribution().replicas(frag)) {
      if (c.dead(n)) continue;
      auto row = c.node(n).lqh().fragment(table->id, frag)->read_committed({Value{a}});
      ASSERT_TRUE(row) << "seed " << seed << ": account " << a << " missing on node " << n;
      if (replicas++ == 0) first = row;
      EXPECT_EQ(*row, *first) << "seed " << seed << ": replicas of account " << a << " differ";
    }
    total += std::get<int64_t>((*first)[1]);
  }
  EXPECT_EQ(total, kAccounts * kStart) << "seed " << seed << " committed " << committed << " aborted " << aborted;
  EXPECT_GT(committed, 0) << "seed " << seed;
  for (uint32_t n : c.live()) {
    EXPECT_EQ(c.node(n).lqh().transactions(), 0u) << "seed " << seed << " node " << n;
    EXPECT_EQ(c.node(n).tc().transactions(), 0u) << "seed " << seed << " node " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, Bank, ::testing::Range<uint64_t>(1, 121));

}  // namespace
