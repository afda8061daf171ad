// The engine's part of global checkpoints and the redo bound: commits wait
// while a coordinator holds them and take the GCI set meanwhile; a
// coordinator knows when every transaction of a GCI has committed; new
// writes are refused with 410 while the redo log is nearly full, reads go on.
#include <gtest/gtest.h>

#include "cluster/ndbd/engine/error.h"
#include "tests/unit/cluster/ndbd/sim_cluster.h"

using namespace halb::cluster::engine;
using namespace halb::cluster::engine::test;

namespace {

Table items() {
  Table t;
  t.name = "items";
  t.columns = {{"id", ColumnType::kBigInt, false, false, 0, 0, 0}, {"v", ColumnType::kBigInt, false, true, 0, 0, 0}};
  t.primary_key = {0};
  return t;
}

ApiExecuteReq write(uint32_t table, int64_t id, int64_t v) {
  ApiExecuteReq r;
  r.ops = {ApiOp{table, OpType::kWrite, LockMode::kExclusive, {Value{id}}, {{1, Value{v}}}, std::nullopt}};
  r.exec = ExecType::kCommit;
  return r;
}

struct GciRecorder : ChangeSink {
  std::vector<uint64_t> gcis;
  void on_commit(const RowChange& c) override { gcis.push_back(c.gci); }
};

}  // namespace

TEST(GcpEngine, HeldCommitsWaitAndTakeTheNewGci) {
  SimCluster c({2, 3}, 2);
  auto t = c.create_table(items());
  ASSERT_TRUE(t);
  GciRecorder sink2, sink3;
  c.node(2).set_change_sink(&sink2);
  c.node(3).set_change_sink(&sink3);
  for (uint32_t n : {2u, 3u}) c.node(n).set_gci(5);
  ASSERT_EQ(c.execute(2, write(t->id, 1, 1)).state, TransState::kCommitted);
  EXPECT_EQ(sink2.gcis, std::vector<uint64_t>{5});

  c.node(2).hold_commits(true);
  uint32_t req = c.submit(2, write(t->id, 2, 2));
  c.run();
  EXPECT_FALSE(c.take_reply(req));  // prepared everywhere, not committed
  EXPECT_TRUE(c.node(2).tc().committing_at_or_below(5) == false);
  for (uint32_t n : {2u, 3u}) c.node(n).set_gci(6);
  c.node(2).hold_commits(false);
  EXPECT_TRUE(c.node(2).tc().committing_at_or_below(6));
  c.run();
  auto r = c.take_reply(req);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, TransState::kCommitted);
  EXPECT_FALSE(c.node(2).tc().committing_at_or_below(6));
  EXPECT_EQ(sink2.gcis, (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(sink3.gcis, (std::vector<uint64_t>{5, 6}));
}

TEST(GcpEngine, RedoFullRefusesWritesWith410ButNotReads) {
  SimCluster c({2, 3}, 2);
  auto t = c.create_table(items());
  ASSERT_TRUE(t);
  ASSERT_EQ(c.execute(2, write(t->id, 1, 1)).state, TransState::kCommitted);
  c.node(3).lqh().refuse_writes(err::kRedoLogFull);
  auto r = c.execute(2, write(t->id, 2, 2));
  EXPECT_EQ(r.state, TransState::kAborted);
  EXPECT_EQ(r.error, err::kRedoLogFull);
  EXPECT_TRUE(is_temporary(err::kRedoLogFull));
  ApiExecuteReq read;
  read.ops = {ApiOp{t->id, OpType::kRead, LockMode::kCommitted, {Value{int64_t{1}}}, {}, std::nullopt}};
  read.exec = ExecType::kCommit;
  EXPECT_EQ(c.execute(2, read).state, TransState::kCommitted);
  c.node(3).lqh().refuse_writes(0);
  EXPECT_EQ(c.execute(2, write(t->id, 2, 2)).state, TransState::kCommitted);
}
