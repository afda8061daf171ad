// Length-encoded integers and strings, fixed integers, and packet framing
// (sequence ids, the 16 MB split and join, max_allowed_packet).
#include <gtest/gtest.h>

#include <string>

#include "cluster/sqld/protocol/packet_channel.h"
#include "cluster/sqld/protocol/wire.h"
#include "tests/unit/cluster/sqld/protocol/memory_stream.h"

using namespace halb::cluster::sqld::protocol;

TEST(Wire, LenencBoundaries) {
  for (uint64_t v : {0ull, 250ull, 251ull, 0xFFFFull, 0x10000ull, 0xFFFFFFull, 0x1000000ull, ~0ull}) {
    std::string out;
    put_lenenc(out, v);
    EXPECT_EQ(out.size(), lenenc_size(v)) << v;
    Reader r(out);
    auto got = r.lenenc();
    ASSERT_TRUE(got.has_value()) << v;
    EXPECT_EQ(*got, v);
    EXPECT_TRUE(r.at_end());
  }
  std::string out;
  put_lenenc(out, 251);
  EXPECT_EQ(out, std::string("\xfc\xfb\x00", 3));
}

TEST(Wire, NullMarkerAndErrByteAreNotLengths) {
  Reader null_marker(std::string_view("\xfb", 1));
  EXPECT_FALSE(null_marker.lenenc().has_value());
  EXPECT_FALSE(null_marker.failed());
  Reader err(std::string_view("\xff", 1));
  EXPECT_FALSE(err.lenenc().has_value());
  EXPECT_TRUE(err.failed());
}

TEST(Wire, ReadsPastTheEndFailOnce) {
  Reader r(std::string_view("\x01\x02", 2));
  EXPECT_EQ(r.u16(), 0x0201);
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.lenenc_string(), "");
  Reader s(std::string_view("\x05" "abc", 4));
  EXPECT_EQ(s.lenenc_string(), "");
  EXPECT_TRUE(s.failed());
  Reader t(std::string_view("user\0rest", 9));
  EXPECT_EQ(t.nul_string(), "user");
  EXPECT_EQ(t.nul_string(), "");
  EXPECT_TRUE(t.failed());
  Reader u(std::string_view("db", 2));
  EXPECT_EQ(u.nul_string(true), "db");
  EXPECT_FALSE(u.failed());
}

TEST(Framing, SequenceIdsCountBothWays) {
  MemoryStream s;
  s.input = std::string("\x01\x00\x00\x00\x0e", 5);
  PacketChannel ch(&s);
  std::string payload;
  ASSERT_EQ(ch.read_packet(payload, 1 << 20, 0), ReadResult::kOk);
  EXPECT_EQ(payload, "\x0e");
  ch.write_packet("ok");
  ch.write_packet("again");
  ASSERT_TRUE(ch.flush());
  EXPECT_EQ(s.output, std::string("\x02\x00\x00\x01ok\x05\x00\x00\x02" "again", 15));
}

TEST(Framing, OutOfOrderPacketIsReported) {
  MemoryStream s;
  s.input = std::string("\x01\x00\x00\x05\x0e", 5);
  PacketChannel ch(&s);
  std::string payload;
  EXPECT_EQ(ch.read_packet(payload, 1 << 20, 0), ReadResult::kBadSequence);
}

TEST(Framing, LargePayloadsSplitAndJoin) {
  for (size_t size : {kMaxChunk - 1, kMaxChunk, kMaxChunk + 10, 2 * kMaxChunk}) {
    std::string big(size, 'x');
    big[0] = 'a';
    big[size - 1] = 'z';
    MemoryStream s;
    PacketChannel out(&s);
    out.write_packet(big);
    ASSERT_TRUE(out.flush());
    size_t chunks = size / kMaxChunk + 1;
    EXPECT_EQ(s.output.size(), size + 4 * chunks) << size;
    // The writer's bytes read back as one payload.
    MemoryStream back;
    back.input = s.output;
    back.slice = 1 << 20;
    PacketChannel in(&back);
    std::string got;
    ASSERT_EQ(in.read_packet(got, 64u << 20, 0), ReadResult::kOk) << size;
    EXPECT_EQ(got.size(), size);
    EXPECT_EQ(got, big);
    EXPECT_EQ(in.sequence(), static_cast<uint8_t>(chunks));
  }
}

TEST(Framing, MaxAllowedPacketIsEnforcedAfterJoining) {
  MemoryStream s;
  PacketChannel out(&s);
  out.write_packet(std::string(1000, 'q'));
  out.write_packet("\x0e");
  ASSERT_TRUE(out.flush());
  MemoryStream back;
  back.input = s.output;
  PacketChannel in(&back);
  std::string got;
  EXPECT_EQ(in.read_packet(got, 999, 0), ReadResult::kTooLarge);
  // The oversized packet was consumed whole: the stream stays in step.
  EXPECT_EQ(in.read_packet(got, 999, 0), ReadResult::kOk);
  EXPECT_EQ(got, "\x0e");
}

TEST(Framing, TruncatedInputIsClosedNotACrash) {
  MemoryStream s;
  s.input = std::string("\x10\x00\x00\x00" "short", 9);
  PacketChannel ch(&s);
  std::string got;
  EXPECT_EQ(ch.read_packet(got, 1 << 20, 0), ReadResult::kClosed);
}
