// Unit tests: KILL's owner check and the request one SQL node leaves for another.
#include "cluster/sqld/sql/kill.h"

#include <gtest/gtest.h>

#include <set>

namespace halb::cluster::sqld {
namespace {

class Connections : public ConnectionRegistry {
 public:
  std::vector<ProcessInfo> list;
  std::set<std::pair<uint32_t, bool>> killed;
  std::vector<ProcessInfo> processes() const override { return list; }
  bool kill(uint32_t id, bool query_only) override {
    for (auto& p : list)
      if (p.id == id) {
        killed.insert({id, query_only});
        return true;
      }
    return false;
  }
  uint64_t uptime_s() const override { return 0; }
  uint64_t questions() const override { return 0; }
};

Connections two_users() {
  Connections c;
  ProcessInfo a;
  a.id = 0x05000001;
  a.user = "alice";
  ProcessInfo b;
  b.id = 0x05000002;
  b.user = "bob";
  c.list = {a, b};
  return c;
}

TEST(Kill, OwnConnectionsOnlyWithoutSuper) {
  auto c = two_users();
  EXPECT_EQ(kill_as(&c, 0x05000002, false, "alice", false), 1095);
  EXPECT_TRUE(c.killed.empty());
  EXPECT_EQ(kill_as(&c, 0x05000001, true, "alice", false), 0);
  EXPECT_TRUE(c.killed.count({0x05000001, true}));
  EXPECT_EQ(kill_as(&c, 0x05000002, false, "alice", true), 0);
  EXPECT_TRUE(c.killed.count({0x05000002, false}));
}

TEST(Kill, UnknownConnection) {
  auto c = two_users();
  EXPECT_EQ(kill_as(&c, 0x05000009, false, "alice", true), 1094);
  EXPECT_EQ(kill_as(nullptr, 0x05000001, false, "alice", true), 1094);
  EXPECT_EQ(kill_error(1094, 7).message, "Unknown thread id: 7");
  EXPECT_EQ(kill_error(1095, 7).code, 1095);
  EXPECT_EQ(kill_error(1095, 7).message, "You are not owner of thread 7");
}

TEST(Kill, RequestTextRoundTrips) {
  KillRequest r;
  r.query_only = true;
  r.nonce = "5.123.1.99";
  r.may_kill_any = false;
  r.user = "we\nird";
  KillRequest back = KillRequest::parse(r.encode());
  EXPECT_TRUE(back.query_only);
  EXPECT_EQ(back.nonce, r.nonce);
  EXPECT_FALSE(back.may_kill_any);
  EXPECT_EQ(back.user, r.user);
  r.query_only = false;
  r.may_kill_any = true;
  back = KillRequest::parse(r.encode());
  EXPECT_FALSE(back.query_only);
  EXPECT_TRUE(back.may_kill_any);
}

TEST(Kill, AnOldBareRequestMayKillNobodysConnection) {
  KillRequest r = KillRequest::parse("connection");
  EXPECT_FALSE(r.query_only);
  EXPECT_TRUE(r.nonce.empty());
  EXPECT_FALSE(r.may_kill_any);
  EXPECT_TRUE(KillRequest::parse("query").query_only);
}

}  // namespace
}  // namespace halb::cluster::sqld
