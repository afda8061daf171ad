// tests/unit/director/checks/ftp_test.cc: service=ftp (libcurl): login,
// passive transfer of the request file, content matched against receive.
#include <gtest/gtest.h>

#include "director/checks/check.h"
#include "tests/unit/director/checks/check_helpers.h"

namespace halb::director::checks {
namespace {

using namespace testing;

// One FTP session at a time; serves /status.txt, 550 for anything else.
class FtpServer {
 public:
  explicit FtpServer(event::Loop& loop)
      : data_(loop, nullptr, [this](TcpServer::Conn& c) { data_conn_ = &c; maybe_send(); }),
        control_(loop, [this](TcpServer::Conn& c) { on_line(c); },
                 [](TcpServer::Conn& c) { c.send("220 halb test ftp\r\n"); }) {}
  uint16_t port() const { return control_.port(); }
  std::string user, pass, retr;

 private:
  void on_line(TcpServer::Conn& c) {
    for (size_t nl; (nl = c.in.find("\r\n")) != std::string::npos;) {
      std::string line = c.in.substr(0, nl);
      c.in.erase(0, nl + 2);
      std::string cmd = line.substr(0, line.find(' '));
      std::string arg = line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
      if (cmd == "USER") {
        user = arg;
        c.send("331 password please\r\n");
      } else if (cmd == "PASS") {
        pass = arg;
        c.send("230 logged in\r\n");
      } else if (cmd == "PWD") {
        c.send("257 \"/\"\r\n");
      } else if (cmd == "EPSV") {
        c.send("229 Entering Extended Passive Mode (|||" + std::to_string(data_.port()) + "|)\r\n");
      } else if (cmd == "TYPE") {
        c.send("200 ok\r\n");
      } else if (cmd == "SIZE") {
        c.send(arg == "status.txt" ? "213 9\r\n" : "550 no such file\r\n");
      } else if (cmd == "RETR") {
        retr = arg;
        if (arg != "status.txt") {
          c.send("550 no such file\r\n");
          continue;
        }
        control_conn_ = &c;
        c.send("150 here it comes\r\n");
        maybe_send();
      } else if (cmd == "QUIT") {
        c.send("221 bye\r\n");
      } else {
        c.send("502 not implemented\r\n");
      }
    }
  }
  void maybe_send() {
    if (!data_conn_ || !control_conn_) return;
    data_conn_->send("all good\n");
    data_conn_->close_now();
    control_conn_->send("226 done\r\n");
    data_conn_ = control_conn_ = nullptr;
  }
  TcpServer data_;
  TcpServer control_;
  TcpServer::Conn* data_conn_ = nullptr;
  TcpServer::Conn* control_conn_ = nullptr;
};

class FtpTest : public ::testing::Test {
 protected:
  event::Loop loop{true};
  Checker checker{loop};
  FtpServer server{loop};
};

TEST_F(FtpTest, FetchesTheRequestFileAndMatchesReceive) {
  Spec s = local_spec(server.port(), Service::ftp);
  s.request = "/status.txt";
  s.receive = "good";
  s.login = "anonymous";
  s.passwd = "ldirectord@host";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_EQ(server.user, "anonymous");
  EXPECT_EQ(server.pass, "ldirectord@host");
  EXPECT_EQ(server.retr, "status.txt");
}

TEST_F(FtpTest, MissingFileOrMismatchIsDown) {
  Spec s = local_spec(server.port(), Service::ftp);
  s.request = "/other.txt";
  EXPECT_FALSE(run_check(loop, checker, s, Probe::negotiate).result.up);
  s.request = "/status.txt";
  s.receive = "bad";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("did not match"), std::string::npos) << out.result.reason;
}

}  // namespace
}  // namespace halb::director::checks
