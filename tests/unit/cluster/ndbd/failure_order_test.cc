// Node failure as real sockets show it: a dead node's last messages still
// arrive after it died, and each survivor notices the death at its own
// moment -- possibly after the new coordinator already asked it about the
// dead node's transactions. Nothing a dead coordinator sent may then leave
// a prepared operation (and its row lock) behind: that lock would make
// every later writer of the row wait and fail with 266 for ever.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "cluster/ndbd/engine/error.h"
#include "cluster/placement/node_groups.h"
#include "tests/unit/cluster/ndbd/sim_cluster.h"

using namespace halb::cluster::engine;
using namespace halb::cluster::engine::test;

namespace {

Table items() {
  Table t;
  t.name = "items";
  t.columns = {{"id", ColumnType::kBigInt, false, false, 0, 0, 0},
               {"v", ColumnType::kBigInt, false, false, 0, 0, 0}};
  t.primary_key = {0};
  return t;
}

ApiExecuteReq write_row(uint32_t table, int64_t id, int64_t v) {
  ApiExecuteReq r;
  r.ops = {ApiOp{table, OpType::kWrite, LockMode::kExclusive, {Value{id}}, {{1, Value{v}}}, std::nullopt}};
  r.exec = ExecType::kCommit;
  return r;
}

// A key whose fragment has `primary` as its primary replica.
int64_t key_with_primary(SimCluster& c, const Table& t, uint32_t primary) {
  for (int64_t k = 0; k < 10000; ++k) {
    uint32_t f = halb::cluster::fragment_of_key(encode_key_values(t, t.primary_key, {Value{k}}), t.fragments);
    if (c.node(primary).distribution().primary(f) == primary) return k;
  }
  return -1;
}

bool is_lqh_key_req(const SimCluster::Envelope& e, uint32_t from, uint32_t to) {
  return e.from == from && e.to == to && std::holds_alternative<LqhKeyReq>(e.m);
}

TEST(FailureOrder, PrepareFromADeadCoordinatorArrivingAfterTheTakeoverLeavesNoLock) {
  // Groups {2,3} and {4,5}. Coordinator 3 sends a write to primary 4 and
  // dies; node 2 (the lowest survivor) takes over and asks node 4 before
  // node 4 has read coordinator 3's last message or noticed its death.
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(items());
  ASSERT_TRUE(t);
  const int64_t k = key_with_primary(c, *t, 4);
  ASSERT_GE(k, 0);
  c.submit(3, write_row(t->id, k, 1));
  ASSERT_TRUE(c.run_until([](const SimCluster::Envelope& e) { return is_lqh_key_req(e, 3, 4); }));
  c.crash(3);
  for (uint32_t n : {2u, 5u}) c.declare_failed(n, 3);
  // Node 2's takeover question reaches node 4 ahead of node 3's request.
  ASSERT_TRUE(c.deliver_first([](const SimCluster::Envelope& e) {
    return e.from == 2 && e.to == 4 && std::holds_alternative<TakeoverReq>(e.m);
  }));
  ASSERT_TRUE(c.deliver_first([](const SimCluster::Envelope& e) { return is_lqh_key_req(e, 3, 4); }));
  c.run();
  c.declare_failed(4, 3);
  c.run();
  for (uint32_t n : c.live()) EXPECT_EQ(c.node(n).lqh().transactions(), 0u) << "node " << n << " kept a record";

  // The row is free: another coordinator writes it at once (no 266).
  const uint32_t req = c.submit(2, write_row(t->id, k, 2));
  c.run();
  auto r = c.take_reply(req);
  EXPECT_TRUE(r) << "the write waits for a lock nobody will release";
  if (!r) {
    c.advance(5000);  // the lock wait times out
    c.run();
    r = c.take_reply(req);
  }
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, TransState::kCommitted) << "error " << r->error;
}

TEST(FailureOrder, CommitFromADeadCoordinatorArrivingAfterTheTakeoverKeepsReplicasEqual) {
  // Coordinator 3 starts committing a row of group {4,5} (primary 5, so
  // its commit goes to the backup 4 first) and dies. Node 4 reports the
  // transaction as prepared to the successor before coordinator 3's commit
  // reaches it: the successor aborts, and node 4 must not commit behind it.
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(items());
  ASSERT_TRUE(t);
  const int64_t k = key_with_primary(c, *t, 5);
  ASSERT_GE(k, 0);
  c.submit(3, write_row(t->id, k, 1));
  ASSERT_TRUE(c.run_until([](const SimCluster::Envelope& e) {
    return e.from == 3 && e.to == 4 && std::holds_alternative<CommitFragReq>(e.m);
  }));
  c.crash(3);
  for (uint32_t n : {2u, 5u}) c.declare_failed(n, 3);
  ASSERT_TRUE(c.deliver_first([](const SimCluster::Envelope& e) {
    return e.from == 2 && e.to == 4 && std::holds_alternative<TakeoverReq>(e.m);
  }));
  ASSERT_TRUE(c.deliver_first([](const SimCluster::Envelope& e) {
    return e.from == 3 && e.to == 4 && std::holds_alternative<CommitFragReq>(e.m);
  }));
  c.run();
  c.declare_failed(4, 3);
  c.run();
  uint32_t f = halb::cluster::fragment_of_key(encode_key_values(*t, t->primary_key, {Value{k}}), t->fragments);
  auto on4 = c.node(4).lqh().fragment(t->id, f)->read_committed({Value{k}});
  auto on5 = c.node(5).lqh().fragment(t->id, f)->read_committed({Value{k}});
  EXPECT_EQ(on4.has_value(), on5.has_value()) << "node 4 " << (on4 ? "has" : "lacks") << " the row, node 5 "
                                              << (on5 ? "has" : "lacks") << " it";
  for (uint32_t n : c.live()) EXPECT_EQ(c.node(n).lqh().transactions(), 0u) << "node " << n << " kept a record";
}

// Seeded random interleavings: a node crashes at a random moment, its last
// messages still arrive, and each survivor notices at its own random later
// moment. Every transaction ends all-or-nothing on the live replicas, every
// live coordinator answers, an acknowledged commit is there, and no record
// or lock is left: a second write of every row commits at once.
class LateNotice : public ::testing::TestWithParam<uint64_t> {};

TEST_P(LateNotice, EveryTransactionEndsWholeAndNoLockStays) {
  const uint64_t seed = GetParam();
  SimCluster c({2, 3, 4, 5}, 2, EngineConfig{}, seed);
  auto t = c.create_table(items());
  ASSERT_TRUE(t);
  std::mt19937_64 rng(seed * 104729);
  struct Tx {
    uint32_t request = 0;
    uint32_t tc = 0;
    std::vector<int64_t> keys;
  };
  std::vector<Tx> txs;
  for (int i = 0; i < 12; ++i) {
    Tx tx;
    tx.tc = 2 + static_cast<uint32_t>(rng() % 4);
    ApiExecuteReq req;
    req.exec = ExecType::kCommit;
    for (int j = 0; j < 4; ++j) {
      tx.keys.push_back(i * 100 + j);
      req.ops.push_back(ApiOp{t->id, OpType::kInsert, LockMode::kExclusive, {Value{int64_t{i * 100 + j}}},
                              {{1, Value{int64_t{i}}}}, std::nullopt});
    }
    tx.request = c.submit(tx.tc, std::move(req));
    txs.push_back(tx);
  }
  const int before = static_cast<int>(rng() % 150);
  for (int i = 0; i < before && c.step(); ++i) {
  }
  const uint32_t victim = 2 + static_cast<uint32_t>(rng() % 4);
  c.crash(victim);
  std::map<int, std::vector<uint32_t>> notice_at;  // step -> survivors noticing then
  for (uint32_t n : c.live()) notice_at[static_cast<int>(rng() % 40)].push_back(n);
  for (int i = 0; i < 40; ++i) {
    for (uint32_t n : notice_at[i]) c.declare_failed(n, victim);
    c.step();
  }
  c.run();
  c.advance(2000);
  c.run();

  auto present = [&](int64_t k) {
    uint32_t f = halb::cluster::fragment_of_key(encode_key_values(*t, t->primary_key, {Value{k}}), t->fragments);
    std::set<bool> seen;
    for (uint32_t n : c.node(c.live().front()).distribution().replicas(f))
      if (!c.dead(n)) seen.insert(c.node(n).lqh().fragment(t->id, f)->read_committed({Value{k}}).has_value());
    return seen;
  };
  for (auto& tx : txs) {
    std::set<bool> states;
    for (int64_t k : tx.keys)
      for (bool b : present(k)) states.insert(b);
    ASSERT_EQ(states.size(), 1u) << "seed " << seed << ": transaction on node " << tx.tc << " half visible, victim "
                                 << victim;
    auto reply = c.take_reply(tx.request);
    if (!reply) {
      EXPECT_EQ(tx.tc, victim) << "seed " << seed << ": a live coordinator never answered";
    } else if (reply->state == TransState::kCommitted) {
      EXPECT_TRUE(*states.begin()) << "seed " << seed << ": acknowledged commit lost";
    } else if (reply->state == TransState::kAborted) {
      EXPECT_FALSE(*states.begin()) << "seed " << seed;
    }
  }
  for (uint32_t n : c.live()) {
    for (auto [id, committed] : c.node(n).lqh().transaction_states())
      ADD_FAILURE() << "seed " << seed << ": node " << n << " kept the record of transaction " << (id & 0xFFFFFFFF)
                    << " of coordinator " << tc_node_of(id) << (committed ? ", committed" : ", prepared")
                    << "; victim " << victim;
    EXPECT_EQ(c.node(n).tc().transactions(), 0u) << "seed " << seed << ": node " << n << " kept coordinator state";
  }
  for (auto& tx : txs)
    for (int64_t k : tx.keys) {
      const uint32_t req = c.submit(c.live().front(), write_row(t->id, k, 7));
      c.run();
      auto r = c.take_reply(req);
      ASSERT_TRUE(r) << "seed " << seed << ": row " << k << " stays locked";
      EXPECT_EQ(r->state, TransState::kCommitted) << "seed " << seed << ": row " << k << " error " << r->error;
    }
}

INSTANTIATE_TEST_SUITE_P(Seeds, LateNotice, ::testing::Range<uint64_t>(1, 201));

}  // namespace
