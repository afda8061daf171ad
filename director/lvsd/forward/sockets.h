// director/lvsd/forward/sockets.h: the socket calls halb-lvsd's forwarder
// needs, each returning -1 with errno set (or an empty optional) on
// failure so the caller words the log line.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>

#include "director/address.h"

namespace halb::director::lvsd {

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&ss); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&ss); }
};

SockAddr to_sockaddr(const IpAddress& addr, uint16_t port);
// The address and port of a sockaddr (v4-mapped v6 stays v6).
std::optional<std::pair<IpAddress, uint16_t>> from_sockaddr(const SockAddr& sa);

// A non-blocking listening (TCP) or bound (UDP) socket at addr:port, with
// SO_REUSEPORT so every worker has its own, and IP_FREEBIND so a service
// can be added before its VIP is configured. A TCP listener has
// TCP_NODELAY set, which Linux copies to every accepted socket: one
// setsockopt per service instead of one per connection.
int open_service_socket(const IpAddress& addr, uint16_t port, bool udp, int incoming_cpu = -1);

// A non-blocking socket of addr's family whose connect() to addr:port has
// started (EINPROGRESS) or finished. `data_first`: the caller holds bytes
// it will send as soon as the connection is up, so the handshake's last ACK
// is held back to travel with them (TCP_QUICKACK off before connect, as
// HAProxy's tcp-smart-connect does): one packet fewer per connection, and
// the real server finds the connection and its first bytes together. Never
// for a protocol whose server speaks first: its greeting would wait for the
// delayed ACK.
int start_connect(const IpAddress& addr, uint16_t port, bool udp, bool data_first = false);

// True when a started TCP connect has already completed (TCP_INFO says
// ESTABLISHED). To a real server on the same host or a fast LAN the
// handshake is often over before connect() returns EINPROGRESS; asking
// saves a trip through the event loop and an epoll_ctl per connection.
bool connect_established(int fd);

// Close with SO_LINGER 0, so the peer sees a reset rather than a FIN.
void close_with_reset(int fd);

// Seconds on a monotonic clock shared by every thread (the table's `now`).
inline double mono_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace halb::director::lvsd
