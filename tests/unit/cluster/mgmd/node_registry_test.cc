// Node id allocation with NDB's refusal texts, and node states.
#include <gtest/gtest.h>

#include "cluster/config/config_ini.h"
#include "cluster/mgmd/node_registry.h"

using namespace halb::cluster;
using namespace halb::cluster::mgmd;
using mgmapi::NodeStatus;

namespace {
// Seed 002's shape on loopback: two mgmds, two data nodes, API slots.
const char* kConfig = R"(
[NDBD DEFAULT]
NoOfReplicas=2
[NDB_MGMD]
Id=1
HostName=127.0.0.1
[NDB_MGMD]
Id=2
HostName=127.0.0.1
PortNumber=1187
[NDBD]
HostName=127.0.0.1
[NDBD]
HostName=127.0.0.1
[MYSQLD]
HostName=127.0.0.1
[MYSQLD]
[MYSQLD]
)";

NodeRegistry make() {
  auto cfg = parse_config_ini(kConfig, "config.ini").config;
  HostAddresses hosts{{"127.0.0.1", {"127.0.0.1"}}};
  return NodeRegistry(cfg, hosts, 1);
}
}  // namespace

TEST(NodeRegistry, ItselfIsStartedOthersNotConnected) {
  auto r = make();
  ASSERT_NE(r.state(1), nullptr);
  EXPECT_EQ(r.state(1)->status, NodeStatus::kStarted);
  EXPECT_EQ(r.state(3)->status, NodeStatus::kNoContact);
  EXPECT_EQ(r.ids_of(NodeType::kData), (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(r.ids_of(NodeType::kApi), (std::vector<uint32_t>{5, 6, 7}));
}

TEST(NodeRegistry, ExplicitIdAllocatedThenRefusedToASecondAsker) {
  auto r = make();
  auto a = r.allocate(3, NodeType::kData, "127.0.0.1", 100, mgmapi::kProtocolVersion);
  ASSERT_TRUE(a.ok) << a.error;
  EXPECT_EQ(a.node_id, 3u);
  EXPECT_EQ(r.state(3)->status, NodeStatus::kNotStarted);
  EXPECT_EQ(r.state(3)->node_group, 0);
  EXPECT_EQ(r.state(3)->address, "127.0.0.1");
  auto b = r.allocate(3, NodeType::kData, "127.0.0.1", 101, mgmapi::kProtocolVersion);
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.error, "Id 3 already allocated by another node.");
  EXPECT_EQ(r.release(100), 3u);
  EXPECT_EQ(r.state(3)->status, NodeStatus::kNoContact);
  EXPECT_TRUE(r.allocate(3, NodeType::kData, "127.0.0.1", 101, mgmapi::kProtocolVersion).ok);
}

TEST(NodeRegistry, RefusalTexts) {
  auto r = make();
  EXPECT_EQ(r.allocate(9, NodeType::kData, "127.0.0.1", 1, 0).error, "No node defined with id=9 in config file.");
  EXPECT_EQ(r.allocate(5, NodeType::kData, "127.0.0.1", 1, 0).error,
            "Id 5 configured as mysqld(API), connect attempted as ndbd(NDB).");
  EXPECT_EQ(r.allocate(3, NodeType::kData, "10.9.9.9", 1, 0).error,
            "Connection with id 3 done from wrong host ip 10.9.9.9, expected 127.0.0.1.");
}

TEST(NodeRegistry, AnyIdPicksTheFirstFreeSlotTheHostMayUse) {
  auto r = make();
  // From elsewhere, slot 5 (HostName 127.0.0.1) is skipped for 6 (any host).
  auto a = r.allocate(0, NodeType::kApi, "10.0.0.8", 10, 0);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.node_id, 6u);
  EXPECT_EQ(r.allocate(0, NodeType::kApi, "::ffff:127.0.0.1", 11, 0).node_id, 5u);
  EXPECT_EQ(r.allocate(0, NodeType::kApi, "10.0.0.8", 12, 0).node_id, 7u);
  EXPECT_EQ(r.allocate(0, NodeType::kApi, "10.0.0.8", 13, 0).error, "No free node id found for mysqld(API).");
}

TEST(NodeRegistry, WrongHostWhenOnlyHostBoundSlotsAreFree) {
  auto r = make();
  EXPECT_EQ(r.allocate(0, NodeType::kData, "10.1.1.1", 1, 0).error, "Connection done from wrong host ip 10.1.1.1.");
}

TEST(NodeRegistry, ReportsUpdateStatusAndMasterFollows) {
  auto r = make();
  r.allocate(3, NodeType::kData, "127.0.0.1", 20, mgmapi::kProtocolVersion);
  r.allocate(4, NodeType::kData, "127.0.0.1", 21, mgmapi::kProtocolVersion);
  mgmapi::StateReport s;
  s.status = NodeStatus::kStarting;
  s.start_phase = 4;
  s.dynamic_id = 2;
  r.report(3, s);
  s.dynamic_id = 1;
  s.status = NodeStatus::kStarted;
  r.report(4, s);
  EXPECT_EQ(r.state(3)->start_phase, 4u);
  EXPECT_EQ(mgmapi::master_node(r.states()), 4u);
}
