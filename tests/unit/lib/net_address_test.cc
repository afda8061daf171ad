// Unit tests for lib/net/address (parsing, prefixes, broadcast, MACs) and
// the pure frame builder of lib/net/garp, checked byte by byte against the
// frames heartbeat's send_arp put on the wire.
#include "lib/net/address.h"

#include <gtest/gtest.h>

#include "lib/net/garp.h"

using namespace halb::net;

TEST(NetAddress, ParsesAndFormatsIPv4) {
  auto a = Address::parse("192.168.131.105");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->size(), 4u);
  EXPECT_EQ(a->bits(), 32);
  EXPECT_EQ(a->v4_host_order(), 0xc0a88369u);
  EXPECT_EQ(a->str(), "192.168.131.105");
  EXPECT_EQ(Address::v4(0xc0a88369u), *a);
}

TEST(NetAddress, ParsesAndFormatsIPv6) {
  auto a = Address::parse("2001:DB8:0:0::1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->is_v4());
  EXPECT_EQ(a->bits(), 128);
  EXPECT_EQ(a->str(), "2001:db8::1");
  EXPECT_EQ(a->v4_host_order(), 0u);
}

TEST(NetAddress, RejectsGarbage) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "eth0", "1.2.3.4/24",
                          "::g", "1:2:3:4:5:6:7:8:9"})
    EXPECT_FALSE(Address::parse(bad)) << bad;
}

TEST(NetAddress, FamiliesCompareApart) {
  // Same leading bytes, different families: never equal.
  auto v4 = Address::parse("0.0.0.0");
  auto v6 = Address::parse("::");
  EXPECT_NE(*v4, *v6);
}

TEST(NetPrefix, ParsesWithAndWithoutLength) {
  auto p = Prefix::parse("192.168.131.105/24");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->len, 24);
  EXPECT_EQ(p->addr.str(), "192.168.131.105");  // host bits kept, as on an interface
  EXPECT_EQ(p->str(), "192.168.131.105/24");
  EXPECT_EQ(p->network().str(), "192.168.131.0");
  EXPECT_EQ(Prefix::parse("10.0.0.1")->len, 32);
  EXPECT_EQ(Prefix::parse("2001:db8::5")->len, 128);
  EXPECT_EQ(Prefix::parse("2001:db8::5/64")->network().str(), "2001:db8::");
  for (const char* bad : {"10.0.0.1/", "10.0.0.1/33", "10.0.0.1/-1", "10.0.0.1/2x", "2001:db8::/129", "/24", "x/8"})
    EXPECT_FALSE(Prefix::parse(bad)) << bad;
}

TEST(NetPrefix, NetworkOfOddLengths) {
  EXPECT_EQ(Prefix::parse("10.1.2.255/23")->network().str(), "10.1.2.0");
  EXPECT_EQ(Prefix::parse("10.1.3.255/23")->network().str(), "10.1.2.0");
  EXPECT_EQ(Prefix::parse("10.1.3.255/0")->network().str(), "0.0.0.0");
  EXPECT_EQ(Prefix::parse("10.1.3.255/32")->network().str(), "10.1.3.255");
  EXPECT_EQ(Prefix::parse("2001:db8:ffff::1/36")->network().str(), "2001:db8:f000::");
}

TEST(NetPrefix, Contains) {
  auto p = *Prefix::parse("192.168.131.0/24");
  EXPECT_TRUE(p.contains(*Address::parse("192.168.131.105")));
  EXPECT_FALSE(p.contains(*Address::parse("192.168.132.105")));
  EXPECT_FALSE(p.contains(*Address::parse("::ffff:192.168.131.105")));
  EXPECT_TRUE(Prefix::parse("0.0.0.0/0")->contains(*Address::parse("8.8.8.8")));
  EXPECT_TRUE(Prefix::parse("2001:db8::/32")->contains(*Address::parse("2001:db8:1::1")));
}

TEST(NetPrefix, LengthFromDecimalOrNetmask) {
  EXPECT_EQ(parse_prefix_len("24", Family::v4), 24);
  EXPECT_EQ(parse_prefix_len("0", Family::v4), 0);
  EXPECT_EQ(parse_prefix_len("255.255.255.0", Family::v4), 24);
  EXPECT_EQ(parse_prefix_len("255.255.254.0", Family::v4), 23);
  EXPECT_EQ(parse_prefix_len("255.255.255.255", Family::v4), 32);
  EXPECT_EQ(parse_prefix_len("0.0.0.0", Family::v4), 0);
  EXPECT_EQ(parse_prefix_len("64", Family::v6), 64);
  EXPECT_EQ(parse_prefix_len("128", Family::v6), 128);
  EXPECT_FALSE(parse_prefix_len("33", Family::v4));
  EXPECT_FALSE(parse_prefix_len("129", Family::v6));
  EXPECT_FALSE(parse_prefix_len("255.0.255.0", Family::v4));  // not contiguous
  EXPECT_FALSE(parse_prefix_len("255.255.255.0", Family::v6));
  EXPECT_FALSE(parse_prefix_len("", Family::v4));
  EXPECT_FALSE(parse_prefix_len("2 4", Family::v4));
  EXPECT_FALSE(parse_prefix_len("0024", Family::v4));
}

TEST(NetBroadcast, DirectedBroadcastOfIPv4) {
  EXPECT_EQ(broadcast(*Prefix::parse("192.168.131.105/24"))->str(), "192.168.131.255");
  EXPECT_EQ(broadcast(*Prefix::parse("10.1.2.3/8"))->str(), "10.255.255.255");
  EXPECT_EQ(broadcast(*Prefix::parse("10.1.2.3/23"))->str(), "10.1.3.255");
  EXPECT_EQ(broadcast(*Prefix::parse("10.1.2.3/30"))->str(), "10.1.2.3");
  EXPECT_EQ(broadcast(*Prefix::parse("10.1.2.3/0"))->str(), "255.255.255.255");
  // /31 and /32 have no broadcast (RFC 3021); IPv6 has none at all.
  EXPECT_FALSE(broadcast(*Prefix::parse("10.1.2.3/31")));
  EXPECT_FALSE(broadcast(*Prefix::parse("10.1.2.3/32")));
  EXPECT_FALSE(broadcast(*Prefix::parse("2001:db8::1/64")));
}

TEST(NetAddress, LooksLikeIPv4) {
  EXPECT_TRUE(looks_like_ipv4("192.168.131.255"));
  EXPECT_TRUE(looks_like_ipv4("1.2.3.4"));
  EXPECT_TRUE(looks_like_ipv4("999.2.3.4"));  // shape only; parse() decides range
  for (const char* no : {"", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4.5", "1234.1.1.1", "eth0", "1.2.3.a",
                         "::1", "1.2.3.4/24"})
    EXPECT_FALSE(looks_like_ipv4(no)) << no;
}

TEST(NetMac, FormatAndParse) {
  Mac m{0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f};
  EXPECT_EQ(format_mac(m), "52:54:00:ab:cd:0f");
  EXPECT_EQ(parse_mac("52:54:00:AB:cd:0f"), m);
  EXPECT_EQ(format_mac(kBroadcastMac), "ff:ff:ff:ff:ff:ff");
  for (const char* bad : {"", "52:54:00:ab:cd", "52:54:00:ab:cd:0f:", "52-54-00-ab-cd-0f", "52:54:00:ab:cd:0g",
                          "52:54:00:ab:cd:+f"})
    EXPECT_FALSE(parse_mac(bad)) << bad;
}

TEST(NetResult, CarriesValueOrMessage) {
  Result<int> good = 3;
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  Result<int> bad = Error{"eth9: No such device"};
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), "eth9: No such device");
  Status st = Ok{};
  EXPECT_TRUE(st);
}

// ---- gratuitous ARP frames ----------------------------------------------

namespace {
const Mac kOwn{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};
const Address kVip = *Address::parse("192.168.131.105");
}  // namespace

TEST(GarpFrame, RequestByteByByte) {
  GarpFrame f = build_garp_frame(ArpOp::request, kOwn, kVip);
  const GarpFrame expect{
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // Ethernet destination: broadcast
      0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,  // Ethernet source: own MAC
      0x08, 0x06,                          // ethertype ARP
      0x00, 0x01,                          // hardware type Ethernet
      0x08, 0x00,                          // protocol IPv4
      0x06, 0x04,                          // address sizes
      0x00, 0x01,                          // opcode: request
      0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,  // sender MAC
      0xc0, 0xa8, 0x83, 0x69,              // sender IP = VIP
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC: unknown
      0xc0, 0xa8, 0x83, 0x69,              // target IP = VIP
  };
  for (size_t i = 0; i < expect.size(); ++i) EXPECT_EQ(f[i], expect[i]) << "byte " << i;
}

TEST(GarpFrame, ReplyByteByByte) {
  GarpFrame f = build_garp_frame(ArpOp::reply, kOwn, kVip);
  const GarpFrame expect{
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // still broadcast: every neighbour must see it
      0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,  //
      0x08, 0x06,                          //
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04,  //
      0x00, 0x02,                          // opcode: reply
      0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,  // sender MAC
      0xc0, 0xa8, 0x83, 0x69,              // sender IP = VIP
      0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,  // target MAC = own (send_arp's reply)
      0xc0, 0xa8, 0x83, 0x69,              // target IP = VIP
  };
  for (size_t i = 0; i < expect.size(); ++i) EXPECT_EQ(f[i], expect[i]) << "byte " << i;
}

TEST(GarpFrame, SizeIsEthernetPlusArp) { EXPECT_EQ(kGarpFrameSize, 14u + 28u); }
