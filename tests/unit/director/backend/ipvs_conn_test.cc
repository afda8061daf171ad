// tests/unit/director/backend/ipvs_conn_test.cc: /proc/net/ip_vs_conn as
// Linux 6.1 prints it: hex IPv4 addresses in host order, full-form IPv6,
// hex ports, templates, and lines halb cannot express skipped.
#include "director/backend/ipvs_conn.h"

#include <gtest/gtest.h>

namespace halb::director::backend::ipvs {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

const char* kTable =
    "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
    "TCP C0A80664 D431 C0A806F0 0050 C0A80602 0050 ESTABLISHED     899\n"
    "UDP 0A000001 0035 0A000064 0035 0A000002 0035 UDP             299\n"
    "TCP C0A80664 0000 C0A806F0 0050 C0A80602 0050 NONE            359\n"
    "IP  C0A80664 0000 00000001 0000 C0A80603 0000 ASSURED         120\n"
    "TCP 2001:0db8:0000:0000:0000:0000:0000:0064 9C40 2001:0db8:0000:0000:0000:0000:0000:0001 01BB "
    "2001:0db8:0000:0000:0000:0000:0000:0002 01BB TIME_WAIT        61\n"
    "SCTP C0A80664 D431 C0A806F0 0050 C0A80602 0050 ESTABLISHED     899\n"
    "TCP nonsense\n"
    "\n";

TEST(IpvsConn, ParsesEveryKindOfLine) {
  size_t skipped = 0;
  auto conns = parse_conn_table(kTable, &skipped);
  EXPECT_EQ(skipped, 2u);
  ASSERT_EQ(conns.size(), 5u);

  const Connection& c = conns[0];
  EXPECT_EQ(c.protocol, Protocol::tcp);
  EXPECT_FALSE(c.is_template);
  EXPECT_EQ(c.client_addr, ip("192.168.6.100"));
  EXPECT_EQ(c.client_port, 0xD431);
  EXPECT_EQ(c.virtual_addr, ip("192.168.6.240"));
  EXPECT_EQ(c.virtual_port, 80);
  EXPECT_EQ(c.dest_addr, ip("192.168.6.2"));
  EXPECT_EQ(c.dest_port, 80);
  EXPECT_EQ(c.state, "ESTABLISHED");
  EXPECT_EQ(c.expires_s, 899u);

  EXPECT_EQ(conns[1].protocol, Protocol::udp);
  EXPECT_EQ(conns[1].state, "UDP");
  EXPECT_EQ(conns[1].virtual_port, 53);

  EXPECT_TRUE(conns[2].is_template);
  EXPECT_EQ(conns[2].state, "NONE");

  EXPECT_EQ(conns[3].protocol, Protocol::fwmark);
  EXPECT_TRUE(conns[3].is_template);
  EXPECT_EQ(conns[3].virtual_addr, ip("0.0.0.1"));  // a fwmark template keeps the mark there

  const Connection& v6 = conns[4];
  EXPECT_EQ(v6.client_addr, ip("2001:db8::64"));
  EXPECT_EQ(v6.client_port, 40000);
  EXPECT_EQ(v6.virtual_addr, ip("2001:db8::1"));
  EXPECT_EQ(v6.virtual_port, 443);
  EXPECT_EQ(v6.dest_addr, ip("2001:db8::2"));
  EXPECT_EQ(v6.state, "TIME_WAIT");
  EXPECT_EQ(v6.expires_s, 61u);
}

TEST(IpvsConn, EmptyAndHeaderOnlyGiveNothing) {
  EXPECT_TRUE(parse_conn_table("").empty());
  size_t skipped = 7;
  EXPECT_TRUE(parse_conn_table("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n",
                               &skipped)
                  .empty());
  EXPECT_EQ(skipped, 0u);
}

TEST(IpvsConn, BadFieldsAreSkippedNotGuessed) {
  size_t skipped = 0;
  auto conns = parse_conn_table(
      "TCP C0A8066 D431 C0A806F0 0050 C0A80602 0050 ESTABLISHED 899\n"      // 7 hex digits
      "TCP C0A80664 D43 C0A806F0 0050 C0A80602 0050 ESTABLISHED 899\n"      // 3-digit port
      "TCP C0A80664 D431 C0A806F0 0050 C0A80602 0050 ESTABLISHED 8x9\n"     // expires
      "TCP ::1 D431 C0A806F0 0050 C0A80602 0050 ESTABLISHED 1\n"            // mixed, still fine
      "TCP 1.2.3.4 D431 C0A806F0 0050 C0A80602 0050 ESTABLISHED 1\n",       // dotted is not the format
      &skipped);
  EXPECT_EQ(skipped, 4u);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].client_addr, ip("::1"));
}

}  // namespace
}  // namespace halb::director::backend::ipvs
