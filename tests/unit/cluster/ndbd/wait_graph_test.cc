// Deadlock detection's graph part: which local waits fail so that no cycle
// of the cluster's wait-for graph remains, with every node agreeing on the
// victim, and the detector's reporting rhythm and stale reports.
#include <gtest/gtest.h>

#include <algorithm>

#include "cluster/ndbd/engine/wait_graph.h"

using namespace halb::cluster::engine;

namespace {

const TransId kOld = make_trans_id(2, 10), kMid = make_trans_id(3, 11), kNew = make_trans_id(2, 12);

TEST(WaitGraph, TheYoungestOfALocalCycleIsTheVictim) {
  auto v = deadlock_victims({{kOld, kNew}, {kNew, kOld}}, {});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], kNew);
}

TEST(WaitGraph, ACycleAcrossTwoNodesIsBrokenByTheNodeWhereTheVictimWaits) {
  // kOld waits on node A for kNew; kNew waits on node B for kOld.
  const std::vector<WaitEdge> on_a = {{kOld, kNew}}, on_b = {{kNew, kOld}};
  EXPECT_TRUE(deadlock_victims(on_a, on_b).empty());
  auto v = deadlock_victims(on_b, on_a);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], kNew);
}

TEST(WaitGraph, ChainsAndSelfEdgesAreNoDeadlock) {
  EXPECT_TRUE(deadlock_victims({{kOld, kMid}, {kMid, kNew}}, {}).empty());
  EXPECT_TRUE(deadlock_victims({{kOld, kOld}}, {}).empty());
  EXPECT_TRUE(deadlock_victims({}, {{kOld, kNew}, {kNew, kOld}}).empty());
}

TEST(WaitGraph, LongerCyclesAndSeveralCycles) {
  // kNew, the youngest, waits on the other node: that node breaks the cycle.
  EXPECT_TRUE(deadlock_victims({{kOld, kMid}, {kMid, kNew}}, {{kNew, kOld}}).empty());
  auto v = deadlock_victims({{kNew, kOld}, {kMid, kNew}}, {{kOld, kMid}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], kNew);
  const TransId a = make_trans_id(4, 1), b = make_trans_id(4, 2);
  v = deadlock_victims({{kOld, kNew}, {kNew, kOld}, {a, b}, {b, a}}, {});
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<TransId>{kNew, b}));
}

TEST(WaitGraph, AQueueOfAHundredThousandIsOneLongChain) {
  // A hot row's queue is a chain of edges; closing it into a cycle must not
  // take a stack frame per transaction.
  std::vector<WaitEdge> local;
  const uint64_t n = 100000;
  for (uint64_t i = 1; i < n; ++i) local.push_back({make_trans_id(2, i + 1), make_trans_id(2, i)});
  EXPECT_TRUE(deadlock_victims(local, {}).empty());
  local.push_back({make_trans_id(2, 1), make_trans_id(2, n)});
  EXPECT_EQ(deadlock_victims(local, {}), std::vector<TransId>{make_trans_id(2, n)});
}

TEST(WaitGraph, YoungerComparesSequenceNumbersFirst) {
  EXPECT_TRUE(younger(make_trans_id(2, 12), make_trans_id(3, 11)));
  EXPECT_FALSE(younger(make_trans_id(3, 11), make_trans_id(2, 12)));
  EXPECT_TRUE(younger(make_trans_id(3, 5), make_trans_id(2, 5)));
}

TEST(DeadlockDetector, ReportsWhileWaitsLastAndOnceMoreToWithdrawThem) {
  DeadlockDetector d;
  EXPECT_TRUE(d.due(0));
  EXPECT_FALSE(d.report({}, 0));
  EXPECT_FALSE(d.due(DeadlockDetector::kIntervalMs - 1));
  EXPECT_TRUE(d.due(DeadlockDetector::kIntervalMs));
  EXPECT_TRUE(d.report({{kOld, kNew}}, 20));
  EXPECT_TRUE(d.report({{kOld, kNew}}, 40));
  EXPECT_TRUE(d.report({}, 60));
  EXPECT_FALSE(d.report({}, 80));
}

TEST(DeadlockDetector, UsesFreshPeerReportsOnly) {
  DeadlockDetector d;
  d.peer_report(3, {{kOld, kNew}}, 100);
  EXPECT_EQ(d.victims({{kNew, kOld}}, 100 + DeadlockDetector::kStaleMs), std::vector<TransId>{kNew});
  EXPECT_TRUE(d.victims({{kNew, kOld}}, 101 + DeadlockDetector::kStaleMs).empty());
  d.peer_report(3, {{kOld, kNew}}, 200);
  d.peer_gone(3);
  EXPECT_TRUE(d.victims({{kNew, kOld}}, 200).empty());
  d.peer_report(3, {{kOld, kNew}}, 300);
  d.peer_report(3, {}, 310);  // withdrawn
  EXPECT_TRUE(d.victims({{kNew, kOld}}, 310).empty());
}

}  // namespace
