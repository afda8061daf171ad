// tests/unit/director/backend/lvsd_backend_test.cc: LvsdBackend against a
// canned control socket: the requests it writes, and every kind of reply
// turned into the errno a caller acts on.
#include "director/backend/lvsd_backend.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace halb::director::backend {
namespace {

using Json = nlohmann::json;

// Answers each connection's one request line with the next canned reply
// and records the requests.
class CannedServer {
 public:
  explicit CannedServer(std::vector<std::string> replies) : replies_(std::move(replies)) {
    char tmpl[] = "/tmp/halb-lvsd-backend-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/s.sock";
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    listen(fd_, 8);
    thread_ = std::thread([this] {
      for (const auto& reply : replies_) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string line;
        char ch;
        while (read(c, &ch, 1) == 1 && ch != '\n') line += ch;
        requests.push_back(Json::parse(line));
        if (!reply.empty()) (void)!write(c, reply.data(), reply.size());
        close(c);
      }
    });
  }
  ~CannedServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }
  std::vector<Json> requests;

 private:
  std::vector<std::string> replies_;
  std::string dir_, path_;
  int fd_ = -1;
  std::thread thread_;
};

int err_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const BackendError& e) {
    return e.err();
  }
  return 0;
}

ServiceKey key() { return {Protocol::tcp, Family::v4, 0, *IpAddress::parse("10.0.0.1"), 80}; }

TEST(LvsdBackend, RequestsHaveTheProtocolShape) {
  std::vector<std::string> ok(4, "{\"ok\":true}\n");
  std::vector<Json> seen;
  {
    CannedServer srv(ok);
    LvsdBackend b(srv.path());
    Service s;
    s.key = key();
    s.scheduler = "wrr";
    s.dests = {Dest{*IpAddress::parse("10.0.0.2"), 80}};
    b.add_service(s);
    b.edit_service(s);
    SyncDaemon d;
    d.syncid = 4;
    b.start_daemon(d);
    b.zero(key());
    seen = srv.requests;
  }
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0]["cmd"], "add-service");
  EXPECT_EQ(seen[0]["service"]["dests"].size(), 1u);
  EXPECT_EQ(seen[1]["cmd"], "edit-service");
  EXPECT_FALSE(seen[1]["service"].contains("dests"));  // SET_SERVICE carries no dests
  EXPECT_EQ(seen[2]["daemon"]["syncid"], 4);
  EXPECT_FALSE(seen[2]["daemon"].contains("maxlen"));  // 0: leave the default to halb-lvsd
  EXPECT_EQ(seen[3]["service"]["port"], 80);
}

TEST(LvsdBackend, ErrorRepliesBecomeTheirErrno) {
  CannedServer srv({"{\"ok\":false,\"errno\":3,\"error\":\"No such service\"}\n",
                    "{\"ok\":false,\"error\":\"odd\"}\n", "not json\n", "[1]\n",
                    "{\"ok\":true,\"info\":{\"version\":\"x\"}}\n", "{\"ok\":\"yes\"}\n"});
  LvsdBackend b(srv.path());
  try {
    b.del_service(key());
    FAIL() << "no error";
  } catch (const BackendError& e) {
    EXPECT_EQ(e.err(), ESRCH);
    EXPECT_STREQ(e.what(), "No such service");
  }
  EXPECT_EQ(err_of([&] { b.flush(); }), EINVAL);  // no errno given
  EXPECT_EQ(err_of([&] { b.flush(); }), EPROTO);  // not JSON
  EXPECT_EQ(err_of([&] { b.flush(); }), EPROTO);  // not an object
  EXPECT_EQ(err_of([&] { b.info(); }), EPROTO);   // ill-typed field
  EXPECT_EQ(err_of([&] { b.flush(); }), EINVAL);  // "ok" not a boolean: not a success
}

TEST(LvsdBackend, AbsentOrSilentDaemon) {
  LvsdBackend absent("/nonexistent/halb-lvsd.sock", 0.5);
  EXPECT_EQ(err_of([&] { absent.info(); }), ECONNREFUSED);
  CannedServer silent({""});
  LvsdBackend b(silent.path(), 0.3);
  EXPECT_EQ(err_of([&] { b.flush(); }), ECONNREFUSED);  // closed without a reply
}

}  // namespace
}  // namespace halb::director::backend
