// Unit tests for lib/net/resolver: numeric addresses answered at once, a
// slow name lookup never holding the caller past the first wait, failures
// cached for a while, and old answers serving while a refresh runs. The
// lookup is injected, so no test touches the machine's name service.
#include "lib/net/resolver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace halb::net;
using namespace std::chrono_literals;

namespace {

SocketAddress v4(const char* text) {
  SocketAddress a;
  auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
  in->sin_family = AF_INET;
  inet_pton(AF_INET, text, &in->sin_addr);
  a.len = sizeof *in;
  return a;
}

std::string text_of(const SocketAddress& a) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (a.family() == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr, buf, sizeof buf);
  else if (a.family() == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr, buf, sizeof buf);
  return buf;
}

uint16_t port_of(const SocketAddress& a) {
  if (a.family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_port);
}

// A name service the test controls: answers `answer` (or fails with
// `failure`), and while `held` blocks every lookup until released.
struct FakeNameService {
  std::mutex mu;
  std::condition_variable cv;
  bool held = false;
  std::string answer = "10.1.2.3";
  std::string failure;
  std::atomic<int> lookups{0};

  Resolver::LookupFn fn() {
    return [this](const std::string&, SocketAddress& out, std::string& error) {
      ++lookups;
      std::unique_lock<std::mutex> lk(mu);
      cv.wait(lk, [this] { return !held; });
      if (!failure.empty()) {
        error = failure;
        return false;
      }
      out = v4(answer.c_str());
      return true;
    };
  }
  void set(const std::string& address, const std::string& error) {
    std::lock_guard<std::mutex> lk(mu);
    answer = address;
    failure = error;
  }
  void hold() {
    std::lock_guard<std::mutex> lk(mu);
    held = true;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lk(mu);
      held = false;
    }
    cv.notify_all();
  }
};

Resolver::Timing quick() {
  Resolver::Timing t;
  t.first_wait = 20ms;
  t.refresh = 60'000ms;
  t.retry_failed = 60'000ms;
  return t;
}

// Resolves until the status is `want` (a background lookup finishing).
Resolver::Status resolve_until(Resolver& r, const std::string& host, Resolver::Status want, SocketAddress& out) {
  std::string error;
  Resolver::Status s = Resolver::Status::kPending;
  for (int i = 0; i < 200 && (s = r.resolve(host, 1186, out, error)) != want; ++i) std::this_thread::sleep_for(10ms);
  return s;
}

}  // namespace

TEST(NetResolver, NumericAddressesAreAnsweredWithoutALookup) {
  FakeNameService ns;
  Resolver r(ns.fn(), quick());
  SocketAddress a;
  std::string error;
  ASSERT_EQ(r.resolve("192.0.2.7", 2202, a, error), Resolver::Status::kReady);
  EXPECT_EQ(text_of(a), "192.0.2.7");
  EXPECT_EQ(port_of(a), 2202);
  ASSERT_EQ(r.resolve("::1", 1186, a, error), Resolver::Status::kReady);
  EXPECT_EQ(a.family(), AF_INET6);
  EXPECT_EQ(port_of(a), 1186);
  EXPECT_EQ(ns.lookups, 0);
}

TEST(NetResolver, AQuickNameIsAnsweredOnTheFirstCallAndThenFromTheCache) {
  FakeNameService ns;
  Resolver r(ns.fn(), quick());
  SocketAddress a;
  std::string error;
  ASSERT_EQ(r.resolve("db3.example", 2202, a, error), Resolver::Status::kReady) << error;
  EXPECT_EQ(text_of(a), "10.1.2.3");
  EXPECT_EQ(port_of(a), 2202);
  ASSERT_EQ(r.resolve("db3.example", 1186, a, error), Resolver::Status::kReady);
  EXPECT_EQ(port_of(a), 1186);  // the port is the caller's, not the cached one
  EXPECT_EQ(ns.lookups, 1);
}

TEST(NetResolver, ASlowLookupHoldsTheCallerOnlyForTheFirstWait) {
  FakeNameService ns;
  ns.hold();
  Resolver::Timing t = quick();
  t.first_wait = 200ms;
  Resolver r(ns.fn(), t);
  SocketAddress a;
  std::string error;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(r.resolve("db3.example", 2202, a, error), Resolver::Status::kPending);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_NE(error.find("db3.example"), std::string::npos) << error;
  // Asked again while the lookup still hangs: no second lookup, no wait.
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(r.resolve("db3.example", 2202, a, error), Resolver::Status::kPending);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(ns.lookups, 1);
  ns.release();
  ASSERT_EQ(resolve_until(r, "db3.example", Resolver::Status::kReady, a), Resolver::Status::kReady);
  EXPECT_EQ(text_of(a), "10.1.2.3");
}

TEST(NetResolver, AFailedLookupIsReportedAndRetriedOnlyAfterAWhile) {
  FakeNameService ns;
  ns.failure = "Name or service not known";
  Resolver::Timing t = quick();
  t.retry_failed = 50ms;
  Resolver r(ns.fn(), t);
  SocketAddress a;
  std::string error;
  ASSERT_EQ(r.resolve("nosuch.example", 2202, a, error), Resolver::Status::kFailed);
  EXPECT_NE(error.find("nosuch.example"), std::string::npos) << error;
  EXPECT_NE(error.find("Name or service not known"), std::string::npos) << error;
  EXPECT_EQ(r.resolve("nosuch.example", 2202, a, error), Resolver::Status::kFailed);
  EXPECT_EQ(ns.lookups, 1);
  std::this_thread::sleep_for(60ms);
  ns.set("10.1.2.3", "");
  ASSERT_EQ(r.resolve("nosuch.example", 2202, a, error), Resolver::Status::kReady) << error;
  EXPECT_EQ(ns.lookups, 2);
}

TEST(NetResolver, AnOldAnswerServesWhileItsRefreshRunsAndOutlivesAFailedOne) {
  FakeNameService ns;
  Resolver::Timing t = quick();
  t.refresh = 30ms;
  t.first_wait = 500ms;  // a caller made to wait would show
  Resolver r(ns.fn(), t);
  SocketAddress a;
  std::string error;
  ASSERT_EQ(r.resolve("db3.example", 2202, a, error), Resolver::Status::kReady);
  std::this_thread::sleep_for(40ms);
  ns.hold();
  ns.set("10.9.9.9", "");
  // Old enough to refresh: the refresh hangs, the old answer comes at once.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(r.resolve("db3.example", 2202, a, error), Resolver::Status::kReady);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(text_of(a), "10.1.2.3");
  ns.release();
  for (int i = 0; i < 200 && text_of(a) != "10.9.9.9"; ++i) {
    std::this_thread::sleep_for(10ms);
    r.resolve("db3.example", 2202, a, error);
  }
  EXPECT_EQ(text_of(a), "10.9.9.9");
  // A refresh that fails keeps the last good answer.
  std::this_thread::sleep_for(40ms);
  ns.set("10.9.9.9", "Temporary failure in name resolution");
  const int before = ns.lookups;
  ASSERT_EQ(r.resolve("db3.example", 2202, a, error), Resolver::Status::kReady);
  for (int i = 0; i < 200 && ns.lookups == before; ++i) std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(20ms);
  ASSERT_EQ(r.resolve("db3.example", 2202, a, error), Resolver::Status::kReady);
  EXPECT_EQ(text_of(a), "10.9.9.9");
}
