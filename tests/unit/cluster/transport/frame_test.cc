// Frames: round trips, every refusal, and fuzzed input that must never crash.
#include <gtest/gtest.h>

#include <random>

#include "cluster/transport/frame.h"
#include "cluster/transport/heartbeat.h"
#include "cluster/transport/messages.h"

using namespace halb::cluster::transport;

TEST(Frame, RoundTripWithAndWithoutChecksum) {
  for (bool sum : {false, true}) {
    std::string wire = encode_frame(300, 2, 3, 4, "payload", sum);
    ASSERT_EQ(wire.size(), kHeaderSize + 7);
    FrameDecoder d(sum);
    d.feed(wire);
    Frame f;
    ASSERT_EQ(d.next(f), FrameDecoder::Status::kFrame) << d.error();
    EXPECT_EQ(f.header.type, 300);
    EXPECT_EQ(f.header.type_version, 2);
    EXPECT_EQ(f.header.sender, 3);
    EXPECT_EQ(f.header.receiver, 4);
    EXPECT_EQ(f.payload, "payload");
    EXPECT_EQ(d.next(f), FrameDecoder::Status::kNeedMore);
  }
}

TEST(Frame, ByteByByteFeedYieldsTheSameFrames) {
  std::string wire = encode_frame(256, 1, 1, 2, "a", true) + encode_frame(257, 1, 1, 2, std::string(1000, 'x'), true);
  FrameDecoder d(true);
  Frame f;
  int frames = 0;
  for (char c : wire) {
    d.feed(std::string_view(&c, 1));
    while (d.next(f) == FrameDecoder::Status::kFrame) ++frames;
  }
  EXPECT_EQ(frames, 2);
  EXPECT_EQ(f.payload.size(), 1000u);
}

TEST(Frame, Crc32MatchesTheIeeeCheckValue) { EXPECT_EQ(crc32("123456789"), 0xCBF43926u); }

static std::string decode_error(std::string wire, bool require = false) {
  FrameDecoder d(require);
  d.feed(wire);
  Frame f;
  if (d.next(f) != FrameDecoder::Status::kError) return "";
  return d.error();
}

TEST(Frame, RefusesBadMagicVersionFlagsAndReserved) {
  std::string good = encode_frame(256, 1, 1, 2, "x", false);
  std::string w = good;
  w[0] = 'X';
  EXPECT_EQ(decode_error(w), "bad frame magic");
  w = good;
  w[4] = 9;
  EXPECT_EQ(decode_error(w), "unsupported frame version 9");
  w = good;
  w[5] = 0x40;
  EXPECT_EQ(decode_error(w), "unknown frame flags");
  w = good;
  w[15] = 1;
  EXPECT_EQ(decode_error(w), "reserved header field is not zero");
}

TEST(Frame, RefusesOversizedPayloadBeforeReadingIt) {
  std::string w = encode_frame(256, 1, 1, 2, "", false);
  w[16] = 0x7f;  // length ~2 GB
  EXPECT_NE(decode_error(w).find("exceeds"), std::string::npos);
}

TEST(Frame, ChecksumMismatchAndMissingChecksum) {
  std::string w = encode_frame(256, 1, 1, 2, "hello", true);
  w.back() ^= 1;
  EXPECT_EQ(decode_error(w, true), "frame checksum mismatch");
  EXPECT_EQ(decode_error(encode_frame(256, 1, 1, 2, "hello", false), true), "frame without checksum on a checksummed link");
}

TEST(Frame, FuzzedBytesNeverCrashAndStopAtTheFirstError) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string junk(rng() % 200, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    FrameDecoder d(round % 2 == 0);
    d.feed(junk);
    Frame f;
    for (int i = 0; i < 10; ++i) {
      auto st = d.next(f);
      if (st != FrameDecoder::Status::kFrame) break;
    }
    SUCCEED();
  }
}

TEST(Frame, FuzzedMutationsOfValidFramesAreCaughtByTheChecksum) {
  std::mt19937 rng(99);
  std::string good = encode_frame(400, 1, 5, 6, std::string(64, 'q'), true);
  int caught = 0;
  for (int round = 0; round < 1000; ++round) {
    std::string w = good;
    size_t at = rng() % w.size();
    char flip = static_cast<char>(1 + rng() % 255);
    w[at] ^= flip;
    FrameDecoder d(true);
    d.feed(w);
    Frame f;
    auto st = d.next(f);
    // A flipped length may just wait for more bytes; otherwise nothing altered gets through.
    if (st == FrameDecoder::Status::kError) ++caught;
    EXPECT_NE(st, FrameDecoder::Status::kFrame) << "mutation at " << at << " accepted";
  }
  EXPECT_GT(caught, 900);
}

TEST(MessageRegistry, ChecksTypeVersionAndSize) {
  MessageRegistry r;
  r.add({300, 3, 2, "LQHKEYREQ", 128});
  EXPECT_FALSE(r.check(300, 2, 100));
  EXPECT_FALSE(r.check(300, 3, 128));
  EXPECT_EQ(*r.check(300, 1, 10), "LQHKEYREQ version 1 not spoken (2..3)");
  EXPECT_EQ(*r.check(300, 3, 129), "LQHKEYREQ of 129 bytes exceeds its limit of 128");
  EXPECT_EQ(*r.check(301, 1, 0), "unknown message type 301");
  EXPECT_FALSE(r.check(kMsgHeartbeat, 1, 0));
  EXPECT_THROW(r.add({300, 1, 1, "DUP", 1}), std::invalid_argument);
  EXPECT_THROW(r.add({5, 1, 1, "LOW", 1}), std::invalid_argument);
}

TEST(HeartbeatMonitor, DeadAfterFourMissedInARow) {
  HeartbeatMonitor m;
  m.heard();
  EXPECT_EQ(m.tick(), 0);
  EXPECT_EQ(m.tick(), 1);
  EXPECT_EQ(m.tick(), 2);
  m.heard();
  EXPECT_EQ(m.tick(), 0);
  EXPECT_EQ(m.tick(), 1);
  EXPECT_EQ(m.tick(), 2);
  EXPECT_EQ(m.tick(), 3);
  EXPECT_FALSE(m.dead());
  EXPECT_EQ(m.tick(), 4);
  EXPECT_TRUE(m.dead());
}
