// Resource policy: two Policy instances wired through a fake network, with
// acquire/release finishing at once. Each test checks who ends up holding
// which group, which is what operators and clients see.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>

#include "heartbeat/resources/policy.h"

using namespace halb::heartbeat;

namespace {

// Groups as in a two-group haresources: g1 prefers ndb1, g2 prefers ndb2.
std::vector<GroupRef> two_groups() { return {{"g1", "ndb1"}, {"g2", "ndb2"}}; }

struct Pair {
  Policy a, b;
  bool a_up = true, b_up = true;
  bool link = true;
  long long now = 0;
  std::deque<std::pair<char, Outgoing>> wire;  // (destination, message)
  std::vector<std::string> logs_a, logs_b;
  std::map<std::string, int> acquired_a, acquired_b;  // start counts per group

  Pair(AutoFailback af, std::vector<GroupRef> groups = two_groups())
      : a(PolicyConfig{"ndb1", "ndb2", groups, af}), b(PolicyConfig{"ndb2", "ndb1", groups, af}) {}

  void apply(char who, std::vector<Action> acts) {
    Policy& self = who == 'a' ? a : b;
    for (size_t i = 0; i < acts.size(); ++i) {
      Action& act = acts[i];
      switch (act.kind) {
        case Action::send:
          if (link) wire.emplace_back(who == 'a' ? 'b' : 'a', act.message);
          break;
        case Action::acquire: {
          for (auto& g : act.groups) (who == 'a' ? acquired_a : acquired_b)[g]++;
          std::vector<Action> more;
          self.op_done(act.op, {}, now, more);
          acts.insert(acts.end(), more.begin(), more.end());
          break;
        }
        case Action::release: {
          std::vector<Action> more;
          self.op_done(act.op, {}, now, more);
          acts.insert(acts.end(), more.begin(), more.end());
          break;
        }
        case Action::log:
          (who == 'a' ? logs_a : logs_b).push_back(act.text);
          break;
      }
    }
  }
  void deliver() {
    for (int guard = 0; !wire.empty() && guard < 1000; ++guard) {
      auto [to, msg] = wire.front();
      wire.pop_front();
      if ((to == 'a' && !a_up) || (to == 'b' && !b_up)) continue;
      std::map<std::string, std::string> f(msg.fields.begin(), msg.fields.end());
      std::vector<Action> out;
      (to == 'a' ? a : b).on_message(msg.type, f, now, out);
      apply(to, out);
    }
  }
  void both_start() {
    std::vector<Action> x, y;
    a.comm_up(true, now, x);
    b.comm_up(true, now, y);
    apply('a', x);
    apply('b', y);
    deliver();
  }
  static bool has(const std::vector<std::string>& logs, const std::string& s) {
    for (auto& l : logs)
      if (l.find(s) != std::string::npos) return true;
    return false;
  }
};

std::set<std::string> S(std::initializer_list<std::string> l) { return std::set<std::string>(l); }

}  // namespace

TEST(Policy, BothStartingEachTakesItsOwn) {
  Pair p(AutoFailback::off);
  p.both_start();
  EXPECT_EQ(p.a.held(), S({"g1"}));
  EXPECT_EQ(p.b.held(), S({"g2"}));
  EXPECT_TRUE(p.a.stable());
  EXPECT_TRUE(p.b.stable());
}

TEST(Policy, LoneNodeTakesEverythingAfterInitdead) {
  Pair p(AutoFailback::off);
  std::vector<Action> out;
  p.a.comm_up(false, 0, out);
  p.apply('a', out);
  EXPECT_EQ(p.a.held(), S({"g1", "g2"}));
}

TEST(Policy, PeerDeathTakesOverAndLogsClassicWords) {
  Pair p(AutoFailback::off);
  p.both_start();
  std::vector<Action> out;
  p.b_up = false;
  p.a.peer_dead(1000, out);
  p.apply('a', out);
  EXPECT_EQ(p.a.held(), S({"g1", "g2"}));
  EXPECT_TRUE(Pair::has(p.logs_a, "Resources being acquired from ndb2."));
  EXPECT_TRUE(Pair::has(p.logs_a, "mach_down takeover complete for node ndb2."));
  EXPECT_TRUE(Pair::has(p.logs_a, "Shared disks are not protected."));
}

TEST(Policy, ReturningNodeWithAutoFailbackOffGetsNothing) {
  Pair p(AutoFailback::off, {{"vip", "ndb1"}});
  // ndb2 alone holds everything.
  std::vector<Action> out;
  p.b.comm_up(false, 0, out);
  p.apply('b', out);
  ASSERT_EQ(p.b.held(), S({"vip"}));
  // ndb1 starts; ndb2 is stable.
  out.clear();
  p.a.comm_up(true, 10, out);
  p.apply('a', out);
  p.deliver();
  EXPECT_TRUE(p.a.held().empty());
  EXPECT_EQ(p.b.held(), S({"vip"}));
  EXPECT_TRUE(Pair::has(p.logs_a, "Local Resource acquisition completed. (none)"));
}

TEST(Policy, ReturningPreferredNodeWithAutoFailbackOnGetsItsGroupBack) {
  Pair p(AutoFailback::on, {{"vip", "ndb1"}});
  std::vector<Action> out;
  p.b.comm_up(false, 0, out);
  p.apply('b', out);
  out.clear();
  p.a.comm_up(true, 10, out);
  p.apply('a', out);
  p.deliver();
  EXPECT_EQ(p.a.held(), S({"vip"}));
  EXPECT_TRUE(p.b.held().empty());
  EXPECT_EQ(p.acquired_a["vip"], 1);
}

TEST(Policy, ShutdownNoticeMeansImmediateTakeover) {
  Pair p(AutoFailback::off);
  p.both_start();
  std::vector<Action> out;
  p.b.shutdown(100, out);
  p.apply('b', out);
  p.deliver();
  EXPECT_TRUE(p.b.held().empty());
  EXPECT_TRUE(p.b.shut_down());
  EXPECT_EQ(p.a.held(), S({"g1", "g2"}));
  EXPECT_TRUE(Pair::has(p.logs_a, "Received shutdown notice from 'ndb2'."));
  EXPECT_TRUE(Pair::has(p.logs_b, "All HA resources relinquished."));
}

TEST(Policy, StandbyMovesGroupsAndTakeoverAsksThePeer) {
  Pair p(AutoFailback::off);
  p.both_start();
  std::vector<Action> out;
  std::string why;
  ASSERT_TRUE(p.a.request_standby(Hold::all, 50, out, why)) << why;
  p.apply('a', out);
  p.deliver();
  EXPECT_TRUE(p.a.held().empty());
  EXPECT_EQ(p.b.held(), S({"g1", "g2"}));
  EXPECT_TRUE(Pair::has(p.logs_b, "acquire"));
  // Now ndb1 takes its local group back.
  out.clear();
  ASSERT_TRUE(p.a.request_takeover(Hold::local, 60, out, why)) << why;
  p.apply('a', out);
  p.deliver();
  EXPECT_EQ(p.a.held(), S({"g1"}));
  EXPECT_EQ(p.b.held(), S({"g2"}));
}

TEST(Policy, StandbyUnderLegacyIsRefused) {
  Pair p(AutoFailback::legacy);
  p.both_start();
  std::vector<Action> out;
  std::string why;
  EXPECT_FALSE(p.a.request_standby(Hold::all, 50, out, why));
  EXPECT_NE(why.find("legacy"), std::string::npos);
}

TEST(Policy, StandbyWithoutAnswerIsCancelled) {
  Pair p(AutoFailback::off);
  p.both_start();
  std::vector<Action> out;
  std::string why;
  p.link = false;
  ASSERT_TRUE(p.a.request_standby(Hold::all, 0, out, why));
  p.apply('a', out);
  out.clear();
  p.a.tick(11000, out);
  p.apply('a', out);
  EXPECT_TRUE(Pair::has(p.logs_a, "No reply to standby request.  Standby request cancelled."));
  EXPECT_EQ(p.a.held(), S({"g1"}));
}

TEST(Policy, HealedPartitionLeavesExactlyOneHolder) {
  for (auto af : {AutoFailback::on, AutoFailback::off}) {
    Pair p(af);
    p.both_start();
    // Both media cut: each declares the other dead and takes everything.
    p.link = false;
    std::vector<Action> x, y;
    p.a.peer_dead(1000, x);
    p.b.peer_dead(1000, y);
    p.apply('a', x);
    p.apply('b', y);
    ASSERT_EQ(p.a.held(), S({"g1", "g2"}));
    ASSERT_EQ(p.b.held(), S({"g1", "g2"}));
    // Healed.
    p.link = true;
    p.wire.clear();
    x.clear();
    y.clear();
    p.a.peer_returned(2000, x);
    p.b.peer_returned(2000, y);
    p.apply('a', x);
    p.apply('b', y);
    p.deliver();
    for (auto g : {"g1", "g2"})
      EXPECT_EQ(p.a.held().count(g) + p.b.held().count(g), 1u) << g;
    EXPECT_EQ(p.a.held(), S({"g1"}));
    EXPECT_EQ(p.b.held(), S({"g2"}));
    EXPECT_TRUE(Pair::has(p.logs_b, "held by both nodes after a partition"));
  }
}

TEST(Policy, FewerPingNodesGivesUp) {
  PolicyConfig ca{"ndb1", "ndb2", {{"vip", "ndb1"}}, AutoFailback::off};
  ca.ping_configured = true;
  PolicyConfig cb = ca;
  cb.local = "ndb1";
  Pair p(AutoFailback::off, {{"vip", "ndb1"}});
  p.a = Policy(ca);
  cb.local = "ndb2";
  cb.peer = "ndb1";
  p.b = Policy(cb);
  p.both_start();
  ASSERT_EQ(p.a.held(), S({"vip"}));
  std::vector<Action> out;
  p.a.ping_counts(0, 1, 100, out);
  p.apply('a', out);
  EXPECT_EQ(p.a.held(), S({"vip"})) << "not before the imbalance has lasted";
  out.clear();
  p.a.ping_counts(0, 1, 2200, out);
  p.apply('a', out);
  p.deliver();
  EXPECT_TRUE(p.a.held().empty());
  EXPECT_EQ(p.b.held(), S({"vip"}));
}

TEST(Policy, FailedStartIsNotHeld) {
  Policy a(PolicyConfig{"ndb1", "", {{"vip", "ndb1"}}, AutoFailback::off});
  std::vector<Action> out;
  a.comm_up(false, 0, out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].kind, Action::acquire);
  std::vector<Action> more;
  a.op_done(out[0].op, {"vip"}, 1, more);
  EXPECT_TRUE(a.held().empty());
  bool logged = false;
  for (auto& m : more) logged |= m.text == "Giving up resources due to failure of vip";
  EXPECT_TRUE(logged);
}

TEST(Policy, HoldWords) {
  Policy a(PolicyConfig{"ndb1", "ndb2", two_groups(), AutoFailback::off});
  EXPECT_EQ(a.hold(), Hold::none);
  std::vector<Action> out;
  a.comm_up(false, 0, out);
  EXPECT_EQ(a.hold(), Hold::all);
  EXPECT_EQ(hold_from_word("foreign"), Hold::foreign);
  EXPECT_STREQ(hold_word(Hold::local), "local");
}
