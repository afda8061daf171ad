// SocketStream on a real socket pair: data, a time-out, an immediate
// probe, no limit after a limited wait, and a peer that went away or a
// session socket shut down by KILL from another thread.
#include "cluster/sqld/server/socket_stream.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

using halb::cluster::sqld::protocol::ReadStatus;
using halb::cluster::sqld::server::SocketStream;

namespace {

struct SocketPair {
  int fds[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0); }
  ~SocketPair() {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
};

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST(SocketStream, ReadsWhatArrivesAndTimesOutWhenNothingDoes) {
  SocketPair p;
  SocketStream s(p.fds[0]);
  char buf[16];
  size_t got = 0;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(s.read_some(buf, sizeof buf, 80, got), ReadStatus::kTimeout);
  EXPECT_GE(ms_since(t0), 60);  // it did wait
  ASSERT_EQ(write(p.fds[1], "abc", 3), 3);
  EXPECT_EQ(s.read_some(buf, sizeof buf, 80, got), ReadStatus::kOk);
  EXPECT_EQ(std::string(buf, got), "abc");
  // 0: a probe that never waits.
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(s.read_some(buf, sizeof buf, 0, got), ReadStatus::kTimeout);
  EXPECT_LT(ms_since(t0), 50);
  // No limit: data that comes later is still read (the earlier time-out no
  // longer applies).
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    EXPECT_EQ(write(p.fds[1], "late", 4), 4);
  });
  EXPECT_EQ(s.read_some(buf, sizeof buf, -1, got), ReadStatus::kOk);
  later.join();
  EXPECT_EQ(std::string(buf, got), "late");
}

TEST(SocketStream, PeerGoneOrKilledEndsAWaitingRead) {
  {
    SocketPair p;
    SocketStream s(p.fds[0]);
    close(p.fds[1]);
    p.fds[1] = -1;
    char buf[8];
    size_t got = 0;
    EXPECT_EQ(s.read_some(buf, sizeof buf, 1000, got), ReadStatus::kClosed);
  }
  // KILL shuts the session's socket down from another thread.
  SocketPair p;
  SocketStream s(p.fds[0]);
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    shutdown(p.fds[0], SHUT_RDWR);
  });
  char buf[8];
  size_t got = 0;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(s.read_some(buf, sizeof buf, -1, got), ReadStatus::kClosed);
  EXPECT_LT(ms_since(t0), 5000);
  killer.join();
}
