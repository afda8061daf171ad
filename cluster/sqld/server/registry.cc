// cluster/sqld/server/registry.cc
#include "cluster/sqld/server/registry.h"

#include <sys/socket.h>

#include <cstdio>

namespace halb::cluster::sqld::server {

using Clock = std::chrono::steady_clock;

Registry::Registry() : started_(Clock::now()) {}

bool Registry::add(uint32_t id, int fd, std::string host, uint32_t max_connections) {
  std::lock_guard lock(mu_);
  if (closing_ || entries_.size() >= max_connections) return false;
  Entry& e = entries_[id];
  e.id = id;
  e.fd = fd;
  e.host = std::move(host);
  e.since = Clock::now();
  return true;
}

void Registry::remove(uint32_t id) {
  std::lock_guard lock(mu_);
  entries_.erase(id);
  if (entries_.empty()) empty_.notify_all();
}

void Registry::logged_in(uint32_t id, std::string_view user, std::string_view db, Session* session) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.user = user;
  it->second.db = db;
  it->second.session = session;
  it->second.command = "Sleep";
  it->second.since = Clock::now();
}

void Registry::detach_session(uint32_t id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it != entries_.end()) it->second.session = nullptr;
}

void Registry::set_command(uint32_t id, std::string_view command, std::string_view info, std::string_view db) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.command.assign(command);
  e.info.assign(info);  // reuses the capacity: no allocation once warm
  e.db.assign(db);
  e.since = Clock::now();
}

bool Registry::killed(uint32_t id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  return it == entries_.end() || it->second.killed;
}

size_t Registry::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

bool Registry::close_all(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  closing_ = true;
  for (auto& [id, e] : entries_) {
    e.killed = true;
    if (e.session) e.session->interrupt();
    if (e.fd >= 0) ::shutdown(e.fd, SHUT_RDWR);
  }
  return empty_.wait_for(lock, timeout, [&] { return entries_.empty(); });
}

std::vector<ProcessInfo> Registry::processes() const {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  std::vector<ProcessInfo> out;
  out.reserve(entries_.size());
  for (auto& [id, e] : entries_) {
    ProcessInfo p;
    p.id = id;
    p.user = e.user.empty() && !e.session ? "unauthenticated user" : e.user;
    p.host = e.host;
    p.db = e.db;
    p.command = e.killed ? "Killed" : e.command;
    p.time_s = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(now - e.since).count());
    p.state = e.command == "Sleep" ? "" : e.command == "Connect" ? "login" : "executing";
    p.info = e.info;
    out.push_back(std::move(p));
  }
  return out;
}

bool Registry::kill(uint32_t connection_id, bool query_only) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(connection_id);
  if (it == entries_.end()) return false;
  Entry& e = it->second;
  if (e.session) e.session->interrupt();
  if (!query_only) {
    e.killed = true;
    // Wakes the connection's thread out of a blocking read; the thread
    // closes the descriptor itself, so this never touches a reused fd.
    if (e.fd >= 0) ::shutdown(e.fd, SHUT_RDWR);
  }
  return true;
}

uint64_t Registry::uptime_s() const {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count());
}

std::string Registry::statistics() const {
  uint64_t up = uptime_s();
  uint64_t q = questions();
  double qps = up ? static_cast<double>(q) / static_cast<double>(up) : static_cast<double>(q);
  char buf[256];
  snprintf(buf, sizeof buf,
           "Uptime: %llu  Threads: %zu  Questions: %llu  Slow queries: 0  Opens: 0  Open tables: 0  "
           "Queries per second avg: %.3f",
           static_cast<unsigned long long>(up), size(), static_cast<unsigned long long>(q), qps);
  return buf;
}

}  // namespace halb::cluster::sqld::server
