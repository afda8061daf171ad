// tests/unit/director/checks/probes_test.cc: connect, external, on/none,
// ping, simpletcp and the mail/news greetings, dns, against local servers.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "director/checks/check.h"
#include "tests/unit/director/checks/check_helpers.h"

namespace halb::director::checks {
namespace {

using namespace testing;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/halb-checks-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { (void)!system(("rm -rf " + path).c_str()); }
  std::string script(const std::string& name, const std::string& body) {
    std::string p = path + "/" + name;
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    chmod(p.c_str(), 0755);
    return p;
  }
  std::string read(const std::string& name) {
    std::ifstream f(path + "/" + name);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
};

// A listener whose accept queue is full: further connects hang in SYN-SENT.
struct Blackhole {
  int listener = -1;
  uint16_t port = 0;
  std::vector<int> fillers;
  Blackhole() {
    listener = listen_tcp(port, 0);
    for (int i = 0; i < 8; i++) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(port);
      inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
      connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
      fillers.push_back(fd);
    }
    usleep(50000);
  }
  ~Blackhole() {
    for (int fd : fillers) close(fd);
    close(listener);
  }
};

class ProbesTest : public ::testing::Test {
 protected:
  event::Loop loop{true};
  Checker checker{loop};
};

TEST_F(ProbesTest, ConnectUpWhenListening) {
  TcpServer server(loop);
  auto out = run_check(loop, checker, local_spec(server.port()), Probe::connect);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_EQ(out.calls, 1);
}

TEST_F(ProbesTest, ConnectDownWhenRefused) {
  auto out = run_check(loop, checker, local_spec(closed_port()), Probe::connect);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("Connection refused"), std::string::npos) << out.result.reason;
  EXPECT_EQ(out.calls, 1);
}

TEST_F(ProbesTest, ConnectTimesOutOnBlackhole) {
  Blackhole hole;
  Spec spec = local_spec(hole.port);
  spec.checktimeout = 1;
  auto out = run_check(loop, checker, spec, Probe::connect);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("timed out"), std::string::npos) << out.result.reason;
  EXPECT_GE(out.seconds, 0.9);
  EXPECT_LT(out.seconds, 5);
}

TEST_F(ProbesTest, ConnectToIpv6Loopback) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    GTEST_SKIP() << "no ::1 here";
  }
  listen(fd, 4);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  Spec spec = local_spec(ntohs(sa.sin6_port));
  spec.rip = *IpAddress::parse("::1");
  auto out = run_check(loop, checker, spec, Probe::connect);
  close(fd);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_NE(out.result.reason.find("[::1]"), std::string::npos) << out.result.reason;
}

TEST_F(ProbesTest, AlwaysUpReportsOnTheNextIteration) {
  bool called = false;
  auto check = checker.start(local_spec(1), Probe::always_up, [&](Result r) { called = r.up; });
  EXPECT_FALSE(called);  // never from inside start()
  run_until(loop, [&] { return called; }, 2);
  EXPECT_TRUE(called);
}

TEST_F(ProbesTest, ServiceNoneIsUp) {
  auto out = run_check(loop, checker, local_spec(closed_port(), Service::none), Probe::negotiate);
  EXPECT_TRUE(out.result.up);
}

TEST_F(ProbesTest, ExternalGetsItsArgumentsAndExitZeroIsUp) {
  TempDir dir;
  Spec spec = local_spec(8080);
  spec.checkcommand = dir.script("check", "echo \"$@\" > " + dir.path + "/args; exit 0");
  auto out = run_check(loop, checker, spec, Probe::external);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_EQ(dir.read("args"), "127.0.0.100 80 127.0.0.1 8080\n");
}

TEST_F(ProbesTest, ExternalWithFwmarkPassesTheMark) {
  TempDir dir;
  Spec spec = local_spec(8080);
  spec.fwmark = 7;
  spec.vport = 0;
  spec.checkcommand = dir.script("check", "echo \"$@\" > " + dir.path + "/args");
  auto out = run_check(loop, checker, spec, Probe::external);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_EQ(dir.read("args"), "7 0 127.0.0.1 8080\n");
}

TEST_F(ProbesTest, ExternalNonZeroExitIsDown) {
  TempDir dir;
  Spec spec = local_spec(80);
  spec.checkcommand = dir.script("check", "exit 3");
  auto out = run_check(loop, checker, spec, Probe::external);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("exited 3"), std::string::npos) << out.result.reason;
}

TEST_F(ProbesTest, ExternalMissingCommandIsDown) {
  Spec spec = local_spec(80);
  spec.checkcommand = "/nonexistent/halb-check";
  auto out = run_check(loop, checker, spec, Probe::external);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("No such file"), std::string::npos) << out.result.reason;
}

TEST_F(ProbesTest, ExternalKilledAfterChecktimeout) {
  TempDir dir;
  Spec spec = local_spec(80);
  spec.checktimeout = 1;
  spec.checkcommand = dir.script("check", "echo $$ > " + dir.path + "/pid; sleep 30; exit 0");
  auto out = run_check(loop, checker, spec, Probe::external);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("timed out"), std::string::npos) << out.result.reason;
  EXPECT_GE(out.seconds, 0.9);
  EXPECT_LT(out.seconds, 5);
  pid_t pid = std::atoi(dir.read("pid").c_str());
  ASSERT_GT(pid, 0);
  run_until(loop, [&] { return kill(pid, 0) != 0; }, 3);
  EXPECT_NE(kill(pid, 0), 0) << "the check script is still running";
}

TEST_F(ProbesTest, DestroyingARunningExternalKillsIt) {
  TempDir dir;
  Spec spec = local_spec(80);
  spec.checktimeout = 30;
  spec.checkcommand = dir.script("check", "echo $$ > " + dir.path + "/pid; exec sleep 30");
  int calls = 0;
  auto check = checker.start(spec, Probe::external, [&](Result) { calls++; });
  run_until(loop, [&] { return !dir.read("pid").empty(); }, 5);
  pid_t pid = std::atoi(dir.read("pid").c_str());
  ASSERT_GT(pid, 0);
  check.reset();
  run_until(loop, [&] { return kill(pid, 0) != 0; }, 3);
  EXPECT_NE(kill(pid, 0), 0);
  EXPECT_EQ(calls, 0);
}

TEST_F(ProbesTest, DestroyingARunningConnectNeverReports) {
  Blackhole hole;
  int calls = 0;
  Spec spec = local_spec(hole.port);
  spec.checktimeout = 1;
  auto check = checker.start(spec, Probe::connect, [&](Result) { calls++; });
  run_for(loop, 0.1);
  check.reset();
  run_for(loop, 1.3);
  EXPECT_EQ(calls, 0);
}

TEST_F(ProbesTest, PingLoopback) {
  auto out = run_check(loop, checker, local_spec(0), Probe::ping);
  if (!out.result.up && out.result.reason.find("no ICMP socket") != std::string::npos)
    GTEST_SKIP() << out.result.reason;
  EXPECT_TRUE(out.result.up) << out.result.reason;
}

TEST_F(ProbesTest, PingIpv6Loopback) {
  Spec spec = local_spec(0);
  spec.rip = *IpAddress::parse("::1");
  auto out = run_check(loop, checker, spec, Probe::ping);
  if (!out.result.up && (out.result.reason.find("no ICMP socket") != std::string::npos ||
                         out.result.reason.find("unreachable") != std::string::npos))
    GTEST_SKIP() << out.result.reason;
  EXPECT_TRUE(out.result.up) << out.result.reason;
}

TEST_F(ProbesTest, UdpVirtualConnectIsAPing) {
  Spec spec = local_spec(53);
  spec.checktype = CheckType::connect;
  spec.udp = true;
  EXPECT_EQ(probe_for(spec), Probe::ping);
  spec.udp = false;
  EXPECT_EQ(probe_for(spec), Probe::connect);
}

// ---- line protocols ----

TcpServer::Handler lines(std::function<std::string(const std::string&)> answer) {
  return [answer](TcpServer::Conn& c) {
    for (size_t nl; (nl = c.in.find('\n')) != std::string::npos;) {
      std::string line = c.in.substr(0, nl);
      c.in.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::string reply = answer(line);
      if (!reply.empty()) c.send(reply);
    }
  };
}

TEST_F(ProbesTest, SmtpGreetingAndEhlo) {
  TcpServer server(
      loop, lines([](const std::string& l) { return l.rfind("EHLO ", 0) == 0 ? "250-hi\r\n250 SIZE 1000\r\n" : ""; }),
      [](TcpServer::Conn& c) { c.send("220-mx.example ESMTP\r\n220 ready\r\n"); });
  auto out = run_check(loop, checker, local_spec(server.port(), Service::smtp), Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  run_until(loop, [&] { return server.all_input().find("QUIT") != std::string::npos; }, 1);
  EXPECT_NE(server.all_input().find("QUIT\r\n"), std::string::npos);
}

TEST_F(ProbesTest, SmtpAuthPlainWhenLoginIsSet) {
  // base64("\0u\0p") = "AHUAcA=="
  TcpServer server(loop, lines([](const std::string& l) {
                     if (l.rfind("EHLO ", 0) == 0) return std::string("250 AUTH PLAIN\r\n");
                     if (l == "AUTH PLAIN AHUAcA==") return std::string("235 ok\r\n");
                     if (l.rfind("AUTH", 0) == 0) return std::string("535 bad credentials\r\n");
                     return std::string();
                   }),
                   [](TcpServer::Conn& c) { c.send("220 ready\r\n"); });
  Spec spec = local_spec(server.port(), Service::submission);
  spec.login = "u";
  spec.passwd = "p";
  auto out = run_check(loop, checker, spec, Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  spec.passwd = "q";
  out = run_check(loop, checker, spec, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("535"), std::string::npos) << out.result.reason;
}

TEST_F(ProbesTest, NntpAuthinfoWhenLoginIsSet) {
  TcpServer server(loop, lines([](const std::string& l) {
                     if (l == "AUTHINFO USER u") return std::string("381 more\r\n");
                     if (l == "AUTHINFO PASS p") return std::string("281 ok\r\n");
                     return std::string("481 no\r\n");
                   }),
                   [](TcpServer::Conn& c) { c.send("200 news\r\n"); });
  Spec spec = local_spec(server.port(), Service::nntp);
  spec.login = "u";
  spec.passwd = "p";
  EXPECT_TRUE(run_check(loop, checker, spec, Probe::negotiate).result.up);
  spec.passwd = "x";
  EXPECT_FALSE(run_check(loop, checker, spec, Probe::negotiate).result.up);
}

TEST_F(ProbesTest, SmtpRefusingGreetingIsDown) {
  TcpServer server(loop, nullptr, [](TcpServer::Conn& c) { c.send("554 go away\r\n"); });
  auto out = run_check(loop, checker, local_spec(server.port(), Service::submission), Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("554 go away"), std::string::npos) << out.result.reason;
}

TEST_F(ProbesTest, SilentServerTimesOutAfterNegotiatetimeout) {
  TcpServer server(loop);  // accepts, says nothing
  Spec spec = local_spec(server.port(), Service::smtp);
  spec.negotiatetimeout = 1;
  auto out = run_check(loop, checker, spec, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("timed out"), std::string::npos) << out.result.reason;
  EXPECT_GE(out.seconds, 0.9);
  EXPECT_LT(out.seconds, 5);
}

TEST_F(ProbesTest, NegotiateConnectPhaseIsBoundedByChecktimeout) {
  Blackhole hole;
  Spec spec = local_spec(hole.port, Service::smtp);
  spec.checktimeout = 1;
  spec.negotiatetimeout = 10;
  auto out = run_check(loop, checker, spec, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("connect timed out"), std::string::npos) << out.result.reason;
  EXPECT_LT(out.seconds, 5);
}

TEST_F(ProbesTest, PopGreetingAndLogin) {
  TcpServer server(loop, lines([](const std::string& l) {
                     if (l == "USER u") return std::string("+OK\r\n");
                     if (l == "PASS p") return std::string("+OK logged in\r\n");
                     if (l.rfind("PASS", 0) == 0) return std::string("-ERR bad\r\n");
                     return std::string();
                   }),
                   [](TcpServer::Conn& c) { c.send("+OK POP3 ready\r\n"); });
  Spec spec = local_spec(server.port(), Service::pop);
  EXPECT_TRUE(run_check(loop, checker, spec, Probe::negotiate).result.up);
  spec.login = "u";
  spec.passwd = "p";
  EXPECT_TRUE(run_check(loop, checker, spec, Probe::negotiate).result.up);
  spec.passwd = "wrong";
  auto out = run_check(loop, checker, spec, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("-ERR bad"), std::string::npos) << out.result.reason;
}

TEST_F(ProbesTest, ImapGreetingAndLogin) {
  TcpServer server(loop, lines([](const std::string& l) {
                     if (l == "a1 LOGIN \"u\" \"p\"") return std::string("* CAPABILITY IMAP4rev1\r\na1 OK done\r\n");
                     if (l.rfind("a1 LOGIN", 0) == 0) return std::string("a1 NO denied\r\n");
                     return std::string();
                   }),
                   [](TcpServer::Conn& c) { c.send("* OK IMAP ready\r\n"); });
  Spec spec = local_spec(server.port(), Service::imap);
  EXPECT_TRUE(run_check(loop, checker, spec, Probe::negotiate).result.up);
  spec.login = "u";
  spec.passwd = "p";
  EXPECT_TRUE(run_check(loop, checker, spec, Probe::negotiate).result.up);
  spec.passwd = "x";
  EXPECT_FALSE(run_check(loop, checker, spec, Probe::negotiate).result.up);
}

TEST_F(ProbesTest, NntpBannerMustStartWithTwo) {
  TcpServer good(loop, nullptr, [](TcpServer::Conn& c) { c.send("200 news ready\r\n"); });
  TcpServer bad(loop, nullptr, [](TcpServer::Conn& c) { c.send("502 no permission\r\n"); });
  EXPECT_TRUE(run_check(loop, checker, local_spec(good.port(), Service::nntp), Probe::negotiate).result.up);
  EXPECT_FALSE(run_check(loop, checker, local_spec(bad.port(), Service::nntp), Probe::negotiate).result.up);
}

TEST_F(ProbesTest, SimpleTcpSendsRequestAndMatchesALine) {
  // Answers after the client half-closes, as ldirectord's simpletcp expects.
  TcpServer server(loop, [](TcpServer::Conn& c) {
    if (c.in == "status\nverbose\n") c.send("line one\nstate: running\n");
  });
  Spec spec = local_spec(server.port(), Service::simpletcp);
  spec.request = "/status\\nverbose\\n";
  spec.receive = "state: (running|ok)";
  auto out = run_check(loop, checker, spec, Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  spec.receive = "state: stopped";
  spec.negotiatetimeout = 1;
  EXPECT_FALSE(run_check(loop, checker, spec, Probe::negotiate).result.up);
}

TEST_F(ProbesTest, BadReceivePatternIsDownWithAReason) {
  TcpServer server(loop, [](TcpServer::Conn& c) { c.send("x\n"); });
  Spec spec = local_spec(server.port(), Service::simpletcp);
  spec.request = "/ping";
  spec.receive = "([unclosed";
  auto out = run_check(loop, checker, spec, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("bad receive pattern"), std::string::npos) << out.result.reason;
}

TEST_F(ProbesTest, UnsupportedServiceFallsBackToConnect) {
  EXPECT_FALSE(negotiate_supported(Service::oracle));
  EXPECT_TRUE(negotiate_supported(Service::ftp));
  TcpServer server(loop);
  auto out = run_check(loop, checker, local_spec(server.port(), Service::oracle), Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
}

// ---- dns ----

// A UDP DNS responder: answers every A query with 10.1.2.3, PTR with host.example.
class DnsServer {
 public:
  explicit DnsServer(event::Loop& loop) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    io_ = std::make_unique<event::Io>(loop, fd_, EV_READ, [this](int) { answer(); });
    io_->start();
  }
  ~DnsServer() {
    io_.reset();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string last_name;

 private:
  void answer() {
    char buf[512];
    sockaddr_in from{};
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n < 12) return;
    std::string q(buf, n);
    size_t at = 12;
    last_name.clear();
    while (at < q.size() && q[at]) {
      if (!last_name.empty()) last_name += '.';
      last_name.append(q, at + 1, static_cast<uint8_t>(q[at]));
      at += 1 + static_cast<uint8_t>(q[at]);
    }
    uint16_t qtype = static_cast<uint8_t>(q[at + 1]) << 8 | static_cast<uint8_t>(q[at + 2]);
    std::string r = q.substr(0, at + 5);
    r[2] = static_cast<char>(0x81);
    r[3] = static_cast<char>(0x80);
    r[7] = 1;  // one answer
    r += std::string("\xc0\x0c", 2);
    if (qtype == 1) {
      r += std::string("\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x01\x02\x03", 14);
    } else {
      std::string name = std::string("\x04host\x07" "example", 13) + '\0';
      r += std::string("\x00\x0c\x00\x01\x00\x00\x00\x3c\x00", 9) + static_cast<char>(name.size()) + name;
    }
    sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
  }
  int fd_;
  uint16_t port_ = 0;
  std::unique_ptr<event::Io> io_;
};

TEST_F(ProbesTest, DnsAnswerMatchesReceive) {
  DnsServer dns(loop);
  Spec spec = local_spec(dns.port(), Service::dns);
  spec.request = "/www.example.com";
  spec.receive = "^10\\.1\\.2\\.3$";
  auto out = run_check(loop, checker, spec, Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_EQ(dns.last_name, "www.example.com");
  spec.receive = "10.9.9.9";
  EXPECT_FALSE(run_check(loop, checker, spec, Probe::negotiate).result.up);
}

TEST_F(ProbesTest, DnsReverseLookupOfAnAddress) {
  DnsServer dns(loop);
  Spec spec = local_spec(dns.port(), Service::dns);
  spec.request = "/10.1.2.3";
  spec.receive = "host\\.example";
  auto out = run_check(loop, checker, spec, Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_EQ(dns.last_name, "3.2.1.10.in-addr.arpa");
}

TEST_F(ProbesTest, DnsNoServerIsDown) {
  Spec spec = local_spec(closed_port(), Service::dns);
  spec.request = "/www.example.com";
  spec.negotiatetimeout = 1;
  auto out = run_check(loop, checker, spec, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
}

}  // namespace
}  // namespace halb::director::checks
