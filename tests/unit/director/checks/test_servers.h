// tests/unit/director/checks/test_servers.h: small servers for the check
// tests, living on the test's own event::Loop next to the checks (so a
// test is one thread), on 127.0.0.1 ports the kernel picks.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <list>
#include <memory>
#include <string>

#include "lib/event/loop.h"

namespace halb::director::checks::testing {

// Runs `loop` until `done()` is true or `seconds` passed; returns done().
inline bool run_until(event::Loop& loop, const std::function<bool()>& done, double seconds) {
  bool timed_out = false;
  event::Timer poll(loop, [&] {
    if (done()) loop.stop();
  });
  event::Timer limit(loop, [&] {
    timed_out = true;
    loop.stop();
  });
  poll.start(0.005, 0.005);
  limit.start(seconds);
  if (!done()) loop.run();
  (void)timed_out;
  return done();
}

// Runs the loop for `seconds`.
inline void run_for(event::Loop& loop, double seconds) {
  run_until(loop, [] { return false; }, seconds);
}

inline int listen_tcp(uint16_t& port, int backlog = 64, const char* addr = "127.0.0.1") {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  inet_pton(AF_INET, addr, &sa.sin_addr);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  listen(fd, backlog);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  port = ntohs(sa.sin_port);
  return fd;
}

// A port nothing listens on (bound, then closed).
inline uint16_t closed_port() {
  uint16_t port = 0;
  close(listen_tcp(port));
  return port;
}

// A TCP server on the loop: `on_data(conn)` runs for every chunk a client
// sends (conn.in holds what arrived, conn.send() answers), `on_accept` when
// a client connects (greetings).
class TcpServer {
 public:
  struct Conn {
    int fd = -1;
    std::string in;
    bool closed = false;
    std::unique_ptr<event::Io> io;
    void send(const std::string& s) { (void)!::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }
    void close_now() {
      io.reset();
      if (fd >= 0) ::close(fd);
      fd = -1;
      closed = true;
    }
    ~Conn() { close_now(); }
  };
  using Handler = std::function<void(Conn&)>;

  explicit TcpServer(event::Loop& loop, Handler on_data = nullptr, Handler on_accept = nullptr)
      : loop_(loop), on_data_(std::move(on_data)), on_accept_(std::move(on_accept)) {
    fd_ = listen_tcp(port_);
    io_ = std::make_unique<event::Io>(loop, fd_, EV_READ, [this](int) { accept_one(); });
    io_->start();
  }
  ~TcpServer() {
    conns_.clear();
    io_.reset();
    if (fd_ >= 0) close(fd_);
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }
  std::string all_input() const { return log_; }
  // Stop listening (the port then refuses connections).
  void shut() {
    io_.reset();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    conns_.clear();
  }

 private:
  void accept_one() {
    int c = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) return;
    accepted_++;
    conns_.emplace_back();
    Conn& conn = conns_.back();
    conn.fd = c;
    conn.io = std::make_unique<event::Io>(loop_, c, EV_READ, [this, &conn](int) {
      char buf[4096];
      ssize_t n = recv(conn.fd, buf, sizeof buf, 0);
      if (n <= 0) {
        conn.io.reset();
        return;
      }
      conn.in.append(buf, n);
      log_.append(buf, n);
      if (on_data_) on_data_(conn);
    });
    conn.io->start();
    if (on_accept_) on_accept_(conn);
  }

  event::Loop& loop_;
  Handler on_data_;
  Handler on_accept_;
  int fd_ = -1;
  uint16_t port_ = 0;
  int accepted_ = 0;
  std::string log_;
  std::unique_ptr<event::Io> io_;
  std::list<Conn> conns_;
};

}  // namespace halb::director::checks::testing
