// director/lvsd/forward/sockets.cc: see sockets.h.
#include "director/lvsd/forward/sockets.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace halb::director::lvsd {

SockAddr to_sockaddr(const IpAddress& addr, uint16_t port) {
  SockAddr sa;
  if (addr.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&sa.ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    memcpy(&in->sin_addr, addr.bytes.data(), 4);
    sa.len = sizeof *in;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&sa.ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    memcpy(&in6->sin6_addr, addr.bytes.data(), 16);
    sa.len = sizeof *in6;
  }
  return sa;
}

std::optional<std::pair<IpAddress, uint16_t>> from_sockaddr(const SockAddr& sa) {
  IpAddress a;
  if (sa.ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&sa.ss);
    a.family = Family::v4;
    memcpy(a.bytes.data(), &in->sin_addr, 4);
    return std::pair{a, ntohs(in->sin_port)};
  }
  if (sa.ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&sa.ss);
    a.family = Family::v6;
    memcpy(a.bytes.data(), &in6->sin6_addr, 16);
    return std::pair{a, ntohs(in6->sin6_port)};
  }
  return std::nullopt;
}

int open_service_socket(const IpAddress& addr, uint16_t port, bool udp, int incoming_cpu) {
  int family = addr.is_v4() ? AF_INET : AF_INET6;
  int fd = socket(family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (!udp) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Among the sockets of one SO_REUSEPORT group the kernel prefers the one
  // whose SO_INCOMING_CPU is the CPU handling the connection (kernels since
  // the end of 2022: "soreuseport: Fix socket selection for SO_INCOMING_CPU");
  // elsewhere this only hints and the usual hash decides. Only for TCP
  // listeners (see Worker::open_service).
  if (incoming_cpu >= 0) setsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &incoming_cpu, sizeof incoming_cpu);
  if (family == AF_INET) {
    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one);
  }
  SockAddr sa = to_sockaddr(addr, port);
  if (bind(fd, sa.get(), sa.len) != 0 || (!udp && listen(fd, 1024) != 0)) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int start_connect(const IpAddress& addr, uint16_t port, bool udp, bool data_first) {
  int fd = socket(addr.is_v4() ? AF_INET : AF_INET6, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (!udp) {
    int one = 1, zero = 0;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (data_first) setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
  }
  SockAddr sa = to_sockaddr(addr, port);
  if (connect(fd, sa.get(), sa.len) != 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

bool connect_established(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 && info.tcpi_state == TCP_ESTABLISHED;
}

void close_with_reset(int fd) {
  if (fd < 0) return;
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

}  // namespace halb::director::lvsd
