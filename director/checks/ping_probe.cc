// director/checks/ping_probe.cc: one ICMP (ICMPv6) echo within
// checktimeout; the monitor repeats it up to checkcount times.
//
// An unprivileged ping socket (SOCK_DGRAM/IPPROTO_ICMP, allowed by
// net.ipv4.ping_group_range) is tried first: the kernel then picks the
// identifier and hands this socket only its own replies. Otherwise a raw
// socket (root or CAP_NET_RAW), where replies are matched by identifier
// and sequence and IPv4 replies carry their IP header.
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

// linux/icmp.h's ICMP_FILTER socket option (that header clashes with
// netinet/ip_icmp.h): a bit mask of the ICMP types the raw socket drops.
constexpr int kIcmpFilter = 1;

uint16_t checksum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i]) << 8 | data[i + 1];
  if (len & 1) sum += static_cast<uint32_t>(data[len - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

class Ping : public Attempt {
 public:
  Ping(event::Loop& loop, const Spec& spec, Done done)
      : Attempt(loop, std::move(done)), name_(spec.rip.str()), v6_(!spec.rip.is_v4()) {
    int family = v6_ ? AF_INET6 : AF_INET;
    int proto = v6_ ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
    fd_ = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd_ < 0) {
      fd_ = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
      raw_ = true;
      // A raw socket sees every ICMP packet of the host: let the kernel
      // keep all but echo replies away (many reals ping at once).
      if (fd_ >= 0 && !v6_) {
        uint32_t only_replies = ~(1u << ICMP_ECHOREPLY);
        setsockopt(fd_, SOL_RAW, kIcmpFilter, &only_replies, sizeof only_replies);
      } else if (fd_ >= 0) {
        icmp6_filter only_replies;
        ICMP6_FILTER_SETBLOCKALL(&only_replies);
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &only_replies);
        setsockopt(fd_, IPPROTO_ICMPV6, ICMP6_FILTER, &only_replies, sizeof only_replies);
      }
    }
    if (fd_ < 0) {
      finish_soon(false, "ping " + name_ + ": no ICMP socket (" + errno_text(errno) +
                             "; run as root or widen net.ipv4.ping_group_range)");
      return;
    }
    // The identifier only matters on a raw socket; keep it per attempt.
    ident_ = static_cast<uint16_t>((reinterpret_cast<uintptr_t>(this) >> 4) ^ getpid());
    seq_ = static_cast<uint16_t>(reinterpret_cast<uintptr_t>(this) >> 12);
    uint8_t pkt[64] = {};
    pkt[0] = v6_ ? uint8_t{ICMP6_ECHO_REQUEST} : uint8_t{ICMP_ECHO};
    uint16_t id_n = htons(ident_), seq_n = htons(seq_);
    memcpy(pkt + 4, &id_n, 2);
    memcpy(pkt + 6, &seq_n, 2);
    memcpy(pkt + 8, "halb-director ping", 18);
    if (!v6_) {
      uint16_t sum = checksum(pkt, sizeof pkt);
      memcpy(pkt + 2, &sum, 2);
    }  // ICMPv6: the kernel fills the checksum
    sockaddr_storage sa;
    socklen_t len = to_sockaddr(spec.rip, 0, sa);
    if (sendto(fd_, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&sa), len) < 0) {
      finish_soon(false, "ping " + name_ + ": " + errno_text(errno));
      return;
    }
    target_ = spec.rip;
    io_ = std::make_unique<event::Io>(loop, fd_, EV_READ, [this](int) { on_read(); });
    io_->start();
    arm_deadline(spec.checktimeout, "ping " + name_ + ": no reply");
  }
  ~Ping() override { halt(); }
  void halt() override {
    io_.reset();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  void on_read() {
    for (;;) {
      uint8_t buf[1500];
      sockaddr_storage from;
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 0) return;  // EAGAIN: wait for more
      if (!from_target(from)) continue;
      const uint8_t* icmp = buf;
      size_t len = n;
      if (raw_ && !v6_) {
        size_t ihl = (buf[0] & 0x0f) * 4;
        if (len < ihl) continue;
        icmp += ihl;
        len -= ihl;
      }
      if (len < 8) continue;
      uint8_t reply = v6_ ? uint8_t{ICMP6_ECHO_REPLY} : uint8_t{ICMP_ECHOREPLY};
      if (icmp[0] != reply) continue;
      if (raw_) {
        uint16_t id, seq;
        memcpy(&id, icmp + 4, 2);
        memcpy(&seq, icmp + 6, 2);
        if (ntohs(id) != ident_ || ntohs(seq) != seq_) continue;
      }
      return finish(true, "ping " + name_ + ": echo reply");
    }
  }

  bool from_target(const sockaddr_storage& from) const {
    if (v6_) return memcmp(&reinterpret_cast<const sockaddr_in6&>(from).sin6_addr, target_.bytes.data(), 16) == 0;
    return memcmp(&reinterpret_cast<const sockaddr_in&>(from).sin_addr, target_.bytes.data(), 4) == 0;
  }

  std::string name_;
  bool v6_;
  bool raw_ = false;
  int fd_ = -1;
  uint16_t ident_ = 0;
  uint16_t seq_ = 0;
  IpAddress target_;
  std::unique_ptr<event::Io> io_;
};

}  // namespace

std::unique_ptr<Check> start_ping(event::Loop& loop, const Spec& spec, Done done) {
  return std::make_unique<Ping>(loop, spec, std::move(done));
}

}  // namespace halb::director::checks
