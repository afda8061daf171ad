// Malformed client bytes never crash the server: random bit flips and
// truncations of a whole recorded client conversation, fed through the
// real connection code (fake Engine, in-memory stream), and of single
// packets through each parser.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "cluster/sqld/protocol/execute.h"
#include "cluster/sqld/protocol/handshake.h"
#include "cluster/sqld/protocol/packet_channel.h"
#include "cluster/sqld/protocol/wire.h"
#include "cluster/sqld/server/connection.h"
#include "tests/unit/cluster/sqld/protocol/fake_engine.h"
#include "tests/unit/cluster/sqld/protocol/memory_stream.h"

using namespace halb::cluster::sqld;
using namespace halb::cluster::sqld::protocol;

namespace {

std::string frame(std::string_view payload, uint8_t seq) {
  std::string out;
  put_fixed(out, payload.size(), 3);
  put_u8(out, seq);
  out.append(payload);
  return out;
}

// What a client sends for a session as root (no password): login, then a
// run of commands of every kind.
std::string conversation() {
  std::string login;
  put_u32(login, 0x003aa20d | cap::kConnectWithDb);
  put_u32(login, 16 << 20);
  put_u8(login, 45);
  login.append(23, '\0');
  put_nul_string(login, "root");
  put_lenenc_string(login, "");
  put_nul_string(login, "test");
  put_nul_string(login, "mysql_native_password");
  std::string attrs;
  put_lenenc_string(attrs, "_client_name");
  put_lenenc_string(attrs, "x");
  put_lenenc_string(login, attrs);
  std::string out = frame(login, 1);
  auto cmd = [&](std::string_view p) { out += frame(p, 0); };
  cmd("\x03select 1");
  cmd("\x03select 1; select 2");
  cmd(std::string("\x04t1\0", 4));
  cmd("\x16select ?, ?");
  std::string exec("\x17\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01\x08\x00\xfd\x00", 16);
  put_fixed(exec, 5, 8);
  put_lenenc_string(exec, "abc");
  cmd(exec);
  cmd(std::string("\x18\x01\x00\x00\x00\x01\x00" "data", 11));
  cmd(std::string("\x17\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00", 12) + std::string(8, '\x01'));
  cmd(std::string("\x1a\x01\x00\x00\x00", 5));
  cmd(std::string("\x19\x01\x00\x00\x00", 5));
  cmd(std::string("\x1b\x00\x00", 3));
  cmd("\x02test");
  cmd("\x09");
  cmd(std::string("\x0c\x02\x00\x00\x00", 5));  // another id: 1094
  cmd(std::string("\x11root\0\0test\0\x2d\x00mysql_native_password\0", 36));
  cmd("\x1f");
  cmd("\x0e");
  cmd("\x01");
  return out;
}

void run_connection(const std::string& input) {
  fake::FakeEngine engine;
  server::Registry registry;
  engine.set_registry(&registry);
  server::ConnectionSettings settings;
  settings.server_version = "8.0.36-halb";
  settings.max_allowed_packet = 1 << 16;
  halb::log::Logger logger;
  MemoryStream stream;
  stream.input = input;
  server::Peer peer;
  peer.address = "127.0.0.1";
  peer.shown = "127.0.0.1:1";
  server::serve_connection(engine, registry, settings, logger, peer, stream);
  EXPECT_EQ(engine.open_sessions, 0);
  EXPECT_EQ(registry.size(), 0u);
}

}  // namespace

TEST(Malformed, CleanConversationRunsToQuit) {
  fake::FakeEngine engine;
  server::Registry registry;
  server::ConnectionSettings settings;
  settings.server_version = "8.0.36-halb";
  halb::log::Logger logger;
  MemoryStream stream;
  stream.input = conversation();
  server::Peer peer;
  peer.address = "127.0.0.1";
  server::serve_connection(engine, registry, settings, logger, peer, stream);
  // Every command got its reply: the output ends with COM_PING's OK.
  EXPECT_EQ(stream.pos, stream.input.size());
  EXPECT_GT(stream.output.size(), 300u);
  EXPECT_EQ(stream.output.substr(stream.output.size() - 7, 3), std::string("\x00\x00\x00", 3));
}

TEST(Malformed, FlippedAndTruncatedConversations) {
  std::mt19937 rng(12345);
  const std::string clean = conversation();
  for (int round = 0; round < 2000; ++round) {
    std::string s = clean;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
    if (rng() % 3 == 0) s.resize(rng() % s.size());
    run_connection(s);
  }
}

TEST(Malformed, RandomBytesEverywhere) {
  std::mt19937 rng(777);
  for (int round = 0; round < 500; ++round) {
    std::string s(rng() % 300, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    run_connection(s);
    // and parsers directly
    HandshakeResponse r;
    std::string err;
    parse_handshake_response(s, r, err);
    PreparedParams params(static_cast<uint16_t>(rng() % 20));
    std::vector<Value> values;
    decode_execute_params(s, params, values, err);
    LongData d;
    parse_long_data(s, d);
  }
}
