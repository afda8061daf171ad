// cluster/sqld/server/registry.h: the connections this halb-sqld serves --
// what SHOW PROCESSLIST lists, what KILL [QUERY] reaches, and the counters
// COM_STATISTICS reports.
//
// Each connection thread owns its Entry and updates it around every
// command; other threads only read it or interrupt it, under the registry's
// lock. The session pointer is set after login and cleared before the
// session is destroyed, so a KILL never reaches a dead session.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "cluster/sqld/sql/session.h"

namespace halb::cluster::sqld::server {

class Registry : public ConnectionRegistry {
 public:
  Registry();

  struct Entry {
    uint32_t id = 0;
    int fd = -1;                 // shut down on KILL CONNECTION
    std::string user, host, db;  // host as PROCESSLIST shows it ("127.0.0.1:35946")
    std::string command = "Connect";
    std::string info;            // the statement running now, "" when idle
    std::chrono::steady_clock::time_point since;
    Session* session = nullptr;
    bool killed = false;
  };

  // Registers a connection that is logging in; false when max_connections
  // are already taken (the caller answers 1040).
  bool add(uint32_t id, int fd, std::string host, uint32_t max_connections);
  void remove(uint32_t id);
  void logged_in(uint32_t id, std::string_view user, std::string_view db, Session* session);
  void detach_session(uint32_t id);
  // A command starts (`info` is its statement text) or ends (command "Sleep").
  void set_command(uint32_t id, std::string_view command, std::string_view info, std::string_view db);
  bool killed(uint32_t id) const;
  void count_question() { questions_.fetch_add(1, std::memory_order_relaxed); }
  size_t size() const;

  // Shut every connection down (daemon stopping) and wait up to `timeout`
  // for their threads to finish; true when all did.
  bool close_all(std::chrono::milliseconds timeout);

  // ConnectionRegistry
  std::vector<ProcessInfo> processes() const override;
  bool kill(uint32_t connection_id, bool query_only) override;
  uint64_t uptime_s() const override;
  uint64_t questions() const override { return questions_.load(std::memory_order_relaxed); }

  // The COM_STATISTICS line.
  std::string statistics() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable empty_;
  std::map<uint32_t, Entry> entries_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<uint64_t> questions_{0};
  bool closing_ = false;  // after close_all: no new logins
};

}  // namespace halb::cluster::sqld::server
