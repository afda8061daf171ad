// tests/unit/director/lvsd/sync/message_test.cc: the IPVS sync datagram
// against byte layouts written out from the kernel's ip_vs_sync.c structs
// (struct ip_vs_sync_mesg, ip_vs_sync_v4, ip_vs_sync_v6), the receive
// checks of ip_vs_process_message, and random input.
#include "director/lvsd/sync/message.h"

#include <gtest/gtest.h>

#include <random>

namespace halb::director::lvsd::sync {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

Entry v4_template() {
  Entry e;
  e.protocol = kProtoTcp;
  e.flags = kConnTemplate | 3;  // DROUTE
  e.state = kTplNone;
  e.cport = 0;
  e.vport = 80;
  e.dport = 80;
  e.timeout = 300;
  e.caddr = ip("192.168.131.50");
  e.vaddr = ip("192.168.131.105");
  e.daddr = ip("192.168.131.77");
  return e;
}

// struct ip_vs_sync_mesg {u8 reserved; u8 syncid; be16 size; u8 nr_conns; s8 version; u16 spare}
// + struct ip_vs_sync_v4 {u8 type; u8 protocol; be16 ver_size; be32 flags; be16 state;
//   be16 cport, vport, dport; be32 fwmark; be32 timeout; be32 caddr, vaddr, daddr}
const std::vector<uint8_t> kTemplateDatagram = {
    0x00, 0x05, 0x00, 0x2c, 0x01, 0x01, 0x00, 0x00,  // header: syncid 5, size 44, 1 conn, version 1
    0x00, 0x06, 0x00, 0x24,                          // type v4, TCP, entry version 0 / size 36
    0x00, 0x00, 0x10, 0x03,                          // flags TEMPLATE | DROUTE
    0x00, 0x00, 0x00, 0x00,                          // state NONE, cport 0
    0x00, 0x50, 0x00, 0x50,                          // vport 80, dport 80
    0x00, 0x00, 0x00, 0x00,                          // fwmark
    0x00, 0x00, 0x01, 0x2c,                          // timeout 300 s
    192,  168,  131,  50,                            // caddr
    192,  168,  131,  105,                           // vaddr
    192,  168,  131,  77,                            // daddr
};

TEST(SyncMessage, EncodesATemplateAsTheKernelLaysItOut) {
  auto out = encode({v4_template()}, 5, 1472);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], kTemplateDatagram);
}

TEST(SyncMessage, DecodesTheKernelLayoutAndMarksEntriesSynced) {
  Decoded d = decode(kTemplateDatagram.data(), kTemplateDatagram.size(), 0);
  ASSERT_EQ(d.refusal, Refusal::none);
  EXPECT_EQ(d.syncid, 5);
  ASSERT_EQ(d.entries.size(), 1u);
  Entry want = v4_template();
  want.flags |= kConnSync;
  EXPECT_EQ(d.entries[0], want);
}

TEST(SyncMessage, Ipv6EntryIs72BytesWithAddressesInOrder) {
  Entry e;
  e.family = Family::v6;
  e.protocol = kProtoTcp;
  e.flags = kConnInactive;  // MASQ, not established
  e.state = kTcpFinWait;
  e.cport = 40000;
  e.vport = 443;
  e.dport = 8443;
  e.timeout = 120;
  e.caddr = ip("2001:db8::50");
  e.vaddr = ip("2001:db8::105");
  e.daddr = ip("2001:db8:1::77");
  auto out = encode({e}, 0, 1472);
  ASSERT_EQ(out.size(), 1u);
  const auto& b = out[0];
  ASSERT_EQ(b.size(), 8u + 72u);
  EXPECT_EQ(b[3], 80);
  EXPECT_EQ(b[8], 0x01);  // STYPE_F_INET6
  EXPECT_EQ(b[10] << 8 | b[11], 72);
  EXPECT_EQ((b[12] << 24 | b[13] << 16 | b[14] << 8 | b[15]), 0x100);
  EXPECT_EQ(b[16] << 8 | b[17], kTcpFinWait);
  EXPECT_EQ(b[18] << 8 | b[19], 40000);
  EXPECT_EQ(b[20] << 8 | b[21], 443);
  EXPECT_EQ(b[22] << 8 | b[23], 8443);
  EXPECT_EQ(b[31], 120);
  EXPECT_EQ(0, memcmp(&b[32], e.caddr.bytes.data(), 16));
  EXPECT_EQ(0, memcmp(&b[48], e.vaddr.bytes.data(), 16));
  EXPECT_EQ(0, memcmp(&b[64], e.daddr.bytes.data(), 16));
  Decoded d = decode(b.data(), b.size(), 0);
  ASSERT_EQ(d.entries.size(), 1u);
  e.flags |= kConnSync;
  EXPECT_EQ(d.entries[0], e);
}

TEST(SyncMessage, SplitsAtMaxlenAndNeverExceedsIt) {
  std::vector<Entry> many(100, v4_template());
  for (size_t i = 0; i < many.size(); ++i) many[i].cport = static_cast<uint16_t>(i);
  auto out = encode(many, 1, 1472);
  // (1472 - 8) / 36 = 40 entries per datagram: 40 + 40 + 20.
  ASSERT_EQ(out.size(), 3u);
  size_t total = 0;
  for (const auto& dg : out) {
    EXPECT_LE(dg.size(), 1472u);
    Decoded d = decode(dg.data(), dg.size(), 1);
    EXPECT_EQ(d.refusal, Refusal::none);
    total += d.entries.size();
  }
  EXPECT_EQ(total, 100u);
  EXPECT_EQ(out[0][4], 40);
  // An entry larger than maxlen alone is skipped and counted.
  size_t oversized = 0;
  EXPECT_TRUE(encode({v4_template()}, 0, 40, &oversized).empty());
  EXPECT_EQ(oversized, 1u);
}

TEST(SyncMessage, OptionsArePaddedToFourBytesAndRoundTrip) {
  Entry a = v4_template();
  a.flags = 0x0400;  // IN_SEQ
  a.seq_data.assign(kSeqDataSize, 0xab);
  Entry b = v4_template();
  auto out = encode({a, b}, 0, 1472);
  ASSERT_EQ(out.size(), 1u);
  // 8 + (36 + 26) + 2 padding + 36.
  EXPECT_EQ(out[0].size(), 108u);
  EXPECT_EQ(out[0][8 + 3], 62);  // the entry's size excludes the padding
  Decoded d = decode(out[0].data(), out[0].size(), 0);
  ASSERT_EQ(d.entries.size(), 2u);
  EXPECT_EQ(d.entries[0].seq_data, a.seq_data);
  EXPECT_EQ(d.entries[1].daddr, b.daddr);
}

// Found by tests/fuzz/fuzz_inputs: an entry carrying a persistence-engine
// name but no data kept the name, which encode() drops (the kernel ignores
// a name without data), so the entry did not survive decode -> encode.
TEST(SyncMessage, AnEngineNameWithoutDataIsIgnored) {
  std::vector<uint8_t> d = kTemplateDatagram;
  d.insert(d.end(), {kOptPeName, 3, 's', 'i', 'p', 0x00});  // the name option, padded to 4
  d[3] = static_cast<uint8_t>(d.size());                    // datagram size
  d[8 + 3] = 36 + 5;                                        // the entry's size, padding excluded
  Decoded got = decode(d.data(), d.size(), 0);
  ASSERT_EQ(got.refusal, Refusal::none);
  ASSERT_EQ(got.entries.size(), 1u);
  EXPECT_EQ(got.entries[0].pe_name, "");
  auto again = encode(got.entries, 5, 1472);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(decode(again[0].data(), again[0].size(), 0).entries, got.entries);
}

TEST(SyncMessage, BackupRefusesWhatTheKernelRefuses) {
  auto dg = kTemplateDatagram;
  EXPECT_EQ(decode(dg.data(), 3, 0).refusal, Refusal::short_header);
  EXPECT_EQ(decode(dg.data(), dg.size() - 1, 0).refusal, Refusal::bad_size);
  // Another syncid, unless ours is 0.
  EXPECT_EQ(decode(dg.data(), dg.size(), 6).refusal, Refusal::syncid);
  EXPECT_EQ(decode(dg.data(), dg.size(), 5).refusal, Refusal::none);
  auto v0 = dg;
  v0[5] = 0;  // version 0
  EXPECT_EQ(decode(v0.data(), v0.size(), 0).refusal, Refusal::version);
  auto spare = dg;
  spare[7] = 1;
  EXPECT_EQ(decode(spare.data(), spare.size(), 0).refusal, Refusal::version);
  auto entry_ver = dg;
  entry_ver[10] = 0x10;  // entry version 1
  EXPECT_EQ(decode(entry_ver.data(), entry_ver.size(), 0).refusal, Refusal::bad_entry);
  auto too_many = dg;
  too_many[4] = 2;  // claims two entries, holds one
  Decoded d = decode(too_many.data(), too_many.size(), 0);
  EXPECT_EQ(d.refusal, Refusal::truncated);
  EXPECT_EQ(d.entries.size(), 1u);  // the first was good
  auto big_entry = dg;
  big_entry[11] = 40;  // entry size past the datagram
  EXPECT_EQ(decode(big_entry.data(), big_entry.size(), 0).refusal, Refusal::truncated);
  auto bad_type = dg;
  bad_type[8] = 0x02;
  EXPECT_EQ(decode(bad_type.data(), bad_type.size(), 0).refusal, Refusal::bad_entry);
}

TEST(SyncMessage, UnknownProtocolOrStateSkipsOnlyThatEntry) {
  Entry sctp = v4_template();
  sctp.flags = 0;
  sctp.protocol = kProtoSctp;
  Entry bad_state = v4_template();
  bad_state.flags = 0;
  bad_state.state = 42;
  Entry good = v4_template();
  auto out = encode({sctp, bad_state, good}, 0, 1472);
  Decoded d = decode(out[0].data(), out[0].size(), 0);
  EXPECT_EQ(d.refusal, Refusal::none);
  EXPECT_EQ(d.skipped, 2u);
  ASSERT_EQ(d.entries.size(), 1u);
}

TEST(SyncMessage, FlagsAreMaskedAsTheBackupMaskSays) {
  auto dg = kTemplateDatagram;
  dg[12] = 0xff;  // bits 24..31: never valid
  dg[14] = 0x3f;  // ONE_PACKET | TEMPLATE | NO_CPORT | SEQ
  dg[15] = 0xff;
  Decoded d = decode(dg.data(), dg.size(), 0);
  ASSERT_EQ(d.entries.size(), 1u);
  EXPECT_EQ(d.entries[0].flags, (0x3fffu & kConnBackupMask) | kConnSync);
}

TEST(SyncMessage, StateNamesAsIpvsadmPrintsThem) {
  EXPECT_EQ(state_name(kProtoTcp, kTcpEstablished, false), "ESTABLISHED");
  EXPECT_EQ(state_name(kProtoTcp, kTcpClose, false), "CLOSE");
  EXPECT_EQ(state_name(kProtoUdp, 0, false), "UDP");
  EXPECT_EQ(state_name(kProtoTcp, kTplAssured, true), "ASSURED");
  EXPECT_EQ(state_name(kProtoIp, kTplNone, true), "NONE");
}

// Random and mutated datagrams: decode must stay inside the buffer and
// never accept an entry that does not re-encode to a valid datagram.
TEST(SyncMessage, RandomAndMutatedInputNeverCrashes) {
  std::mt19937 rng(4242);
  std::vector<Entry> seeds(5, v4_template());
  seeds[1].family = Family::v6;
  seeds[1].caddr = ip("2001:db8::1");
  seeds[1].vaddr = ip("2001:db8::2");
  seeds[1].daddr = ip("2001:db8::3");
  seeds[2].seq_data.assign(kSeqDataSize, 7);
  const auto base = encode(seeds, 0, 1472)[0];
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> buf;
    if (i % 2) {
      buf.resize(rng() % 400);
      for (auto& b : buf) b = static_cast<uint8_t>(rng());
      if (buf.size() >= 8 && i % 4 == 1) {  // a plausible header over random entries
        buf[0] = 0, buf[5] = 1, buf[6] = buf[7] = 0;
        buf[2] = static_cast<uint8_t>(buf.size() >> 8);
        buf[3] = static_cast<uint8_t>(buf.size());
      }
    } else {
      buf = base;
      for (int m = 0; m < 1 + static_cast<int>(rng() % 4); ++m) buf[rng() % buf.size()] = static_cast<uint8_t>(rng());
      if (rng() % 3 == 0) buf.resize(rng() % buf.size());
    }
    // A copy exactly the datagram's size, so reading past it is caught by ASan/valgrind.
    std::unique_ptr<uint8_t[]> exact(new uint8_t[buf.size() ? buf.size() : 1]);
    std::copy(buf.begin(), buf.end(), exact.get());
    Decoded d = decode(exact.get(), buf.size(), 0);
    accepted += d.entries.size();
    for (const auto& e : d.entries) {
      auto again = encode({e}, 0, 65507);
      ASSERT_EQ(again.size(), 1u);
      Decoded back = decode(again[0].data(), again[0].size(), 0);
      ASSERT_EQ(back.entries.size(), 1u);
    }
  }
  EXPECT_GT(accepted, 0u);
}

}  // namespace
}  // namespace halb::director::lvsd::sync
