// tests/unit/heartbeat/config/ha_cf_test.cc: the ha.cf reader against the
// seed's file, the defaults and units of heartbeat 3.0.6, every directive it
// accepts, and each error with the exact "file:line:" an operator would see.
#include "heartbeat/config/ha_cf.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/heartbeat/config/test_support.h"

namespace halb::heartbeat {
namespace {

using testing::error_of;
using testing::kData;
using testing::kSeed;

HaCf text(const std::string& body, const std::string& local = "ndb1") {
  return parse_ha_cf_text(body, "ha.cf", local);
}
const std::string kMin = "bcast eth1\nnode ndb1 ndb2\n";

TEST(HaCfSeed, TheOperatorsFileMeansWhatHeartbeatReadInIt) {
  HaCf c = parse_ha_cf(kSeed + "/ha.cf", "ndb1");
  EXPECT_EQ(c.keepalive_ms, 1000);
  EXPECT_EQ(c.deadtime_ms, 30000);
  EXPECT_EQ(c.warntime_ms, 15000) << "deadtime/2";
  EXPECT_EQ(c.initdead_ms, 30000) << "deadtime > 10 s: initdead = deadtime";
  EXPECT_EQ(c.deadping_ms, 30000);
  EXPECT_EQ(c.auto_failback, AutoFailback::off);
  EXPECT_EQ(c.nodes, (std::vector<std::string>{"ndb1", "ndb2"}));
  EXPECT_EQ(c.logfacility, "local0");
  ASSERT_EQ(c.media.size(), 2u);
  EXPECT_EQ(c.media[0].kind, MediumKind::bcast);
  EXPECT_EQ(c.media[0].device, "eth1");
  EXPECT_EQ(c.media[0].port, c.udpport);
  const Medium& m = c.media[1];
  EXPECT_EQ(m.kind, MediumKind::mcast);
  EXPECT_EQ(m.device, "eth1");
  EXPECT_EQ(m.address, "225.0.0.1");
  EXPECT_EQ(m.port, 694);
  EXPECT_EQ(m.ttl, 1);
  EXPECT_FALSE(m.loop);
  ASSERT_EQ(c.respawns.size(), 1u);
  EXPECT_EQ(c.respawns[0].user, "hacluster");
  EXPECT_EQ(c.respawns[0].program, "/usr/lib/heartbeat/ipfail");
  ASSERT_EQ(c.apiauths.size(), 1u);
  EXPECT_EQ(c.apiauths[0].client, "ipfail");
  EXPECT_EQ(c.apiauths[0].uid, "hacluster");
  EXPECT_EQ(c.apiauths[0].gid, "haclient");
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
  // The same file serves the other director.
  EXPECT_NO_THROW(parse_ha_cf(kSeed + "/ha.cf", "NDB2"));
}

TEST(HaCfDefaults, WhatAnUnsaidDirectiveMeans) {
  HaCf c = parse_ha_cf(kData + "/ha_cf/minimal.cf", "ndb1");
  EXPECT_EQ(c.keepalive_ms, 1000);
  EXPECT_EQ(c.deadtime_ms, 30000);
  EXPECT_EQ(c.warntime_ms, 15000);
  EXPECT_EQ(c.initdead_ms, 30000);
  EXPECT_EQ(c.deadping_ms, 30000);
  EXPECT_FALSE(c.warntime_set || c.initdead_set || c.deadping_set);
  EXPECT_EQ(c.baud, 19200);
  EXPECT_EQ(c.auto_failback, AutoFailback::legacy);
  EXPECT_EQ(c.msgfmt, "classic");
  EXPECT_EQ(c.hopfudge, 1);
  EXPECT_EQ(c.crm, "off");
  EXPECT_EQ(c.autojoin, "none");
  EXPECT_EQ(c.compression, "zlib");
  EXPECT_EQ(c.compression_threshold_kb, 2);
  EXPECT_EQ(c.max_rexmit_delay_ms, 250);
  EXPECT_EQ(c.agent_timeout_ms, 60000);
  EXPECT_TRUE(c.bind_address.empty());
  EXPECT_FALSE(c.logfacility.has_value());
  // heartbeat warns about the default failback mode too; no line to name.
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], kData + "/ha_cf/minimal.cf: Deprecated 'legacy' auto_failback option selected. "
                                   "(the default) Please convert to 'auto_failback on' or 'off'.");
}

TEST(HaCfDefaults, InitdeadFollowsDeadtime) {
  EXPECT_EQ(text("deadtime 12\n" + kMin).initdead_ms, 12000) << "> 10 s: deadtime";
  EXPECT_EQ(text("deadtime 10\n" + kMin).initdead_ms, 20000) << "6-10 s: 2 x deadtime";
  EXPECT_EQ(text("deadtime 6\n" + kMin).initdead_ms, 12000);
  EXPECT_EQ(text("deadtime 5\n" + kMin).initdead_ms, 12000) << "< 6 s: 12 s";
  EXPECT_EQ(text("keepalive 100ms\ndeadtime 500ms\n" + kMin).initdead_ms, 12000);
  EXPECT_EQ(text("deadtime 8\n" + kMin).warntime_ms, 4000);
}

TEST(HaCfUnits, SecondsMillisecondsMicroseconds) {
  HaCf c = parse_ha_cf(kData + "/ha_cf/units.cf", "ndb2");
  EXPECT_EQ(c.keepalive_ms, 500);
  EXPECT_EQ(c.deadtime_ms, 2500);
  EXPECT_EQ(c.warntime_ms, 2000);
  EXPECT_EQ(c.initdead_ms, 12000);
  EXPECT_EQ(c.deadping_ms, 3000);
  EXPECT_TRUE(c.warntime_set && c.initdead_set && c.deadping_set);
  EXPECT_EQ(c.nodes, (std::vector<std::string>{"ndb1", "ndb2"}));
  EXPECT_EQ(c.auto_failback, AutoFailback::on);
  ASSERT_EQ(c.media.size(), 4u);
  EXPECT_EQ(c.media[0].device, "eth1");
  EXPECT_EQ(c.media[1].device, "eth2");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.media[i].port, 7000) << "udpport applies to bcast and ucast";
  EXPECT_EQ(c.media[1].line, 8);
  EXPECT_EQ(c.media[2].kind, MediumKind::ucast);
  EXPECT_EQ(c.media[2].address, "192.168.131.102");
  EXPECT_EQ(c.media[3].port, 6940) << "mcast keeps its own port";
  EXPECT_EQ(c.media[3].ttl, 4);
  EXPECT_TRUE(c.media[3].loop);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(HaCfDirectives, EveryDirectiveOfHeartbeatIsAccepted) {
  HaCf c = parse_ha_cf(kData + "/ha_cf/every_directive.cf", "ndb1");
  EXPECT_EQ(c.keepalive_ms, 2000);
  EXPECT_EQ(c.warntime_ms, 10000);
  EXPECT_EQ(c.initdead_ms, 120000);
  EXPECT_EQ(c.deadping_ms, 40000);
  ASSERT_EQ(c.media.size(), 4u);
  EXPECT_EQ(c.media[3].kind, MediumKind::serial);
  EXPECT_EQ(c.media[3].device, "/dev/ttyS0");
  ASSERT_EQ(c.ping_groups.size(), 3u);
  EXPECT_EQ(c.ping_groups[1].name, "192.168.131.2");
  EXPECT_EQ(c.ping_groups[2].name, "uplinks");
  EXPECT_EQ(c.ping_groups[2].addresses, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  ASSERT_EQ(c.respawns.size(), 1u);
  EXPECT_EQ(c.respawns[0].program, "/usr/lib/heartbeat/ipfail -d  --x") << "the command line as written";
  EXPECT_EQ(c.respawns[0].line, 18);
  ASSERT_EQ(c.apiauths.size(), 2u);
  EXPECT_EQ(c.apiauths[0].uid, "hacluster,root") << "commas inside apiauth are not list separators";
  EXPECT_EQ(c.apiauths[1].client, "ping");
  EXPECT_EQ(c.apiauths[1].uid, "");
  EXPECT_EQ(c.logfile, "/var/log/ha-log");
  EXPECT_EQ(c.debugfile, "/var/log/ha-debug");
  EXPECT_FALSE(c.use_logd);
  EXPECT_EQ(c.uuidfrom, "nodename");
  EXPECT_EQ(c.hbgenmethod, "time");
  EXPECT_EQ(c.cluster, "dbpair");
  EXPECT_EQ(c.msgfmt, "netstring");
  EXPECT_EQ(c.hopfudge, 2);
  EXPECT_EQ(c.compression, "bz2");
  EXPECT_EQ(c.compression_threshold_kb, 4);
  EXPECT_TRUE(c.traditional_compression);
  EXPECT_EQ(c.max_rexmit_delay_ms, 300) << "a bare number of milliseconds, not seconds";
  EXPECT_FALSE(c.realtime);
  EXPECT_FALSE(c.coredumps);
  EXPECT_EQ(c.bind_address, "127.0.0.1");
  EXPECT_EQ(c.agent_timeout_ms, 90000);
  std::vector<std::string> inert;
  for (const auto& d : c.inert) inert.push_back(d.name);
  EXPECT_EQ(inert, (std::vector<std::string>{"conn_logd_time", "log_badpack", "quorum_server", "record_config_changes",
                                             "record_pengine_inputs", "enable_config_writes", "rtprio", "coreroot",
                                             "memreserve", "use_apphbd", "env", "watchdog", "stonith",
                                             "stonith_host"}));
  EXPECT_EQ(c.inert.back().value, "* baytech 10.0.0.3 mylogin mysecretpassword");
  EXPECT_EQ(c.inert.back().line, 53);
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
}

TEST(HaCfDirectives, CommentsAndOldSpellings) {
  HaCf c = text("bcast eth1 # the crossover cable\nnode ndb1 ndb2#no blank needed\n\n   # indented\n");
  EXPECT_EQ(c.media.size(), 1u);
  EXPECT_EQ(c.nodes.size(), 2u);
  c = text("udp eth1\nnode ndb1\nnice_failback on\n");
  EXPECT_EQ(c.media[0].kind, MediumKind::bcast);
  EXPECT_EQ(c.auto_failback, AutoFailback::off) << "nice_failback on = auto_failback off";
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_EQ(c.warnings[0], "ha.cf:1: directive 'udp' replaced by 'bcast'");
  EXPECT_EQ(c.warnings[1],
            "ha.cf:3: nice_failback flag is obsolete. 'nice_failback on' has been changed to 'auto_failback off'");
  EXPECT_EQ(text("nice_failback off\n" + kMin).auto_failback, AutoFailback::legacy);
  EXPECT_EQ(text("auto_failback Legacy\n" + kMin).warnings.back(),
            "ha.cf:1: Deprecated 'legacy' auto_failback option selected. Please convert to 'auto_failback on' or "
            "'off'.");
  EXPECT_EQ(text("auto_failback yes\n" + kMin).auto_failback, AutoFailback::on);
  EXPECT_EQ(text("crm false\npacemaker off\n" + kMin).crm, "off");
}

TEST(HaCfWarnings, NameTheLine) {
  HaCf c = text("auto_failback off\ndeadtime 4\nkeepalive 1\ninitdead 5\nwarntime 4\n" + kMin);
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_EQ(c.warnings[0], "ha.cf:5: warntime [4000ms] is not below deadtime [4000ms]: no late heartbeat is reported "
                           "before a node is declared dead");
  EXPECT_EQ(c.warnings[1], "ha.cf:4: Initial dead time [5000ms] may be too small! It accounts for slow network "
                           "startup and should be >= deadtime and >= 10 seconds");
  c = text("auto_failback off\nnode ndb1\n" + kMin);
  EXPECT_EQ(c.warnings, std::vector<std::string>{"ha.cf:4: node ndb1 is listed twice"});
}

// Each error an operator can meet, with the text halb-heartbeat prints.
TEST(HaCfErrors, FilesWithTheirLine) {
  const std::string d = kData + "/ha_cf/";
  EXPECT_EQ(error_of([&] { parse_ha_cf(d + "unknown_directive.cf", "ndb1"); }),
            d + "unknown_directive.cf:3: Illegal directive [keeplive] in " + d + "unknown_directive.cf");
  EXPECT_EQ(error_of([&] { parse_ha_cf(d + "deadtime_too_small.cf", "ndb1"); }),
            d + "deadtime_too_small.cf:2: Dead time [4000ms] is too small compared to keepalive [2000ms]: deadtime "
                "must be more than twice keepalive");
  EXPECT_EQ(error_of([&] { parse_ha_cf(d + "mcast_four_args.cf", "ndb1"); }),
            d + "mcast_four_args.cf:3: mcast: wrong number of arguments (4); syntax: mcast <device> <group> <port> "
                "<ttl> <loop>");
  EXPECT_EQ(error_of([&] { parse_ha_cf(d + "udpport_after_bcast.cf", "ndb1"); }),
            d + "udpport_after_bcast.cf:4: udpport setting must precede media statements (bcast at line 2)");
  EXPECT_EQ(error_of([&] { parse_ha_cf(d + "initdead_below_deadtime.cf", "ndb1"); }),
            d + "initdead_below_deadtime.cf:2: Initial dead time [20000ms] is smaller than deadtime [30000ms]");
  EXPECT_EQ(error_of([&] { parse_ha_cf(kSeed + "/ha.cf", "ndb3"); }),
            kSeed + "/ha.cf:13: Current node [ndb3] not in configuration!");
  EXPECT_EQ(error_of([&] { parse_ha_cf(d + "missing.cf", "ndb1"); }),
            d + "missing.cf: cannot read: No such file or directory");
}

TEST(HaCfErrors, Media) {
  EXPECT_EQ(error_of([] { text("mcast eth1 225.0.0.1 694 0 0\nnode ndb1\n"); }),
            "ha.cf:1: Invalid mcast ttl [0]: a whole number from 1 to 255");
  EXPECT_EQ(error_of([] { text("mcast eth1 225.0.0.1 694 256 0\nnode ndb1\n"); }),
            "ha.cf:1: Invalid mcast ttl [256]: a whole number from 1 to 255");
  EXPECT_EQ(error_of([] { text("mcast eth1 225.0.0.1 694 1 2\nnode ndb1\n"); }),
            "ha.cf:1: Invalid mcast loop [2]: a whole number from 0 to 1");
  EXPECT_EQ(error_of([] { text("mcast eth1 10.0.0.1 694 1 0\nnode ndb1\n"); }),
            "ha.cf:1: Invalid mcast group [10.0.0.1]: an IPv4 multicast address (224.0.0.0-239.255.255.255)");
  EXPECT_EQ(error_of([] { text("ucast eth1 ndb2\nnode ndb1\n"); }),
            "ha.cf:1: Invalid ucast peer [ndb2]: an IPv4 address");
  EXPECT_EQ(error_of([] { text("ucast eth1\nnode ndb1\n"); }),
            "ha.cf:1: ucast: wrong number of arguments (1); syntax: ucast <device> <peer-address>");
  EXPECT_EQ(error_of([] { text("serial /dev/ttyS0\nbaud 9600\nnode ndb1\n"); }),
            "ha.cf:2: baud setting must precede media statements (serial at line 1)");
  EXPECT_EQ(error_of([] { text("baud 9600\nbaud 19200\n" + kMin); }), "ha.cf:2: Baudrate multiply specified");
  EXPECT_EQ(error_of([] { text("baud 1200\n" + kMin); }),
            "ha.cf:1: invalid baudrate [1200] specified: 9600, 19200, 38400, 57600, 115200, 230400 or 460800");
  EXPECT_EQ(error_of([] { text("udpport 0\n" + kMin); }),
            "ha.cf:1: Invalid udpport [0]: a whole number from 1 to 65535");
  EXPECT_EQ(error_of([] { text("node ndb1\n"); }), "ha.cf: No heartbeat media defined (bcast, mcast, ucast)");
  EXPECT_EQ(error_of([] { text("bcast eth1\n", "ndb1"); }), "ha.cf: no nodes defined");
}

TEST(HaCfErrors, ValuesAndModes) {
  EXPECT_EQ(error_of([] { text("keepalive 2x\n" + kMin); }),
            "ha.cf:1: Invalid keepalive [2x]: a time in seconds (decimals allowed) or with ms or us, above 0");
  EXPECT_EQ(error_of([] { text("keepalive 0\n" + kMin); }),
            "ha.cf:1: Invalid keepalive [0]: a time in seconds (decimals allowed) or with ms or us, above 0");
  EXPECT_EQ(error_of([] { text("keepalive 1 2\n" + kMin); }),
            "ha.cf:1: keepalive: wrong number of arguments (2); syntax: keepalive <time>");
  EXPECT_EQ(error_of([] { text("bcast eth1\nnode ndb1\nkeepalive 15\n"); }),
            "ha.cf:3: Dead time [30000ms] is too small compared to keepalive [15000ms]: deadtime must be more than "
            "twice keepalive")
      << "no deadtime line: the keepalive line is named";
  EXPECT_EQ(error_of([] { text("deadping 2\n" + kMin); }),
            "ha.cf:1: Ping dead time [2000ms] is too small compared to keepalive [1000ms]");
  EXPECT_EQ(error_of([] { text("auto_failback maybe\n" + kMin); }),
            "ha.cf:1: Invalid auto_failback [maybe]: on, off or legacy");
  EXPECT_EQ(error_of([] { text("realtime perhaps\n" + kMin); }),
            "ha.cf:1: Invalid realtime [perhaps]: on/off, true/false, yes/no, y/n, 1/0");
  EXPECT_EQ(error_of([] { text("logfacility local9\n" + kMin); }), "ha.cf:1: Log facility(local9) not valid");
  EXPECT_EQ(error_of([] { text("msgfmt xml\n" + kMin); }), "ha.cf:1: Invalid msgfmt [xml]: one of classic, netstring");
  EXPECT_EQ(error_of([] { text("respawn hacluster ipfail\n" + kMin); }),
            "ha.cf:1: Client child command [ipfail] is not full pathname");
  EXPECT_EQ(error_of([] { text("apiauth ipfail uid=a\napiauth ipfail gid=b\n" + kMin); }),
            "ha.cf:2: Duplicate apiauth directive for API client ipfail");
  EXPECT_EQ(error_of([] { text("apiauth ipfail hacluster\n" + kMin); }),
            "ha.cf:1: Missing uid or gid in apiauth: [hacluster]; syntax: apiauth client [uid=uidlist] [gid=gidlist]");
  EXPECT_EQ(error_of([] { text("watchdog /dev/a\nwatchdog /dev/b\n" + kMin); }),
            "ha.cf:2: Watchdog device multiply specified");
  EXPECT_EQ(error_of([] { text("bind_address lo\n" + kMin); }),
            "ha.cf:1: Invalid bind_address [lo]: an IPv4 address of this host");
  EXPECT_EQ(error_of([] { text(kMin + "crm on\n"); }),
            "ha.cf:3: crm/pacemaker [on] is not supported: halb-heartbeat manages haresources groups, which needs crm "
            "off");
  EXPECT_EQ(error_of([] { text("pacemaker respawn\n" + kMin); }),
            "ha.cf:1: crm/pacemaker [respawn] is not supported: halb-heartbeat manages haresources groups, which "
            "needs crm off");
  EXPECT_EQ(error_of([] { text("autojoin any\n" + kMin); }),
            "ha.cf:1: R1 style resource management conflicts with autojoin set [any]: use autojoin none with "
            "haresources");
  EXPECT_EQ(error_of([] { text("bcast eth1\nnode a\nnode b\n"); }),
            "ha.cf:2: Current node [ndb1] not in configuration!");
  EXPECT_NO_THROW(text(kMin, "NDB1")) << "uname -n is compared lowercased";
}

}  // namespace
}  // namespace halb::heartbeat
