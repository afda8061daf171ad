// director/lvsd/sync/channel.h: the multicast sockets of the sync daemons.
//
// Set up as the kernel's make_send_sock()/make_receive_sock() do: the
// master's socket sends from the interface's address to group:port with the
// configured TTL (hop limit) and never fragments on its own account; the
// backup's socket is bound to group:port on the interface and joins the
// group there. Unlike the kernel, the master keeps multicast loopback on, so
// a backup in another halb-lvsd on the same host (tests on loopback, two
// instances in one namespace) hears it; a backup in the same process knows
// its own master's source address and ignores those datagrams.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "director/backend/backend.h"

namespace halb::director::lvsd::sync {

// An open socket; closes on destruction.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct Channel {
  Socket sock;
  sockaddr_storage local{};  // the master's source address and port
  socklen_t local_len = 0;
};

// Both throw backend::BackendError: ENODEV for an unknown interface (the
// kernel's "Unknown mcast interface"), or the errno of the call that failed.
// `d` has its defaults filled in (group, port, ttl).
Channel open_master(const backend::SyncDaemon& d);
Channel open_backup(const backend::SyncDaemon& d);

// Whether `from` is the address and port of `c`'s socket.
bool same_endpoint(const Channel& c, const sockaddr_storage& from, socklen_t len);

}  // namespace halb::director::lvsd::sync
