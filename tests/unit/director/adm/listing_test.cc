// tests/unit/director/adm/listing_test.cc: listings the ipvsadm oracle
// cannot produce (its fake IPVS speaks the old IPv4-only, 32-bit interface):
// IPv6 services and dests, persistence engines, 64-bit counters, the
// connection table, the sync daemon's netlink fields, long host names. The
// expected texts are written from ipvsadm 1.31's format strings
// (reference/director-ipvs.md section 4).
#include <gtest/gtest.h>

#include "director/adm/listing.h"
#include "tests/unit/director/adm/fake_names.h"

namespace halb::director::adm {
namespace {

using namespace halb::director::backend;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

ServiceStatus service(Protocol p, const char* addr, uint16_t port, const char* sched) {
  ServiceStatus s;
  s.service.key.protocol = p;
  s.service.key.addr = ip(addr);
  s.service.key.family = s.service.key.addr.family;
  s.service.key.port = port;
  s.service.scheduler = sched;
  if (!s.service.key.addr.is_v4()) s.service.netmask = 128;
  return s;
}

ServiceStatus fwmark(uint32_t mark, Family f, const char* sched) {
  ServiceStatus s;
  s.service.key.protocol = Protocol::fwmark;
  s.service.key.fwmark = mark;
  s.service.key.family = f;
  s.service.scheduler = sched;
  if (f == Family::v6) s.service.netmask = 128;
  return s;
}

DestStatus dest(const char* addr, uint16_t port, Forward fwd, int weight, uint32_t active = 0, uint32_t inact = 0) {
  DestStatus d;
  d.dest.addr = ip(addr);
  d.dest.port = port;
  d.dest.forward = fwd;
  d.dest.weight = weight;
  d.active_conns = active;
  d.inact_conns = inact;
  return d;
}

const std::string kHead =
    "IP Virtual Server version 1.2.1 (size=4096)\n"
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";

class Listing : public ::testing::Test {
 protected:
  testing::FakeNames names;
  ListFormat numeric() {
    ListFormat f;
    f.numeric = true;
    return f;
  }
};

TEST_F(Listing, Ipv6ServiceWithPersistenceMaskAndEngine) {
  auto s = service(Protocol::tcp, "2001:db8::1", 80, "wrr");
  s.service.flags = kSvcPersistent;
  s.service.timeout = 300;
  s.service.netmask = 64;
  s.service.pe_name = "sip";
  s.dests = {dest("2001:db8::10", 80, Forward::route, 1, 2, 3), dest("2001:db8::2", 8080, Forward::masq, 0)};
  EXPECT_EQ(format_table(Info{}, {s}, numeric(), names),
            kHead +
                "TCP  [2001:db8::1]:80 wrr persistent 300 mask 64 pe sip\n"
                "  -> [2001:db8::2]:8080           Masq    0      0          0         \n"
                "  -> [2001:db8::10]:80            Route   1      2          3         \n");
  ListFormat save = numeric();
  save.rule = true;
  EXPECT_EQ(format_table(Info{}, {s}, save, names),
            "-A -t [2001:db8::1]:80 -s wrr -p 300 -M 64 --pe sip\n"
            "-a -t [2001:db8::1]:80 -r [2001:db8::2]:8080 -m -w 0\n"
            "-a -t [2001:db8::1]:80 -r [2001:db8::10]:80 -g -w 1\n");
}

TEST_F(Listing, Ipv6NamesAreNotCut) {
  auto s = service(Protocol::udp, "2001:db8:1234:5678:9abc:def0:1234:5678", 65535, "rr");
  s.dests = {dest("2001:db8:1234:5678:9abc:def0:1234:5679", 65535, Forward::tunnel, 1)};
  EXPECT_EQ(format_table(Info{}, {s}, numeric(), names),
            kHead +
                "UDP  [2001:db8:1234:5678:9abc:def0:1234:5678]:65535 rr\n"
                "  -> [2001:db8:1234:5678:9abc:def0:1234:5679]:65535 Tunnel  1      0          0         \n");
}

TEST_F(Listing, Ipv6FwmarkWithSchedulerFlags) {
  auto s = fwmark(7, Family::v6, "sh");
  s.service.flags = kSvcSched1;
  s.dests = {dest("2001:db8::5", 0, Forward::route, 3)};
  EXPECT_EQ(format_table(Info{}, {s}, numeric(), names),
            kHead +
                "FWM  7 IPv6 sh (sh-fallback)\n"
                "  -> [2001:db8::5]:0              Route   3      0          0         \n");
  ListFormat save = numeric();
  save.rule = true;
  EXPECT_EQ(format_table(Info{}, {s}, save, names),
            "-A -f 7 -6 -s sh -b sh-fallback\n"
            "-a -f 7 -6 -r [2001:db8::5]:0 -g -w 3\n");
}

TEST_F(Listing, Ipv6PrefixOf128IsNotPrinted) {
  auto s = fwmark(9, Family::v6, "wlc");
  s.service.flags = kSvcPersistent | kSvcOnePacket;
  s.service.timeout = 60;
  EXPECT_EQ(format_table(Info{}, {s}, numeric(), names), kHead + "FWM  9 IPv6 wlc persistent 60 ops\n");
}

TEST_F(Listing, PersistenceEngineOnlyShownWhenPersistentButAlwaysSaved) {
  auto s = service(Protocol::udp, "10.0.0.1", 5060, "rr");
  s.service.pe_name = "sip";
  EXPECT_EQ(format_table(Info{}, {s}, numeric(), names), kHead + "UDP  10.0.0.1:5060 rr\n");
  ListFormat save = numeric();
  save.rule = true;
  EXPECT_EQ(format_table(Info{}, {s}, save, names), "-A -u 10.0.0.1:5060 -s rr --pe sip\n");
}

TEST_F(Listing, VersionAndTableSize) {
  Info info;
  info.version = 0x010203;
  info.conn_tab_size = 1048576;
  EXPECT_EQ(format_table(info, {}, numeric(), names).substr(0, 47),
            "IP Virtual Server version 1.2.3 (size=1048576)\n");
}

TEST_F(Listing, SixtyFourBitCounters) {
  auto s = service(Protocol::tcp, "10.0.0.1", 80, "wlc");
  s.stats.conns = 123456789012345ULL;   // >= 10^14: T
  s.stats.inpkts = 5000000000ULL;       // > 2^32, < 10^11: M
  s.stats.outpkts = 99999999999999ULL;  // < 10^14: G
  s.stats.inbytes = 18446744073709551615ULL;
  s.stats.outbytes = 100000000ULL;      // 10^8: K
  ListFormat f = numeric();
  f.stats = true;
  EXPECT_EQ(format_table(Info{}, {s}, f, names),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
            "  -> RemoteAddress:Port\n"
            "TCP  10.0.0.1:80                      123T    5000M   99999G18446744T  100000K\n");
  f.exact = true;
  EXPECT_EQ(format_table(Info{}, {s}, f, names),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
            "  -> RemoteAddress:Port\n"
            "TCP  10.0.0.1:80                  123456789012345 5000000000 99999999999999 18446744073709551615 "
            "100000000\n");
}

TEST_F(Listing, DestCountersAreReadAs32BitsLikeLibipvs) {
  auto s = service(Protocol::tcp, "10.0.0.1", 80, "wlc");
  auto d = dest("10.0.0.2", 80, Forward::route, 1);
  d.stats.conns = (1ULL << 32) + 5;
  d.stats.inpkts = 1ULL << 32;
  d.stats.inbytes = 1ULL << 40;  // bytes are 64-bit on both sides
  d.stats.cps = (1ULL << 33) + 7;
  s.dests = {d};
  s.stats = d.stats;
  ListFormat f = numeric();
  f.stats = true;
  f.exact = true;
  const std::string pad17(17, ' ');
  EXPECT_EQ(format_table(Info{}, {s}, f, names),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
            "  -> RemoteAddress:Port\n"
            "TCP  10.0.0.1:80" + pad17 + " 4294967301 4294967296        0 1099511627776        0\n" +
            "  -> 10.0.0.2:80" + pad17 + "        5        0        0 1099511627776        0\n");
  f.stats = false;
  f.rate = true;
  f.exact = false;
  std::string rates = format_table(Info{}, {s}, f, names);
  EXPECT_EQ(rates.substr(rates.find("  -> 10.0.0.2")),
            "  -> 10.0.0.2:80" + pad17 + "        7        0        0        0        0\n");
}

TEST_F(Listing, LargeNumberBoundaries) {
  EXPECT_EQ(large_number(0, false), "        0");
  EXPECT_EQ(large_number(99999999, false), " 99999999");
  EXPECT_EQ(large_number(100000000, false), "  100000K");
  EXPECT_EQ(large_number(999999999, false), "  999999K");
  EXPECT_EQ(large_number(1000000000, false), "    1000M");
  EXPECT_EQ(large_number(99999999999ULL, false), "   99999M");
  EXPECT_EQ(large_number(100000000000ULL, false), "     100G");
  EXPECT_EQ(large_number(99999999999999ULL, false), "   99999G");
  EXPECT_EQ(large_number(100000000000000ULL, false), "     100T");
  EXPECT_EQ(large_number(12345678, true), " 12345678");
  EXPECT_EQ(large_number(123456789, true), " 123456789");
  EXPECT_EQ(large_number(1234567890, true), " 1234567890");
}

TEST_F(Listing, LongHostNamesAreCutLikeIpvsadm) {
  names.hosts["10.0.0.1"] = "a-very-long-host-name.example.org";
  names.hosts["10.0.0.2"] = std::string(70, 'h');
  auto s = service(Protocol::tcp, "10.0.0.1", 80, "rr");
  s.dests = {dest("10.0.0.1", 80, Forward::route, 1), dest("10.0.0.2", 80, Forward::route, 1)};
  EXPECT_EQ(format_table(Info{}, {s}, ListFormat{}, names),
            kHead +
                "TCP  a-very-long-host-name.exampl rr\n"  // 33 characters
                "  -> a-very-long-host-name.exampl Route   1      0          0         \n"  // 28
                "  -> hhhhhhhhhhhhhhhhhhhhhhhhhhhh Route   1      0          0         \n");
  ListFormat save;
  save.rule = true;
  // -S does not cut to the columns, only to ipvsadm's 59-character buffer.
  EXPECT_EQ(format_table(Info{}, {s}, save, names),
            "-A -t a-very-long-host-name.example.org:http -s rr\n"
            "-a -t a-very-long-host-name.example.org:http -r a-very-long-host-name.example.org:http -g -w 1\n"
            "-a -t a-very-long-host-name.example.org:http -r " +
                std::string(59, 'h') + " -g -w 1\n");
}

TEST_F(Listing, SortPutsIpv4BeforeIpv6AndWrapsOnTheTopBit) {
  std::vector<ServiceStatus> v{service(Protocol::tcp, "2001:db8::1", 80, "rr"),
                               service(Protocol::tcp, "ff05::1", 80, "rr"),
                               service(Protocol::tcp, "10.0.0.1", 80, "rr"), fwmark(1, Family::v4, "rr"),
                               service(Protocol::udp, "10.0.0.1", 80, "rr")};
  sort_services(v);
  // fwmark 0 first; v4 before v6; tcp before udp; ff05:: - 2001:db8:: does
  // not fit an int, so ff05:: sorts first.
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(describe(v[0].service.key), "TCP 10.0.0.1:80");
  EXPECT_EQ(describe(v[1].service.key), "UDP 10.0.0.1:80");
  EXPECT_EQ(describe(v[2].service.key), "TCP [ff05::1]:80");
  EXPECT_EQ(describe(v[3].service.key), "TCP [2001:db8::1]:80");
  EXPECT_EQ(describe(v[4].service.key), "FWM 1");
}

TEST_F(Listing, Timeouts) { EXPECT_EQ(format_timeouts({900, 120, 300}), "Timeout (tcp tcpfin udp): 900 120 300\n"); }

TEST_F(Listing, DaemonsWithNetlinkFields) {
  SyncDaemon m;
  m.mcast_ifn = "eth0";
  m.maxlen = 1472;
  m.group = ip("224.0.0.81");
  m.port = 8848;
  m.ttl = 1;
  SyncDaemon b;
  b.role = SyncRole::backup;
  b.mcast_ifn = "eth1";
  b.syncid = 5;
  EXPECT_EQ(format_daemons({m, b}),
            "master sync daemon (mcast=eth0, syncid=0, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n"
            "backup sync daemon (mcast=eth1, syncid=5)\n");
  EXPECT_EQ(format_daemons({}), "");
}

TEST_F(Listing, Connections) {
  Connection c;
  c.client_addr = ip("10.0.0.100");
  c.client_port = 34567;
  c.virtual_addr = ip("127.0.0.1");
  c.virtual_port = 80;
  c.dest_addr = ip("10.0.0.2");
  c.dest_port = 80;
  c.state = "ESTABLISHED";
  c.expires_s = 895;
  Connection t;
  t.protocol = Protocol::fwmark;
  t.is_template = true;
  t.client_addr = ip("10.0.0.100");
  t.virtual_addr = ip("0.0.0.7");
  t.dest_addr = ip("10.0.0.2");
  t.state = "NONE";
  t.expires_s = 6000;
  Connection v6;
  v6.protocol = Protocol::udp;
  v6.client_addr = ip("2001:db8::100");
  v6.client_port = 5353;
  v6.virtual_addr = ip("2001:db8::1");
  v6.virtual_port = 53;
  v6.dest_addr = ip("2001:db8::2");
  v6.dest_port = 53;
  v6.state = "UDP";
  v6.expires_s = 59;
  const std::string head =
      "IPVS connection entries\n"
      "pro expire state       source             virtual            destination\n";
  EXPECT_EQ(format_connections({c, t, v6}, numeric(), names),
            head +
                "TCP 14:55  ESTABLISHED 10.0.0.100:34567   127.0.0.1:80       10.0.0.2:80\n"
                "IP  100:00 NONE        10.0.0.100:0       0.0.0.7:0          10.0.0.2:0\n"
                "UDP 00:59  UDP         [2001:db8::100]:5353 [2001:db8::1]:53   [2001:db8::2]:53\n");
  EXPECT_EQ(format_connections({c}, ListFormat{}, names),
            head + "TCP 14:55  ESTABLISHED 10.0.0.100:34567   localhost:http     10.0.0.2:http\n");
  ListFormat pc = numeric();
  pc.persistent_conn = true;
  EXPECT_EQ(format_connections({}, pc, names),
            "IPVS connection entries\n"
            "pro expire state       source             virtual            destination        pe name          "
            "pe_data\n");
}

TEST_F(Listing, FwmarkDestPortsAreNeverNamed) {
  auto s = fwmark(2, Family::v4, "rr");
  s.dests = {dest("127.0.0.1", 80, Forward::route, 1)};
  EXPECT_EQ(format_table(Info{}, {s}, ListFormat{}, names),
            kHead + "FWM  2 rr\n  -> localhost:80                 Route   1      0          0         \n");
}

TEST_F(Listing, OneServiceHasNoVersionLine) {
  auto s = service(Protocol::tcp, "10.0.0.1", 80, "rr");
  EXPECT_EQ(format_one_service(s, numeric(), names), kHead.substr(44) + "TCP  10.0.0.1:80 rr\n");
}

TEST_F(Listing, NosortKeepsTheBackendsOrder) {
  auto a = service(Protocol::tcp, "10.0.0.2", 80, "rr");
  auto b = service(Protocol::tcp, "10.0.0.1", 80, "rr");
  b.dests = {dest("10.0.0.9", 80, Forward::route, 1), dest("10.0.0.3", 80, Forward::route, 1)};
  ListFormat f = numeric();
  f.nosort = true;
  EXPECT_EQ(format_table(Info{}, {a, b}, f, names),
            kHead +
                "TCP  10.0.0.2:80 rr\n"
                "TCP  10.0.0.1:80 rr\n"
                "  -> 10.0.0.9:80                  Route   1      0          0         \n"
                "  -> 10.0.0.3:80                  Route   1      0          0         \n");
}

}  // namespace
}  // namespace halb::director::adm
