// director/lvsd/sync/channel.cc: see channel.h.
#include "director/lvsd/sync/channel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace halb::director::lvsd::sync {

using backend::BackendError;

Socket::~Socket() {
  if (fd_ >= 0) close(fd_);
}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

namespace {

[[noreturn]] void fail(const std::string& what) {
  int err = errno;
  throw BackendError(err, what + ": " + std::strerror(err));
}

template <typename T>
void set(int fd, int level, int opt, const T& value, const char* what) {
  if (setsockopt(fd, level, opt, &value, sizeof value) < 0) fail(what);
}

unsigned ifindex_of(const std::string& ifname) {
  unsigned idx = ifname.size() < IFNAMSIZ ? if_nametoindex(ifname.c_str()) : 0;
  if (!idx) throw BackendError(ENODEV, "Unknown mcast interface: " + ifname);
  return idx;
}

// The interface's first IPv4 address (the kernel binds the master's socket
// to it so backups see a proper source); INADDR_ANY when it has none.
in_addr first_v4_address(const std::string& ifname) {
  in_addr out{htonl(INADDR_ANY)};
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) < 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && ifname == i->ifa_name) {
      out = reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr;
      break;
    }
  }
  freeifaddrs(list);
  return out;
}

// group:port as a socket address (IPv6 scoped to the interface).
socklen_t group_address(const backend::SyncDaemon& d, unsigned ifindex, sockaddr_storage& sa) {
  std::memset(&sa, 0, sizeof sa);
  const IpAddress& g = *d.group;
  if (g.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&sa);
    in->sin_family = AF_INET;
    in->sin_port = htons(d.port);
    std::memcpy(&in->sin_addr, g.bytes.data(), 4);
    return sizeof *in;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&sa);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(d.port);
  std::memcpy(&in6->sin6_addr, g.bytes.data(), 16);
  in6->sin6_scope_id = ifindex;
  return sizeof *in6;
}

Socket new_socket(const IpAddress& group) {
  int fd = socket(group.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) fail("socket");
  return Socket(fd);
}

}  // namespace

Channel open_master(const backend::SyncDaemon& d) {
  const unsigned idx = ifindex_of(d.mcast_ifn);
  Channel c;
  c.sock = new_socket(*d.group);
  const int fd = c.sock.fd();
  const int loop = 1, ttl = d.ttl ? d.ttl : 1;
  if (d.group->is_v4()) {
    ip_mreqn mr{};
    mr.imr_ifindex = static_cast<int>(idx);
    set(fd, IPPROTO_IP, IP_MULTICAST_IF, mr, "IP_MULTICAST_IF");
    set(fd, IPPROTO_IP, IP_MULTICAST_LOOP, loop, "IP_MULTICAST_LOOP");
    set(fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl, "IP_MULTICAST_TTL");
    set(fd, IPPROTO_IP, IP_MTU_DISCOVER, int{IP_PMTUDISC_DONT}, "IP_MTU_DISCOVER");
    sockaddr_in self{};
    self.sin_family = AF_INET;
    self.sin_addr = first_v4_address(d.mcast_ifn);
    if (bind(fd, reinterpret_cast<sockaddr*>(&self), sizeof self) < 0) fail("bind to " + d.mcast_ifn);
  } else {
    const int i = static_cast<int>(idx);
    set(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, i, "IPV6_MULTICAST_IF");
    set(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, loop, "IPV6_MULTICAST_LOOP");
    set(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl, "IPV6_MULTICAST_HOPS");
    set(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, int{IPV6_PMTUDISC_DONT}, "IPV6_MTU_DISCOVER");
  }
  sockaddr_storage to;
  socklen_t to_len = group_address(d, idx, to);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), to_len) < 0) fail("connect to the sync group");
  c.local_len = sizeof c.local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&c.local), &c.local_len) < 0) fail("getsockname");
  return c;
}

Channel open_backup(const backend::SyncDaemon& d) {
  const unsigned idx = ifindex_of(d.mcast_ifn);
  Channel c;
  c.sock = new_socket(*d.group);
  const int fd = c.sock.fd();
  set(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  // The kernel binds its socket to the device; without CAP_NET_RAW that is
  // refused, and the group membership on the interface does the same work.
  (void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, d.mcast_ifn.c_str(),
                   static_cast<socklen_t>(d.mcast_ifn.size()));
  const int rcvbuf = 1 << 20;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_storage at;
  socklen_t at_len = group_address(d, idx, at);
  if (bind(fd, reinterpret_cast<sockaddr*>(&at), at_len) < 0) fail("bind to the sync group");
  if (d.group->is_v4()) {
    // Only this group's datagrams, even where other sockets joined others on this port.
    set(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL");
    ip_mreqn mr{};
    std::memcpy(&mr.imr_multiaddr, d.group->bytes.data(), 4);
    mr.imr_ifindex = static_cast<int>(idx);
    set(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mr, "join the sync group");
  } else {
    ipv6_mreq mr{};
    std::memcpy(&mr.ipv6mr_multiaddr, d.group->bytes.data(), 16);
    mr.ipv6mr_interface = idx;
    set(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mr, "join the sync group");
  }
  return c;
}

bool same_endpoint(const Channel& c, const sockaddr_storage& from, socklen_t len) {
  if (!c.sock || len != c.local_len || from.ss_family != c.local.ss_family) return false;
  if (from.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&from);
    auto* b = reinterpret_cast<const sockaddr_in*>(&c.local);
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  auto* a = reinterpret_cast<const sockaddr_in6*>(&from);
  auto* b = reinterpret_cast<const sockaddr_in6*>(&c.local);
  return a->sin6_port == b->sin6_port && std::memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0;
}

}  // namespace halb::director::lvsd::sync
