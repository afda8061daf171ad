// tests/unit/director/lvsd/tcp_session_test.cc: a proxied session's end,
// on a real loop with socketpairs for the client and the real server.
#include "director/lvsd/forward/tcp_session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <memory>

namespace halb::director::lvsd {
namespace {

backend::ServiceKey tcp_key() { return {backend::Protocol::tcp, Family::v4, 0, *IpAddress::parse("10.0.0.1"), 80}; }

// Destroyed with the `done` callable that holds it: records whether that
// happened while the callable was still running.
struct ClosureWitness {
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  ClosureWitness() = default;
  ClosureWitness(const ClosureWitness&) = default;
  ClosureWitness(ClosureWitness&& o) noexcept : alive(std::move(o.alive)) {}
  ~ClosureWitness() {
    if (alive) *alive = false;  // a moved-from witness held no callable
  }
};

// What the `done` callback below sees; not captured, so that reading them
// after the session (and with it, possibly, the callable) is freed is safe.
std::map<TcpSession*, std::unique_ptr<TcpSession>> sessions;
bool closure_alive_after_free = false;
int calls = 0;

TEST(TcpSession, DoneMayFreeTheSessionItIsCalledFor) {
  event::Loop loop(false);
  SharedTable shared;
  backend::Service service;
  service.key = tcp_key();
  service.scheduler = "wrr";
  shared.table.add_service(service);
  backend::Dest real;
  real.addr = *IpAddress::parse("192.168.0.1");
  real.port = 3306;
  shared.table.add_dest(tcp_key(), real);
  auto admitted = shared.table.admit(tcp_key(), *IpAddress::parse("1.2.3.4"), 40000, 0);
  ASSERT_TRUE(admitted.conn);

  log::Logger logger;
  WorkerContext ctx{loop, shared, logger, {}, {}, {}};
  int client[2], dest[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, client), 0);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, dest), 0);

  // The owner frees the session from `done`, as Worker does: the callable
  // must not be destroyed while it runs (it was, with the session, and
  // Worker's callback then read its captures from freed memory: halb-lvsd
  // crashed under load).
  ClosureWitness witness;
  std::shared_ptr<bool> alive = witness.alive;
  std::function<void(TcpSession*)> done = [w = std::move(witness)](TcpSession* s) {
    ++calls;
    std::shared_ptr<bool> watch = w.alive;
    sessions.erase(s);
    closure_alive_after_free = *watch;
  };
  TcpSession::Moved moved{client[1], dest[1], admitted.conn};
  auto s = std::make_unique<TcpSession>(ctx, std::move(moved), std::move(done));
  sessions.emplace(s.get(), std::move(s));
  ASSERT_TRUE(*alive);

  // Both peers hang up: the session ends and hands itself to `done`.
  close(client[0]);
  close(dest[0]);
  event::Timer give_up(loop, [&] { loop.stop(); });
  give_up.start(2.0);
  event::BeforeSleep check(loop, [&] {
    if (calls > 0) loop.stop();
    else check.arm();
  });
  check.arm();
  loop.run();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(sessions.empty());
  EXPECT_TRUE(closure_alive_after_free);
}

}  // namespace
}  // namespace halb::director::lvsd
