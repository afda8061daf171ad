// director/checks/stream.cc
#include "director/checks/stream.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace halb::director::checks {

socklen_t to_sockaddr(const IpAddress& addr, uint16_t port, sockaddr_storage& out) {
  memset(&out, 0, sizeof out);
  if (addr.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    memcpy(&sin->sin_addr, addr.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  memcpy(&sin6->sin6_addr, addr.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

std::string errno_text(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof buf);
}

Stream::Stream(event::Loop& loop, Handlers handlers)
    : loop_(loop), h_(std::move(handlers)), connect_timer_(loop, [this] {
        close();
        h_.failed("connect timed out");
      }) {}

Stream::~Stream() { close(); }

void Stream::close() {
  connect_timer_.stop();
  io_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Stream::open(const IpAddress& addr, uint16_t port, bool udp, std::string& error, double connect_timeout) {
  close();
  udp_ = udp;
  int family = addr.is_v4() ? AF_INET : AF_INET6;
  fd_ = socket(family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error = "socket: " + errno_text(errno);
    return false;
  }
  sockaddr_storage sa;
  socklen_t len = to_sockaddr(addr, port, sa);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), len) < 0 && errno != EINPROGRESS) {
    error = errno_text(errno);
    close();
    return false;
  }
  connecting_ = !udp;
  io_ = std::make_unique<event::Io>(loop_, fd_, udp ? EV_READ : EV_WRITE, [this](int ev) { on_io(ev); });
  io_->start();
  if (connecting_ && connect_timeout > 0) connect_timer_.start(connect_timeout);
  return true;
}

bool Stream::local_endpoint(IpAddress& addr, uint16_t& port) const {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  if (fd_ < 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) < 0) return false;
  if (sa.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&sa);
    addr = IpAddress{};
    memcpy(addr.bytes.data(), &sin->sin_addr, 4);
    port = ntohs(sin->sin_port);
    return true;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&sa);
  addr = IpAddress{};
  addr.family = Family::v6;
  memcpy(addr.bytes.data(), &sin6->sin6_addr, 16);
  port = ntohs(sin6->sin6_port);
  return true;
}

void Stream::write(std::string_view bytes) {
  if (udp_) {
    // One datagram per write; a UDP socket that cannot send reports at once.
    if (send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) out_.assign(bytes);
  } else {
    out_.append(bytes);
    if (!connecting_ && out_.size() == bytes.size()) {
      // Most writes fit the socket buffer: send now, poll only for the rest.
      ssize_t n = send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
      if (n > 0) out_.erase(0, n);
    }
  }
  update_events();
}

void Stream::shutdown_write() {
  shut_after_write_ = true;
  update_events();
}

void Stream::update_events() {
  if (!io_ || connecting_) return;
  if (!udp_ && out_.empty() && shut_after_write_) {
    ::shutdown(fd_, SHUT_WR);
    shut_after_write_ = false;
  }
  io_->set_events(EV_READ | (out_.empty() ? 0 : EV_WRITE));
}

void Stream::on_io(int events) {
  if (connecting_) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      close();
      h_.failed(errno_text(err));
      return;
    }
    connecting_ = false;
    connect_timer_.stop();
    update_events();
    h_.connected();
    return;
  }
  if (udp_ && !out_.empty()) {
    // Resend the datagram that could not go out.
    if (send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL) >= 0) out_.clear();
    update_events();
  }
  if ((events & EV_WRITE) && !udp_ && !out_.empty()) {
    ssize_t n = send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      int err = errno;
      close();
      h_.failed("send: " + errno_text(err));
      return;
    }
    if (n > 0) out_.erase(0, n);
    update_events();
  }
  if (events & EV_READ) {
    char buf[16384];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      int err = errno;
      close();
      h_.failed(errno_text(err));
      return;
    }
    if (n == 0 && !udp_) {
      eof_ = true;
      io_->stop();
    } else {
      in_.append(buf, n);
    }
    h_.readable();
    return;
  }
}

}  // namespace halb::director::checks
