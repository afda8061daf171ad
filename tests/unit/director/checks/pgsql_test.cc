// tests/unit/director/checks/pgsql_test.cc: the pgsql check against a
// PostgreSQL protocol-3 responder (trust, cleartext and md5 password).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "director/checks/check.h"
#include "tests/unit/director/checks/check_helpers.h"

namespace halb::director::checks {
namespace {

using namespace testing;

std::string md5_hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_md5(), nullptr);
  char out[33];
  for (unsigned i = 0; i < len; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
  return std::string(out, 32);
}

std::string be32(uint32_t v) {
  std::string s;
  for (int i = 3; i >= 0; i--) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string msg(char type, const std::string& body) { return std::string(1, type) + be32(body.size() + 4) + body; }

// auth: 0 trust, 3 cleartext, 5 md5. Rows: "SELECT 1" one, anything else zero.
class PgServer {
 public:
  PgServer(event::Loop& loop, int auth) : auth_(auth), server_(loop, [this](TcpServer::Conn& c) { on_data(c); }) {}
  uint16_t port() const { return server_.port(); }
  std::string user = "monitor", password = "pw", seen_database;
  bool terminated = false;

 private:
  void on_data(TcpServer::Conn& c) {
    if (!started_) {
      if (c.in.size() < 8) return;
      uint32_t len = static_cast<uint8_t>(c.in[2]) << 8 | static_cast<uint8_t>(c.in[3]);
      if (c.in.size() < len) return;
      std::string body = c.in.substr(8, len - 8);
      c.in.erase(0, len);
      started_ = true;
      for (size_t at = 0; at < body.size() && body[at];) {
        std::string k = body.c_str() + at;
        at += k.size() + 1;
        std::string v = body.c_str() + at;
        at += v.size() + 1;
        if (k == "user") seen_user_ = v;
        if (k == "database") seen_database = v;
      }
      if (auth_ == 0) return ready(c);
      c.send(msg('R', be32(auth_) + (auth_ == 5 ? std::string("salt") : "")));
      return;
    }
    while (c.in.size() >= 5) {
      uint32_t len = static_cast<uint8_t>(c.in[3]) << 8 | static_cast<uint8_t>(c.in[4]);
      if (c.in.size() < 1 + len) return;
      char type = c.in[0];
      std::string body = c.in.substr(5, len - 4);
      c.in.erase(0, 1 + len);
      if (type == 'p') {
        std::string want = auth_ == 3 ? password : "md5" + md5_hex(md5_hex(password + user) + "salt");
        want += '\0';
        if (body == want && seen_user_ == user)
          ready(c);
        else
          c.send(msg('E', std::string("SFATAL") + '\0' + "C28P01" + '\0' + "Mpassword authentication failed" + '\0' + '\0'));
      } else if (type == 'Q') {
        c.send(msg('T', std::string("\x00\x01", 2) + "x" + '\0' + std::string(18, '\0')));
        if (body == std::string("SELECT 1") + '\0') c.send(msg('D', std::string("\x00\x01\x00\x00\x00\x01" "1", 7)));
        c.send(msg('C', std::string("SELECT 1") + '\0'));
        c.send(msg('Z', "I"));
      } else if (type == 'X') {
        terminated = true;
      }
    }
  }
  void ready(TcpServer::Conn& c) {
    c.send(msg('R', be32(0)) + msg('S', std::string("server_version") + '\0' + "15" + '\0') +
           msg('K', be32(1) + be32(2)) + msg('Z', "I"));
  }
  int auth_;
  bool started_ = false;
  std::string seen_user_;
  TcpServer server_;
};

class PgsqlTest : public ::testing::Test {
 protected:
  Spec spec(uint16_t port, const std::string& request = "/SELECT 1") {
    Spec s = local_spec(port, Service::pgsql);
    s.login = "monitor";
    s.passwd = "pw";
    s.request = request;
    return s;
  }
  event::Loop loop{true};
  Checker checker{loop};
};

TEST_F(PgsqlTest, TrustCleartextAndMd5) {
  for (int auth : {0, 3, 5}) {
    PgServer server(loop, auth);
    auto out = run_check(loop, checker, spec(server.port()), Probe::negotiate);
    EXPECT_TRUE(out.result.up) << "auth " << auth << ": " << out.result.reason;
    EXPECT_EQ(server.seen_database, "monitor");  // no database=: the login's
    run_until(loop, [&] { return server.terminated; }, 1);
    EXPECT_TRUE(server.terminated);
  }
}

TEST_F(PgsqlTest, WrongPasswordIsDown) {
  PgServer server(loop, 5);
  Spec s = spec(server.port());
  s.passwd = "bad";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("password authentication failed"), std::string::npos) << out.result.reason;
}

TEST_F(PgsqlTest, NoRowsIsDownAndDatabaseIsSent) {
  PgServer server(loop, 0);
  Spec s = spec(server.port(), "/SELECT 0 WHERE false");
  s.database = "app";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("no rows"), std::string::npos) << out.result.reason;
  EXPECT_EQ(server.seen_database, "app");
}

TEST_F(PgsqlTest, MissingLoginIsTheLdirectordError) {
  Spec s = spec(closed_port());
  s.login = "";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_EQ(out.result.reason.rfind("Error: Must specify a login and request string", 0), 0u);
}

}  // namespace
}  // namespace halb::director::checks
