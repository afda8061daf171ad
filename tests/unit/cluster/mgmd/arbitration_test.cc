// The five rules of QMGR's arbitration check, and the arbitrator's
// first-asker-wins answer.
#include <gtest/gtest.h>

#include "cluster/mgmd/arbitration.h"

using namespace halb::cluster;
using namespace halb::cluster::mgmd;

namespace {
// Four data nodes, two replicas: groups {2,3} and {4,5}.
std::vector<NodeGroup> four_nodes() { return make_node_groups({2, 3, 4, 5}, 2); }
}  // namespace

TEST(ArbitrationCheck, Rule1LessThanHalfLeftLoses) {
  EXPECT_EQ(check_arbitration({2, 3, 4, 5}, {2}, four_nodes()), ArbitCheck::kLoseLessThanHalf);
  auto six = make_node_groups({2, 3, 4, 5, 6, 7}, 2);
  EXPECT_EQ(check_arbitration({2, 3, 4, 5, 6, 7}, {2, 4}, six), ArbitCheck::kLoseLessThanHalf);
}

TEST(ArbitrationCheck, Rule2MissingNodeGroupLoses) {
  EXPECT_EQ(check_arbitration({2, 3, 4, 5}, {2, 3}, four_nodes()), ArbitCheck::kLoseMissingGroup);
  auto six = make_node_groups({2, 3, 4, 5, 6, 7}, 2);
  // Four of six left (more than half) but group {6,7} is gone entirely.
  EXPECT_EQ(check_arbitration({2, 3, 4, 5, 6, 7}, {2, 3, 4, 5}, six), ArbitCheck::kLoseMissingGroup);
}

TEST(ArbitrationCheck, Rule3WholeNodeGroupWins) {
  auto six = make_node_groups({2, 3, 4, 5, 6, 7}, 3);  // {2,3,4} {5,6,7}
  EXPECT_EQ(check_arbitration({2, 3, 4, 5, 6, 7}, {2, 3, 4, 5}, six), ArbitCheck::kWinGroupMajority);
  // Two-node cluster losing nothing is trivially whole.
  EXPECT_EQ(check_arbitration({2, 3}, {2, 3}, make_node_groups({2, 3}, 2)), ArbitCheck::kWinGroupMajority);
}

TEST(ArbitrationCheck, Rule4MoreThanHalfWithAllGroupsWins) {
  auto six = make_node_groups({2, 3, 4, 5, 6, 7}, 3);
  EXPECT_EQ(check_arbitration({2, 3, 4, 5, 6, 7}, {2, 3, 5, 6}, six), ArbitCheck::kWinMoreThanHalf);
}

TEST(ArbitrationCheck, Rule5ExactlyHalfAsksTheArbitrator) {
  EXPECT_EQ(check_arbitration({2, 3, 4, 5}, {2, 4}, four_nodes()), ArbitCheck::kAskArbitrator);
  // The seed's pair: two data nodes in one group, one left.
  EXPECT_EQ(check_arbitration({3, 4}, {3}, make_node_groups({3, 4}, 2)), ArbitCheck::kAskArbitrator);
}

TEST(ArbitrationCheck, TextsAreTheClusterLogWording) {
  EXPECT_EQ(arbit_check_text(ArbitCheck::kLoseLessThanHalf), "Arbitration check lost - less than 1/2 nodes left");
  EXPECT_EQ(arbit_check_text(ArbitCheck::kLoseMissingGroup), "Arbitration check lost - missing node group");
  EXPECT_EQ(arbit_check_text(ArbitCheck::kWinGroupMajority), "Arbitration check won - node group majority");
  EXPECT_EQ(arbit_check_text(ArbitCheck::kWinMoreThanHalf),
            "Arbitration check won - all node groups and more than 1/2 nodes left");
  EXPECT_EQ(arbit_check_text(ArbitCheck::kAskArbitrator), "Network partitioning - arbitration required");
  EXPECT_TRUE(arbit_check_won(ArbitCheck::kWinMoreThanHalf));
  EXPECT_FALSE(arbit_check_won(ArbitCheck::kAskArbitrator));
}

TEST(Arbitrator, FirstAskerOfATicketWinsOthersLose) {
  ArbitratorState a;
  EXPECT_TRUE(a.request(7, 3));
  EXPECT_FALSE(a.request(7, 4));
  EXPECT_TRUE(a.request(7, 3));  // asking again does not change the answer
  EXPECT_EQ(a.winner(), 3u);
  // A new ticket is a new round.
  EXPECT_TRUE(a.request(8, 4));
  EXPECT_FALSE(a.request(8, 3));
}
