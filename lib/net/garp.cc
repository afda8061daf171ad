// lib/net/garp.cc: gratuitous ARP frames and their paced sending (see garp.h).
#include "lib/net/garp.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace halb::net {

GarpFrame build_garp_frame(ArpOp op, const Mac& own, const Address& vip) {
  GarpFrame f{};
  auto put16 = [&f](size_t at, uint16_t v) {
    f[at] = static_cast<uint8_t>(v >> 8);
    f[at + 1] = static_cast<uint8_t>(v);
  };
  // Ethernet: broadcast destination, our source, ARP ethertype.
  std::copy(kBroadcastMac.begin(), kBroadcastMac.end(), f.begin());
  std::copy(own.begin(), own.end(), f.begin() + 6);
  put16(12, ETH_P_ARP);
  // ARP for IPv4 over Ethernet (RFC 826).
  put16(14, 1);        // hardware type: Ethernet
  put16(16, ETH_P_IP);  // protocol type: IPv4
  f[18] = 6;           // hardware address length
  f[19] = 4;           // protocol address length
  put16(20, static_cast<uint16_t>(op));
  std::copy(own.begin(), own.end(), f.begin() + 22);             // sender MAC
  std::copy(vip.bytes.begin(), vip.bytes.begin() + 4, f.begin() + 28);  // sender IP
  // Target MAC: unknown (zero) in a request; send_arp puts its own MAC in
  // the reply, so the reply reads "vip is-at own" either way it is parsed.
  const Mac& target = op == ArpOp::request ? kZeroMac : own;
  std::copy(target.begin(), target.end(), f.begin() + 32);
  std::copy(vip.bytes.begin(), vip.bytes.begin() + 4, f.begin() + 38);  // target IP
  return f;
}

GarpSender::GarpSender(event::Loop& loop) : timer_(loop, [this] { send_next(); }) {}

GarpSender::~GarpSender() { cancel(); }

Status GarpSender::start(int ifindex, const Mac& own, const Address& vip, Options options, Done done) {
  cancel();
  if (!vip.is_v4()) return Error{"gratuitous ARP is for IPv4 addresses only"};
  if (options.count < 1) return Error{"ARP repeat count must be at least 1"};
  if (ifindex <= 0) return Error{"bad interface index"};
  // Protocol 0: this socket only sends, so the kernel queues no received
  // frames on it.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{std::string("packet socket: ") + strerror(errno)};
  fd_ = fd;
  ifindex_ = ifindex;
  request_ = build_garp_frame(ArpOp::request, own, vip);
  reply_ = build_garp_frame(ArpOp::reply, own, vip);
  total_ = 2 * options.count;
  next_ = 0;
  sent_ = 0;
  error_.clear();
  done_ = std::move(done);
  // A pause of interval/2 after every frame; libev repeats are scheduled
  // from the previous due time, so the spacing does not drift. A zero
  // interval still needs a nonzero repeat or libev would fire only once.
  double half = std::max(options.interval_ms, 2) / 2000.0;
  send_next();  // frame 0 now: the announcement should not wait a pause
  if (active()) timer_.start(half, half);
  return Ok{};
}

void GarpSender::send_next() {
  if (fd_ < 0) return;
  const GarpFrame& frame = next_ % 2 == 0 ? request_ : reply_;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = ifindex_;
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, kBroadcastMac.data(), 6);
  ssize_t n = sendto(fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  if (n == static_cast<ssize_t>(frame.size())) {
    ++sent_;
  } else if (error_.empty()) {
    // Keep going: a link that was down for one frame (ENETDOWN while it
    // comes up) may take the next ones.
    error_ = n < 0 ? std::string(strerror(errno)) : "short write";
  }
  if (++next_ >= total_) finish();
}

void GarpSender::finish() {
  timer_.stop();
  close(fd_);
  fd_ = -1;
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(sent_, error_);
}

void GarpSender::cancel() {
  timer_.stop();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  done_ = nullptr;
}

}  // namespace halb::net
