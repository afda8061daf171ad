// heartbeat's message formats and digests. Expected digests were computed
// outside halb: `printf 't=status\nsrc=ndb1\n' | openssl dgst -md5|-sha1|-sha256
// -hmac 514a49f83820e34c877ff48770e48ea7`, and the CRC with a bitwise Python
// transcription of heartbeat's definition (its value for "123456789" is the
// CRC-32/POSIX check value 765e7680 of the published CRC catalogue).
#include <gtest/gtest.h>

#include <random>

#include "heartbeat/wire/auth.h"
#include "heartbeat/wire/codec.h"

using namespace halb::heartbeat;
using namespace halb::heartbeat::wire;

namespace {
const std::string kSecret = "514a49f83820e34c877ff48770e48ea7";
const std::string kText = "t=status\nsrc=ndb1\n";

AuthKeys keys(int active = 3) {
  AuthKeys k;
  k.active = active;
  k.keys[1] = {AuthMethod::crc, ""};
  k.keys[2] = {AuthMethod::sha1, kSecret};
  k.keys[3] = {AuthMethod::md5, kSecret};
  k.keys[4] = {AuthMethod::sha256, kSecret};
  return k;
}

Message status() {
  Message m;
  m.add("t", "status");
  m.add("st", "active");
  m.add("dt", "7d0");
  m.add("src", "ndb1");
  m.add("seq", "1f");
  m.add("hg", "7");
  m.add("ts", "6b03cfb2");
  m.add("ld", "0.00 0.01 0.05 1/99 1234");
  m.add("ttl", "3");
  return m;
}
}  // namespace

TEST(WireAuth, VectorsFromIndependentTools) {
  EXPECT_EQ(auth_digest({AuthMethod::md5, kSecret}, kText), "c221a7769b79c2ae064189999bf2d3d2");
  EXPECT_EQ(auth_digest({AuthMethod::sha1, kSecret}, kText), "b02360ddcb699571b883d2f38d36e3bedf78f027");
  EXPECT_EQ(auth_digest({AuthMethod::sha256, kSecret}, kText),
            "da8d9b8c0191ca945403d208c7485fc28123d4ca0a898b1699bfea565fe6038e");
  EXPECT_EQ(auth_digest({AuthMethod::crc, ""}, kText), "970e6c61");
  EXPECT_EQ(auth_digest({AuthMethod::crc, ""}, "123456789"), "765e7680");
  EXPECT_EQ(auth_digest({AuthMethod::crc, ""}, ""), "ffffffff");
}

TEST(WireCodec, ClassicLayoutAndRoundTrip) {
  std::string d = encode(status(), Format::classic, keys());
  EXPECT_EQ(d.substr(0, 4), ">>>\n");
  EXPECT_EQ(d.substr(d.size() - 4), "<<<\n");
  std::string text = d.substr(4, d.find("auth=") - 4);
  EXPECT_NE(d.find("auth=3 " + auth_digest({AuthMethod::md5, kSecret}, text) + "\n"), std::string::npos);
  auto r = decode(d, keys());
  ASSERT_TRUE(r.message) << r.error;
  EXPECT_EQ(r.message->get("st"), "active");
  EXPECT_EQ(r.message->get_hex("seq"), 0x1fu);
  EXPECT_EQ(r.message->get_hex("ts"), 0x6b03cfb2u);
}

TEST(WireCodec, NetstringOuterAndInnerAuth) {
  Message m = status();
  m.add("srcuuid", std::string("\x01\x02\x00\xff", 4), FieldType::binary);
  std::string d = encode(m, Format::netstring, keys(2));
  EXPECT_EQ(d.substr(0, 4), "###\n");
  EXPECT_NE(d.find("11:(0)t=status,"), std::string::npos);
  size_t end = d.find("%%%\n");
  ASSERT_NE(end, std::string::npos);
  std::string outer = d.substr(end + 4);
  std::string want = "2 " + auth_digest({AuthMethod::sha1, kSecret}, d.substr(0, end + 4));
  EXPECT_EQ(outer, std::to_string(want.size()) + ":" + want + ",");
  auto r = decode(d, keys());
  ASSERT_TRUE(r.message) << r.error;
  EXPECT_EQ(r.message->get("srcuuid"), std::string_view("\x01\x02\x00\xff", 4));
  EXPECT_FALSE(r.message->get("auth"));
}

TEST(WireCodec, RolloverTamperingAndUnknownKeys) {
  // Signed with key 2, accepted by a node whose active key is 3.
  EXPECT_TRUE(decode(encode(status(), Format::classic, keys(2)), keys(3)).message);
  std::string d = encode(status(), Format::classic, keys());
  d[d.find("active")] = 'A';
  auto r = decode(d, keys());
  EXPECT_FALSE(r.message);
  EXPECT_TRUE(r.bad_auth);
  AuthKeys only1;
  only1.active = 1;
  only1.keys[1] = {AuthMethod::crc, ""};
  r = decode(encode(status(), Format::netstring, keys()), only1);
  EXPECT_TRUE(r.bad_auth);
  EXPECT_NE(r.error.find("key index 3"), std::string::npos);
}

TEST(WireCodec, RequiredFields) {
  Message m;
  m.add("t", "status");
  m.add("src", "ndb1");
  auto r = decode(encode(m, Format::classic, keys()), keys());
  EXPECT_FALSE(r.message);
  EXPECT_EQ(r.error, "missing field ts");
}

// Found by tests/fuzz/fuzz_inputs: a signed classic datagram with a typed
// field named auth decoded into a message whose re-encoding lost that field.
TEST(WireCodec, ATypedFieldNamedAuthIsRefused) {
  for (std::string field : {"(1)auth=ABtpbmFyeQA=\n", "(0)auth=1 00000000\n"}) {
    std::string text = "t=status\nsrc=ndb1\nts=6b03cfb2\n" + field;
    auto r = decode(">>>\n" + text + "auth=" + sign(keys(), text) + "\n<<<\n", keys());
    EXPECT_FALSE(r.message);
    EXPECT_EQ(r.error, "typed field named auth");
  }
}

TEST(WireCodec, GarbageNeverCrashes) {
  std::mt19937 rng(42);
  std::vector<std::string> seeds = {encode(status(), Format::classic, keys()),
                                    encode(status(), Format::netstring, keys()), "###\n999999999:(0)x", ">>>\n",
                                    "###\n4:(0)a=,%%%\n", "###\n%%%\n1:x,"};
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string d = seeds[i % seeds.size()];
    switch (rng() % 3) {
      case 0: d.resize(rng() % (d.size() + 1)); break;
      case 1:
        if (!d.empty()) d[rng() % d.size()] = static_cast<char>(rng());
        break;
      default: d.insert(rng() % (d.size() + 1), std::string(rng() % 8, static_cast<char>(rng())));
    }
    auto r = decode(d, keys());
    if (r.message) ++accepted;
    else EXPECT_FALSE(r.error.empty());
  }
  // Only inputs that still carry a valid digest can pass.
  EXPECT_LT(accepted, 20000 / 3);
}
