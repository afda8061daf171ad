// tests/unit/heartbeat/config/haresources_test.cc: the haresources reader
// against the seed's file (a group continued over four lines), heartbeat's
// bare-address rule, and each error with its exact "file:line:".
#include "heartbeat/config/haresources.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/heartbeat/config/test_support.h"

namespace halb::heartbeat {
namespace {

using testing::error_of;
using testing::kData;
using testing::kSeed;

const std::vector<std::string> kNodes = {"ndb1", "ndb2"};

TEST(HaresourcesSeed, OneGroupOnNdb1) {
  HaResources r = parse_haresources(kSeed + "/haresources", kNodes);
  ASSERT_EQ(r.groups.size(), 1u);
  const ResourceGroup& g = r.groups[0];
  EXPECT_EQ(g.node, "ndb1");
  EXPECT_EQ(g.line, 6) << "the line the group starts on";
  EXPECT_EQ(g.key(), "ldirectord::ldirectord.cf");
  ASSERT_EQ(g.resources.size(), 3u);
  EXPECT_EQ(g.resources[0].agent, "ldirectord");
  EXPECT_EQ(g.resources[0].args, std::vector<std::string>{"ldirectord.cf"});
  EXPECT_EQ(g.resources[1].agent, "LVSSyncDaemonSwap");
  EXPECT_EQ(g.resources[1].args, std::vector<std::string>{"master"});
  EXPECT_EQ(g.resources[2].agent, "IPAddr2") << "kept as written; agents are matched later";
  EXPECT_EQ(g.resources[2].args, std::vector<std::string>{"192.168.131.105/24/eth0/192.168.131.255"})
      << "arguments split on :: only";
  EXPECT_EQ(g.resources[2].text, "IPAddr2::192.168.131.105/24/eth0/192.168.131.255");
}

TEST(Haresources, GroupsContinuationsAndBareAddresses) {
  HaResources r = parse_haresources(kData + "/haresources/two_groups", kNodes);
  ASSERT_EQ(r.groups.size(), 2u);
  const ResourceGroup& a = r.groups[0];
  EXPECT_EQ(a.node, "ndb1");
  EXPECT_EQ(a.line, 2);
  EXPECT_EQ(a.key(), "192.168.131.105");
  EXPECT_EQ(a.resources[0].agent, "IPaddr") << "a bare address means IPaddr, not IPaddr2";
  EXPECT_EQ(a.resources[0].args, std::vector<std::string>{"192.168.131.105"});
  EXPECT_EQ(a.resources.size(), 2u) << "the comment after the resources is dropped";
  const ResourceGroup& b = r.groups[1];
  EXPECT_EQ(b.node, "ndb2") << "lowercased";
  EXPECT_EQ(b.line, 3);
  ASSERT_EQ(b.resources.size(), 2u);
  EXPECT_EQ(b.resources[1].agent, "Filesystem");
  EXPECT_EQ(b.resources[1].args, (std::vector<std::string>{"/dev/sdb1", "/data", "ext4"}));
}

TEST(Haresources, ShellPatternForBareAddresses) {
  for (const char* yes : {"10.0.0.1", "192.168.131.105/24/eth0/192.168.131.255", "1.2.3.4x", "999.1.1.1"})
    EXPECT_TRUE(looks_like_bare_ip(yes)) << yes;
  for (const char* no : {"", "10.0.0", "a10.0.0.1", "IPaddr2::10.0.0.1", "1..2.3", "1.2.3.", "httpd", "1.2.3.x"})
    EXPECT_FALSE(looks_like_bare_ip(no)) << no;
  HaResources r = parse_haresources_text("ndb1 10.0.0.1/24/eth0 A:: B::::x\n", "hr", kNodes);
  const auto& res = r.groups[0].resources;
  EXPECT_EQ(res[0].agent, "IPaddr");
  EXPECT_EQ(res[0].args, std::vector<std::string>{"10.0.0.1/24/eth0"});
  EXPECT_TRUE(res[1].args.empty()) << "empty :: fields vanish, as in ResourceManager";
  EXPECT_EQ(res[2].args, std::vector<std::string>{"x"});
  EXPECT_TRUE(parse_haresources_text("# nothing yet\n\n", "hr", kNodes).groups.empty());
}

TEST(Haresources, ErrorsNameFileAndLine) {
  const std::string d = kData + "/haresources/";
  EXPECT_EQ(error_of([&] { parse_haresources(d + "unknown_node", kNodes); }),
            d + "unknown_node:2: Bad nodename in " + d + "unknown_node [ndb3]: not a node of ha.cf");
  EXPECT_EQ(error_of([&] { parse_haresources(d + "duplicate_key", kNodes); }),
            d + "duplicate_key:2: resource group [ldirectord::ldirectord.cf] is listed twice (first at line 1): the "
                "first resource of each line must be unique");
  EXPECT_EQ(error_of([&] { parse_haresources(d + "no_resources", kNodes); }),
            d + "no_resources:2: resource group of node [ndb2] has no resources");
  EXPECT_EQ(error_of([] { parse_haresources_text("ndb1 ::x\n", "hr", kNodes); }),
            "hr:1: resource [::x] has no script name before ::");
  EXPECT_EQ(error_of([] { parse_haresources_text("ndb1 10.0.0.1::eth0\n", "hr", kNodes); }),
            "hr:1: resource [10.0.0.1::eth0] is an address followed by ::arguments; name the agent: "
            "IPaddr::<address>[/cidr...]");
  EXPECT_EQ(error_of([&] { parse_haresources(d + "missing", kNodes); }),
            d + "missing: cannot read: No such file or directory");
}

}  // namespace
}  // namespace halb::heartbeat
