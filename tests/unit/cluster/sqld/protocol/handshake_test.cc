// The greeting's layout, HandshakeResponse41 parsing, and
// mysql_native_password against the captured test vector (reference §2.5).
#include <gtest/gtest.h>

#include <string>

#include "cluster/sqld/protocol/handshake.h"
#include "cluster/sqld/protocol/wire.h"

using namespace halb::cluster::sqld::protocol;

namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

const std::string kScramble = unhex("60696c6432683923") + unhex("40587b2644644d3354323a6a");

}  // namespace

TEST(NativePassword, CapturedTestVector) {
  std::string stored = native_password_hash("sbpass");
  EXPECT_EQ(native_password_text(stored), "*138DD22E166357A46C6701892C5BB314770E8438");
  std::string token = native_password_token("sbpass", kScramble);
  EXPECT_EQ(hex(token), "2842abab1ed0c686a006a6d241e735dac487ddd9");
  EXPECT_TRUE(check_native_password(kScramble, token, stored));
}

TEST(NativePassword, WrongPasswordsAndLengthsAreRefused) {
  std::string stored = native_password_hash("sbpass");
  EXPECT_FALSE(check_native_password(kScramble, native_password_token("sbpasS", kScramble), stored));
  EXPECT_FALSE(check_native_password(kScramble, "", stored));
  EXPECT_FALSE(check_native_password(kScramble, std::string(19, 'a'), stored));
  EXPECT_FALSE(check_native_password(kScramble, std::string(21, 'a'), stored));
  // No password on the account: only an empty token.
  EXPECT_TRUE(check_native_password(kScramble, "", ""));
  EXPECT_FALSE(check_native_password(kScramble, native_password_token("x", kScramble), ""));
}

TEST(NativePassword, ScrambleIsPrintableAndNulFree) {
  for (int i = 0; i < 50; ++i) {
    std::string s = make_scramble();
    ASSERT_EQ(s.size(), kScrambleLength);
    for (char c : s) EXPECT_TRUE(c > 0x20 && c < 0x7f && c != '\'' && c != '"' && c != '\\') << int(c);
  }
}

TEST(Greeting, LayoutAsClientsReadIt) {
  Greeting g;
  g.server_version = "8.0.36-halb";
  g.connection_id = 0x01020304;
  g.scramble = kScramble;
  std::string out;
  encode_greeting(out, g);
  Reader r(out);
  EXPECT_EQ(r.u8(), 10);
  EXPECT_EQ(r.nul_string(), "8.0.36-halb");
  EXPECT_EQ(r.u32(), 0x01020304u);
  EXPECT_EQ(r.bytes(8), kScramble.substr(0, 8));
  EXPECT_EQ(r.u8(), 0);
  uint32_t caps = r.u16();
  EXPECT_EQ(r.u8(), 45);
  EXPECT_EQ(r.u16(), 0x0002);
  caps |= static_cast<uint32_t>(r.u16()) << 16;
  EXPECT_EQ(caps, 0x003FA20Fu);
  EXPECT_TRUE(caps & cap::kLongPassword);  // plain MySQL for libmariadb
  EXPECT_FALSE(caps & cap::kSsl);
  EXPECT_FALSE(caps & cap::kDeprecateEof);
  EXPECT_EQ(r.u8(), 21);
  EXPECT_EQ(r.bytes(10), std::string(10, '\0'));
  EXPECT_EQ(r.nul_string(), kScramble.substr(8));
  EXPECT_EQ(r.nul_string(), "mysql_native_password");
  EXPECT_TRUE(r.at_end());
  EXPECT_FALSE(r.failed());
}

namespace {

std::string response(uint32_t caps, std::string_view user, std::string_view token, std::string_view db,
                     std::string_view plugin, bool attrs) {
  std::string out;
  put_u32(out, caps);
  put_u32(out, 16 << 20);
  put_u8(out, 45);
  out.append(23, '\0');
  put_nul_string(out, user);
  if (caps & cap::kPluginAuthLenencData)
    put_lenenc_string(out, token);
  else {
    put_u8(out, static_cast<uint8_t>(token.size()));
    out.append(token);
  }
  if (caps & cap::kConnectWithDb) put_nul_string(out, db);
  if (caps & cap::kPluginAuth) put_nul_string(out, plugin);
  if (attrs) {
    std::string kv;
    put_lenenc_string(kv, "_client_name");
    put_lenenc_string(kv, "pymysql");
    put_lenenc_string(out, kv);
  }
  return out;
}

}  // namespace

TEST(HandshakeResponse, PyMySQLShape) {
  std::string token = native_password_token("pw", kScramble);
  std::string p = response(0x003aa20d | cap::kConnectWithDb, "root", token, "test", "mysql_native_password", false);
  HandshakeResponse r;
  std::string err;
  ASSERT_TRUE(parse_handshake_response(p, r, err)) << err;
  EXPECT_EQ(r.user, "root");
  EXPECT_EQ(r.auth_token, token);
  EXPECT_TRUE(r.has_database);
  EXPECT_EQ(r.database, "test");
  EXPECT_EQ(r.plugin, "mysql_native_password");
  EXPECT_EQ(r.charset, 45);
}

TEST(HandshakeResponse, MariadbCliShapeWithAttributes) {
  uint32_t caps = 0x20ffa68d & ~cap::kConnectWithDb;
  std::string p = response(caps | cap::kConnectAttrs, "u", "", "", "mysql_native_password", true);
  HandshakeResponse r;
  std::string err;
  ASSERT_TRUE(parse_handshake_response(p, r, err)) << err;
  EXPECT_EQ(r.user, "u");
  EXPECT_TRUE(r.auth_token.empty());
  EXPECT_FALSE(r.has_database);
  ASSERT_EQ(r.attributes.size(), 1u);
  EXPECT_EQ(r.attributes[0].first, "_client_name");
  EXPECT_EQ(r.attributes[0].second, "pymysql");
}

TEST(HandshakeResponse, FieldsMissingAtTheEndAreEmpty) {
  std::string p = response(cap::kProtocol41 | cap::kSecureConnection, "u", "", "", "", false);
  // The client claims a database and a plugin but the packet ends first.
  p[0] = static_cast<char>(p[0] | cap::kConnectWithDb);
  p[2] = static_cast<char>(p[2] | 0x08);  // kPluginAuth (bit 19)
  HandshakeResponse r;
  std::string err;
  ASSERT_TRUE(parse_handshake_response(p, r, err)) << err;
  EXPECT_FALSE(r.has_database);
  EXPECT_TRUE(r.plugin.empty());
}

TEST(HandshakeResponse, SslRequestAndBadOnes) {
  std::string ssl;
  put_u32(ssl, 0x003aa20d | cap::kSsl);
  put_u32(ssl, 16 << 20);
  put_u8(ssl, 45);
  ssl.append(23, '\0');
  HandshakeResponse r;
  std::string err;
  ASSERT_TRUE(parse_handshake_response(ssl, r, err));
  EXPECT_TRUE(r.ssl_request);
  EXPECT_FALSE(parse_handshake_response(ssl.substr(0, 31), r, err));
  std::string old = ssl;
  old[1] = 0;  // no PROTOCOL_41
  EXPECT_FALSE(parse_handshake_response(old + std::string("u\0", 2), r, err));
  std::string bad = response(0x003aa20d, "u", "", "", "mysql_native_password", false);
  bad += "\xfe";  // CONNECT_ATTRS claims more than there is
  bad[2] = static_cast<char>(bad[2] | 0x10);
  EXPECT_FALSE(parse_handshake_response(bad, r, err));
}

TEST(AuthSwitch, Layout) {
  std::string out;
  encode_auth_switch(out, "mysql_native_password", kScramble);
  EXPECT_EQ(out, std::string("\xfe") + "mysql_native_password" + std::string(1, '\0') + kScramble + std::string(1, '\0'));
}
