// lib/net/resolver.cc: see resolver.h.
#include "lib/net/resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>

namespace halb::net {

namespace {

void set_port(SocketAddress& a, uint16_t port) {
  if (a.family() == AF_INET) reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(port);
  else if (a.family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(port);
}

bool first_address(const std::string& host, int flags, SocketAddress& out, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || !res) {
    error = rc != 0 ? gai_strerror(rc) : "no address";
    if (res) freeaddrinfo(res);
    return false;
  }
  out = SocketAddress{};
  std::memcpy(&out.storage, res->ai_addr, res->ai_addrlen);
  out.len = res->ai_addrlen;
  freeaddrinfo(res);
  return true;
}

}  // namespace

Resolver::Resolver(LookupFn lookup, Timing timing) : lookup_(std::move(lookup)), timing_(timing) {}

Resolver::~Resolver() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  work_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Resolver& Resolver::shared() {
  static Resolver* r = [] {
    auto* shared = new Resolver();
    shared->detach_ = true;
    return shared;
  }();
  return *r;
}

bool Resolver::system_lookup(const std::string& host, SocketAddress& out, std::string& error) {
  return first_address(host, 0, out, error);
}

bool Resolver::numeric(const std::string& host, SocketAddress& out) {
  std::string ignored;
  return !host.empty() && first_address(host, AI_NUMERICHOST, out, ignored);
}

Resolver::Status Resolver::resolve(const std::string& host, uint16_t port, SocketAddress& out, std::string& error) {
  if (numeric(host, out)) {
    set_port(out, port);
    return Status::kReady;
  }
  std::unique_lock<std::mutex> lk(mu_);
  Entry& e = cache_[host];
  const auto now = Clock::now();
  if (!e.answered || (!e.address && now - e.answered_at >= timing_.retry_failed)) {
    // Nothing usable: look it up and give it a moment. A caller finding
    // the lookup already running returns at once.
    if (start_lookup(host, e)) answered_.wait_for(lk, timing_.first_wait, [&e] { return !e.in_flight; });
  } else if (e.address && now - e.answered_at >= timing_.refresh) {
    start_lookup(host, e);  // the old answer serves until the new one comes
  }
  if (e.address) {
    out = *e.address;
    set_port(out, port);
    return Status::kReady;
  }
  if (e.in_flight) {
    error = "looking up " + host + " (name service slow to answer)";
    return Status::kPending;
  }
  error = "cannot resolve " + host + ": " + e.error;
  return Status::kFailed;
}

// Called with mu_ held. False when a lookup of `host` already runs.
bool Resolver::start_lookup(const std::string& host, Entry& e) {
  if (worker_pid_ != getpid()) start_worker();
  if (e.in_flight) return false;
  e.in_flight = true;
  queue_.push_back(host);
  work_.notify_one();
  return true;
}

// Called with mu_ held: no worker yet, or this is a child forked after its
// parent started one. The child has no such thread, so what the parent was
// looking up (or had queued) is looked up again on demand.
void Resolver::start_worker() {
  for (auto& entry : cache_) entry.second.in_flight = false;
  queue_.clear();
  worker_pid_ = getpid();
  thread_ = std::thread([this] { run(); });
  if (detach_) thread_.detach();
}

void Resolver::run() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    work_.wait(lk, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::string host = std::move(queue_.front());
    queue_.pop_front();
    lk.unlock();
    SocketAddress a;
    std::string error;
    const bool ok = lookup_(host, a, error);
    lk.lock();
    Entry& e = cache_[host];
    e.in_flight = false;
    e.answered = true;
    e.answered_at = Clock::now();
    if (ok) {
      e.address = a;
      e.error.clear();
    } else {
      // A failed refresh keeps the last good answer: the peer's address
      // rarely changes, a DNS hiccup often happens.
      e.error = error.empty() ? "lookup failed" : error;
    }
    answered_.notify_all();
  }
}

}  // namespace halb::net
