// Unit tests for the built-in IPaddr2 agent's argument handling: the
// classic `ip[/cidr[/nic[:label][/broadcast]]]` syntax, filling in what it
// leaves out from findif's answer, and the log lines operators grep for.
// No kernel involved; the netns suite covers the agent itself.
#include "heartbeat/agents/ipaddr.h"

#include <gtest/gtest.h>

using namespace halb;
using namespace halb::heartbeat;

namespace {
net::Address ip(const char* s) { return *net::Address::parse(s); }

net::ConnectedRoute route(const char* ifname, const char* prefix) {
  return net::ConnectedRoute{ifname, 2, *net::Prefix::parse(prefix)};
}
}  // namespace

TEST(IpAddrArgs, SeedForm) {
  auto s = parse_ipaddr_arg("192.168.131.105/24/eth0/192.168.131.255");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->ip, ip("192.168.131.105"));
  EXPECT_EQ(s->prefix_len, 24);
  EXPECT_EQ(s->nic, "eth0");
  EXPECT_EQ(s->label, "");
  EXPECT_EQ(s->broadcast, ip("192.168.131.255"));
  EXPECT_FALSE(needs_route(*s));
}

TEST(IpAddrArgs, BareAddress) {
  auto s = parse_ipaddr_arg("10.0.0.1");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->ip, ip("10.0.0.1"));
  EXPECT_FALSE(s->prefix_len);
  EXPECT_EQ(s->nic, "");
  EXPECT_FALSE(s->broadcast);
  EXPECT_TRUE(needs_route(*s));
}

TEST(IpAddrArgs, NicWithLabel) {
  auto s = parse_ipaddr_arg("10.0.0.1/24/eth0:1");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->prefix_len, 24);
  EXPECT_EQ(s->nic, "eth0");
  EXPECT_EQ(s->label, "eth0:1");  // the kernel's form: device name, colon, suffix
  EXPECT_FALSE(s->broadcast);
}

TEST(IpAddrArgs, ThirdFieldStartingWithDigitIsTheBroadcast) {
  auto s = parse_ipaddr_arg("10.0.0.1/24/10.0.0.255");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->prefix_len, 24);
  EXPECT_EQ(s->nic, "");  // found by findif
  EXPECT_EQ(s->broadcast, ip("10.0.0.255"));
  EXPECT_TRUE(needs_route(*s));
}

TEST(IpAddrArgs, NetmaskInsteadOfCidr) {
  auto s = parse_ipaddr_arg("10.0.0.1/255.255.255.0/eth1");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->prefix_len, 24);
  EXPECT_EQ(s->nic, "eth1");
}

TEST(IpAddrArgs, LabelAndBroadcast) {
  auto s = parse_ipaddr_arg("192.168.131.105/24/eth0:0/192.168.131.255");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->label, "eth0:0");
  EXPECT_EQ(s->broadcast, ip("192.168.131.255"));
}

TEST(IpAddrArgs, EmptyCidrFieldMeansNone) {
  auto s = parse_ipaddr_arg("10.0.0.1//eth0");
  ASSERT_TRUE(s) << s.error();
  EXPECT_FALSE(s->prefix_len);
  EXPECT_EQ(s->nic, "eth0");
  EXPECT_TRUE(needs_route(*s));
}

TEST(IpAddrArgs, IPv6) {
  auto s = parse_ipaddr_arg("2001:db8::105/64/eth0");
  ASSERT_TRUE(s) << s.error();
  EXPECT_FALSE(s->ip.is_v4());
  EXPECT_EQ(s->prefix_len, 64);
  EXPECT_EQ(s->nic, "eth0");
  EXPECT_FALSE(parse_ipaddr_arg("2001:db8::105/64/eth0:1"));           // labels are IPv4 only
  EXPECT_FALSE(parse_ipaddr_arg("2001:db8::105/64/eth0/10.0.0.255"));  // so are broadcasts
  EXPECT_FALSE(parse_ipaddr_arg("2001:db8::105/129"));
}

TEST(IpAddrArgs, GarbageIsAnError) {
  for (const char* bad : {"", "garbage", "10.0.0.256", "10.0.0.1/33", "10.0.0.1/x", "10.0.0.1/255.0.255.0",
                          "10.0.0.1/24/eth0/notanip", "10.0.0.1/24/eth0/10.0.0", "10.0.0.1/24/10.0.0.255/eth0",
                          "10.0.0.1/24/eth0/10.0.0.255/x", "10.0.0.1/24/eth0:", "10.0.0.1/24/averyveryverylongname",
                          "10.0.0.1/24/eth0:averylonglabel", "10.0.0.1/24/eth 0", "10.0.0.1/24/1eth0"}) {
    auto s = parse_ipaddr_arg(bad);
    EXPECT_FALSE(s) << bad;
    if (!s) {
      EXPECT_FALSE(s.error().empty()) << bad;
    }
  }
  EXPECT_EQ(parse_ipaddr_arg("garbage").error(), "IP address [garbage] not valid.");
  EXPECT_EQ(parse_ipaddr_arg("10.0.0.1/x").error(), "Invalid netmask specification [x]");
}

TEST(IpAddrTarget, SeedFormNeedsNoRoute) {
  auto t = complete_target(*parse_ipaddr_arg("192.168.131.105/24/eth0/192.168.131.255"), std::nullopt);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->prefix.str(), "192.168.131.105/24");
  EXPECT_EQ(t->nic, "eth0");
  EXPECT_EQ(t->broadcast, ip("192.168.131.255"));
}

TEST(IpAddrTarget, FindifGivesNicAndPrefixAndBroadcastIsComputed) {
  auto t = complete_target(*parse_ipaddr_arg("10.0.0.1"), route("eth1", "10.0.0.0/23"));
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->prefix.str(), "10.0.0.1/23");
  EXPECT_EQ(t->nic, "eth1");
  EXPECT_EQ(t->broadcast, ip("10.0.1.255"));
}

TEST(IpAddrTarget, CidrGivenKeepsItsLength) {
  auto t = complete_target(*parse_ipaddr_arg("10.0.0.1/25/10.0.0.127"), route("eth1", "10.0.0.0/24"));
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->prefix.len, 25);
  EXPECT_EQ(t->nic, "eth1");
  EXPECT_EQ(t->broadcast, ip("10.0.0.127"));
}

TEST(IpAddrTarget, NoRouteOrRouteElsewhereIsAnError) {
  EXPECT_FALSE(complete_target(*parse_ipaddr_arg("10.0.0.1"), std::nullopt));
  EXPECT_FALSE(complete_target(*parse_ipaddr_arg("10.0.0.1//eth0"), route("eth1", "10.0.0.0/24")));
  EXPECT_TRUE(complete_target(*parse_ipaddr_arg("10.0.0.1//eth1"), route("eth1", "10.0.0.0/24")));
}

TEST(IpAddrTarget, NoBroadcastForHostRoutesOrIPv6) {
  EXPECT_FALSE(complete_target(*parse_ipaddr_arg("10.0.0.1/32/lo"), std::nullopt)->broadcast);
  EXPECT_FALSE(complete_target(*parse_ipaddr_arg("2001:db8::5/64/eth0"), std::nullopt)->broadcast);
}

TEST(IpAddrCommands, ClassicWording) {
  auto seed = *complete_target(*parse_ipaddr_arg("192.168.131.105/24/eth0/192.168.131.255"), std::nullopt);
  EXPECT_EQ(ip_add_command(seed), "ip -f inet addr add 192.168.131.105/24 brd 192.168.131.255 dev eth0");
  EXPECT_EQ(ip_del_command(seed), "ip -f inet addr delete 192.168.131.105/24 dev eth0");
  EXPECT_EQ(send_arp_command(seed, IpAddrOptions{}),
            "send_arp -i 200 -r 5 eth0 192.168.131.105 auto not_used not_used");
  auto labelled = *complete_target(*parse_ipaddr_arg("10.0.0.1/24/eth0:1"), std::nullopt);
  EXPECT_EQ(ip_add_command(labelled), "ip -f inet addr add 10.0.0.1/24 brd 10.0.0.255 dev eth0 label eth0:1");
  auto v6 = *complete_target(*parse_ipaddr_arg("2001:db8::105/64/eth0"), std::nullopt);
  EXPECT_EQ(ip_add_command(v6), "ip -f inet6 addr add 2001:db8::105/64 dev eth0");
}

TEST(IpAddrAgentRun, BadArgumentsAnswerExit2WithoutTouchingTheKernel) {
  event::Loop loop;
  log::Logger logger;
  IpAddrAgent agent(loop, logger);
  for (auto args : {std::vector<std::string>{}, std::vector<std::string>{"garbage"},
                    std::vector<std::string>{"10.0.0.1", "extra"}}) {
    AgentResult got;
    bool called = false;
    agent.run(AgentOp::start, args, [&](AgentResult r) {
      got = std::move(r);
      called = true;
    });
    ASSERT_TRUE(called);
    EXPECT_EQ(got.exit_code, 2);
    EXPECT_EQ(got.output.rfind("ERROR: ", 0), 0u) << got.output;
  }
  EXPECT_FALSE(agent.announcing());
}
