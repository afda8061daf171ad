// tests/unit/director/backend/ipvs_attrs_test.cc: the IPVS attribute
// layouts the kernel is picky about (port and netmask byte order, the
// flags/mask pair, 16-byte addresses, STATS vs STATS64, daemon fields), and
// that what halb writes reads back the same. No kernel needed: messages are
// built and read in memory with libnl.
#include "director/backend/ipvs_attrs.h"

#include <gtest/gtest.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <vector>

namespace halb::director::backend::ipvs {
namespace {

struct MsgFree {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using Msg = std::unique_ptr<nl_msg, MsgFree>;

Msg new_msg() { return Msg(nlmsg_alloc()); }

// The top-level attribute `type` of a message built without a genl header.
nlattr* top(nl_msg* m, int type) { return nlmsg_find_attr(nlmsg_hdr(m), 0, type); }

nlattr* inner(nlattr* nest, int type) { return nla_find(static_cast<nlattr*>(nla_data(nest)), nla_len(nest), type); }

std::vector<uint8_t> bytes(nlattr* a) {
  auto* p = static_cast<uint8_t*>(nla_data(a));
  return {p, p + nla_len(a)};
}

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

Service tcp_service(const char* addr, uint16_t port) {
  Service s;
  s.key.protocol = Protocol::tcp;
  s.key.family = ip(addr).family;
  s.key.addr = ip(addr);
  s.key.port = port;
  return s;
}

TEST(IpvsAttrs, ServiceKeyHasAf16ByteAddressAndBigEndianPort) {
  auto m = new_msg();
  ASSERT_TRUE(put_service_key(m.get(), tcp_service("10.1.2.3", 80).key));
  nlattr* svc = top(m.get(), IPVS_CMD_ATTR_SERVICE);
  ASSERT_NE(svc, nullptr);
  EXPECT_EQ(nla_get_u16(inner(svc, IPVS_SVC_ATTR_AF)), AF_INET);
  EXPECT_EQ(nla_get_u16(inner(svc, IPVS_SVC_ATTR_PROTOCOL)), IPPROTO_TCP);
  EXPECT_EQ(bytes(inner(svc, IPVS_SVC_ATTR_ADDR)),
            (std::vector<uint8_t>{10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(inner(svc, IPVS_SVC_ATTR_PORT)), (std::vector<uint8_t>{0x00, 0x50}));
  // The key alone carries none of the full service's fields.
  EXPECT_EQ(inner(svc, IPVS_SVC_ATTR_SCHED_NAME), nullptr);
  EXPECT_EQ(inner(svc, IPVS_SVC_ATTR_FLAGS), nullptr);
}

TEST(IpvsAttrs, FwmarkKeyHasMarkInsteadOfProtocolAddressPort) {
  ServiceKey key;
  key.protocol = Protocol::fwmark;
  key.family = Family::v6;
  key.fwmark = 7;
  auto m = new_msg();
  ASSERT_TRUE(put_service_key(m.get(), key));
  nlattr* svc = top(m.get(), IPVS_CMD_ATTR_SERVICE);
  EXPECT_EQ(nla_get_u16(inner(svc, IPVS_SVC_ATTR_AF)), AF_INET6);
  EXPECT_EQ(nla_get_u32(inner(svc, IPVS_SVC_ATTR_FWMARK)), 7u);
  EXPECT_EQ(inner(svc, IPVS_SVC_ATTR_PROTOCOL), nullptr);
  EXPECT_EQ(inner(svc, IPVS_SVC_ATTR_ADDR), nullptr);
  EXPECT_EQ(inner(svc, IPVS_SVC_ATTR_PORT), nullptr);
}

TEST(IpvsAttrs, FullServiceSendsFlagsWithFullMaskAndWithoutHashed) {
  Service s = tcp_service("192.168.6.240", 80);
  s.scheduler = "wrr";
  s.flags = kSvcPersistent | kSvcHashed | kSvcOnePacket;
  s.timeout = 300;
  auto m = new_msg();
  ASSERT_TRUE(put_service(m.get(), s));
  nlattr* svc = top(m.get(), IPVS_CMD_ATTR_SERVICE);
  EXPECT_STREQ(nla_get_string(inner(svc, IPVS_SVC_ATTR_SCHED_NAME)), "wrr");
  ip_vs_flags flags;
  ASSERT_EQ(nla_len(inner(svc, IPVS_SVC_ATTR_FLAGS)), static_cast<int>(sizeof flags));
  std::memcpy(&flags, nla_data(inner(svc, IPVS_SVC_ATTR_FLAGS)), sizeof flags);
  EXPECT_EQ(flags.flags, kSvcPersistent | kSvcOnePacket);
  EXPECT_EQ(flags.mask, 0xffffffffu);
  EXPECT_EQ(nla_get_u32(inner(svc, IPVS_SVC_ATTR_TIMEOUT)), 300u);
  EXPECT_EQ(inner(svc, IPVS_SVC_ATTR_PE_NAME), nullptr);
}

TEST(IpvsAttrs, Ipv4NetmaskTravelsAsNetworkOrderBytes) {
  Service s = tcp_service("10.0.0.1", 80);
  s.netmask = 0xffffff00;  // 255.255.255.0, host order in the model
  auto m = new_msg();
  ASSERT_TRUE(put_service(m.get(), s));
  EXPECT_EQ(bytes(inner(top(m.get(), IPVS_CMD_ATTR_SERVICE), IPVS_SVC_ATTR_NETMASK)),
            (std::vector<uint8_t>{0xff, 0xff, 0xff, 0x00}));
  EXPECT_EQ(netmask_from_wire(Family::v4, netmask_to_wire(Family::v4, 0xffff0000)), 0xffff0000u);
}

TEST(IpvsAttrs, Ipv6NetmaskIsThePrefixLengthAsANumber) {
  Service s = tcp_service("2001:db8::1", 443);
  s.netmask = 64;
  auto m = new_msg();
  ASSERT_TRUE(put_service(m.get(), s));
  nlattr* svc = top(m.get(), IPVS_CMD_ATTR_SERVICE);
  EXPECT_EQ(nla_get_u32(inner(svc, IPVS_SVC_ATTR_NETMASK)), 64u);
  EXPECT_EQ(nla_get_u16(inner(svc, IPVS_SVC_ATTR_AF)), AF_INET6);
  const IpAddress a = ip("2001:db8::1");
  EXPECT_EQ(bytes(inner(svc, IPVS_SVC_ATTR_ADDR)), std::vector<uint8_t>(a.bytes.begin(), a.bytes.end()));
  EXPECT_EQ(netmask_to_wire(Family::v6, 128), 128u);
}

template <class T, class V>
T get(const V& v) {
  if (!std::holds_alternative<T>(v)) {
    ADD_FAILURE() << "unexpected alternative " << v.index();
    return T{};
  }
  return std::get<T>(v);
}

TEST(IpvsAttrs, ServiceReadsBackAsWritten) {
  for (const char* addr : {"192.168.131.105", "2001:db8::5"}) {
    Service s = tcp_service(addr, 3306);
    s.key.protocol = Protocol::udp;
    s.scheduler = "sh";
    s.flags = kSvcPersistent | kSvcSched1 | kSvcSched2;
    s.timeout = 600;
    s.netmask = s.key.family == Family::v4 ? 0xffffff00 : 48;
    s.pe_name = "sip";
    auto m = new_msg();
    ASSERT_TRUE(put_service(m.get(), s));
    auto st = get<ServiceStatus>(parse_service(top(m.get(), IPVS_CMD_ATTR_SERVICE)));
    EXPECT_EQ(st.service.key, s.key) << addr;
    EXPECT_TRUE(same_attributes(st.service, s)) << addr;
    EXPECT_EQ(st.service.flags, s.flags) << addr;
    EXPECT_EQ(st.stats, Stats{});
  }
}

TEST(IpvsAttrs, FwmarkServiceReadsBackWithoutAddress) {
  Service s;
  s.key.protocol = Protocol::fwmark;
  s.key.fwmark = 42;
  auto m = new_msg();
  ASSERT_TRUE(put_service(m.get(), s));
  auto st = get<ServiceStatus>(parse_service(top(m.get(), IPVS_CMD_ATTR_SERVICE)));
  EXPECT_EQ(st.service.key, s.key);
  EXPECT_EQ(st.service.key.port, 0);
}

// A service nest as the kernel fills it (ip_vs_genl_fill_service), with the
// fields a test wants to vary.
Msg kernel_service(uint16_t af, uint16_t proto, std::vector<uint8_t> addr, uint32_t flags, bool with_stats,
                   bool with_stats64) {
  auto m = new_msg();
  nlattr* n = nla_nest_start(m.get(), IPVS_CMD_ATTR_SERVICE);
  nla_put_u16(m.get(), IPVS_SVC_ATTR_AF, af);
  nla_put_u16(m.get(), IPVS_SVC_ATTR_PROTOCOL, proto);
  nla_put(m.get(), IPVS_SVC_ATTR_ADDR, static_cast<int>(addr.size()), addr.data());
  nla_put_u16(m.get(), IPVS_SVC_ATTR_PORT, htons(8080));
  nla_put_string(m.get(), IPVS_SVC_ATTR_SCHED_NAME, "wlc");
  ip_vs_flags f{flags, ~0u};
  nla_put(m.get(), IPVS_SVC_ATTR_FLAGS, sizeof f, &f);
  nla_put_u32(m.get(), IPVS_SVC_ATTR_TIMEOUT, 0);
  nla_put_u32(m.get(), IPVS_SVC_ATTR_NETMASK, 0xffffffff);
  if (with_stats) {
    nlattr* s = nla_nest_start(m.get(), IPVS_SVC_ATTR_STATS);
    nla_put_u32(m.get(), IPVS_STATS_ATTR_CONNS, 3);
    nla_put_u32(m.get(), IPVS_STATS_ATTR_INPKTS, 30);
    nla_put_u32(m.get(), IPVS_STATS_ATTR_OUTPKTS, 20);
    nla_put_u64(m.get(), IPVS_STATS_ATTR_INBYTES, 5000000000ull);
    nla_put_u64(m.get(), IPVS_STATS_ATTR_OUTBYTES, 1234);
    nla_put_u32(m.get(), IPVS_STATS_ATTR_CPS, 1);
    nla_nest_end(m.get(), s);
  }
  if (with_stats64) {
    nlattr* s = nla_nest_start(m.get(), IPVS_SVC_ATTR_STATS64);
    nla_put_u64(m.get(), IPVS_STATS_ATTR_CONNS, 7000000000ull);
    nla_put_u64(m.get(), IPVS_STATS_ATTR_INPKTS, 8);
    nla_put_u64(m.get(), IPVS_STATS_ATTR_OUTBPS, 99);
    nla_nest_end(m.get(), s);
  }
  nla_nest_end(m.get(), n);
  return m;
}

const std::vector<uint8_t> kAddr16{10, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

TEST(IpvsAttrs, KernelServiceDropsHashedAndDecodesPort) {
  auto m = kernel_service(AF_INET, IPPROTO_TCP, kAddr16, kSvcHashed | kSvcPersistent, false, false);
  auto st = get<ServiceStatus>(parse_service(top(m.get(), IPVS_CMD_ATTR_SERVICE)));
  EXPECT_EQ(st.service.flags, kSvcPersistent);
  EXPECT_EQ(st.service.key.port, 8080);
  EXPECT_EQ(st.service.key.addr, ip("10.0.0.9"));
  EXPECT_EQ(st.service.scheduler, "wlc");
  EXPECT_EQ(st.service.netmask, 0xffffffffu);
}

TEST(IpvsAttrs, Stats64IsPreferredOverStats) {
  auto m = kernel_service(AF_INET, IPPROTO_TCP, kAddr16, 0, true, true);
  auto st = get<ServiceStatus>(parse_service(top(m.get(), IPVS_CMD_ATTR_SERVICE)));
  EXPECT_EQ(st.stats.conns, 7000000000ull);
  EXPECT_EQ(st.stats.inpkts, 8u);
  EXPECT_EQ(st.stats.outbps, 99u);
  EXPECT_EQ(st.stats.inbytes, 0u);
}

TEST(IpvsAttrs, OldStatsMixU32CountersAndU64Bytes) {
  auto m = kernel_service(AF_INET, IPPROTO_TCP, kAddr16, 0, true, false);
  auto st = get<ServiceStatus>(parse_service(top(m.get(), IPVS_CMD_ATTR_SERVICE)));
  Stats want;
  want.conns = 3;
  want.inpkts = 30;
  want.outpkts = 20;
  want.inbytes = 5000000000ull;
  want.outbytes = 1234;
  want.cps = 1;
  EXPECT_EQ(st.stats, want);
}

TEST(IpvsAttrs, SctpServiceIsUnsupportedNotMalformed) {
  auto m = kernel_service(AF_INET, IPPROTO_SCTP, kAddr16, 0, false, false);
  auto v = parse_service(top(m.get(), IPVS_CMD_ATTR_SERVICE));
  ASSERT_TRUE(std::holds_alternative<Unsupported>(v));
  EXPECT_EQ(std::get<Unsupported>(v).what, "SCTP service 10.0.0.9:8080");
}

TEST(IpvsAttrs, BadServicesAreMalformed) {
  // IPv6 with only 4 address bytes.
  auto short6 = kernel_service(AF_INET6, IPPROTO_TCP, {1, 2, 3, 4}, 0, false, false);
  EXPECT_TRUE(std::holds_alternative<Malformed>(parse_service(top(short6.get(), IPVS_CMD_ATTR_SERVICE))));
  // An unknown address family.
  auto fam = kernel_service(99, IPPROTO_TCP, kAddr16, 0, false, false);
  EXPECT_TRUE(std::holds_alternative<Malformed>(parse_service(top(fam.get(), IPVS_CMD_ATTR_SERVICE))));
  // No AF at all, and a port of the wrong size.
  auto m = new_msg();
  nlattr* n = nla_nest_start(m.get(), IPVS_CMD_ATTR_SERVICE);
  nla_put_u32(m.get(), IPVS_SVC_ATTR_FWMARK, 1);
  nla_nest_end(m.get(), n);
  EXPECT_TRUE(std::holds_alternative<Malformed>(parse_service(top(m.get(), IPVS_CMD_ATTR_SERVICE))));
  auto m2 = new_msg();
  n = nla_nest_start(m2.get(), IPVS_CMD_ATTR_SERVICE);
  nla_put_u16(m2.get(), IPVS_SVC_ATTR_AF, AF_INET);
  nla_put_u8(m2.get(), IPVS_SVC_ATTR_PORT, 1);
  nla_nest_end(m2.get(), n);
  EXPECT_TRUE(std::holds_alternative<Malformed>(parse_service(top(m2.get(), IPVS_CMD_ATTR_SERVICE))));
}

TEST(IpvsAttrs, FullDestCarriesMethodWeightThresholdsAndFamily) {
  Dest d;
  d.addr = ip("192.168.6.2");
  d.port = 3306;
  d.forward = Forward::masq;
  d.weight = 5;
  d.u_threshold = 100;
  d.l_threshold = 50;
  auto m = new_msg();
  ASSERT_TRUE(put_dest(m.get(), d, true));
  nlattr* n = top(m.get(), IPVS_CMD_ATTR_DEST);
  EXPECT_EQ(bytes(inner(n, IPVS_DEST_ATTR_PORT)), (std::vector<uint8_t>{0x0c, 0xea}));
  EXPECT_EQ(nla_len(inner(n, IPVS_DEST_ATTR_ADDR)), 16);
  EXPECT_EQ(nla_get_u16(inner(n, IPVS_DEST_ATTR_ADDR_FAMILY)), AF_INET);
  EXPECT_EQ(nla_get_u32(inner(n, IPVS_DEST_ATTR_FWD_METHOD)), IP_VS_CONN_F_MASQ);
  EXPECT_EQ(nla_get_u32(inner(n, IPVS_DEST_ATTR_WEIGHT)), 5u);
  EXPECT_EQ(nla_get_u32(inner(n, IPVS_DEST_ATTR_U_THRESH)), 100u);
  EXPECT_EQ(nla_get_u32(inner(n, IPVS_DEST_ATTR_L_THRESH)), 50u);
  auto st = get<DestStatus>(parse_dest(n, Family::v4));
  EXPECT_EQ(st.dest, d);

  auto del = new_msg();
  ASSERT_TRUE(put_dest(del.get(), d, false));
  nlattr* dn = top(del.get(), IPVS_CMD_ATTR_DEST);
  EXPECT_NE(inner(dn, IPVS_DEST_ATTR_ADDR), nullptr);
  EXPECT_EQ(inner(dn, IPVS_DEST_ATTR_FWD_METHOD), nullptr);
  EXPECT_EQ(inner(dn, IPVS_DEST_ATTR_WEIGHT), nullptr);
}

TEST(IpvsAttrs, KernelDestMasksMethodAndReadsCounters) {
  auto m = new_msg();
  nlattr* n = nla_nest_start(m.get(), IPVS_CMD_ATTR_DEST);
  auto a6 = ip("2001:db8::2");
  nla_put(m.get(), IPVS_DEST_ATTR_ADDR, 16, a6.bytes.data());
  nla_put_u16(m.get(), IPVS_DEST_ATTR_PORT, htons(80));
  nla_put_u32(m.get(), IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_TUNNEL | 0x100);
  nla_put_u32(m.get(), IPVS_DEST_ATTR_WEIGHT, 0);
  nla_put_u32(m.get(), IPVS_DEST_ATTR_ACTIVE_CONNS, 4);
  nla_put_u32(m.get(), IPVS_DEST_ATTR_INACT_CONNS, 5);
  nla_put_u32(m.get(), IPVS_DEST_ATTR_PERSIST_CONNS, 6);
  nlattr* s = nla_nest_start(m.get(), IPVS_DEST_ATTR_STATS64);
  nla_put_u64(m.get(), IPVS_STATS_ATTR_OUTBYTES, 1ull << 40);
  nla_nest_end(m.get(), s);
  nla_nest_end(m.get(), n);
  // No ADDR_FAMILY: the service's family decides.
  auto st = get<DestStatus>(parse_dest(top(m.get(), IPVS_CMD_ATTR_DEST), Family::v6));
  EXPECT_EQ(st.dest.addr, a6);
  EXPECT_EQ(st.dest.port, 80);
  EXPECT_EQ(st.dest.forward, Forward::tunnel);
  EXPECT_EQ(st.dest.weight, 0);
  EXPECT_EQ(st.active_conns, 4u);
  EXPECT_EQ(st.inact_conns, 5u);
  EXPECT_EQ(st.persist_conns, 6u);
  EXPECT_EQ(st.stats.outbytes, 1ull << 40);
}

TEST(IpvsAttrs, DaemonSendsOnlyWhatIsSetAndReadsBack) {
  SyncDaemon d;
  d.role = SyncRole::backup;
  d.mcast_ifn = "eth1";
  d.syncid = 9;
  auto m = new_msg();
  ASSERT_TRUE(put_daemon(m.get(), d));
  nlattr* n = top(m.get(), IPVS_CMD_ATTR_DAEMON);
  EXPECT_EQ(nla_get_u32(inner(n, IPVS_DAEMON_ATTR_STATE)), IP_VS_STATE_BACKUP);
  EXPECT_STREQ(nla_get_string(inner(n, IPVS_DAEMON_ATTR_MCAST_IFN)), "eth1");
  EXPECT_EQ(nla_get_u32(inner(n, IPVS_DAEMON_ATTR_SYNC_ID)), 9u);
  EXPECT_EQ(inner(n, IPVS_DAEMON_ATTR_SYNC_MAXLEN), nullptr);
  EXPECT_EQ(inner(n, IPVS_DAEMON_ATTR_MCAST_GROUP), nullptr);
  EXPECT_EQ(inner(n, IPVS_DAEMON_ATTR_MCAST_PORT), nullptr);
  EXPECT_EQ(inner(n, IPVS_DAEMON_ATTR_MCAST_TTL), nullptr);

  d.maxlen = 1472;
  d.group = ip("224.0.0.81");
  d.port = 8848;
  d.ttl = 2;
  auto full = new_msg();
  ASSERT_TRUE(put_daemon(full.get(), d));
  n = top(full.get(), IPVS_CMD_ATTR_DAEMON);
  EXPECT_EQ(bytes(inner(n, IPVS_DAEMON_ATTR_MCAST_GROUP)), (std::vector<uint8_t>{224, 0, 0, 81}));
  // The sync port is a host-order number, unlike service ports.
  EXPECT_EQ(nla_get_u16(inner(n, IPVS_DAEMON_ATTR_MCAST_PORT)), 8848);
  auto back = get<SyncDaemon>(parse_daemon(n));
  EXPECT_EQ(back.role, SyncRole::backup);
  EXPECT_EQ(back.mcast_ifn, "eth1");
  EXPECT_EQ(back.syncid, 9u);
  EXPECT_EQ(back.maxlen, 1472);
  EXPECT_EQ(back.group, ip("224.0.0.81"));
  EXPECT_EQ(back.port, 8848);
  EXPECT_EQ(back.ttl, 2);

  d.group = ip("ff02::81");
  auto v6 = new_msg();
  ASSERT_TRUE(put_daemon(v6.get(), d));
  EXPECT_EQ(get<SyncDaemon>(parse_daemon(top(v6.get(), IPVS_CMD_ATTR_DAEMON))).group, ip("ff02::81"));

  auto role = new_msg();
  ASSERT_TRUE(put_daemon_role(role.get(), SyncRole::master));
  n = top(role.get(), IPVS_CMD_ATTR_DAEMON);
  EXPECT_EQ(nla_get_u32(inner(n, IPVS_DAEMON_ATTR_STATE)), IP_VS_STATE_MASTER);
  EXPECT_EQ(inner(n, IPVS_DAEMON_ATTR_MCAST_IFN), nullptr);
  // STATE alone is not a daemon the kernel would report.
  EXPECT_TRUE(std::holds_alternative<Malformed>(parse_daemon(n)));
}

TEST(IpvsAttrs, TimeoutsAreThreeTopLevelU32s) {
  auto m = new_msg();
  ASSERT_TRUE(put_timeouts(m.get(), Timeouts{900, 0, 300}));
  EXPECT_EQ(nla_get_u32(top(m.get(), IPVS_CMD_ATTR_TIMEOUT_TCP)), 900u);
  EXPECT_EQ(nla_get_u32(top(m.get(), IPVS_CMD_ATTR_TIMEOUT_TCP_FIN)), 0u);
  EXPECT_EQ(nla_get_u32(top(m.get(), IPVS_CMD_ATTR_TIMEOUT_UDP)), 300u);
}

}  // namespace
}  // namespace halb::director::backend::ipvs
