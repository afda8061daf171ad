// Which GCI a system restart goes to: the newest one nodes covering every
// node group can restore (not the oldest any node holds); a node whose
// files end earlier catches up; a missing node that went on past the files
// here makes the restart wait, unless a node of its group here went on as long.
#include <gtest/gtest.h>

#include "cluster/ndbd/daemon/restart_choice.h"

using namespace halb::cluster;
using ndbd::RestartChoice;
using ndbd::RestartFiles;

namespace {

RestartFiles files(uint64_t restorable, std::map<uint32_t, uint64_t> nodes = {}) {
  return RestartFiles{true, restorable, std::move(nodes)};
}

const std::vector<NodeGroup> kOneGroup{{0, {2, 3}}};
const std::vector<NodeGroup> kTwoGroups{{0, {2, 3}}, {1, {4, 5}}};

}  // namespace

TEST(RestartChoice, TheNewestGciWinsAndTheStaleNodeCatchesUp) {
  // Node 3 stopped at GCI 8; node 2 went on alone to GCI 20.
  auto c = ndbd::choose_restart({{2, files(20, {{2, 20}, {3, 8}})}, {3, files(8, {{2, 9}, {3, 8}})}}, {2, 3},
                                kOneGroup);
  ASSERT_EQ(c.kind, RestartChoice::Kind::kSystemRestart);
  EXPECT_EQ(c.gci, 20u);
  EXPECT_EQ(c.sources, (std::set<uint32_t>{2}));
  EXPECT_EQ(c.followers, (std::set<uint32_t>{3}));
  EXPECT_EQ(c.reason, "node 3 was not alive after GCI 8: it catches up from node 2");
  EXPECT_EQ(c.node_gcis, (std::map<uint32_t, uint64_t>{{2, 20}, {3, 8}}));
}

TEST(RestartChoice, EqualFilesRestartTogether) {
  auto c = ndbd::choose_restart({{2, files(7, {{2, 7}, {3, 7}})}, {3, files(7, {{2, 7}, {3, 7}})}}, {2, 3}, kOneGroup);
  ASSERT_EQ(c.kind, RestartChoice::Kind::kSystemRestart);
  EXPECT_EQ(c.gci, 7u);
  EXPECT_EQ(c.sources, (std::set<uint32_t>{2, 3}));
  EXPECT_TRUE(c.followers.empty());
  EXPECT_EQ(c.reason, "the newest GCI every node's files reach");
}

TEST(RestartChoice, FilesOfAnOlderVersionStillGiveTheNewestGci) {
  // No node GCIs in the end marks: the restorable GCIs alone decide.
  auto c = ndbd::choose_restart({{2, files(12)}, {3, files(10)}}, {2, 3}, kOneGroup);
  ASSERT_EQ(c.kind, RestartChoice::Kind::kSystemRestart);
  EXPECT_EQ(c.gci, 12u);
  EXPECT_EQ(c.reason, "node 3 was not alive after GCI 10: it catches up from node 2");
}

TEST(RestartChoice, EveryGroupMustBeCoveredAtTheChosenGci) {
  // Node 2 saved GCI 30 that nodes 4 and 5 never did: group 1 cannot give
  // it, so the restart goes to the newest GCI both groups have.
  auto c = ndbd::choose_restart({{2, files(30)}, {3, files(29)}, {4, files(29)}, {5, files(28)}}, {2, 3, 4, 5},
                                kTwoGroups);
  ASSERT_EQ(c.kind, RestartChoice::Kind::kSystemRestart);
  EXPECT_EQ(c.gci, 29u);
  EXPECT_EQ(c.sources, (std::set<uint32_t>{2, 3, 4}));
  EXPECT_EQ(c.followers, (std::set<uint32_t>{5}));
}

TEST(RestartChoice, TheStaleNodeAloneWaitsForTheOneThatWentOn) {
  auto c = ndbd::choose_restart({{3, files(8, {{2, 9}, {3, 8}})}}, {2, 3}, kOneGroup);
  ASSERT_EQ(c.kind, RestartChoice::Kind::kWait);
  EXPECT_EQ(c.wait_for, (std::set<uint32_t>{2}));
  EXPECT_EQ(c.why, "node 2 took part in GCI 9, past GCI 8, the newest nodes 3 can restore");
}

TEST(RestartChoice, AfterAKillNeitherNodeKnowsMoreAndOneMayStartAlone) {
  // Killed together: each file names the other alive up to its own last GCI.
  auto c = ndbd::choose_restart({{2, files(7, {{2, 7}, {3, 7}})}}, {2, 3}, kOneGroup);
  ASSERT_EQ(c.kind, RestartChoice::Kind::kSystemRestart);
  EXPECT_EQ(c.gci, 7u);
  EXPECT_EQ(c.reason, "node 3 is not here (its last GCI by the files here: 7)");
}

TEST(RestartChoice, AMissingNodeOfAStaleNodesGroupMakesTheRestartWait) {
  // Node 4 stopped at GCI 8; 2, 3 and 5 went on to GCI 20; 5 is missing.
  const std::map<uint32_t, uint64_t> later{{2, 20}, {3, 20}, {4, 8}, {5, 20}};
  auto c = ndbd::choose_restart({{2, files(20, later)}, {3, files(20, later)}, {4, files(8, {{2, 9}, {3, 9}, {4, 8}, {5, 9}})}},
                                {2, 3, 4, 5}, kTwoGroups);
  ASSERT_EQ(c.kind, RestartChoice::Kind::kWait);
  EXPECT_EQ(c.wait_for, (std::set<uint32_t>{5}));
  EXPECT_EQ(c.why, "node 5 took part in GCI 20, past GCI 8, the newest nodes 2,3,4 can restore");
}

TEST(RestartChoice, ANodeKilledMidSaveDoesNotBlockAPartialStart) {
  // Nodes 2 and 4 here: 2 saved GCI 11, 4 only GCI 10 (killed while
  // saving). Node 5 took part in GCI 11 as node 4 did: 11 never completed.
  const std::map<uint32_t, uint64_t> at11{{2, 11}, {3, 11}, {4, 11}, {5, 11}};
  const std::map<uint32_t, uint64_t> at10{{2, 10}, {3, 10}, {4, 10}, {5, 10}};
  auto c = ndbd::choose_restart({{2, files(11, at11)}, {4, files(10, at10)}}, {2, 3, 4, 5}, kTwoGroups);
  ASSERT_EQ(c.kind, RestartChoice::Kind::kSystemRestart);
  EXPECT_EQ(c.gci, 10u);
  EXPECT_EQ(c.sources, (std::set<uint32_t>{2, 4}));
}

TEST(RestartChoice, NoFilesMeansInitialAndAGroupWithoutFilesCannotStart) {
  RestartFiles none;
  EXPECT_EQ(ndbd::choose_restart({{2, none}, {3, none}}, {2, 3}, kOneGroup).kind, RestartChoice::Kind::kInitial);
  auto c = ndbd::choose_restart({{2, files(5)}, {3, files(5)}, {4, none}, {5, none}}, {2, 3, 4, 5}, kTwoGroups);
  EXPECT_EQ(c.kind, RestartChoice::Kind::kNoGroupFiles);
  EXPECT_EQ(c.group, 1u);
  // A node without files among nodes with them is neither source nor follower.
  c = ndbd::choose_restart({{2, files(5)}, {3, none}}, {2, 3}, kOneGroup);
  ASSERT_EQ(c.kind, RestartChoice::Kind::kSystemRestart);
  EXPECT_EQ(c.sources, (std::set<uint32_t>{2}));
  EXPECT_TRUE(c.followers.empty());
}
