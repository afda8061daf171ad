// The transaction coordinator over simulated data nodes: writes land on
// every replica, reads see committed data only, conflicting transactions
// serialise or time out with 266, and a replica or the coordinator dying at
// any point of prepare or commit leaves every transaction's rows either
// committed on every live replica or absent everywhere (seeded random
// interleavings), with no locks or transaction records left behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "cluster/ndbd/engine/error.h"
#include "tests/unit/cluster/ndbd/sim_cluster.h"

using namespace halb::cluster::engine;
using namespace halb::cluster::engine::test;

namespace {

Table accounts() {
  Table t;
  t.name = "accounts";
  t.columns = {{"id", ColumnType::kBigInt, false, false, 0, 0, 0},
               {"owner", ColumnType::kVarchar, false, true, 40, 0, 0},
               {"balance", ColumnType::kBigInt, false, false, 0, 0, 0}};
  t.primary_key = {0};
  t.indexes = {Index{1, "by_balance", IndexKind::kOrdered, {2}}};
  return t;
}

ApiOp put(uint32_t table, int64_t id, const std::string& owner, int64_t balance, OpType type = OpType::kInsert) {
  return ApiOp{table, type, LockMode::kExclusive, {Value{id}}, {{1, Value{owner}}, {2, Value{balance}}}, std::nullopt};
}
ApiOp get(uint32_t table, int64_t id, LockMode lock = LockMode::kCommitted) {
  return ApiOp{table, OpType::kRead, lock, {Value{id}}, {}, std::nullopt};
}
ApiOp add(uint32_t table, int64_t id, int64_t balance) {
  return ApiOp{table, OpType::kUpdate, LockMode::kExclusive, {Value{id}}, {{2, Value{balance}}}, std::nullopt};
}
ApiExecuteReq batch(std::vector<ApiOp> ops, ExecType exec = ExecType::kCommit, TransId trans = 0) {
  ApiExecuteReq r;
  r.trans = trans;
  r.ops = std::move(ops);
  r.exec = exec;
  return r;
}

// Where a key's fragment lives and what each live replica holds for it.
struct Probe {
  SimCluster& c;
  const Table& t;
  uint32_t fragment(int64_t id) const {
    return halb::cluster::fragment_of_key(encode_key_values(t, t.primary_key, {Value{id}}), t.fragments);
  }
  // One entry per live replica: the committed row or nullopt.
  std::vector<std::optional<Row>> replicas(int64_t id) const {
    std::vector<std::optional<Row>> out;
    for (uint32_t n : c.node(c.live().front()).distribution().replicas(fragment(id))) {
      if (c.dead(n)) continue;
      Fragment* f = c.node(n).lqh().fragment(t.id, fragment(id));
      out.push_back(f ? f->read_committed({Value{id}}) : std::nullopt);
    }
    return out;
  }
  // Present on every live replica (and equal), absent on all, or neither.
  enum class State { kAbsent, kPresent, kSplit };
  State state(int64_t id) const {
    auto r = replicas(id);
    bool all = true, none = true;
    for (auto& x : r) {
      all = all && x.has_value();
      none = none && !x.has_value();
      if (x && r.front() && *x != *r.front()) return State::kSplit;
    }
    return all ? State::kPresent : (none ? State::kAbsent : State::kSplit);
  }
};

void expect_quiet(SimCluster& c) {
  for (uint32_t n : c.live()) {
    EXPECT_EQ(c.node(n).lqh().transactions(), 0u) << "node " << n << " kept transaction records";
    EXPECT_EQ(c.node(n).tc().transactions(), 0u) << "node " << n << " kept coordinator state";
  }
}

TEST(Tc, WritesLandOnEveryReplica) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(accounts());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->fragments, 4u);
  for (int64_t k = 0; k < 40; ++k) {
    auto r = c.execute(2 + static_cast<uint32_t>(k % 4), batch({put(t->id, k, "o" + std::to_string(k), k * 10)}));
    ASSERT_EQ(r.state, TransState::kCommitted) << r.error;
  }
  Probe p{c, *t};
  std::set<uint32_t> fragments;
  for (int64_t k = 0; k < 40; ++k) {
    EXPECT_EQ(p.state(k), Probe::State::kPresent);
    EXPECT_EQ(p.replicas(k).size(), 2u);
    fragments.insert(p.fragment(k));
  }
  EXPECT_EQ(fragments.size(), 4u);
  // A node holds only the fragments of its group.
  EXPECT_EQ(c.node(2).lqh().fragment(t->id, 1), nullptr);
  EXPECT_NE(c.node(2).lqh().fragment(t->id, 0), nullptr);
  expect_quiet(c);
}

TEST(Tc, ReadsSeeCommittedDataOnly) {
  SimCluster c({2, 3}, 2);
  auto t = c.create_table(accounts());
  auto open = c.execute(2, batch({put(t->id, 1, "ann", 5)}, ExecType::kNoCommit));
  ASSERT_EQ(open.state, TransState::kOpen);
  auto other = c.execute(3, batch({get(t->id, 1)}));
  EXPECT_EQ(other.state, TransState::kAborted);
  EXPECT_EQ(other.error, err::kTupleNotFound);
  // The writer reads its own insert.
  auto own = c.execute(2, batch({get(t->id, 1, LockMode::kShared)}, ExecType::kNoCommit, open.trans));
  ASSERT_EQ(own.state, TransState::kOpen);
  ASSERT_TRUE(own.results[0].row);
  EXPECT_EQ(std::get<std::string>((*own.results[0].row)[1]), "ann");
  auto done = c.execute(2, batch({}, ExecType::kCommit, open.trans));
  EXPECT_EQ(done.state, TransState::kCommitted);
  auto seen = c.execute(3, batch({get(t->id, 1)}));
  ASSERT_EQ(seen.state, TransState::kCommitted);
  EXPECT_EQ(std::get<int64_t>((*seen.results[0].row)[2]), 5);
  expect_quiet(c);
}

TEST(Tc, RollbackAndErrorsLeaveNothing) {
  SimCluster c({2, 3}, 2);
  auto t = c.create_table(accounts());
  ASSERT_EQ(c.execute(2, batch({put(t->id, 1, "a", 1)})).state, TransState::kCommitted);
  auto open = c.execute(2, batch({put(t->id, 2, "b", 2), add(t->id, 1, 100)}, ExecType::kNoCommit));
  ASSERT_EQ(open.state, TransState::kOpen);
  auto rb = c.execute(2, batch({}, ExecType::kRollback, open.trans));
  EXPECT_EQ(rb.state, TransState::kAborted);
  // Duplicate key in the middle of a batch: the whole batch goes.
  auto dup = c.execute(3, batch({put(t->id, 3, "c", 3), put(t->id, 1, "dup", 0), put(t->id, 4, "d", 4)}));
  EXPECT_EQ(dup.state, TransState::kAborted);
  EXPECT_EQ(dup.error, err::kTupleExists);
  EXPECT_EQ(dup.results[1].error, err::kTupleExists);
  Probe p{c, *t};
  EXPECT_EQ(p.state(2), Probe::State::kAbsent);
  EXPECT_EQ(p.state(3), Probe::State::kAbsent);
  EXPECT_EQ(p.state(4), Probe::State::kAbsent);
  EXPECT_EQ(std::get<int64_t>((*p.replicas(1)[1])[2]), 1);
  EXPECT_EQ(c.execute(2, batch({add(t->id, 9, 1)})).error, err::kTupleNotFound);
  EXPECT_EQ(c.execute(2, batch({get(77, 1)})).error, err::kNoSuchTable);
  // A finished transaction cannot be reused.
  EXPECT_EQ(c.execute(2, batch({get(t->id, 1)}, ExecType::kCommit, open.trans)).error, err::kTransactionAborted);
  expect_quiet(c);
}

TEST(Tc, ConflictingWritersSerialise) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(accounts());
  ASSERT_EQ(c.execute(2, batch({put(t->id, 1, "a", 100)})).state, TransState::kCommitted);
  auto t1 = c.execute(2, batch({add(t->id, 1, 150)}, ExecType::kNoCommit));
  ASSERT_EQ(t1.state, TransState::kOpen);
  // The second writer waits on the row lock: no answer yet.
  uint32_t second = c.submit(3, batch({add(t->id, 1, 175)}));
  c.run();
  EXPECT_FALSE(c.take_reply(second));
  ASSERT_EQ(c.execute(2, batch({}, ExecType::kCommit, t1.trans)).state, TransState::kCommitted);
  auto r2 = c.take_reply(second);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->state, TransState::kCommitted);
  Probe p{c, *t};
  EXPECT_EQ(std::get<int64_t>((*p.replicas(1)[0])[2]), 175);
  EXPECT_EQ(p.state(1), Probe::State::kPresent);
  expect_quiet(c);
}

// Runs the cluster for `ms` in 10 ms ticks, as halb-ndbd's timer does.
void run_for(SimCluster& c, uint64_t ms) {
  for (uint64_t t = 0; t < ms; t += 10) {
    c.advance(10);
    c.run();
  }
}

TEST(Tc, DeadlockAcrossNodesIsBrokenLongBeforeTheTimeout) {
  SimCluster c({2, 3}, 2);  // TransactionDeadlockDetectionTimeout 1200 ms
  auto t = c.create_table(accounts());
  ASSERT_EQ(c.execute(2, batch({put(t->id, 1, "a", 1), put(t->id, 2, "b", 2)})).state, TransState::kCommitted);
  // Classic deadlock: A locks 1, B locks 2, then each wants the other's row.
  auto a = c.execute(2, batch({get(t->id, 1, LockMode::kExclusive)}, ExecType::kNoCommit));
  auto b = c.execute(3, batch({get(t->id, 2, LockMode::kExclusive)}, ExecType::kNoCommit));
  uint32_t a2 = c.submit(2, batch({add(t->id, 2, 20)}, ExecType::kNoCommit, a.trans));
  uint32_t b2 = c.submit(3, batch({add(t->id, 1, 10)}, ExecType::kNoCommit, b.trans));
  c.run();
  EXPECT_FALSE(c.take_reply(a2));
  EXPECT_FALSE(c.take_reply(b2));
  // The wait-for graph (wait_graph.h) sees the cycle within a few of its
  // intervals: the younger transaction fails with 298 (not the timeout's
  // 266) and aborts, the other gets its row and commits.
  run_for(c, 100);
  auto ra = c.take_reply(a2), rb = c.take_reply(b2);
  ASSERT_TRUE(ra && rb);
  const bool a_lost = ra->state == TransState::kAborted;
  auto& lost = a_lost ? ra : rb;
  auto& won = a_lost ? rb : ra;
  EXPECT_EQ(lost->state, TransState::kAborted);
  EXPECT_EQ(lost->error, err::kDeadlockVictim);
  EXPECT_EQ(won->state, TransState::kOpen);
  EXPECT_EQ(a_lost, younger(a.trans, b.trans));
  EXPECT_EQ(c.execute(a_lost ? 3 : 2, batch({}, ExecType::kCommit, won->trans)).state, TransState::kCommitted);
  Probe p{c, *t};
  EXPECT_EQ(p.state(1), Probe::State::kPresent);
  expect_quiet(c);
}

TEST(Tc, DeadlockOfThreeTransactionsLosesOne) {
  SimCluster c({2, 3}, 2);  // TransactionDeadlockDetectionTimeout 1200 ms
  auto t = c.create_table(accounts());
  ASSERT_EQ(c.execute(2, batch({put(t->id, 1, "a", 1), put(t->id, 2, "b", 2), put(t->id, 3, "c", 3)})).state,
            TransState::kCommitted);
  std::vector<ApiExecuteConf> holds;
  for (int64_t k = 1; k <= 3; ++k)
    holds.push_back(c.execute(k == 2 ? 3 : 2, batch({get(t->id, k, LockMode::kExclusive)}, ExecType::kNoCommit)));
  std::vector<uint32_t> waits;
  for (int64_t k = 1; k <= 3; ++k)
    waits.push_back(c.submit(k == 2 ? 3 : 2, batch({add(t->id, k % 3 + 1, 1)}, ExecType::kNoCommit,
                                                   holds[static_cast<size_t>(k - 1)].trans)));
  // One is aborted; the others then get their rows in turn as each commits.
  int aborted = 0, answered = 0;
  std::vector<bool> done(3, false);
  for (int round = 0; round < 4 && answered < 3; ++round) {
    run_for(c, 100);
    for (size_t i = 0; i < 3; ++i) {
      if (done[i]) continue;
      auto r = c.take_reply(waits[i]);
      if (!r) continue;
      done[i] = true;
      ++answered;
      if (r->state == TransState::kAborted) {
        EXPECT_EQ(r->error, err::kDeadlockVictim);
        ++aborted;
      } else {
        EXPECT_EQ(c.execute(i == 1 ? 3 : 2, batch({}, ExecType::kCommit, holds[i].trans)).state,
                  TransState::kCommitted);
      }
    }
  }
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(aborted, 1);
  expect_quiet(c);
}

TEST(Tc, WaitReportsFromAnApiNodeAreIgnored) {
  SimCluster c({2, 3}, 2);
  auto t = c.create_table(accounts());
  ASSERT_EQ(c.execute(2, batch({put(t->id, 1, "a", 1), put(t->id, 2, "b", 2)})).state, TransState::kCommitted);
  auto a = c.execute(2, batch({get(t->id, 1, LockMode::kExclusive)}, ExecType::kNoCommit));
  auto b = c.execute(2, batch({get(t->id, 2, LockMode::kExclusive)}, ExecType::kNoCommit));
  ASSERT_TRUE(younger(b.trans, a.trans));  // so B would be the victim of a cycle
  uint32_t b2 = c.submit(2, batch({add(t->id, 1, 10)}, ExecType::kNoCommit, b.trans));
  run_for(c, 20);
  // An API node claiming that A waits for B would close a cycle with B's
  // real wait for A: only data nodes' reports count.
  for (uint32_t n : {2u, 3u}) c.send(kApi, n, WaitGraphReport{{{a.trans, b.trans}}});
  run_for(c, 100);
  EXPECT_FALSE(c.take_reply(b2));
  EXPECT_EQ(c.execute(2, batch({}, ExecType::kCommit, a.trans)).state, TransState::kCommitted);
  auto rb = c.take_reply(b2);
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->state, TransState::kOpen);
  EXPECT_EQ(c.execute(2, batch({}, ExecType::kCommit, b.trans)).state, TransState::kCommitted);
  expect_quiet(c);
}

TEST(Tc, LockWaitWithoutACycleTimesOutWith266) {
  SimCluster c({2, 3}, 2);  // TransactionDeadlockDetectionTimeout 1200 ms
  auto t = c.create_table(accounts());
  ASSERT_EQ(c.execute(2, batch({put(t->id, 1, "a", 1)})).state, TransState::kCommitted);
  // A holds row 1 and goes quiet; B waits for it: no cycle, so only the
  // timeout ends the wait.
  auto a = c.execute(2, batch({get(t->id, 1, LockMode::kExclusive)}, ExecType::kNoCommit));
  uint32_t b = c.submit(3, batch({add(t->id, 1, 10)}, ExecType::kNoCommit));
  c.run();
  run_for(c, 1190);
  EXPECT_FALSE(c.take_reply(b));
  // Each wait ends within a quarter past the timeout (lock_wait_limit_ms).
  run_for(c, 320);
  auto rb = c.take_reply(b);
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->state, TransState::kAborted);
  EXPECT_EQ(rb->error, err::kDeadlockTimeout);
  EXPECT_EQ(c.execute(2, batch({}, ExecType::kCommit, a.trans)).state, TransState::kCommitted);
  expect_quiet(c);
}

TEST(Tc, DataMemoryFullAbortsWith827) {
  EngineConfig cfg;
  cfg.data_memory = 8 * kDataPageBytes;  // both fragments on each node: 3 pages each, and 2 more to fill
  SimCluster c({2, 3}, 2, cfg);
  auto t = c.create_table(accounts());
  uint32_t error = 0;
  int64_t k = 0;
  for (; k < 10000 && error == 0; ++k) {
    auto r = c.execute(2, batch({put(t->id, k, "x", k)}));
    error = r.error;
  }
  EXPECT_EQ(error, err::kDataMemoryFull);
  EXPECT_GT(k, 1000);
  Probe p{c, *t};
  EXPECT_EQ(p.state(k - 1), Probe::State::kAbsent);
  for (int64_t i = 0; i < k - 1; ++i) ASSERT_EQ(p.state(i), Probe::State::kPresent) << i;
  expect_quiet(c);
}

TEST(Tc, ScansReadCommittedRowsAcrossFragments) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(accounts());
  for (int64_t k = 0; k < 60; ++k) ASSERT_EQ(c.execute(2, batch({put(t->id, k, k % 2 ? "odd" : "even", 1000 - k)})).state, TransState::kCommitted);
  auto open = c.execute(3, batch({put(t->id, 500, "odd", 1)}, ExecType::kNoCommit));  // not committed: not seen
  ScanSpec all;
  all.batch_rows = 7;
  size_t batches = 0;
  EXPECT_EQ(c.scan(4, t->id, all, nullptr, &batches).size(), 60u);
  EXPECT_GT(batches, 8u);
  ScanSpec odd;
  odd.filter = Filter::all_of({Filter::compare(Filter::Op::kEq, 1, Value{std::string("odd")}),
                               Filter::compare(Filter::Op::kGt, 2, Value{int64_t{970}})});
  EXPECT_EQ(c.scan(5, t->id, odd).size(), 15u);
  ScanSpec range;
  range.index_id = 1;
  range.low = {Value{int64_t{950}}};
  range.high = {Value{int64_t{960}}};
  range.descending = true;
  range.batch_rows = 4;
  auto rows = c.scan(2, t->id, range);
  ASSERT_EQ(rows.size(), 11u);
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(std::get<int64_t>(rows[i][2]), 960 - static_cast<int64_t>(i));
  uint32_t error = 0;
  ScanSpec bad;
  bad.filter = Filter::compare(Filter::Op::kEq, 17, Value{int64_t{1}});
  c.scan(2, t->id, bad, &error);
  EXPECT_EQ(error, err::kBadRequest);
  c.execute(3, batch({}, ExecType::kRollback, open.trans));
  expect_quiet(c);
}

TEST(Tc, ScanResumesOnAnotherReplicaWhenTheOneReadDies) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(accounts());
  for (int64_t k = 0; k < 50; ++k) ASSERT_EQ(c.execute(2, batch({put(t->id, k, "o", k)})).state, TransState::kCommitted);
  // A coordinator outside node 2's group reads node 2's fragment there.
  const auto& dist = c.node(2).distribution();
  uint32_t tc = 0;
  for (uint32_t n : dist.data_nodes()) {
    const auto r = dist.replicas(0);
    if (std::find(r.begin(), r.end(), n) == r.end()) tc = n;
  }
  ASSERT_NE(tc, 0u);
  const uint32_t victim = dist.primary(0);
  c.send(kApi, tc, ApiScanReq{kApi, 999, t->id, ScanSpec{std::nullopt, {}, {}, true, true, false, Filter{}, 5, {}}});
  // Let a few batches go by, then kill the node being read.
  int frag_confs = 0;
  ASSERT_TRUE(c.run_until([&](const SimCluster::Envelope& e) {
    if (std::holds_alternative<ScanFragConf>(e.m)) ++frag_confs;
    return frag_confs > 3 && std::holds_alternative<ScanFragReq>(e.m) && e.to == victim;
  }));
  c.kill(victim);
  c.run();
  bool done = false;
  auto rows = c.scan_rows(999, &done);
  EXPECT_TRUE(done);
  std::set<int64_t> ids;
  for (auto& r : rows) ids.insert(std::get<int64_t>(r[0]));
  EXPECT_EQ(rows.size(), 50u);  // every row once: resumed after the cursor, not restarted
  EXPECT_EQ(ids.size(), 50u);
}

// Committed reads and scans use the coordinator's own replica (NDB's
// READ_BACKUP), so on two data nodes with two replicas they never leave
// the coordinator; locking reads still go to the primary, a starting
// replica (still being copied) is never read, and an acknowledged commit
// is already on every replica.
TEST(Tc, CommittedReadsUseTheCoordinatorsOwnReplica) {
  SimCluster c({2, 3}, 2);
  auto t = c.create_table(accounts());
  for (int64_t k = 0; k < 20; ++k) ASSERT_EQ(c.execute(2, batch({put(t->id, k, "o", k)})).state, TransState::kCommitted);
  Probe p{c, *t};
  int64_t on_3 = -1;  // a key whose primary is node 3
  for (int64_t k = 0; k < 20 && on_3 < 0; ++k)
    if (c.node(2).distribution().primary(p.fragment(k)) == 3) on_3 = k;
  ASSERT_GE(on_3, 0);
  size_t between_nodes = 0;
  c.on_deliver = [&](const SimCluster::Envelope& e) {
    if (e.from != kApi && e.to != kApi) ++between_nodes;
  };
  for (uint32_t tc : {2u, 3u})
    for (int64_t k = 0; k < 20; ++k) {
      auto r = c.execute(tc, batch({get(t->id, k)}));
      ASSERT_EQ(r.state, TransState::kCommitted) << r.error;
      EXPECT_EQ(std::get<int64_t>((*r.results[0].row)[2]), k);
    }
  EXPECT_EQ(c.scan(3, t->id, ScanSpec{}).size(), 20u);
  EXPECT_EQ(c.scan(2, t->id, ScanSpec{}).size(), 20u);
  EXPECT_EQ(between_nodes, 0u);
  // A locking read is the primary's.
  auto locked = c.execute(2, batch({get(t->id, on_3, LockMode::kShared)}));
  ASSERT_EQ(locked.state, TransState::kCommitted);
  EXPECT_GT(between_nodes, 0u);

  // The answer to a commit leaves only after the last replica installed it.
  const uint32_t primary = c.node(2).distribution().primary(p.fragment(100));
  const uint32_t backup = primary == 2 ? 3 : 2;
  c.submit(primary, batch({put(t->id, 100, "late", 100)}));
  ASSERT_TRUE(c.run_until([](const SimCluster::Envelope& e) { return std::holds_alternative<ApiExecuteConf>(e.m); }));
  EXPECT_TRUE(c.node(backup).lqh().fragment(t->id, p.fragment(100))->read_committed({Value{int64_t{100}}}));
  c.run();

  // Node 3 restarting holds an empty replica until its copy ends: reads
  // through it go to node 2.
  c.kill(3);
  c.restart(3, 1);
  between_nodes = 0;
  auto r = c.execute(3, batch({get(t->id, on_3)}));
  ASSERT_EQ(r.state, TransState::kCommitted) << r.error;
  EXPECT_EQ(std::get<int64_t>((*r.results[0].row)[2]), on_3);
  EXPECT_EQ(c.scan(3, t->id, ScanSpec{}).size(), 21u);
  EXPECT_GT(between_nodes, 0u);
  ASSERT_TRUE(c.finish_restart(3, 8));
  between_nodes = 0;
  EXPECT_EQ(c.scan(3, t->id, ScanSpec{}).size(), 21u);
  EXPECT_EQ(between_nodes, 0u);
  c.on_deliver = nullptr;
  expect_quiet(c);
}

TEST(Tc, ScanAsksEveryFragmentAtOnceAndEndsWithItsLastBatch) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(accounts());
  ASSERT_EQ(t->fragments, 4u);
  for (int64_t k = 0; k < 50; ++k) ASSERT_EQ(c.execute(2, batch({put(t->id, k, "o", k)})).state, TransState::kCommitted);
  auto is_frag_req = [](const SimCluster::Envelope& e) { return std::holds_alternative<ScanFragReq>(e.m); };
  auto range_scan = [&](uint32_t id, int64_t low, int64_t high) {
    ScanSpec s;
    s.low = {Value{low}};
    s.high = {Value{high}};
    s.batch_rows = 100;
    c.send(kApi, 3, ApiScanReq{kApi, id, t->id, s});
  };
  range_scan(700, 10, 29);
  ASSERT_TRUE(c.deliver_first([](const SimCluster::Envelope& e) { return std::holds_alternative<ApiScanReq>(e.m); }));
  std::set<uint32_t> asked;
  while (c.pending(is_frag_req)) {
    ASSERT_TRUE(c.deliver_first([&](const SimCluster::Envelope& e) {
      if (auto* r = std::get_if<ScanFragReq>(&e.m)) asked.insert(r->fragment);
      return std::holds_alternative<ScanFragReq>(e.m);
    }));
  }
  // The two fragments of the other node group, before any of them
  // answered (node 3 reads the two replicas it holds itself at once).
  EXPECT_EQ(asked.size(), 2u);
  c.run();
  bool done = false;
  auto rows = c.scan_rows(700, &done);
  EXPECT_TRUE(done);
  std::set<int64_t> ids;
  for (auto& r : rows) ids.insert(std::get<int64_t>(r[0]));
  EXPECT_EQ(rows.size(), 20u);
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(*ids.begin(), 10);
  EXPECT_EQ(*ids.rbegin(), 29);
  EXPECT_EQ(c.node(3).tc().scans(), 0u);
  // Every fragment holds a few of 20 rows: they reach the API as one batch
  // marked done (no empty closing batch to ask for).
  size_t batches = 0;
  ScanSpec again;
  again.low = {Value{int64_t{10}}};
  again.high = {Value{int64_t{29}}};
  again.batch_rows = 100;
  EXPECT_EQ(c.scan(3, t->id, again, nullptr, &batches).size(), 20u);
  EXPECT_EQ(batches, 1u);
  // An empty range and reversed bounds: one empty, final batch.
  EXPECT_TRUE(c.scan(4, t->id, [] {
                  ScanSpec s;
                  s.low = {Value{int64_t{100}}};
                  return s;
                }(), nullptr, &batches).empty());
  EXPECT_EQ(batches, 1u);
  EXPECT_TRUE(c.scan(4, t->id, [] {
                  ScanSpec s;
                  s.low = {Value{int64_t{30}}};
                  s.high = {Value{int64_t{20}}};
                  return s;
                }(), nullptr, &batches).empty());
  EXPECT_EQ(batches, 1u);
  // Small batches still come in fragment order, each fragment in key order.
  ScanSpec small;
  small.batch_rows = 3;
  auto all = c.scan(5, t->id, small, nullptr, &batches);
  ASSERT_EQ(all.size(), 50u);
  EXPECT_GE(batches, 17u);
  Probe p{c, *t};
  for (size_t i = 1; i < all.size(); ++i) {
    int64_t a = std::get<int64_t>(all[i - 1][0]), b = std::get<int64_t>(all[i][0]);
    ASSERT_TRUE(p.fragment(a) < p.fragment(b) || (p.fragment(a) == p.fragment(b) && a < b)) << a << " " << b;
  }
  expect_quiet(c);
}

// Random interleavings with a node dying at a random moment: every
// transaction is all-or-nothing on every live replica, replies tell the truth.
class Crash : public ::testing::TestWithParam<uint64_t> {};

TEST_P(Crash, EveryTransactionAllOrNothing) {
  const uint64_t seed = GetParam();
  SimCluster c({2, 3, 4, 5}, 2, EngineConfig{}, seed);
  auto t = c.create_table(accounts());
  ASSERT_TRUE(t);
  std::mt19937_64 rng(seed * 7919);
  // 12 transactions of 4 fresh rows each, on random coordinators.
  struct Tx {
    uint32_t request = 0;
    uint32_t tc = 0;
    std::vector<int64_t> keys;
  };
  std::vector<Tx> txs;
  for (int i = 0; i < 12; ++i) {
    Tx tx;
    tx.tc = 2 + static_cast<uint32_t>(rng() % 4);
    std::vector<ApiOp> ops;
    for (int j = 0; j < 4; ++j) {
      tx.keys.push_back(i * 100 + j);
      ops.push_back(put(t->id, i * 100 + j, "t" + std::to_string(i), j));
    }
    tx.request = c.submit(tx.tc, batch(std::move(ops)));
    txs.push_back(tx);
  }
  // Deliver a random number of messages, then kill a random node.
  const int before = static_cast<int>(rng() % 150);
  for (int i = 0; i < before && c.step(); ++i) {
  }
  const uint32_t victim = 2 + static_cast<uint32_t>(rng() % 4);
  c.kill(victim);
  c.run();
  c.advance(2000);  // any lock waits resolve
  c.run();
  Probe p{c, *t};
  int committed = 0, aborted = 0;
  for (auto& tx : txs) {
    std::set<Probe::State> states;
    for (int64_t k : tx.keys) states.insert(p.state(k));
    ASSERT_EQ(states.size(), 1u) << "seed " << seed << ": transaction on node " << tx.tc << " half visible, victim " << victim << " reply " << (c.take_reply(tx.request) ? 1 : 0);
    ASSERT_NE(*states.begin(), Probe::State::kSplit) << "seed " << seed;
    auto reply = c.take_reply(tx.request);
    if (reply && reply->state == TransState::kCommitted) {
      EXPECT_EQ(*states.begin(), Probe::State::kPresent) << "seed " << seed << ": acknowledged commit lost";
    }
    if (reply && reply->state == TransState::kAborted) {
      EXPECT_EQ(*states.begin(), Probe::State::kAbsent) << "seed " << seed;
    }
    if (!reply) {
      EXPECT_EQ(tx.tc, victim) << "seed " << seed << ": a live coordinator never answered";
    }
    (*states.begin() == Probe::State::kPresent ? committed : aborted)++;
  }
  EXPECT_EQ(committed + aborted, 12);
  if (getenv("CRASH_DEBUG")) printf("seed %lu victim %u committed %d aborted %d\n", (unsigned long)seed, victim, committed, aborted);
  expect_quiet(c);
}

INSTANTIATE_TEST_SUITE_P(Seeds, Crash, ::testing::Range<uint64_t>(1, 201));

TEST(Tc, CoordinatorDiesAfterOneReplicaCommitted) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(accounts());
  std::vector<ApiOp> ops;
  for (int64_t k = 0; k < 8; ++k) ops.push_back(put(t->id, k, "x", k));
  c.submit(5, batch(ops));
  // Deliver up to and including the first CommitFragReq, then kill the TC.
  bool seen = false;
  c.run_until([&](const SimCluster::Envelope& e) {
    if (seen) return true;
    if (std::holds_alternative<CommitFragReq>(e.m)) seen = true;
    return false;
  });
  ASSERT_TRUE(seen);
  c.kill(5);
  c.run();
  Probe p{c, *t};
  for (int64_t k = 0; k < 8; ++k) EXPECT_EQ(p.state(k), Probe::State::kPresent) << k;
  expect_quiet(c);
}

TEST(Tc, CoordinatorDiesBeforeCommitMeansAbort) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(accounts());
  std::vector<ApiOp> ops;
  for (int64_t k = 0; k < 8; ++k) ops.push_back(put(t->id, k, "x", k));
  c.submit(5, batch(ops));
  ASSERT_TRUE(c.run_until([](const SimCluster::Envelope& e) { return std::holds_alternative<CommitFragReq>(e.m); }));
  c.kill(5);  // its CommitFragReqs die with it
  c.run();
  Probe p{c, *t};
  for (int64_t k = 0; k < 8; ++k) EXPECT_EQ(p.state(k), Probe::State::kAbsent) << k;
  // The rows are free again for others.
  EXPECT_EQ(c.execute(2, batch({put(t->id, 0, "y", 0)})).state, TransState::kCommitted);
  expect_quiet(c);
}

}  // namespace

namespace {

TEST(Tc, OpenTransactionOnADeadNodeAbortsWith286) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(accounts());
  ASSERT_EQ(c.execute(2, batch({put(t->id, 1, "a", 1)})).state, TransState::kCommitted);
  Probe p{c, *t};
  const uint32_t primary = c.node(2).distribution().primary(p.fragment(1));
  const uint32_t tc = primary == 2 ? 4 : 2;
  auto open = c.execute(tc, batch({get(t->id, 1, LockMode::kExclusive)}, ExecType::kNoCommit));
  ASSERT_EQ(open.state, TransState::kOpen);
  c.kill(primary);
  c.run();
  // Its lock died with the primary, so the transaction cannot continue.
  auto next = c.execute(tc, batch({add(t->id, 1, 5)}, ExecType::kCommit, open.trans));
  EXPECT_EQ(next.state, TransState::kAborted);
  EXPECT_EQ(next.error, err::kNodeFailureAbort);
  expect_quiet(c);
}

TEST(Tc, ApiFailureAbortsItsTransactions) {
  SimCluster c({2, 3}, 2);
  auto t = c.create_table(accounts());
  auto open = c.execute(2, batch({put(t->id, 1, "a", 1)}, ExecType::kNoCommit));
  ASSERT_EQ(open.state, TransState::kOpen);
  c.node(2).api_failed(kApi);
  c.run();
  Probe p{c, *t};
  EXPECT_EQ(p.state(1), Probe::State::kAbsent);
  EXPECT_EQ(c.execute(3, batch({put(t->id, 1, "b", 2)})).state, TransState::kCommitted);
  expect_quiet(c);
}

}  // namespace

namespace {

Table users() {
  Table t;
  t.name = "users";
  t.columns = {{"id", ColumnType::kInt, false, false, 0, 0, 0},
               {"email", ColumnType::kVarchar, false, true, 60, 0, 0},
               {"name", ColumnType::kVarchar, false, true, 20, 0, 0}};
  t.primary_key = {0};
  t.indexes = {Index{1, "email", IndexKind::kUniqueHash, {1}}};
  return t;
}

ApiOp user(uint32_t table, int64_t id, Value email, OpType type = OpType::kInsert) {
  return ApiOp{table, type, LockMode::kExclusive, {Value{id}}, {{1, std::move(email)}, {2, Value{std::string("n")}}},
               std::nullopt};
}
ApiOp by_email(uint32_t table, const std::string& email) {
  return ApiOp{table, OpType::kRead, LockMode::kCommitted, {Value{email}}, {}, uint32_t{1}};
}
Value s(const char* x) { return Value{std::string(x)}; }

TEST(Tc, UniqueHashIndexIsKeptInStep) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(users());
  ASSERT_TRUE(t);
  auto ok = [&](ApiOp op, ExecType e = ExecType::kCommit) { return c.execute(2, batch({std::move(op)}, e)); };
  EXPECT_EQ(ok(user(t->id, 1, s("a@x"))).state, TransState::kCommitted);
  auto dup = ok(user(t->id, 2, s("a@x")));
  EXPECT_EQ(dup.error, err::kUniqueViolation);
  EXPECT_EQ(dup.results[0].error, err::kUniqueViolation);
  EXPECT_EQ(std::string(error_text(dup.error)), "Constraint violation e.g. duplicate value in unique index");
  EXPECT_EQ(ok(user(t->id, 3, Value{})).state, TransState::kCommitted);  // NULLs are not indexed
  EXPECT_EQ(ok(user(t->id, 4, Value{})).state, TransState::kCommitted);
  auto found = ok(by_email(t->id, "a@x"));
  ASSERT_EQ(found.state, TransState::kCommitted);
  EXPECT_EQ(std::get<int64_t>((*found.results[0].row)[0]), 1);
  EXPECT_EQ(ok(by_email(t->id, "none@x")).error, err::kTupleNotFound);

  EXPECT_EQ(ok(user(t->id, 1, s("b@x"), OpType::kUpdate)).state, TransState::kCommitted);
  EXPECT_EQ(ok(user(t->id, 5, s("a@x"))).state, TransState::kCommitted);  // the old value is free again
  EXPECT_EQ(ok(user(t->id, 6, s("b@x"))).error, err::kUniqueViolation);
  EXPECT_EQ(ok(ApiOp{t->id, OpType::kDelete, LockMode::kExclusive, {Value{int64_t{1}}}, {}, std::nullopt}).state,
            TransState::kCommitted);
  EXPECT_EQ(ok(user(t->id, 7, s("b@x"))).state, TransState::kCommitted);
  EXPECT_EQ(ok(user(t->id, 8, s("c@x"), OpType::kWrite)).state, TransState::kCommitted);
  EXPECT_EQ(ok(user(t->id, 8, s("a@x"), OpType::kWrite)).error, err::kUniqueViolation);
  EXPECT_EQ(ok(user(t->id, 9, s("q"), OpType::kUpdate)).error, err::kTupleNotFound);

  // A rolled-back change leaves the index as it was.
  auto open = ok(user(t->id, 5, s("z@x"), OpType::kUpdate), ExecType::kNoCommit);
  ASSERT_EQ(open.state, TransState::kOpen);
  EXPECT_EQ(c.execute(2, batch({}, ExecType::kRollback, open.trans)).state, TransState::kAborted);
  EXPECT_EQ(std::get<int64_t>((*ok(by_email(t->id, "a@x")).results[0].row)[0]), 5);
  EXPECT_EQ(ok(by_email(t->id, "z@x")).error, err::kTupleNotFound);

  // The hidden table holds exactly the non-NULL emails: a@x(5), b@x(7), c@x(8).
  auto u = c.node(2).dictionary().unique_index_table(t->id, 1);
  ASSERT_TRUE(u);
  auto rows = c.scan(3, u->id, ScanSpec{});
  std::map<std::string, int64_t> index;
  for (auto& r : rows) index[std::get<std::string>(r[0])] = std::get<int64_t>(r[1]);
  EXPECT_EQ(index, (std::map<std::string, int64_t>{{"a@x", 5}, {"b@x", 7}, {"c@x", 8}}));
  expect_quiet(c);
}

}  // namespace

namespace {

// Rows and their unique index entries change together, crash or not.
class UniqueCrash : public ::testing::TestWithParam<uint64_t> {};

TEST_P(UniqueCrash, IndexMatchesTable) {
  const uint64_t seed = GetParam();
  SimCluster c({2, 3, 4, 5}, 2, EngineConfig{}, seed);
  auto t = c.create_table(users());
  ASSERT_TRUE(t);
  std::mt19937_64 rng(seed);
  for (int64_t k = 0; k < 6; ++k) ASSERT_EQ(c.execute(2, batch({user(t->id, k, Value{"e" + std::to_string(k)})})).state, TransState::kCommitted);
  // Concurrent transactions move emails around, insert and delete.
  for (int i = 0; i < 10; ++i) {
    std::vector<ApiOp> ops;
    const int64_t k = static_cast<int64_t>(rng() % 6);
    switch (rng() % 3) {
      case 0: ops.push_back(user(t->id, k, Value{"m" + std::to_string(rng() % 8)}, OpType::kWrite)); break;
      case 1: ops.push_back(ApiOp{t->id, OpType::kDelete, LockMode::kExclusive, {Value{k}}, {}, std::nullopt}); break;
      default: ops.push_back(user(t->id, 10 + i, Value{"m" + std::to_string(rng() % 8)})); break;
    }
    c.submit(2 + static_cast<uint32_t>(rng() % 4), batch(std::move(ops)));
  }
  const int before = static_cast<int>(rng() % 120);
  for (int i = 0; i < before && c.step(); ++i) {
  }
  c.kill(2 + static_cast<uint32_t>(rng() % 4));
  c.run();
  c.advance(5000);
  c.run();
  const uint32_t tc = c.live().front();
  std::map<std::string, int64_t> from_table, from_index;
  for (auto& r : c.scan(tc, t->id, ScanSpec{}))
    if (!is_null(r[1])) {
      EXPECT_TRUE(from_table.emplace(std::get<std::string>(r[1]), std::get<int64_t>(r[0])).second) << "seed " << seed;
    }
  auto u = c.node(tc).dictionary().unique_index_table(t->id, 1);
  for (auto& r : c.scan(tc, u->id, ScanSpec{})) from_index[std::get<std::string>(r[0])] = std::get<int64_t>(r[1]);
  EXPECT_EQ(from_table, from_index) << "seed " << seed;
  expect_quiet(c);
}

INSTANTIATE_TEST_SUITE_P(Seeds, UniqueCrash, ::testing::Range<uint64_t>(1, 101));

}  // namespace

namespace {

TEST(Tc, OperationRecordLimits) {
  EngineConfig cfg;
  cfg.tc.max_operations = 4;
  SimCluster c({2, 3}, 2, cfg);
  auto t = c.create_table(accounts());
  std::vector<ApiOp> five;
  for (int64_t k = 0; k < 5; ++k) five.push_back(put(t->id, k, "x", k));
  auto r = c.execute(2, batch(five));
  EXPECT_EQ(r.error, err::kTcOutOfOperations);
  five.pop_back();
  EXPECT_EQ(c.execute(2, batch(five)).state, TransState::kCommitted);
  expect_quiet(c);

  EngineConfig local;
  local.max_local_operations = 3;
  SimCluster l({2, 3}, 2, local);
  auto t2 = l.create_table(accounts());
  std::vector<ApiOp> four;
  for (int64_t k = 0; k < 4; ++k) four.push_back(put(t2->id, k, "x", k));
  auto r2 = l.execute(2, batch(four));
  EXPECT_EQ(r2.error, err::kLqhOutOfOperations);
  EXPECT_TRUE(is_temporary(r2.error));
  EXPECT_EQ(l.node(2).lqh().operations(), 0u);
  four.pop_back();
  EXPECT_EQ(l.execute(2, batch(four)).state, TransState::kCommitted);
  EXPECT_EQ(l.node(2).lqh().operations(), 0u);
  expect_quiet(l);
}

TEST(EngineConfigTest, ComesFromTheNdbdSection) {
  halb::cluster::DataNode d;
  d.node_id = 3;
  d.data_memory = 64ull << 20;
  d.index_memory = 16ull << 20;
  d.transaction_deadlock_detection_timeout = 5000;
  d.max_no_of_concurrent_operations = 1000;
  EngineConfig e = engine_config(d);
  EXPECT_EQ(e.node_id, 3u);
  EXPECT_EQ(e.data_memory, 64ull << 20);
  EXPECT_EQ(e.deadlock_timeout_ms, 5000u);
  EXPECT_EQ(e.tc.max_operations, 1000u);
  EXPECT_EQ(e.max_local_operations, 1100u);
  FakeClock clock;
  struct Null : Peers {
    void send(uint32_t, Message) override {}
  } peers;
  DataNodeEngine engine(e, halb::cluster::make_node_groups({3, 4}, 2), peers, clock);
  EXPECT_EQ(engine.data_memory().total_pages(), 2048u);   // 64 MB / 32 KB
  EXPECT_EQ(engine.index_memory().total_pages(), 2048u);  // 16 MB / 8 KB
}

}  // namespace

namespace {

TEST(Tc, TableWithoutPrimaryKeyGetsHiddenKeys) {
  SimCluster c({2, 3, 4, 5}, 2);
  Table t;
  t.name = "log";
  t.columns = {{"line", ColumnType::kVarchar, false, true, 50, 0, 0}};
  auto table = c.create_table(t);
  ASSERT_TRUE(table && table->hidden_key);
  for (int i = 0; i < 20; ++i) {
    ApiOp op{table->id, OpType::kInsert, LockMode::kExclusive, {}, {{0, Value{"line " + std::to_string(i)}}},
             std::nullopt};
    ASSERT_EQ(c.execute(2 + static_cast<uint32_t>(i % 4), batch({op})).state, TransState::kCommitted);
  }
  auto rows = c.scan(2, table->id, ScanSpec{});
  ASSERT_EQ(rows.size(), 20u);
  std::set<uint64_t> keys;
  for (auto& r : rows) keys.insert(std::get<uint64_t>(r[1]));
  EXPECT_EQ(keys.size(), 20u);
  expect_quiet(c);
}

}  // namespace

namespace {

TEST(Tc, ScansAreFlowControlledByTheApi) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(accounts());
  for (int64_t k = 0; k < 50; ++k) ASSERT_EQ(c.execute(2, batch({put(t->id, k, "o", k)})).state, TransState::kCommitted);
  c.auto_scan_next = false;
  ScanSpec s;
  s.batch_rows = 5;
  c.send(kApi, 3, ApiScanReq{kApi, 900, t->id, s});
  c.run();
  bool done = false;
  EXPECT_EQ(c.scan_rows(900, &done).size(), 5u);  // one batch, then the TC waits
  EXPECT_FALSE(done);
  c.send(kApi, 3, ApiScanNextReq{kApi, 900, false});
  c.run();
  EXPECT_EQ(c.scan_rows(900, &done).size(), 10u);
  EXPECT_EQ(c.node(3).tc().scans(), 1u);
  c.send(kApi, 3, ApiScanNextReq{kApi, 900, true});  // close
  c.run();
  EXPECT_EQ(c.scan_rows(900, &done).size(), 10u);
  EXPECT_TRUE(done);
  EXPECT_EQ(c.node(3).tc().scans(), 0u);
  // An ordered scan delivers sorted batches the same way.
  ScanSpec o;
  o.index_id = 1;
  o.batch_rows = 20;
  c.send(kApi, 4, ApiScanReq{kApi, 901, t->id, o});
  c.run();
  auto first = c.scan_rows(901, &done);
  ASSERT_EQ(first.size(), 20u);
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(std::get<int64_t>(first[i][2]), static_cast<int64_t>(i));
  c.auto_scan_next = true;
  c.send(kApi, 4, ApiScanNextReq{kApi, 901, false});
  c.run();
  EXPECT_EQ(c.scan_rows(901, &done).size(), 50u);
  EXPECT_TRUE(done);
}

}  // namespace

namespace {

TEST(Tc, CommitReachesTheBackupBeforeThePrimary) {
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(accounts());
  Probe p{c, *t};
  const uint32_t primary = c.node(2).distribution().primary(p.fragment(1));
  const uint32_t backup = c.node(2).distribution().replicas(p.fragment(1))[1];
  uint32_t tc = 2;
  while (tc == primary || tc == backup) ++tc;  // a coordinator holding neither replica
  c.submit(tc, batch({put(t->id, 1, "a", 1)}));
  // Stop when the commit has reached the backup and is on its way to the primary.
  ASSERT_TRUE(c.run_until([&](const SimCluster::Envelope& e) {
    auto* m = std::get_if<CommitFragReq>(&e.m);
    return m && e.to == primary;
  }));
  EXPECT_TRUE(c.node(backup).lqh().fragment(t->id, p.fragment(1))->read_committed({Value{int64_t{1}}}));
  EXPECT_FALSE(c.node(primary).lqh().fragment(t->id, p.fragment(1))->read_committed({Value{int64_t{1}}}));
  c.run();
  EXPECT_EQ(p.state(1), Probe::State::kPresent);
  expect_quiet(c);
}

}  // namespace
