// The three heartbeat readers on the seed's files (etc/ha.d) and on broken
// variants; every error must name file:line.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "heartbeat/config/authkeys.h"
#include "heartbeat/config/ha_cf.h"
#include "heartbeat/config/haresources.h"
#include "lib/config/reader.h"

using namespace halb;
using namespace halb::heartbeat;

namespace {
const std::string kEtc = std::string(HALB_SRC_DIR) + "/etc/ha.d";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

HaCf cf(const std::string& text) { return parse_ha_cf_text(text, "ha.cf", "ndb1"); }
const std::string kMin = "bcast eth1\nnode ndb1 ndb2\n";
}  // namespace

TEST(SeedConfig, HaCf) {
  HaCf c = parse_ha_cf(kEtc + "/ha.cf", "ndb1");
  EXPECT_EQ(c.keepalive_ms, 1000);
  EXPECT_EQ(c.deadtime_ms, 30000);
  EXPECT_EQ(c.warntime_ms, 15000);
  EXPECT_EQ(c.initdead_ms, 30000) << "deadtime > 10 s: initdead defaults to deadtime";
  EXPECT_EQ(c.auto_failback, AutoFailback::off);
  EXPECT_EQ(c.nodes, (std::vector<std::string>{"ndb1", "ndb2"}));
  ASSERT_EQ(c.media.size(), 2u);
  EXPECT_EQ(c.media[0].kind, MediumKind::bcast);
  EXPECT_EQ(c.media[0].device, "eth1");
  EXPECT_EQ(c.media[1].kind, MediumKind::mcast);
  EXPECT_EQ(c.media[1].address, "225.0.0.1");
  EXPECT_EQ(c.media[1].port, 694);
  EXPECT_EQ(c.media[1].ttl, 1);
  EXPECT_FALSE(c.media[1].loop);
  ASSERT_EQ(c.respawns.size(), 1u);
  EXPECT_EQ(c.respawns[0].program, "/usr/lib/heartbeat/ipfail");
  ASSERT_EQ(c.apiauths.size(), 1u);
  EXPECT_EQ(c.apiauths[0].uid, "hacluster");
  EXPECT_EQ(c.apiauths[0].gid, "haclient");
  EXPECT_EQ(c.logfacility, "local0");
}

TEST(SeedConfig, AuthkeysAndHaresources) {
  chmod((kEtc + "/authkeys").c_str(), 0600);  // git does not keep the mode
  AuthKeys k = parse_authkeys(kEtc + "/authkeys");
  EXPECT_EQ(k.active, 3);
  EXPECT_EQ(k.keys.at(3).method, AuthMethod::md5);
  EXPECT_EQ(k.keys.at(3).secret, "514a49f83820e34c877ff48770e48ea7");
  HaResources r = parse_haresources(kEtc + "/haresources", {"ndb1", "ndb2"});
  ASSERT_EQ(r.groups.size(), 1u);
  const auto& g = r.groups[0];
  EXPECT_EQ(g.node, "ndb1");
  EXPECT_EQ(g.key(), "ldirectord::ldirectord.cf");
  ASSERT_EQ(g.resources.size(), 3u);
  EXPECT_EQ(g.resources[1].agent, "LVSSyncDaemonSwap");
  EXPECT_EQ(g.resources[1].args, std::vector<std::string>{"master"});
  EXPECT_EQ(g.resources[2].agent, "IPAddr2");
  EXPECT_EQ(g.resources[2].args, std::vector<std::string>{"192.168.131.105/24/eth0/192.168.131.255"});
}

TEST(HaCfRules, TimesDefaultsAndOrder) {
  HaCf c = cf("keepalive 200ms\ndeadtime 2\nudpport 7000\n" + kMin);
  EXPECT_EQ(c.keepalive_ms, 200);
  EXPECT_EQ(c.warntime_ms, 1000);
  EXPECT_EQ(c.initdead_ms, 12000) << "deadtime < 6 s: initdead 12 s";
  EXPECT_EQ(c.media[0].port, 7000);
  EXPECT_EQ(cf("deadtime 8\n" + kMin).initdead_ms, 16000);
  EXPECT_EQ(cf("auto_failback legacy\n" + kMin).warnings.size(), 1u);
  EXPECT_EQ(cf("node NDB1,ndb2\nbcast eth1\n").nodes, (std::vector<std::string>{"ndb1", "ndb2"}));
}

TEST(HaCfRules, ErrorsNameFileAndLine) {
  EXPECT_EQ(error_of([] { cf("bcast eth1\nbogus 1\nnode ndb1\n"); }), "ha.cf:2: Illegal directive [bogus] in ha.cf");
  EXPECT_EQ(error_of([] { cf("bcast eth1\nudpport 694\nnode ndb1\n"); }),
            "ha.cf:2: udpport setting must precede media statements");
  EXPECT_EQ(error_of([] { cf("mcast eth1 225.0.0.1 694 1\nnode ndb1\n"); }),
            "ha.cf:1: mcast: wrong number of arguments (4)");
  EXPECT_EQ(error_of([] { cf("mcast eth1 225.0.0.1 694 0 0\nnode ndb1\n"); }),
            "ha.cf:1: bad value for mcast ttl: 0 (1-255)");
  EXPECT_EQ(error_of([] { cf("keepalive 2x\n" + kMin); }), "ha.cf:1: bad time for keepalive: 2x");
  EXPECT_NE(error_of([] { cf("keepalive 2\ndeadtime 4\n" + kMin); }).find("more than twice keepalive"),
            std::string::npos);
  EXPECT_NE(error_of([] { cf("deadtime 30\ninitdead 10\n" + kMin); }).find("initdead"), std::string::npos);
  EXPECT_EQ(error_of([] { parse_ha_cf_text("bcast eth1\nnode a b\n", "ha.cf", "ndb1"); }),
            "ha.cf: Current node [ndb1] not in configuration!");
  EXPECT_NE(error_of([] { cf("crm on\n" + kMin); }).find("crm"), std::string::npos);
  EXPECT_NE(error_of([] { cf("node ndb1\n"); }).find("no heartbeat media"), std::string::npos);
}

TEST(AuthkeysRules, ErrorsAndRollover) {
  auto k = parse_authkeys_text("auth 2\n1 crc\n2 sha1 new\n3 sha256 s", "authkeys");
  EXPECT_EQ(k.active, 2);
  EXPECT_EQ(k.keys.size(), 3u);
  EXPECT_EQ(error_of([] { parse_authkeys_text("1 sha1 k\nauth 1\n", "authkeys"); }),
            "authkeys:2: Auth Key [1] not found in keyfile: the auth line must precede the keys");
  EXPECT_EQ(error_of([] { parse_authkeys_text("auth 2\n1 sha1 k\n", "authkeys"); }),
            "authkeys:1: Auth Key [2] not found in keyfile");
  EXPECT_EQ(error_of([] { parse_authkeys_text("auth 1\n1 sha1\n", "authkeys"); }),
            "authkeys:2: sha1 needs exactly one key (a single word)");
  EXPECT_EQ(error_of([] { parse_authkeys_text("auth 1\n1 rot13 k\n", "authkeys"); }),
            "authkeys:2: unknown authentication method rot13 (crc, md5, sha1, sha256)");
  EXPECT_EQ(error_of([] { parse_authkeys_text("auth 16\n", "authkeys"); }), "authkeys:1: bad auth index 16 (0-15)");
  char dir[] = "/tmp/halb-ak-XXXXXX";
  std::string path = std::string(mkdtemp(dir)) + "/authkeys";
  std::ofstream(path) << "auth 1\n1 crc\n";
  chmod(path.c_str(), 0644);
  EXPECT_EQ(error_of([&] { parse_authkeys(path); }),
            path + ": Bad permissions on keyfile [" + path + "], 600 recommended.");
  chmod(path.c_str(), 0600);
  EXPECT_EQ(parse_authkeys(path).keys.at(1).method, AuthMethod::crc);
}

TEST(HaresourcesRules, GroupsAndErrors) {
  auto r = parse_haresources_text("# two groups\nndb1 10.0.0.1 Marker::a\nNDB2 \\\n  Other::x::y\n", "hr",
                                  {"ndb1", "ndb2"});
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups[0].resources[0].agent, "IPaddr") << "a bare IP means IPaddr, not IPaddr2";
  EXPECT_EQ(r.groups[0].key(), "10.0.0.1");
  EXPECT_EQ(r.groups[1].node, "ndb2");
  EXPECT_EQ(r.groups[1].line, 3);
  EXPECT_EQ(r.groups[1].resources[0].args, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(error_of([] { parse_haresources_text("\nndb3 A\n", "hr", {"ndb1"}); }),
            "hr:2: node ndb3 is not a node of ha.cf");
  EXPECT_EQ(error_of([] { parse_haresources_text("ndb1 A\nndb1 A B\n", "hr", {"ndb1"}); }),
            "hr:2: resource group A is listed twice");
  EXPECT_EQ(error_of([] { parse_haresources_text("ndb1\n", "hr", {"ndb1"}); }),
            "hr:1: resource group for ndb1 has no resources");
}
