// tests/unit/director/checks/http_test.cc: the http check (by hand, handing
// redirects to libcurl) and the https/http_proxy ones (libcurl multi on the
// loop) against a tiny HTTP responder.
#include <gtest/gtest.h>

#include <map>

#include "director/checks/check.h"
#include "tests/unit/director/checks/check_helpers.h"

namespace halb::director::checks {
namespace {

using namespace testing;

// Answers GET/HEAD by path; "/hang" never answers. Remembers each request head.
class HttpServer {
 public:
  explicit HttpServer(event::Loop& loop)
      : server_(loop, [this](TcpServer::Conn& c) { on_data(c); }) {}
  uint16_t port() const { return server_.port(); }
  std::vector<std::string> heads;
  std::string raw_reply;

 private:
  void on_data(TcpServer::Conn& c) {
    size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return;
    std::string head = c.in.substr(0, end);
    c.in.erase(0, end + 4);
    heads.push_back(head);
    std::string method = head.substr(0, head.find(' '));
    size_t p0 = head.find(' ') + 1;
    std::string path = head.substr(p0, head.find(' ', p0) - p0);
    if (path.rfind("http://", 0) == 0) path = path.substr(path.find('/', 7));  // proxy form
    std::string status = "200 OK", body = "hello world, all good\n", extra;
    if (path == "/hang") return;
    if (path == "/redirect") {
      status = "302 Found";
      extra = "Location: /ok\r\n";
      body = "moved";
    } else if (path == "/err") {
      status = "500 Internal Server Error";
      body = "broken";
    } else if (path == "/missing") {
      status = "404 Not Found";
    } else if (path == "/raw") {  // the reply is the rest of the query string, as it is
      c.send(raw_reply);
      c.close_now();
      return;
    }
    std::string reply = "HTTP/1.1 " + status + "\r\n" + extra + "Content-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n\r\n";
    if (method != "HEAD") reply += body;
    c.send(reply);
    c.close_now();
  }
  TcpServer server_;
};

class HttpTest : public ::testing::Test {
 protected:
  Spec spec(const std::string& request, const std::string& receive = "") {
    Spec s = local_spec(server.port(), Service::http);
    s.request = request;
    s.receive = receive;
    return s;
  }
  event::Loop loop{true};
  Checker checker{loop};
  HttpServer server{loop};
};

TEST_F(HttpTest, StatusTwoHundredAndReceiveMatchIsUp) {
  auto out = run_check(loop, checker, spec("/ok", "all (good|fine)"), Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_EQ(out.calls, 1);
  ASSERT_EQ(server.heads.size(), 1u);
  EXPECT_EQ(server.heads[0].rfind("GET /ok HTTP/1.0", 0), 0u) << server.heads[0];
  EXPECT_NE(server.heads[0].find("Host: 127.0.0.1\r\n"), std::string::npos) << server.heads[0];
}

TEST_F(HttpTest, ReceiveMismatchIsDown) {
  auto out = run_check(loop, checker, spec("/ok", "^broken"), Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("did not match"), std::string::npos) << out.result.reason;
}

TEST_F(HttpTest, ServerErrorIsDown) {
  auto out = run_check(loop, checker, spec("/err"), Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("status 500"), std::string::npos) << out.result.reason;
  EXPECT_FALSE(run_check(loop, checker, spec("/missing"), Probe::negotiate).result.up);
}

TEST_F(HttpTest, RedirectsAreFollowed) {
  auto out = run_check(loop, checker, spec("/redirect", "hello"), Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  // Ours, then libcurl's from the start, then the one it was sent to.
  ASSERT_EQ(server.heads.size(), 3u);
  EXPECT_EQ(server.heads[1].rfind("GET /redirect HTTP/1.1", 0), 0u) << server.heads[1];
  EXPECT_EQ(server.heads[2].rfind("GET /ok ", 0), 0u) << server.heads[2];
}

TEST_F(HttpTest, BodyWithoutLengthIsReadToTheEnd) {
  server.raw_reply = "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nfirst part\nsecond part, the one we want\n";
  auto out = run_check(loop, checker, spec("/raw", "second part"), Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
}

TEST_F(HttpTest, BodyCutShortOfContentLengthIsDown) {
  server.raw_reply = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this";
  auto out = run_check(loop, checker, spec("/raw"), Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("after 9 of 100 body bytes"), std::string::npos) << out.result.reason;
}

TEST_F(HttpTest, GarbageOrNothingIsDown) {
  for (std::string reply : {std::string("SSH-2.0-OpenSSH_9.2\r\n\r\n"), std::string("HTTP/1.1 2x0 OK\r\n\r\n"),
                            std::string(""), std::string("HTTP/1.1 200 OK\r\nContent-")}) {
    server.raw_reply = reply;
    auto out = run_check(loop, checker, spec("/raw"), Probe::negotiate);
    EXPECT_FALSE(out.result.up) << reply;
    EXPECT_EQ(out.calls, 1);
  }
}

TEST_F(HttpTest, ChunkedReplyIsLeftToLibcurl) {
  server.raw_reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  auto out = run_check(loop, checker, spec("/raw", "^hello$"), Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  EXPECT_EQ(server.heads.size(), 2u);
}

TEST_F(HttpTest, VirtualhostIsTheHostHeader) {
  Spec s = spec("/ok");
  s.virtualhost = "www.example.com";
  EXPECT_TRUE(run_check(loop, checker, s, Probe::negotiate).result.up);
  ASSERT_EQ(server.heads.size(), 1u);
  EXPECT_NE(server.heads[0].find("Host: www.example.com\r\n"), std::string::npos) << server.heads[0];
}

TEST_F(HttpTest, HeadMethod) {
  Spec s = spec("/ok");
  s.httpmethod = config::HttpMethod::head;
  EXPECT_TRUE(run_check(loop, checker, s, Probe::negotiate).result.up);
  ASSERT_EQ(server.heads.size(), 1u);
  EXPECT_EQ(server.heads[0].rfind("HEAD /ok ", 0), 0u);
}

TEST_F(HttpTest, AbsoluteRequestUrlIsUsedAsIs) {
  Spec s = spec("/http://127.0.0.1:" + std::to_string(server.port()) + "/ok", "hello");
  s.port = closed_port();  // the URL names the port
  EXPECT_TRUE(run_check(loop, checker, s, Probe::negotiate).result.up);
}

TEST_F(HttpTest, HangingServerIsDownAfterNegotiatetimeout) {
  Spec s = spec("/hang");
  s.negotiatetimeout = 1;
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_NE(out.result.reason.find("timed out"), std::string::npos) << out.result.reason;
  EXPECT_GE(out.seconds, 0.9);
  EXPECT_LT(out.seconds, 5);
}

TEST_F(HttpTest, RefusedIsDown) {
  Spec s = spec("/ok");
  s.port = closed_port();
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_FALSE(out.result.up);
  EXPECT_EQ(out.calls, 1);
}

TEST_F(HttpTest, HttpProxyFetchesTheRequestThroughTheReal) {
  Spec s = spec("/ok", "hello");
  s.service = Service::http_proxy;
  s.virtualhost = "origin.example";
  auto out = run_check(loop, checker, s, Probe::negotiate);
  EXPECT_TRUE(out.result.up) << out.result.reason;
  ASSERT_EQ(server.heads.size(), 1u);
  EXPECT_EQ(server.heads[0].rfind("GET http://origin.example/ok ", 0), 0u) << server.heads[0];
}

TEST_F(HttpTest, ManyChecksAtOnceAndOneHangingDoesNotDelayTheOthers) {
  std::vector<std::unique_ptr<Check>> checks;
  int up = 0, down = 0;
  Spec hang = spec("/hang");
  hang.negotiatetimeout = 3;
  checks.push_back(checker.start(hang, Probe::negotiate, [&](Result r) { r.up ? up++ : down++; }));
  for (int i = 0; i < 20; i++)
    checks.push_back(checker.start(spec("/ok", "hello"), Probe::negotiate, [&](Result r) { r.up ? up++ : down++; }));
  EXPECT_TRUE(run_until(loop, [&] { return up == 20; }, 2.5));
  EXPECT_EQ(down, 0);
  run_until(loop, [&] { return down == 1; }, 5);
  EXPECT_EQ(down, 1);
}

TEST_F(HttpTest, DestroyingRunningChecksNeverReports) {
  int calls = 0;
  std::vector<std::unique_ptr<Check>> checks;
  for (int i = 0; i < 5; i++)
    checks.push_back(checker.start(spec("/hang"), Probe::negotiate, [&](Result) { calls++; }));
  run_for(loop, 0.2);
  checks.clear();
  run_for(loop, 0.3);
  EXPECT_EQ(calls, 0);
  // The multi handle still works afterwards.
  EXPECT_TRUE(run_check(loop, checker, spec("/ok"), Probe::negotiate).result.up);
}

}  // namespace
}  // namespace halb::director::checks
