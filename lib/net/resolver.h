// lib/net/resolver.h: host names to socket addresses without stalling an
// event loop.
//
// getaddrinfo() on a name can wait for seconds on a slow or dead DNS
// server, and a daemon that dialled its peers with it stopped its whole
// loop -- heartbeats included -- for that long. resolve() answers a numeric
// address at once. A name is looked up by a thread of the resolver's own:
// the caller waits for it only briefly (a name in /etc/hosts or a warm
// cache answers well within that), then gets kPending and dials again on
// its next retry, as after a failed connect. Answers are kept and
// refreshed in the background once old, the last good one used meanwhile.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace halb::net {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

// How patient a Resolver is.
struct ResolverTiming {
  // How long resolve() waits for a lookup it has just started.
  std::chrono::milliseconds first_wait{50};
  // A good answer older than this is looked up again in the background.
  std::chrono::milliseconds refresh{60'000};
  // A failed lookup is answered from the cache for this long.
  std::chrono::milliseconds retry_failed{2'000};
};

class Resolver {
 public:
  // A blocking lookup of one name (the port is set afterwards); tests
  // inject their own.
  using LookupFn = std::function<bool(const std::string& host, SocketAddress& out, std::string& error)>;
  using Clock = std::chrono::steady_clock;
  using Timing = ResolverTiming;
  enum class Status { kReady, kPending, kFailed };

  explicit Resolver(LookupFn lookup = system_lookup, Timing timing = Timing{});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // The process's resolver. Never destroyed: at exit its thread may still
  // sit in a lookup, which nothing should wait for.
  static Resolver& shared();

  // `out` (with `port`) on kReady; `error` says why on kFailed and what is
  // awaited on kPending. Blocks for at most Timing::first_wait.
  Status resolve(const std::string& host, uint16_t port, SocketAddress& out, std::string& error);

  // getaddrinfo(), the first address of a stream socket.
  static bool system_lookup(const std::string& host, SocketAddress& out, std::string& error);
  // A numeric IPv4 or IPv6 address: no lookup needed (nor done).
  static bool numeric(const std::string& host, SocketAddress& out);

 private:
  struct Entry {
    std::optional<SocketAddress> address;  // the last good answer
    std::string error;                     // the last lookup's failure
    Clock::time_point answered_at;
    bool answered = false;
    bool in_flight = false;
  };
  bool start_lookup(const std::string& host, Entry& e);
  void start_worker();
  void run();

  LookupFn lookup_;
  Timing timing_;
  std::mutex mu_;
  std::condition_variable work_;
  std::condition_variable answered_;
  std::deque<std::string> queue_;
  std::map<std::string, Entry> cache_;
  bool stop_ = false;
  std::thread thread_;  // started by the first name
  // The process thread_ runs in. Only the shared resolver (detached) may
  // go on in a forked child: an owned one would still hold the parent's
  // joinable thread.
  pid_t worker_pid_ = 0;
  // The shared resolver outlives main(): its thread must not hold exit up.
  bool detach_ = false;
};

}  // namespace halb::net
