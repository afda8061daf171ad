// director/checks/stream.h: a non-blocking TCP (or UDP) conversation on
// the loop, for the checks that speak a protocol by hand (connect, mysql,
// pgsql, simpletcp, the mail and news greetings, dns).
//
// The owner is called back when the connect completes, when bytes (or the
// end of the stream) arrive and when something fails; every callback may
// destroy the stream, so the stream touches nothing after calling one.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "director/address.h"
#include "lib/event/loop.h"

namespace halb::director::checks {

// addr:port as a socket address; returns its length.
socklen_t to_sockaddr(const IpAddress& addr, uint16_t port, sockaddr_storage& out);

// "Connection refused" and friends from errno.
std::string errno_text(int err);

class Stream {
 public:
  struct Handlers {
    std::function<void()> connected;
    std::function<void()> readable;  // input() grew, or eof() became true
    std::function<void(std::string)> failed;
  };

  Stream(event::Loop& loop, Handlers handlers);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Start connecting; false with `error` set when the socket cannot even be
  // made (no callback follows then). UDP "connects" at once. A TCP connect
  // not done within `connect_timeout` seconds (> 0) fails with "connect
  // timed out" (ldirectord's checktimeout bounds a negotiate's connect).
  bool open(const IpAddress& addr, uint16_t port, bool udp, std::string& error, double connect_timeout = 0);
  void write(std::string_view bytes);
  void shutdown_write();
  void close();

  // This end's address and port ("127.0.0.1", 40000) once connected.
  bool local_endpoint(IpAddress& addr, uint16_t& port) const;
  std::string& input() { return in_; }
  bool eof() const { return eof_; }

 private:
  void on_io(int events);
  void update_events();

  event::Loop& loop_;
  Handlers h_;
  int fd_ = -1;
  bool connecting_ = false;
  bool eof_ = false;
  bool udp_ = false;
  bool shut_after_write_ = false;
  std::string in_;
  std::string out_;
  std::unique_ptr<event::Io> io_;
  event::Timer connect_timer_;
};

}  // namespace halb::director::checks
