// TC takeover and global checkpoints: a transaction the failed coordinator
// had begun to commit keeps the GCI that coordinator gave it, on every
// replica the successor commits it on. A system restart to GCI g then
// holds all of the transaction or none of it (NDB keeps the GCI too).
#include <gtest/gtest.h>

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

ApiExecuteReq write_rows(uint32_t table, std::vector<int64_t> ids, int64_t v) {
  ApiExecuteReq r;
  for (int64_t id : ids)
    r.ops.push_back(ApiOp{table, OpType::kWrite, LockMode::kExclusive, {Value{id}}, {{1, Value{v}}}, std::nullopt});
  r.exec = ExecType::kCommit;
  return r;
}

uint32_t fragment_of(const Table& t, int64_t k) {
  return halb::cluster::fragment_of_key(encode_key_values(t, t.primary_key, {Value{k}}), t.fragments);
}

int64_t key_with_primary(SimCluster& c, const Table& t, uint32_t primary, int64_t from = 0) {
  for (int64_t k = from; k < 10000; ++k)
    if (c.node(primary).distribution().primary(fragment_of(t, k)) == primary) return k;
  return -1;
}

// The commit stamp of row `k` on node `n` (0: no such row).
uint64_t stamp(SimCluster& c, uint32_t n, const Table& t, int64_t k) {
  Fragment* f = c.node(n).lqh().fragment(t.id, fragment_of(t, k));
  if (!f) return 0;
  std::string cursor;
  const std::string key = encode_key_values(t, t.primary_key, {Value{k}});
  for (;;) {
    auto b = f->copy_rows(cursor, 100);
    for (auto& r : b.rows)
      if (encode_key(t, t.primary_key, r.row) == key) return r.gci;
    if (b.done) return 0;
    cursor = b.cursor;
  }
}

bool commit_from(const SimCluster::Envelope& e, uint32_t from, uint32_t to) {
  return e.from == from && e.to == to && std::holds_alternative<CommitFragReq>(e.m);
}

}  // namespace

TEST(TakeoverGci, CommitKeepsTheGciTheFailedCoordinatorGave) {
  // Groups {2,3} and {4,5}. Coordinator 3 commits a row of primary 5 with
  // GCI 7: the backup 4 commits first and passes the commit on to 5; then
  // 3 dies, and 5 refuses the rest of its commit. The GCI moves to 9 before
  // the successor (node 2) finishes the transaction.
  SimCluster c({2, 3, 4, 5}, 2);
  auto t = c.create_table(items());
  ASSERT_TRUE(t);
  const int64_t k = key_with_primary(c, *t, 5);
  ASSERT_GE(k, 0);
  for (uint32_t n : {2u, 3u, 4u, 5u}) c.node(n).set_gci(7);
  c.submit(3, write_rows(t->id, {k}, 1));
  ASSERT_TRUE(c.run_until([](const SimCluster::Envelope& e) { return commit_from(e, 4, 5); }));
  c.crash(3);
  for (uint32_t n : {2u, 4u, 5u}) c.node(n).set_gci(9);
  for (uint32_t n : {2u, 4u, 5u}) c.declare_failed(n, 3);
  // While the successor still collects reports, no GCI counts as finished
  // on it: the transaction may yet commit with any GCI up to 9.
  EXPECT_TRUE(c.node(2).tc().committing_at_or_below(1));
  c.run();
  EXPECT_FALSE(c.node(2).tc().committing_at_or_below(9));
  EXPECT_EQ(stamp(c, 4, *t, k), 7u);
  EXPECT_EQ(stamp(c, 5, *t, k), 7u) << "the successor committed with its own GCI";
  for (uint32_t n : c.live()) EXPECT_EQ(c.node(n).lqh().transactions(), 0u) << "node " << n << " kept a record";
}

TEST(TakeoverGci, EveryFragmentOfATakenOverTransactionGetsTheSameGci) {
  // Coordinator 3 writes one row in group {4,5} and one in group {6,7}
  // with GCI 3. The first chain commits completely, the second never hears
  // of the commit before 3 dies; the successor commits it after the GCI
  // moved to 4, and it must still carry 3 there.
  SimCluster c({2, 3, 4, 5, 6, 7}, 2);
  auto t = c.create_table(items());
  ASSERT_TRUE(t);
  const int64_t a = key_with_primary(c, *t, 5);
  const int64_t b = key_with_primary(c, *t, 7);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  for (uint32_t n : {2u, 3u, 4u, 5u, 6u, 7u}) c.node(n).set_gci(3);
  c.submit(3, write_rows(t->id, {a, b}, 5));
  // Let the chain of row a finish (4 then 5) while row b's commit is lost.
  ASSERT_TRUE(c.run_until([](const SimCluster::Envelope& e) { return commit_from(e, 3, 4) || commit_from(e, 3, 6); }));
  ASSERT_TRUE(c.deliver_first([](const SimCluster::Envelope& e) { return commit_from(e, 3, 4); }));
  ASSERT_TRUE(c.deliver_first([](const SimCluster::Envelope& e) { return commit_from(e, 4, 5); }));
  c.crash(3);
  for (uint32_t n : {2u, 4u, 5u, 6u, 7u}) c.node(n).set_gci(4);
  for (uint32_t n : {2u, 4u, 5u, 6u, 7u}) c.declare_failed(n, 3);
  c.run();
  for (uint32_t n : {4u, 5u}) EXPECT_EQ(stamp(c, n, *t, a), 3u) << "node " << n;
  for (uint32_t n : {6u, 7u}) EXPECT_EQ(stamp(c, n, *t, b), 3u) << "node " << n << ": the transaction spans two GCIs";
}
