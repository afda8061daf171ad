// Membership timing with a fake clock: link and node deaths, late
// heartbeats, initdead, replays, restarts and partitions.
#include <gtest/gtest.h>

#include "heartbeat/membership/membership.h"

using namespace halb::heartbeat;

namespace {
Timing timing() { return Timing{200, 2000, 1000, 6000}; }

Heard status_from(const std::string& node, const std::string& link, uint64_t seq, uint64_t hg = 7,
                  const char* st = "active") {
  Heard h;
  h.node = node;
  h.link = link;
  h.seq = seq;
  h.generation = hg;
  h.status = st;
  return h;
}

bool has(const std::vector<MembershipEvent>& ev, MembershipEvent::Kind k, const std::string& link = "") {
  for (auto& e : ev)
    if (e.kind == k && (link.empty() || e.link == link)) return true;
  return false;
}
}  // namespace

TEST(Membership, PeerHeardThenDeadAfterDeadtime) {
  Membership m("ndb1", {"ndb1", "ndb2"}, {"eth1"}, timing());
  m.start(0);
  std::vector<MembershipEvent> ev;
  EXPECT_EQ(m.on_message(status_from("ndb2", "eth1", 1), 100, ev), Verdict::fresh);
  EXPECT_TRUE(has(ev, MembershipEvent::link_up, "eth1"));
  EXPECT_TRUE(has(ev, MembershipEvent::comm_up));
  EXPECT_EQ(m.status("ndb2"), NodeStatus::active);
  ev.clear();
  m.tick(2100, ev);
  EXPECT_FALSE(has(ev, MembershipEvent::node_dead));
  m.tick(2101, ev);
  EXPECT_TRUE(has(ev, MembershipEvent::node_dead));
  EXPECT_TRUE(has(ev, MembershipEvent::link_dead, "eth1"));
  EXPECT_EQ(m.status("ndb2"), NodeStatus::dead);
}

TEST(Membership, InitdeadWhenPeerNeverHeard) {
  Membership m("ndb1", {"ndb1", "ndb2"}, {"eth1"}, timing());
  m.start(1000);
  std::vector<MembershipEvent> ev;
  m.tick(6999, ev);
  EXPECT_FALSE(m.comm_up());
  m.tick(7001, ev);
  EXPECT_TRUE(has(ev, MembershipEvent::node_dead));
  EXPECT_TRUE(m.comm_up());
}

TEST(Membership, OneLinkDiesNodeStaysAlive) {
  Membership m("ndb1", {"ndb1", "ndb2"}, {"eth0", "eth1"}, timing());
  m.start(0);
  std::vector<MembershipEvent> ev;
  m.on_message(status_from("ndb2", "eth1", 1), 0, ev);
  m.on_message(status_from("ndb2", "eth0", 1), 0, ev);  // same seq on the other medium
  for (long long t = 200, seq = 2; t <= 3000; t += 200, ++seq) m.on_message(status_from("ndb2", "eth0", seq), t, ev);
  ev.clear();
  m.tick(3000, ev);
  EXPECT_TRUE(has(ev, MembershipEvent::link_dead, "eth1"));
  EXPECT_FALSE(has(ev, MembershipEvent::node_dead));
  EXPECT_TRUE(m.link_up("ndb2", "eth0"));
  EXPECT_FALSE(m.link_up("ndb2", "eth1"));
}

TEST(Membership, DuplicatesAndReplays) {
  Membership m("ndb1", {"ndb1", "ndb2"}, {"eth0", "eth1"}, timing());
  m.start(0);
  std::vector<MembershipEvent> ev;
  EXPECT_EQ(m.on_message(status_from("ndb2", "eth1", 5), 0, ev), Verdict::fresh);
  EXPECT_EQ(m.on_message(status_from("ndb2", "eth0", 5), 0, ev), Verdict::duplicate);
  EXPECT_EQ(m.on_message(status_from("ndb2", "eth1", 5, 6), 0, ev), Verdict::replay) << "older generation";
  for (uint64_t s = 6; s < 6 + Membership::kSeqWindow + 10; ++s) m.on_message(status_from("ndb2", "eth1", s), 0, ev);
  EXPECT_EQ(m.on_message(status_from("ndb2", "eth1", 5), 0, ev), Verdict::replay) << "fell out of the window";
  EXPECT_EQ(m.replays_rejected(), 2u);
  Heard stranger = status_from("mallory", "eth1", 1);
  EXPECT_EQ(m.on_message(stranger, 0, ev), Verdict::unknown_node);
}

TEST(Membership, LateHeartbeatWarning) {
  Membership m("ndb1", {"ndb1", "ndb2"}, {"eth1"}, timing());
  m.start(0);
  std::vector<MembershipEvent> ev;
  m.on_message(status_from("ndb2", "eth1", 1), 0, ev);
  ev.clear();
  m.on_message(status_from("ndb2", "eth1", 2), 1500, ev);
  ASSERT_TRUE(has(ev, MembershipEvent::late_heartbeat));
  for (auto& e : ev)
    if (e.kind == MembershipEvent::late_heartbeat) {
      EXPECT_EQ(e.interval_ms, 1500);
    }
}

TEST(Membership, ReturnAfterPartitionVersusRestart) {
  Membership m("ndb1", {"ndb1", "ndb2"}, {"eth1"}, timing());
  m.start(0);
  std::vector<MembershipEvent> ev;
  m.on_message(status_from("ndb2", "eth1", 1), 0, ev);
  m.tick(5000, ev);
  ASSERT_EQ(m.status("ndb2"), NodeStatus::dead);
  ev.clear();
  m.on_message(status_from("ndb2", "eth1", 30), 6000, ev);
  EXPECT_TRUE(has(ev, MembershipEvent::returned_after_partition));
  m.tick(9000, ev);
  ev.clear();
  m.on_message(status_from("ndb2", "eth1", 1, 8), 9500, ev);
  EXPECT_TRUE(has(ev, MembershipEvent::restarted));
  EXPECT_FALSE(has(ev, MembershipEvent::returned_after_partition));
  EXPECT_EQ(m.status("ndb2"), NodeStatus::active);
}

TEST(Membership, AdvertisedDeadtimeWins) {
  Membership m("ndb1", {"ndb1", "ndb2"}, {"eth1"}, timing());
  m.start(0);
  std::vector<MembershipEvent> ev;
  Heard h = status_from("ndb2", "eth1", 1);
  h.advertised_deadtime_ms = 4000;
  m.on_message(h, 0, ev);
  m.tick(3000, ev);
  EXPECT_NE(m.status("ndb2"), NodeStatus::dead);
  m.tick(4001, ev);
  EXPECT_EQ(m.status("ndb2"), NodeStatus::dead);
}

TEST(Membership, OwnPacketsOnlyRaiseLocalLinks) {
  Membership m("ndb1", {"ndb1", "ndb2"}, {"eth1"}, timing());
  m.start(0);
  std::vector<MembershipEvent> ev;
  EXPECT_EQ(m.on_message(status_from("ndb1", "eth1", 1), 0, ev), Verdict::duplicate);
  EXPECT_TRUE(m.link_up("ndb1", "eth1"));
  EXPECT_FALSE(m.comm_up());
}
