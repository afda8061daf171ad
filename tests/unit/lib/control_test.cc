// Unit tests for the control socket: a request/reply round trip, bad JSON
// answered without dropping the connection.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "lib/control/client.h"
#include "lib/control/server.h"
#include "tests/unit/support/temp_dir.h"

using namespace halb;

TEST(Control, RoundTripAndBadInput) {
  halb::testing::TempDir dir("halb-ctl");
  std::string path = dir.file("ctl.sock");
  event::Loop loop(false);
  log::Logger logger;
  control::Server server(loop, logger, [](const control::Json& req, const control::Peer& peer) {
    return control::Json{{"ok", true}, {"echo", req.value("cmd", "")}, {"uid", peer.uid}};
  });
  server.listen(path);
  control::Json reply, bad;
  event::Async done(loop, [&] { loop.stop(); });
  std::thread client([&] {
    reply = control::request(path, {{"cmd", "status"}});
    // Raw bad line, then a good one on the same connection.
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path.c_str());
    ASSERT_EQ(connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    std::string lines = "{not json\n{\"cmd\":\"x\"}\n";
    ASSERT_EQ(write(s, lines.data(), lines.size()), static_cast<ssize_t>(lines.size()));
    std::string in;
    char buf[512];
    while (std::count(in.begin(), in.end(), '\n') < 2) {
      ssize_t n = read(s, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, n);
    }
    close(s);
    bad = control::Json::parse(in.substr(0, in.find('\n')));
    auto second = control::Json::parse(in.substr(in.find('\n') + 1));
    EXPECT_EQ(second["echo"], "x");
    done.notify();
  });
  event::Timer guard(loop, [&] { loop.stop(); });
  guard.start(5);
  loop.run();
  client.join();
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(reply["echo"], "status");
  EXPECT_EQ(bad["ok"], false);
  EXPECT_NE(bad["error"].get<std::string>().find("bad request"), std::string::npos);
  server.close();
}
