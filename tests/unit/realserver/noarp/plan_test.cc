// tests/unit/realserver/noarp/plan_test.cc: the rules and files halb-noarp
// writes, for one and several VIPs.
#include "realserver/noarp/plan.h"

#include <gtest/gtest.h>

#include "lib/config/reader.h"

namespace halb::realserver {
namespace {

Plan seed_plan() {
  Plan p;
  p.vips = {*net::Address::parse("192.168.131.105")};
  p.uplinks = {{"eth0", *net::Address::parse("192.168.131.101")}};
  return p;
}

TEST(NoarpPlan, VipList) {
  auto v = parse_vip_list("192.168.131.105,10.0.0.1");
  ASSERT_TRUE(v);
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[1].str(), "10.0.0.1");
  EXPECT_EQ(parse_vip_list("192.168.131.105,x").error(), "not an IP address: 'x'");
  EXPECT_EQ(parse_vip_list("").error(), "no VIP given");
  EXPECT_FALSE(parse_vip_list("2001:db8::1"));
}

TEST(NoarpPlan, NftRulesetDropsInAndRewritesOut) {
  std::string r = nft_ruleset(seed_plan());
  EXPECT_EQ(r.rfind("table arp halb_noarp {}\ndelete table arp halb_noarp\n", 0), 0u);
  EXPECT_NE(r.find("arp daddr ip 192.168.131.105 counter drop"), std::string::npos);
  EXPECT_NE(r.find("oifname \"eth0\" arp saddr ip 192.168.131.105 counter arp saddr ip set 192.168.131.101"),
            std::string::npos);
  Plan two = seed_plan();
  two.vips.push_back(*net::Address::parse("192.168.131.106"));
  EXPECT_NE(nft_ruleset(two).find("arp daddr ip { 192.168.131.105, 192.168.131.106 } counter drop"),
            std::string::npos);
}

TEST(NoarpPlan, ArptablesRulesAsTheSeedShows) {
  auto add = arptables_rules(seed_plan(), false);
  ASSERT_EQ(add.size(), 2u);
  EXPECT_EQ(add[0], (std::vector<std::string>{"-A", "INPUT", "-d", "192.168.131.105", "-j", "DROP"}));
  EXPECT_EQ(add[1], (std::vector<std::string>{"-A", "OUTPUT", "-s", "192.168.131.105", "-o", "eth0", "-j", "mangle",
                                              "--mangle-ip-s", "192.168.131.101"}));
  EXPECT_EQ(arptables_rules(seed_plan(), true)[0][0], "-D");
}

TEST(NoarpPlan, SysctlSettings) {
  auto s = sysctl_settings(seed_plan());
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0], (std::pair<std::string, std::string>{"net/ipv4/conf/all/arp_ignore", "1"}));
  EXPECT_EQ(s[3], (std::pair<std::string, std::string>{"net/ipv4/conf/eth0/arp_announce", "2"}));
}

TEST(NoarpPlan, SavedFileRoundTripsAndBadLinesSayWhere) {
  Plan p = seed_plan();
  p.method = Method::arptables;
  Plan back = parse_saved(format_saved(p), "noarp.conf");
  EXPECT_EQ(back.method, Method::arptables);
  ASSERT_EQ(back.vips.size(), 1u);
  EXPECT_EQ(back.vips[0].str(), "192.168.131.105");
  try {
    parse_saved("method nft\nvip 1.2.3\n", "noarp.conf");
    FAIL();
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "noarp.conf:2: not an IP address: '1.2.3'");
  }
  EXPECT_THROW(parse_saved("method ebtables\n", "f"), config::ConfigError);
  EXPECT_THROW(parse_saved("color blue\n", "f"), config::ConfigError);
}

}  // namespace
}  // namespace halb::realserver
