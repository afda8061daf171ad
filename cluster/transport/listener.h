// cluster/transport/listener.h: the TCP port a node accepts links on.
//
// Hands every accepted, non-blocking socket to the callback, which wraps it
// in a Link with peer_id 0 and an accept_peer check (the peer says who it
// is in its HELLO). On a loopback address it also accepts on the matching
// local socket (local_socket.h); those links report kLocalPeer as the
// peer's address.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::cluster::transport {

// A non-blocking listening TCP socket on host:port (empty host: every
// address, IPv4 and IPv6); the port it got in bound_port (port 0 = any).
// -1 with `error` set on failure. Shared by node links and halb-mgmd.
int open_tcp_listener(const std::string& host, uint16_t port, uint16_t& bound_port, std::string& error);

class Listener {
 public:
  // `on_accept(fd, peer_address)` owns the fd.
  Listener(event::Loop& loop, log::Logger& logger, std::function<void(int fd, const std::string& peer)> on_accept);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  // host empty = every address; port 0 = any free port. False with `error`.
  // `local`: also the local socket when host is a loopback address.
  bool listen(const std::string& host, uint16_t port, std::string& error, bool local = true);
  uint16_t port() const { return port_; }
  // Whether same-host nodes may link over the local socket.
  bool local() const { return local_fd_ >= 0; }

 private:
  void on_ready(int fd, bool local);
  event::Loop& loop_;
  log::Logger& logger_;
  std::function<void(int, const std::string&)> on_accept_;
  int fd_ = -1;
  int local_fd_ = -1;
  uint16_t port_ = 0;
  std::unique_ptr<event::Io> io_;
  std::unique_ptr<event::Io> local_io_;
};

}  // namespace halb::cluster::transport
