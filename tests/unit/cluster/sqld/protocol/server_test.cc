// halb-sqld's connection handling end to end over real sockets, with the
// fake Engine: login and its refusals, every command the clients send,
// limits (max_allowed_packet, max_connections, wait_timeout), KILL.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "cluster/sqld/protocol/handshake.h"
#include "cluster/sqld/protocol/packet_channel.h"
#include "cluster/sqld/protocol/wire.h"
#include "cluster/sqld/server/listener.h"
#include "cluster/sqld/server/socket_stream.h"
#include "tests/unit/cluster/sqld/protocol/fake_engine.h"

using namespace halb::cluster::sqld;
using namespace halb::cluster::sqld::protocol;
using halb::cluster::sqld::server::Listener;
using halb::cluster::sqld::server::Registry;

namespace {

struct Err {
  uint16_t code = 0;
  std::string state, message;
};

Err parse_err(std::string_view p) {
  Reader r(p);
  Err e;
  r.u8();
  e.code = r.u16();
  r.u8();
  e.state = std::string(r.bytes(5));
  e.message = std::string(r.rest());
  return e;
}

// A minimal MySQL client: enough protocol to drive the server.
class Client {
 public:
  explicit Client(int fd) : fd_(fd), stream_(fd), ch_(&stream_) {}
  ~Client() { ::close(fd_); }

  static std::unique_ptr<Client> tcp(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    return std::make_unique<Client>(fd);
  }
  static std::unique_ptr<Client> unix_socket(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    return std::make_unique<Client>(fd);
  }

  // Reads the greeting; returns its first payload (ERR instead of a greeting possible).
  std::string greeting() {
    std::string p = read();
    if (!p.empty() && p[0] == 10) {
      Reader r(p);
      r.u8();
      version = r.nul_string();
      connection_id = r.u32();
      scramble = std::string(r.bytes(8));
      r.u8();
      server_caps = r.u16();
      r.u8();
      r.u16();
      server_caps |= static_cast<uint32_t>(r.u16()) << 16;
      r.u8();
      r.skip(10);
      scramble += std::string(r.nul_string());
    }
    return p;
  }

  // Full login; returns the server's final answer (OK or ERR payload).
  std::string login(const std::string& user, const std::string& password, const std::string& db = "",
                    const std::string& plugin = "mysql_native_password", uint32_t extra_caps = 0) {
    std::string g = greeting();
    if (g.empty() || g[0] != 10) return g;
    uint32_t caps = (0x003aa20d & ~cap::kConnectWithDb) | extra_caps | (db.empty() ? 0 : cap::kConnectWithDb);
    std::string out;
    put_u32(out, caps);
    put_u32(out, 16 << 20);
    put_u8(out, 45);
    out.append(23, '\0');
    put_nul_string(out, user);
    std::string token = plugin == "mysql_native_password" ? native_password_token(password, scramble) : "xx";
    put_lenenc_string(out, token);
    if (!db.empty()) put_nul_string(out, db);
    put_nul_string(out, plugin);
    write(out);
    std::string reply = read();
    if (!reply.empty() && static_cast<uint8_t>(reply[0]) == 0xFE && reply.size() > 1) {
      Reader r(reply);
      r.u8();
      EXPECT_EQ(r.nul_string(), "mysql_native_password");
      std::string fresh(r.bytes(20));
      write(native_password_token(password, fresh));
      reply = read();
    }
    return reply;
  }

  void command(uint8_t code, std::string_view body = {}) {
    ch_.reset_sequence();
    std::string p(1, static_cast<char>(code));
    p.append(body);
    write(p);
  }
  void write(std::string_view payload) {
    ch_.write_packet(payload);
    ASSERT_TRUE(ch_.flush());
  }
  std::string read(int timeout_ms = 10000) {
    std::string p;
    last = ch_.read_packet(p, 1u << 30, timeout_ms, false);
    return p;
  }
  // Reads a text or binary result set: column names and rows' raw payloads.
  struct ResultSet {
    std::vector<std::string> columns;
    std::vector<std::string> rows;
    uint16_t status = 0;
  };
  ResultSet result_set(std::string first) {
    ResultSet rs;
    Reader r(first);
    uint64_t n = r.lenenc().value_or(0);
    for (uint64_t i = 0; i < n; ++i) {
      std::string def = read();
      Reader d(def);
      for (int k = 0; k < 4; ++k) d.lenenc_string();
      rs.columns.emplace_back(d.lenenc_string());
    }
    std::string eof = read();
    EXPECT_EQ(static_cast<uint8_t>(eof[0]), 0xFE);
    for (;;) {
      std::string row = read();
      if (static_cast<uint8_t>(row[0]) == 0xFE && row.size() < 9) {
        Reader e(row);
        e.u8();
        e.u16();
        rs.status = e.u16();
        break;
      }
      rs.rows.push_back(row);
    }
    return rs;
  }

  int fd_;
  server::SocketStream stream_;
  PacketChannel ch_;
  ReadResult last = ReadResult::kOk;
  std::string version, scramble;
  uint32_t connection_id = 0;
  uint32_t server_caps = 0;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings.server_version = "8.0.36-halb";
    settings.max_allowed_packet = 1 << 20;
    settings.max_connections = 5;
    settings.connect_timeout_s = 5;
    settings.wait_timeout_s = 30;
    engine.set_registry(&registry);
    char tmpl[] = "/tmp/sqld-test-XXXXXX";
    dir = mkdtemp(tmpl);
    socket_path = dir + "/mysql.sock";
  }
  void start() {
    listener = std::make_unique<Listener>(engine, registry, settings, logger);
    server::ListenerOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.socket = socket_path;
    std::string err;
    ASSERT_TRUE(listener->start(o, err)) << err;
  }
  void TearDown() override {
    if (listener) listener->stop();
    listener.reset();
    ::rmdir(dir.c_str());
  }
  std::unique_ptr<Client> connect() { return Client::tcp(listener->port()); }
  std::unique_ptr<Client> logged_in(const std::string& db = "", uint32_t extra_caps = 0) {
    auto c = connect();
    std::string ok = c->login("sb", "sbpass", db, "mysql_native_password", extra_caps);
    EXPECT_EQ(ok[0], 0) << parse_err(ok).message;
    return c;
  }

  fake::FakeEngine engine;
  Registry registry;
  server::ConnectionSettings settings;
  halb::log::Logger logger;
  std::unique_ptr<Listener> listener;
  std::string dir, socket_path;
};

}  // namespace

TEST_F(ServerTest, GreetingAndLogin) {
  start();
  auto c = connect();
  std::string ok = c->login("sb", "sbpass", "test");
  ASSERT_EQ(ok[0], 0);
  EXPECT_EQ(c->version, "8.0.36-halb");
  EXPECT_EQ(c->server_caps, 0x003FA20Fu);
  EXPECT_EQ(c->scramble.size(), 20u);
  EXPECT_NE(c->connection_id, 0u);
  Reader r(ok);
  r.u8();
  r.lenenc();
  r.lenenc();
  EXPECT_EQ(r.u16(), 0x0002);  // AUTOCOMMIT: PyMySQL decides from this
  EXPECT_EQ(engine.last_client.user, "sb");
  EXPECT_EQ(engine.last_client.host, "127.0.0.1");
  EXPECT_EQ(engine.last_client.database, "test");
  EXPECT_EQ(engine.last_client.connection_id, c->connection_id);
  EXPECT_EQ(engine.last_client.client_flags, (0x003aa20du & 0x003FA20Fu) | cap::kConnectWithDb);
}

TEST_F(ServerTest, WrongPasswordUnknownUserUnknownDatabase) {
  start();
  Err e = parse_err(connect()->login("sb", "nope"));
  EXPECT_EQ(e.code, 1045);
  EXPECT_EQ(e.state, "28000");
  EXPECT_EQ(e.message, "Access denied for user 'sb'@'127.0.0.1' (using password: YES)");
  e = parse_err(connect()->login("ghost", ""));
  EXPECT_EQ(e.message, "Access denied for user 'ghost'@'127.0.0.1' (using password: NO)");
  e = parse_err(connect()->login("sb", "sbpass", "nodb"));
  EXPECT_EQ(e.code, 1049);
  EXPECT_EQ(e.message, "Unknown database 'nodb'");
  EXPECT_EQ(engine.open_sessions, 0);
}

TEST_F(ServerTest, AuthSwitchForAnotherPlugin) {
  start();
  auto c = connect();
  EXPECT_EQ(c->login("sb", "sbpass", "", "caching_sha2_password")[0], 0);
}

TEST_F(ServerTest, ClusterUnavailableRefusesLogins) {
  start();
  engine.available = false;
  auto c = connect();
  Err e = parse_err(c->login("sb", "sbpass"));
  EXPECT_EQ(e.code, 1105);
  EXPECT_EQ(e.state, "HY000");
  EXPECT_NE(e.message.find("unavailable"), std::string::npos);
}

TEST_F(ServerTest, SslRequestWithoutCertificateIsBadHandshake) {
  start();
  auto c = connect();
  c->greeting();
  std::string ssl;
  put_u32(ssl, 0x003aa20d | cap::kSsl);
  put_u32(ssl, 16 << 20);
  put_u8(ssl, 45);
  ssl.append(23, '\0');
  c->write(ssl);
  Err e = parse_err(c->read());
  EXPECT_EQ(e.code, 1043);
  EXPECT_EQ(e.state, "08S01");
}

TEST_F(ServerTest, GarbageHandshakeIsBadHandshake) {
  start();
  auto c = connect();
  c->greeting();
  c->write("garbage");
  EXPECT_EQ(parse_err(c->read()).code, 1043);
}

TEST_F(ServerTest, TextResultSetsOkAndErrors) {
  start();
  auto c = logged_in();
  c->command(0x03, "select null, 'a'");
  auto rs = c->result_set(c->read());
  ASSERT_EQ(rs.columns.size(), 2u);
  EXPECT_EQ(rs.columns[1], "a");
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0], "\xfb\x01" "a");
  EXPECT_EQ(rs.status, 0x0002);

  c->command(0x03, "insert");
  std::string ok = c->read();
  EXPECT_EQ(ok, std::string("\x00\x01\x07\x02\x00\x00\x00", 7));

  c->command(0x03, "nonsense");
  Err e = parse_err(c->read());
  EXPECT_EQ(e.code, 1064);
  EXPECT_EQ(e.state, "42000");

  c->command(0x03, "begin");
  ok = c->read();
  EXPECT_EQ(ok[3], 0x03);  // IN_TRANS | AUTOCOMMIT from the session
}

TEST_F(ServerTest, MultiStatementsFlagMoreResults) {
  start();
  auto c = logged_in("", cap::kMultiStatements);
  c->command(0x03, "select 1; select 2");
  auto first = c->result_set(c->read());
  EXPECT_EQ(first.status, 0x000a);
  auto second = c->result_set(c->read());
  EXPECT_EQ(second.status, 0x0002);
  // COM_SET_OPTION off: one EOF packet back, then a second statement is an error.
  c->command(0x1B, std::string("\x01\x00", 2));
  std::string eof = c->read();
  EXPECT_EQ(eof.size(), 5u);
  EXPECT_EQ(static_cast<uint8_t>(eof[0]), 0xFE);
  c->command(0x03, "select 1; select 2");
  EXPECT_EQ(parse_err(c->read()).code, 1064);
}

TEST_F(ServerTest, InitDbFieldListPingStatistics) {
  start();
  auto c = logged_in();
  c->command(0x02, "test");
  EXPECT_EQ(c->read()[0], 0);
  c->command(0x02, "nodb");
  EXPECT_EQ(parse_err(c->read()).code, 1049);
  c->command(0x04, std::string("t1\0", 3));
  std::string def = c->read();
  EXPECT_EQ(def.substr(def.size() - 2), "\x01" "0");  // default value
  EXPECT_EQ(static_cast<uint8_t>(c->read()[0]), 0xFE);
  c->command(0x04, std::string("nope\0", 5));
  EXPECT_EQ(parse_err(c->read()).code, 1146);
  c->command(0x0E);
  EXPECT_EQ(c->read()[0], 0);
  c->command(0x09);
  std::string stats = c->read();
  EXPECT_EQ(stats.rfind("Uptime: ", 0), 0u) << stats;
  EXPECT_NE(stats.find("  Threads: 1  Questions: "), std::string::npos) << stats;
  EXPECT_NE(stats.find("  Slow queries: 0  Opens: 0  Open tables: 0  Queries per second avg: "), std::string::npos);
  c->command(0x63);
  EXPECT_EQ(parse_err(c->read()).code, 1047);
}

TEST_F(ServerTest, PreparedStatements) {
  start();
  auto c = logged_in();
  c->command(0x16, "select ?, ?");
  std::string head = c->read();
  ASSERT_EQ(head.size(), 12u);
  Reader h(head);
  h.u8();
  uint32_t id = h.u32();
  EXPECT_EQ(h.u16(), 2);  // columns
  EXPECT_EQ(h.u16(), 2);  // params
  for (int i = 0; i < 2; ++i) c->read();  // param defs
  EXPECT_EQ(static_cast<uint8_t>(c->read()[0]), 0xFE);
  for (int i = 0; i < 2; ++i) c->read();  // column defs
  EXPECT_EQ(static_cast<uint8_t>(c->read()[0]), 0xFE);

  std::string exec;
  put_u32(exec, id);
  put_u8(exec, 0);
  put_u32(exec, 1);
  put_u8(exec, 0);   // NULL bitmap
  put_u8(exec, 1);   // types follow
  exec += std::string("\x08\x00\xfd\x00", 4);
  put_fixed(exec, 42, 8);
  put_lenenc_string(exec, "hello");
  c->command(0x17, exec);
  auto rs = c->result_set(c->read());
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0], std::string("\x00\x00", 2) + std::string("\x2a\0\0\0\0\0\0\0", 8) + "\x05hello");

  // Long data for the string, no types resent.
  std::string ld;
  put_u32(ld, id);
  put_u16(ld, 1);
  c->command(0x18, ld + "long ");
  c->command(0x18, ld + "data");
  std::string again;
  put_u32(again, id);
  put_u8(again, 0);
  put_u32(again, 1);
  put_u8(again, 0);
  put_u8(again, 0);
  put_fixed(again, 43, 8);
  c->command(0x17, again);
  rs = c->result_set(c->read());
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0].substr(10), "\x09long data");

  c->command(0x1A, exec.substr(0, 4));  // reset
  EXPECT_EQ(c->read()[0], 0);
  c->command(0x19, exec.substr(0, 4));  // close: no reply
  c->command(0x17, exec);
  Err e = parse_err(c->read());
  EXPECT_EQ(e.code, 1243);
  EXPECT_NE(e.message.find("mysqld_stmt_execute"), std::string::npos);
  c->command(0x16, "create table x");
  EXPECT_EQ(parse_err(c->read()).code, 1295);
  // A statement without params or columns: the bare 12-byte header, and OK on execute.
  c->command(0x16, "begin");
  head = c->read();
  ASSERT_EQ(head.size(), 12u);
  c->command(0x17, head.substr(1, 4) + std::string("\x00\x01\x00\x00\x00", 5));
  EXPECT_EQ(c->read()[0], 0);
}

TEST_F(ServerTest, MaxAllowedPacketClosesTheConnection) {
  start();
  auto c = logged_in();
  c->command(0x03, std::string((1 << 20) + 10, 'x'));
  Err e = parse_err(c->read());
  EXPECT_EQ(e.code, 1153);
  EXPECT_EQ(e.state, "08S01");
  c->read(2000);
  EXPECT_EQ(c->last, ReadResult::kClosed);
}

TEST_F(ServerTest, ResultRowsLargerThan16MBAreSplit) {
  settings.max_allowed_packet = 64u << 20;
  start();
  auto c = logged_in();
  c->command(0x03, "big");
  auto rs = c->result_set(c->read());
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0].size(), (17u << 20) + 9);  // 0xFE + 8-byte length
}

TEST_F(ServerTest, MaxConnections) {
  settings.max_connections = 2;
  start();
  auto a = logged_in();
  auto b = logged_in();
  auto c = connect();
  Err e = parse_err(c->greeting());
  EXPECT_EQ(e.code, 1040);
  EXPECT_EQ(e.message, "Too many connections");
}

TEST_F(ServerTest, KillQueryFromAnotherConnection) {
  start();
  auto busy = logged_in();
  auto other = logged_in();
  busy->command(0x03, "sleep");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto procs = registry.processes();
  ASSERT_EQ(procs.size(), 2u);
  bool seen = false;
  for (auto& p : procs)
    if (p.id == busy->connection_id) {
      EXPECT_EQ(p.command, "Query");
      EXPECT_EQ(p.info, "sleep");
      EXPECT_EQ(p.user, "sb");
      EXPECT_EQ(p.host.rfind("127.0.0.1:", 0), 0u);
      seen = true;
    }
  EXPECT_TRUE(seen);
  EXPECT_TRUE(engine.registry->kill(busy->connection_id, true));
  Err e = parse_err(busy->read());
  EXPECT_EQ(e.code, 1317);
  EXPECT_EQ(e.state, "70100");
  busy->command(0x0E);
  EXPECT_EQ(busy->read()[0], 0);  // the connection lives on
  EXPECT_FALSE(engine.registry->kill(999999, true));
}

TEST_F(ServerTest, ProcessKillEndsTheOtherConnection) {
  start();
  auto victim = logged_in();
  auto killer = logged_in();
  std::string id;
  put_u32(id, victim->connection_id);
  killer->command(0x0C, id);
  EXPECT_EQ(killer->read()[0], 0);
  victim->read(5000);
  EXPECT_EQ(victim->last, ReadResult::kClosed);
  std::string none;
  put_u32(none, 424242);
  killer->command(0x0C, none);
  Err e = parse_err(killer->read());
  EXPECT_EQ(e.code, 1094);
  EXPECT_EQ(e.message, "Unknown thread id: 424242");
}

TEST_F(ServerTest, UnixSocketLoginShowsLocalhost) {
  start();
  auto c = Client::unix_socket(socket_path);
  EXPECT_EQ(c->login("root", "")[0], 0);
  EXPECT_EQ(engine.last_client.host, "localhost");
}

TEST_F(ServerTest, WaitTimeoutClosesIdleConnections) {
  settings.wait_timeout_s = 1;
  start();
  auto c = logged_in();
  c->read(5000);
  EXPECT_EQ(c->last, ReadResult::kClosed);
  for (int i = 0; i < 100 && engine.open_sessions > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(engine.open_sessions, 0);
}

TEST_F(ServerTest, QuitClosesSessionAndStopEndsEverything) {
  start();
  auto a = logged_in();
  a->command(0x01);
  a->read(5000);
  EXPECT_EQ(a->last, ReadResult::kClosed);
  auto b = logged_in();
  listener->stop();
  b->read(5000);
  EXPECT_EQ(b->last, ReadResult::kClosed);
  EXPECT_EQ(engine.open_sessions, 0);
  EXPECT_EQ(registry.size(), 0u);
}
