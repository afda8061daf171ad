// cluster/transport/local_socket.cc: same-host links (see local_socket.h).
#include "cluster/transport/local_socket.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace halb::cluster::transport {

namespace {

// Abstract namespace: no file to create, clean up or protect; it vanishes
// with the listening socket.
socklen_t local_address(const std::string& numeric, uint16_t port, sockaddr_un& sa) {
  const std::string name = "halb-cluster-link " + numeric + " " + std::to_string(port);
  sa = sockaddr_un{};
  sa.sun_family = AF_UNIX;
  const size_t n = std::min(name.size(), sizeof sa.sun_path - 1);
  std::memcpy(sa.sun_path + 1, name.data(), n);  // sun_path[0] stays NUL
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
}

}  // namespace

bool is_loopback_address(const std::string& numeric) {
  in_addr v4{};
  if (inet_pton(AF_INET, numeric.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, numeric.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

std::string loopback_numeric(const sockaddr* addr, socklen_t len) {
  char numeric[NI_MAXHOST] = "";
  if (getnameinfo(addr, len, numeric, sizeof numeric, nullptr, 0, NI_NUMERICHOST) != 0) return "";
  return is_loopback_address(numeric) ? numeric : "";
}

int open_local_listener(const std::string& numeric, uint16_t port, std::string& error) {
  sockaddr_un sa;
  const socklen_t len = local_address(numeric, port, sa);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 || ::listen(fd, 64) != 0) {
    error = "cannot listen on the local socket for " + numeric + ":" + std::to_string(port) + ": " + strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

int connect_local(const std::string& numeric, uint16_t port) {
  sockaddr_un sa;
  const socklen_t len = local_address(numeric, port, sa);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  // A Unix connect completes at once or fails at once (EAGAIN: backlog full).
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace halb::cluster::transport
