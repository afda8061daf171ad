// SHOW and STATUS texts, golden against the seeds' shapes (tabs as ndb_mgm
// 5.0 prints them; the seeds' copies lost them to spaces).
#include <gtest/gtest.h>

#include "cluster/mgm/texts.h"

using namespace halb::cluster;
using namespace halb::cluster::mgm;
using mgmapi::NodeState;
using mgmapi::NodeStatus;

namespace {
NodeState node(uint32_t id, NodeType t, NodeStatus s, std::string addr = "", int group = -1, std::string host = "") {
  NodeState n;
  n.node_id = id;
  n.type = t;
  n.status = s;
  n.address = std::move(addr);
  n.node_group = group;
  n.config_host = std::move(host);
  n.version = s == NodeStatus::kNoContact ? 0 : mgmapi::kProtocolVersion;
  return n;
}
}  // namespace

TEST(ShowText, Seed002TwoManagementServersTwoDataNodes) {
  std::vector<NodeState> nodes = {
      node(1, NodeType::kMgm, NodeStatus::kStarted, "192.168.131.164"),
      node(2, NodeType::kMgm, NodeStatus::kStarted, "192.168.131.26"),
      node(3, NodeType::kData, NodeStatus::kStarted, "192.168.131.77", 0),
      node(4, NodeType::kData, NodeStatus::kStarted, "192.168.131.101", 0),
      node(5, NodeType::kApi, NodeStatus::kStarted, "192.168.131.101"),
      node(6, NodeType::kApi, NodeStatus::kNoContact),
  };
  nodes[2].dynamic_id = 1;
  nodes[3].dynamic_id = 2;
  EXPECT_EQ(format_show(nodes),
            "Cluster Configuration\n"
            "---------------------\n"
            "[ndbd(NDB)]\t2 node(s)\n"
            "id=3\t@192.168.131.77  (Version: 5.0.67, Nodegroup: 0, Master)\n"
            "id=4\t@192.168.131.101  (Version: 5.0.67, Nodegroup: 0)\n"
            "\n"
            "[ndb_mgmd(MGM)]\t2 node(s)\n"
            "id=1\t@192.168.131.164  (Version: 5.0.67)\n"
            "id=2\t@192.168.131.26  (Version: 5.0.67)\n"
            "\n"
            "[mysqld(API)]\t2 node(s)\n"
            "id=5\t@192.168.131.101  (Version: 5.0.67)\n"
            "id=6 (not connected, accepting connect from any host)\n"
            "\n");
}

TEST(ShowText, Seed000StartingNodeIsMasterAndHostsOfDisconnectedNodes) {
  std::vector<NodeState> nodes = {
      node(1, NodeType::kMgm, NodeStatus::kStarted, "10.0.0.9"),
      node(2, NodeType::kData, NodeStatus::kStarting, "10.0.0.1", 0),
      node(3, NodeType::kData, NodeStatus::kNoContact, "", -1, "server02.domain.com"),
      node(4, NodeType::kApi, NodeStatus::kStarted, ""),
  };
  std::string show = format_show(nodes);
  EXPECT_NE(show.find("id=2\t@10.0.0.1  (Version: 5.0.67, starting, Nodegroup: 0, Master)\n"), std::string::npos) << show;
  EXPECT_NE(show.find("id=3 (not connected, accepting connect from server02.domain.com)\n"), std::string::npos);
  // Connected with no known address: ndb_mgm's three spaces.
  EXPECT_NE(show.find("id=4   (Version: 5.0.67)\n"), std::string::npos);
}

TEST(ShowText, MasterIsTheLowestDynamicIdNotTheLowestNodeId) {
  std::vector<NodeState> nodes = {
      node(2, NodeType::kData, NodeStatus::kStarting, "a", 0),
      node(3, NodeType::kData, NodeStatus::kStarting, "b", 0),
  };
  nodes[0].dynamic_id = 2;
  nodes[1].dynamic_id = 1;
  std::string show = format_show(nodes);
  EXPECT_NE(show.find("id=2\t@a  (Version: 5.0.67, starting, Nodegroup: 0)\n"), std::string::npos) << show;
  EXPECT_NE(show.find("id=3\t@b  (Version: 5.0.67, starting, Nodegroup: 0, Master)\n"), std::string::npos);
}

TEST(StatusText, EveryState) {
  auto started = node(2, NodeType::kData, NodeStatus::kStarted, "a", 0);
  EXPECT_EQ(format_status(started), "Node 2: started (Version 5.0.67)");
  auto starting = node(3, NodeType::kData, NodeStatus::kStarting, "a", 0);
  starting.start_phase = 4;
  EXPECT_EQ(format_status(starting), "Node 3: starting (Phase 4) (Version 5.0.67)");
  EXPECT_EQ(format_status(node(3, NodeType::kData, NodeStatus::kNoContact)), "Node 3: not connected");
  EXPECT_EQ(format_status(node(3, NodeType::kData, NodeStatus::kNotStarted, "a")), "Node 3: not started (Version 5.0.67)");
  EXPECT_EQ(format_status(node(3, NodeType::kData, NodeStatus::kSingleUser, "a")),
            "Node 3: single user mode (Version 5.0.67)");
}

TEST(ErrorBlock, NdbMgmLayout) {
  EXPECT_EQ(error_block(2002, "Stop failed", "Node 3 is not connected"),
            "*  2002: Stop failed\n*        Node 3 is not connected\n");
}
