// tests/unit/director/reconcile/desired_test.cc: (config, check states) ->
// wanted table: quiescent vs removal, weight restore, fallback in and out,
// checktype on/off, persistence and port forcing.
#include "director/reconcile/desired.h"

#include <gtest/gtest.h>

#include "director/config/ldirectord_cf.h"

namespace halb::director::reconcile {
namespace {

config::Config parse(const std::string& text) {
  config::ReadOptions o;
  o.hostname = "ndb1";
  o.resolver.hosts_path = "/dev/null";
  return config::parse_ldirectord_cf(text, "test.cf", o);
}

const std::string kSeed =
    "quiescent=yes\n"
    "virtual=192.168.131.105:3306\n"
    "\treal=192.168.131.77:3306 gate 3\n"
    "\treal=192.168.131.101:3306 gate 2\n"
    "\tfallback=127.0.0.1:3306\n"
    "\tscheduler=wrr\n";

RealId id(const config::Config& c, size_t real) { return real_id(c.virtuals[0], c.virtuals[0].reals[real]); }

std::vector<std::pair<std::string, int>> dests(const backend::Table& t) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& d : t.services.at(0).dests) out.emplace_back(backend::describe(d), d.weight);
  return out;
}

using Dests = std::vector<std::pair<std::string, int>>;

TEST(Desired, ServiceAttributes) {
  auto c = parse(kSeed);
  auto t = desired_table(c, {});
  ASSERT_EQ(t.services.size(), 1u);
  const auto& s = t.services[0];
  EXPECT_EQ(backend::describe(s.key), "TCP 192.168.131.105:3306");
  EXPECT_EQ(s.scheduler, "wrr");
  EXPECT_EQ(s.flags, 0u);
  EXPECT_EQ(s.timeout, 0u);
  EXPECT_EQ(s.netmask, 0xffffffffu);
}

TEST(Desired, AllUpGiveConfiguredWeights) {
  auto c = parse(kSeed);
  auto t = desired_table(c, {{id(c, 0), CheckState::up}, {id(c, 1), CheckState::up}});
  EXPECT_EQ(dests(t), (Dests{{"192.168.131.77:3306", 3}, {"192.168.131.101:3306", 2}}));
  EXPECT_EQ(t.services[0].dests[0].forward, backend::Forward::route);
}

TEST(Desired, QuiescentDownIsWeightZeroAndWeightIsRestored) {
  auto c = parse(kSeed);
  CheckStates s{{id(c, 0), CheckState::down}, {id(c, 1), CheckState::up}};
  EXPECT_EQ(dests(desired_table(c, s)), (Dests{{"192.168.131.77:3306", 0}, {"192.168.131.101:3306", 2}}));
  s[id(c, 0)] = CheckState::up;
  EXPECT_EQ(dests(desired_table(c, s)), (Dests{{"192.168.131.77:3306", 3}, {"192.168.131.101:3306", 2}}));
}

TEST(Desired, NonQuiescentDownIsRemoved) {
  auto c = parse("quiescent=no\n" + kSeed.substr(kSeed.find('\n') + 1));
  CheckStates s{{id(c, 0), CheckState::down}, {id(c, 1), CheckState::up}};
  EXPECT_EQ(dests(desired_table(c, s)), (Dests{{"192.168.131.101:3306", 2}}));
}

TEST(Desired, AllDownAddsFallbackAndOneUpRemovesIt) {
  auto c = parse(kSeed);
  // Unknown states count as down: this is the table at startup.
  EXPECT_EQ(dests(desired_table(c, {})),
            (Dests{{"127.0.0.1:3306", 1}, {"192.168.131.77:3306", 0}, {"192.168.131.101:3306", 0}}));
  CheckStates s{{id(c, 0), CheckState::down}, {id(c, 1), CheckState::up}};
  EXPECT_EQ(dests(desired_table(c, s)), (Dests{{"192.168.131.77:3306", 0}, {"192.168.131.101:3306", 2}}));
  EXPECT_FALSE(any_real_up(c.virtuals[0], {}));
  EXPECT_TRUE(any_real_up(c.virtuals[0], s));
}

TEST(Desired, FallbackWithoutQuiescentIsTheOnlyDest) {
  auto c = parse("virtual=10.0.0.1:80\n    real=10.0.0.2:80 gate\n    fallback=10.0.0.9 masq\n");
  auto t = desired_table(c, {});
  ASSERT_EQ(t.services[0].dests.size(), 1u);
  EXPECT_EQ(backend::describe(t.services[0].dests[0]), "10.0.0.9:80");  // no port: the virtual's
  EXPECT_EQ(t.services[0].dests[0].forward, backend::Forward::masq);
}

TEST(Desired, GlobalFallbackApplies) {
  auto c = parse("fallback=127.0.0.1:8080 gate\nvirtual=10.0.0.1:80\n    real=10.0.0.2:80 gate\n");
  // gate forces the dest port to the virtual's, as ipvsadm does.
  EXPECT_EQ(dests(desired_table(c, {})), (Dests{{"127.0.0.1:80", 1}}));
}

TEST(Desired, CheckTypeOnAndOff) {
  auto on = parse("virtual=10.0.0.1:80\n    real=10.0.0.2:80 gate 4\n    checktype=on\n    fallback=10.0.0.9\n");
  EXPECT_EQ(dests(desired_table(on, {})), (Dests{{"10.0.0.2:80", 4}}));
  auto off = parse("quiescent=yes\nvirtual=10.0.0.1:80\n    real=10.0.0.2:80 gate\n    checktype=off\n    fallback=10.0.0.9\n");
  auto t = desired_table(off, {{real_id(off.virtuals[0], off.virtuals[0].reals[0]), CheckState::up}});
  ASSERT_EQ(t.services.size(), 1u);
  EXPECT_TRUE(t.services[0].dests.empty());
}

TEST(Desired, PortsFlagsAndPersistence) {
  auto c = parse(
      "virtual=10.0.0.1:80\n"
      "    real=10.0.0.2 masq\n"
      "    real=10.0.0.3:8080 masq 2 l:5 u:50\n"
      "    real=10.0.0.4:8080 ipip\n"
      "    persistent=600\n"
      "    netmask=255.255.255.0\n"
      "    scheduler=sh\n"
      "    schedflags=sh-fallback,sh-port\n"
      "    checktype=on\n"
      "virtual=9\n"
      "    real=10.0.0.5 gate\n"
      "    checktype=on\n"
      "virtual=10.0.0.1:53\n"
      "    ops=yes\n");
  auto t = desired_table(c, {});
  ASSERT_EQ(t.services.size(), 3u);
  // Sorted by key: tcp before udp before fwmark.
  const auto& web = t.services[0];
  EXPECT_EQ(web.flags, backend::kSvcPersistent | backend::kSvcSched1 | backend::kSvcSched2);
  EXPECT_EQ(web.timeout, 600u);
  EXPECT_EQ(web.netmask, 0xffffff00u);
  ASSERT_EQ(web.dests.size(), 3u);
  EXPECT_EQ(backend::describe(web.dests[0]), "10.0.0.2:80");    // masq without a port: the virtual's
  EXPECT_EQ(backend::describe(web.dests[1]), "10.0.0.3:8080");  // masq keeps its port
  EXPECT_EQ(web.dests[1].l_threshold, 5u);
  EXPECT_EQ(web.dests[1].u_threshold, 50u);
  EXPECT_EQ(backend::describe(web.dests[2]), "10.0.0.4:80");  // ipip: forced
  EXPECT_EQ(web.dests[2].forward, backend::Forward::tunnel);
  EXPECT_EQ(backend::describe(t.services[1].key), "UDP 10.0.0.1:53");
  EXPECT_EQ(t.services[1].flags, backend::kSvcOnePacket);
  EXPECT_EQ(backend::describe(t.services[2].key), "FWM 9");
  EXPECT_EQ(backend::describe(t.services[2].dests.at(0)), "10.0.0.5:0");  // fwmark keeps the real's port
}

TEST(Desired, IsPure) {
  auto c = parse(kSeed);
  CheckStates s{{id(c, 1), CheckState::up}};
  auto a = desired_table(c, s), b = desired_table(c, s);
  ASSERT_EQ(a.services.size(), b.services.size());
  EXPECT_EQ(a.services[0].dests, b.services[0].dests);
}

}  // namespace
}  // namespace halb::director::reconcile
