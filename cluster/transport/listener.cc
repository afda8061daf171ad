// cluster/transport/listener.cc: accepting links (see listener.h).
#include "cluster/transport/listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cluster/transport/local_socket.h"

namespace halb::cluster::transport {

Listener::Listener(event::Loop& loop, log::Logger& logger, std::function<void(int, const std::string&)> on_accept)
    : loop_(loop), logger_(logger), on_accept_(std::move(on_accept)) {}

Listener::~Listener() {
  io_.reset();
  local_io_.reset();
  if (fd_ >= 0) ::close(fd_);
  if (local_fd_ >= 0) ::close(local_fd_);
}

int open_tcp_listener(const std::string& host, uint16_t port, uint16_t& bound_port, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  // No host: the IPv6 wildcard, dual stack.
  hints.ai_family = host.empty() ? AF_INET6 : AF_UNSPEC;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0 || !res) {
    error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1, zero = 0;
  if (fd >= 0) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  }
  if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
    error = "cannot listen on " + (host.empty() ? std::string("*") : host) + ":" + std::to_string(port) + ": " +
            strerror(errno);
    if (fd >= 0) ::close(fd);
    freeaddrinfo(res);
    return -1;
  }
  freeaddrinfo(res);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  bound_port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

bool Listener::listen(const std::string& host, uint16_t port, std::string& error, bool local) {
  int fd = open_tcp_listener(host, port, port_, error);
  if (fd < 0) return false;
  fd_ = fd;
  io_ = std::make_unique<event::Io>(loop_, fd_, EV_READ, [this](int) { on_ready(fd_, false); });
  io_->start();
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const std::string loopback = local && getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0
                                   ? loopback_numeric(reinterpret_cast<sockaddr*>(&ss), len)
                                   : "";
  if (!loopback.empty()) {
    // TCP still serves every other peer: a failure here only costs speed.
    std::string why;
    local_fd_ = open_local_listener(loopback, port_, why);
    if (local_fd_ < 0) logger_.warn("transport: " + why + "; same-host links use TCP");
  }
  if (local_fd_ >= 0) {
    local_io_ = std::make_unique<event::Io>(loop_, local_fd_, EV_READ, [this](int) { on_ready(local_fd_, true); });
    local_io_->start();
  }
  return true;
}

void Listener::on_ready(int listen_fd, bool local) {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EINTR)
        logger_.limited("transport-accept", log::Level::warn, std::string("transport accept: ") + strerror(errno));
      return;
    }
    if (local) {
      on_accept_(fd, kLocalPeer);
      continue;
    }
    char host[NI_MAXHOST] = "";
    getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
    std::string peer = host;
    if (peer.rfind("::ffff:", 0) == 0) peer = peer.substr(7);
    on_accept_(fd, peer);
  }
}

}  // namespace halb::cluster::transport
