// tests/unit/director/checks/sip_radius_test.cc: service=sip (OPTIONS over
// UDP and TCP) and service=radius (Access-Request with the shared secret).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "director/checks/check.h"
#include "tests/unit/director/checks/check_helpers.h"

namespace halb::director::checks {
namespace {

using namespace testing;

// Answers each datagram with handler(datagram) (nothing when empty).
class UdpServer {
 public:
  UdpServer(event::Loop& loop, std::function<std::string(const std::string&)> handler)
      : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    io_ = std::make_unique<event::Io>(loop, fd_, EV_READ, [this](int) {
      char buf[4096];
      sockaddr_in from{};
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n <= 0) return;
      received.emplace_back(buf, n);
      std::string reply = handler_(received.back());
      if (!reply.empty()) sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
    });
    io_->start();
  }
  ~UdpServer() {
    io_.reset();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> received;

 private:
  std::function<std::string(const std::string&)> handler_;
  int fd_;
  uint16_t port_ = 0;
  std::unique_ptr<event::Io> io_;
};

class SipRadiusTest : public ::testing::Test {
 protected:
  event::Loop loop{true};
  Checker checker{loop};
};

TEST_F(SipRadiusTest, SipOptionsOverUdp) {
  UdpServer sip(loop, [](const std::string& req) {
    return req.rfind("OPTIONS sip:ldirectord@host SIP/2.0\r\n", 0) == 0 ? "SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\n\r\n"
                                                                          : "SIP/2.0 400 Bad Request\r\n\r\n";
  });
  Spec s = local_spec(sip.port(), Service::sip);
  s.udp = true;
  s.login = "ldirectord@host";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  ASSERT_EQ(sip.received.size(), 1u);
  EXPECT_NE(sip.received[0].find("Via: SIP/2.0/UDP 127.0.0.1:"), std::string::npos) << sip.received[0];
  s.login = "someone@else";
  out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("400 Bad Request"), std::string::npos) << out.result.reason;
}

// The reason is logged: what the server sent is quoted printable, bounded.
TEST_F(SipRadiusTest, SipAnswerIsQuotedPrintable) {
  UdpServer sip(loop, [](const std::string&) {
    const char answer[] = "SIP/2.0 200 OK\0\x1b[2J";
    return std::string(answer, sizeof answer - 1) + std::string(3000, 'x') + "\r\n\r\n";
  });
  Spec s = local_spec(sip.port(), Service::sip);
  s.udp = true;
  s.login = "ldirectord@host";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_NE(out.result.reason.find("SIP/2.0 200 OK??[2J"), std::string::npos) << out.result.reason;
  EXPECT_LT(out.result.reason.size(), 300u);
}

TEST_F(SipRadiusTest, SipOptionsOverTcp) {
  TcpServer sip(loop, [](TcpServer::Conn& c) {
    if (c.in.find("\r\n\r\n") != std::string::npos) c.send("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  Spec s = local_spec(sip.port(), Service::sip);
  s.login = "x@y";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_NE(sip.all_input().find("SIP/2.0/TCP"), std::string::npos);
}

TEST_F(SipRadiusTest, SipSilenceIsDown) {
  UdpServer sip(loop, [](const std::string&) { return std::string(); });
  Spec s = local_spec(sip.port(), Service::sip);
  s.udp = true;
  s.negotiatetimeout = 1;
  EXPECT_FALSE(run_check(loop, checker, s, Probe::negotiate).result.up);
}

std::string md5(const std::string& d) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(d.data(), d.size(), md, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

// A RADIUS server knowing user "monitor" with password "pw" and secret "s3".
std::string radius_answer(const std::string& req, const std::string& secret) {
  std::string auth = req.substr(4, 16), user, hidden;
  for (size_t at = 20; at + 2 <= req.size();) {
    uint8_t type = req[at], len = req[at + 1];
    if (len < 2) break;
    if (type == 1) user = req.substr(at + 2, len - 2);
    if (type == 2) hidden = req.substr(at + 2, len - 2);
    at += len;
  }
  std::string pw, prev = auth;
  for (size_t i = 0; i + 16 <= hidden.size(); i += 16) {
    std::string b = md5("s3" + prev), block = hidden.substr(i, 16);
    for (int j = 0; j < 16; j++) pw += static_cast<char>(block[j] ^ b[j]);
    prev = block;
  }
  pw = pw.c_str();  // strip the padding
  char code = (user == "monitor" && pw == "pw") ? 2 : 3;
  std::string head = std::string(1, code) + req[1] + std::string("\x00\x14", 2);
  return head + md5(head + auth + secret) ;
}

TEST_F(SipRadiusTest, RadiusAcceptRejectAndWrongSecret) {
  UdpServer radius(loop, [](const std::string& req) { return radius_answer(req, "s3"); });
  Spec s = local_spec(radius.port(), Service::radius);
  s.login = "monitor";
  s.passwd = "pw";
  s.secret = "s3";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  s.passwd = "wrong";
  out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("Access-Reject"), std::string::npos) << out.result.reason;
  s.passwd = "pw";
  s.secret = "other";  // the server's answer no longer verifies (and the password decodes wrong)
  EXPECT_FALSE(run_check(loop, checker, s, Probe::negotiate).result.up);
}

TEST_F(SipRadiusTest, RadiusAnswerWithAForgedAuthenticatorIsDown) {
  UdpServer radius(loop, [](const std::string& req) { return radius_answer(req, "not-the-secret"); });
  Spec s = local_spec(radius.port(), Service::radius);
  s.login = "monitor";
  s.passwd = "pw";
  s.secret = "s3";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("not signed"), std::string::npos) << out.result.reason;
}

}  // namespace
}  // namespace halb::director::checks
