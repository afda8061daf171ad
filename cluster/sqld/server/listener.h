// cluster/sqld/server/listener.h: halb-sqld's MySQL listeners -- a TCP port
// and a Unix socket -- and one thread per accepted client.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/sqld/server/connection.h"
#include "cluster/sqld/server/registry.h"
#include "cluster/sqld/sql/session.h"
#include "lib/log/log.h"

namespace halb::cluster::sqld::server {

struct ListenerOptions {
  std::string bind_address;  // "" or "*": every address; "::" too
  bool tcp = true;           // false: the Unix socket only (skip-networking)
  uint16_t port = 3306;      // 0: one the kernel chooses (tests)
  std::string socket;        // "": no Unix socket
  int backlog = 128;
};

class Listener {
 public:
  Listener(Engine& engine, Registry& registry, const ConnectionSettings& settings, log::Logger& logger);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and starts the accept thread; false with `error`.
  bool start(const ListenerOptions& options, std::string& error);
  // The TCP port actually bound (port 0 given: one the kernel chose).
  uint16_t port() const { return bound_port_; }
  // Stops accepting, ends every connection and waits for their threads.
  void stop();

 private:
  void accept_loop();
  void spawn(int fd, Peer peer);
  bool open_tcp(const ListenerOptions& o, std::string& error);
  bool open_unix(const std::string& path, std::string& error);

  Engine& engine_;
  Registry& registry_;
  const ConnectionSettings& settings_;
  log::Logger& logger_;
  std::vector<int> listen_fds_;
  std::string socket_path_;
  uint16_t bound_port_ = 0;
  int wake_[2] = {-1, -1};
  std::thread accept_thread_;
  std::mutex mu_;
  std::condition_variable idle_;
  int threads_ = 0;
};

}  // namespace halb::cluster::sqld::server
