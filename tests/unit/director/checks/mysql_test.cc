// tests/unit/director/checks/mysql_test.cc: the mysql check's wire pieces
// and the whole check against a MySQL-protocol responder written here.
#include <gtest/gtest.h>

#include "director/checks/check.h"
#include "director/checks/mysql_wire.h"
#include "tests/unit/director/checks/check_helpers.h"

namespace halb::director::checks {
namespace {

using namespace testing;
using namespace mysql;

// A byte string from a literal that may hold NULs.
#define B(lit) std::string(lit, sizeof(lit) - 1)

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

TEST(MysqlWire, NativeTokenMatchesTheCapturedVector) {
  std::string scramble = unhex("60696c6432683923") + unhex("40587b2644644d3354323a6a");
  EXPECT_EQ(native_token("sbpass", scramble), unhex("2842abab1ed0c686a006a6d241e735dac487ddd9"));
  EXPECT_EQ(native_token("", scramble), "");
}

TEST(MysqlWire, FramingTakesWholePacketsOnly) {
  std::string buf = frame(3, "hello") + frame(4, "x").substr(0, 3);
  bool too_big = false;
  auto p = take_packet(buf, too_big);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->seq, 3);
  EXPECT_EQ(p->payload, "hello");
  EXPECT_FALSE(take_packet(buf, too_big));
  EXPECT_FALSE(too_big);
  std::string huge = B("\xff\xff\xff\x00");
  EXPECT_FALSE(take_packet(huge, too_big));
  EXPECT_TRUE(too_big);
}

TEST(MysqlWire, GreetingParsesAndRejectsGarbage) {
  std::string error;
  EXPECT_FALSE(parse_greeting("", error));
  EXPECT_FALSE(parse_greeting("\x09junk", error));
  EXPECT_NE(error.find("protocol version 9"), std::string::npos);
  EXPECT_FALSE(parse_greeting(B("\x0a" "8.0"), error));
  std::string err = B("\xff\x15\x04#28000Access denied");
  EXPECT_FALSE(parse_greeting(err, error));
  EXPECT_EQ(error, "1045 (28000): Access denied");
}

TEST(MysqlWire, LenencIntegers) {
  size_t at = 0;
  EXPECT_EQ(lenenc(B("\x05"), at), 5u);
  at = 0;
  EXPECT_EQ(lenenc(B("\xfc\x01\x02"), at), 0x0201u);
  EXPECT_EQ(at, 3u);
  at = 0;
  EXPECT_FALSE(lenenc(B("\xfd\x01"), at));
}

// A MySQL server that knows one user; answers "SELECT 1" with one row,
// "SELECT nothing" with none, anything else with ERR 1064.
class MysqlServer {
 public:
  MysqlServer(event::Loop& loop, bool switch_auth = false)
      : switch_(switch_auth),
        server_(loop, [this](TcpServer::Conn& c) { on_data(c); },
                [this](TcpServer::Conn& c) { greet(c); }) {}
  uint16_t port() const { return server_.port(); }
  std::string user = "monitor", password = "s3cret", database;
  std::vector<std::string> queries;
  bool quit = false;
  std::string seen_database;

 private:
  const std::string scramble1 = "abcdefghijklmnopqrst";
  const std::string scramble2 = "ABCDEFGHIJKLMNOPQRST";

  void greet(TcpServer::Conn& c) {
    std::string g = "\x0a" "8.0.99-halb-test";
    g += '\0';
    g += B("\x07\x00\x00\x00");
    g += scramble1.substr(0, 8);
    g += '\0';
    uint32_t caps = 0x003FA20F | kPluginAuth;
    g += static_cast<char>(caps & 0xff);
    g += static_cast<char>((caps >> 8) & 0xff);
    g += static_cast<char>(33);
    g += B("\x02\x00");
    g += static_cast<char>((caps >> 16) & 0xff);
    g += static_cast<char>((caps >> 24) & 0xff);
    g += static_cast<char>(21);
    g += std::string(10, '\0');
    g += scramble1.substr(8);
    g += '\0';
    g += switch_ ? "caching_sha2_password" : "mysql_native_password";
    g += '\0';
    c.send(frame(0, g));
  }

  void on_data(TcpServer::Conn& c) {
    bool too_big;
    while (auto p = take_packet(c.in, too_big)) {
      const std::string& d = p->payload;
      if (stage_ == 0) {  // HandshakeResponse41
        size_t at = 32;
        size_t nul = d.find('\0', at);
        std::string u = d.substr(at, nul - at);
        at = nul + 1;
        size_t tlen = static_cast<uint8_t>(d[at]);
        std::string token = d.substr(at + 1, tlen);
        at += 1 + tlen;
        uint32_t caps = static_cast<uint8_t>(d[0]) | static_cast<uint8_t>(d[1]) << 8;
        if (caps & kConnectWithDb) seen_database = d.substr(at, d.find('\0', at) - at);
        user_ok_ = u == user;
        if (switch_) {
          std::string s = "\xfe" "mysql_native_password";
          s += '\0';
          s += scramble2;
          s += '\0';
          c.send(frame(p->seq + 1, s));
          stage_ = 1;
          continue;
        }
        finish_auth(c, token, scramble1, p->seq + 1);
      } else if (stage_ == 1) {  // answer to the switch
        finish_auth(c, d, scramble2, p->seq + 1);
      } else if (d[0] == 0x03) {
        std::string q = d.substr(1);
        queries.push_back(q);
        if (q == "SELECT 1" || q == "SELECT nothing") {
          c.send(frame(1, "\x01"));
          std::string col = "\x03" "def";
          col += B("\x00\x00\x00\x01" "1\x00\x0c\x3f\x00\x01\x00\x00\x00\x08\x81\x00\x00\x00\x00");
          c.send(frame(2, col));
          c.send(frame(3, B("\xfe\x00\x00\x02\x00")));
          uint8_t seq = 4;
          if (q == "SELECT 1") c.send(frame(seq++, "\x01" "1"));
          c.send(frame(seq, B("\xfe\x00\x00\x02\x00")));
        } else {
          c.send(frame(1, B("\xff\x28\x04#42000You have an error in your SQL syntax")));
        }
      } else if (d[0] == 0x01) {
        quit = true;
      }
    }
  }

  void finish_auth(TcpServer::Conn& c, const std::string& token, const std::string& scramble, uint8_t seq) {
    if (user_ok_ && token == native_token(password, scramble)) {
      c.send(frame(seq, B("\x00\x00\x00\x02\x00\x00\x00")));
      stage_ = 2;
    } else {
      c.send(frame(seq, B("\xff\x15\x04#28000Access denied for user")));
    }
  }

  bool switch_;
  int stage_ = 0;
  bool user_ok_ = false;
  TcpServer server_;
};

class MysqlCheckTest : public ::testing::Test {
 protected:
  Spec spec(uint16_t port, const std::string& request = "/SELECT 1") {
    Spec s = local_spec(port, Service::mysql);
    s.login = "monitor";
    s.passwd = "s3cret";
    s.request = request;
    return s;
  }
  event::Loop loop{true};
  Checker checker{loop};
};

TEST_F(MysqlCheckTest, LoginAndOneRowIsUp) {
  MysqlServer server(loop);
  auto out = run_check(loop, checker, spec(server.port()), Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_EQ(out.calls, 1);
  ASSERT_EQ(server.queries.size(), 1u);
  EXPECT_EQ(server.queries[0], "SELECT 1");  // leading '/' dropped
  run_until(loop, [&] { return server.quit; }, 1);
  EXPECT_TRUE(server.quit);
}

TEST_F(MysqlCheckTest, DatabaseIsSentWhenConfigured) {
  MysqlServer server(loop);
  Spec s = spec(server.port());
  s.database = "app";
  EXPECT_TRUE(run_check(loop, checker, s, Probe::negotiate).result.up);
  EXPECT_EQ(server.seen_database, "app");
}

TEST_F(MysqlCheckTest, AuthSwitchToNativeIsFollowed) {
  MysqlServer server(loop, true);
  auto out = run_check(loop, checker, spec(server.port()), Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
}

TEST_F(MysqlCheckTest, WrongPasswordIsDown) {
  MysqlServer server(loop);
  Spec s = spec(server.port());
  s.passwd = "wrong";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("1045 (28000)"), std::string::npos) << out.result.reason;
}

TEST_F(MysqlCheckTest, NoRowsIsDown) {
  MysqlServer server(loop);
  auto out = run_check(loop, checker, spec(server.port(), "/SELECT nothing"), Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("no rows"), std::string::npos) << out.result.reason;
}

TEST_F(MysqlCheckTest, QueryErrorIsDown) {
  MysqlServer server(loop);
  auto out = run_check(loop, checker, spec(server.port(), "/SELEC 1"), Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("1064"), std::string::npos) << out.result.reason;
}

TEST_F(MysqlCheckTest, MissingLoginOrRequestIsTheLdirectordError) {
  MysqlServer server(loop);
  Spec s = spec(server.port());
  s.login = "";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_EQ(out.result.reason.rfind("Error: Must specify a login and request string", 0), 0u) << out.result.reason;
  out = run_check(loop, checker, spec(server.port(), "/"), Probe::negotiate);
  EXPECT_EQ(out.result.reason.rfind("Error: Must specify a login and request string", 0), 0u) << out.result.reason;
}

TEST_F(MysqlCheckTest, NotAMysqlServerIsDown) {
  TcpServer http(loop, nullptr, [](TcpServer::Conn& c) { c.send("HTTP/1.0 400 Bad Request\r\n\r\n"); });
  auto out = run_check(loop, checker, spec(http.port()), Probe::negotiate);
  EXPECT_FALSE(out.result.up);
}

// A hostile server's version string reaches the (logged) reason printable
// and bounded.
TEST_F(MysqlCheckTest, OldServerVersionIsQuotedPrintable) {
  TcpServer old(loop, nullptr, [](TcpServer::Conn& c) {
    c.send(frame(0, B("\x0a" "5.0\nForged: log line") + std::string(100000, 'v') +
                        B("\x00\x01\x00\x00\x00" "abcdefgh\x00\x00\x00")));
  });
  auto out = run_check(loop, checker, spec(old.port()), Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("server 5.0?Forged: log line"), std::string::npos) << out.result.reason;
  EXPECT_NE(out.result.reason.find("lacks 4.1 authentication"), std::string::npos) << out.result.reason;
  EXPECT_LT(out.result.reason.size(), 300u);
}

TEST_F(MysqlCheckTest, SilentServerTimesOut) {
  TcpServer silent(loop);
  Spec s = spec(silent.port());
  s.negotiatetimeout = 1;
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("timed out"), std::string::npos);
}

}  // namespace
}  // namespace halb::director::checks
