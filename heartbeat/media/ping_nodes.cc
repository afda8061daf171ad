// heartbeat/media/ping_nodes.cc: see ping_nodes.h.
#include "heartbeat/media/ping_nodes.h"

#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace halb::heartbeat {

static uint16_t checksum(const void* data, size_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += static_cast<uint32_t>(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

PingNodes::PingNodes(event::Loop& loop, log::Logger& logger, std::vector<PingGroup> groups, long long interval_ms,
                     long long deadping_ms)
    : loop_(loop), logger_(logger), groups_(std::move(groups)), interval_ms_(interval_ms), deadping_ms_(deadping_ms) {
  ident_ = static_cast<uint16_t>(getpid());
}

PingNodes::~PingNodes() {
  io_.reset();
  if (fd_ >= 0) close(fd_);
}

bool PingNodes::open(std::string& error) {
  if (groups_.empty()) return true;
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd_ < 0) {
    fd_ = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    raw_ = true;
  }
  if (fd_ < 0) {
    error = std::string("cannot open an ICMP socket for ping nodes: ") + strerror(errno);
    return false;
  }
  io_ = std::make_unique<event::Io>(loop_, fd_, EV_READ, [this](int) { on_readable(); });
  io_->start();
  return true;
}

void PingNodes::probe() {
  if (fd_ < 0) return;
  ++seq_;
  for (auto& g : groups_)
    for (auto& a : g.addresses) {
      sockaddr_in to{};
      to.sin_family = AF_INET;
      if (inet_pton(AF_INET, a.c_str(), &to.sin_addr) != 1) continue;
      unsigned char pkt[16] = {};
      icmphdr* h = reinterpret_cast<icmphdr*>(pkt);
      h->type = ICMP_ECHO;
      h->un.echo.id = htons(ident_);
      h->un.echo.sequence = htons(seq_);
      memcpy(pkt + sizeof(icmphdr), "halb-hb\0", 8);
      h->checksum = checksum(pkt, sizeof pkt);
      if (sendto(fd_, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
        logger_.limited("ping:" + a, log::Level::debug, "ping " + a + ": " + strerror(errno));
    }
}

void PingNodes::on_readable() {
  unsigned char buf[1500];
  for (;;) {
    sockaddr_in from{};
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n <= 0) return;
    const unsigned char* p = buf;
    size_t len = static_cast<size_t>(n);
    if (raw_) {
      if (len < sizeof(iphdr)) continue;
      size_t ihl = static_cast<size_t>(reinterpret_cast<const iphdr*>(p)->ihl) * 4;
      if (ihl < sizeof(iphdr) || len < ihl + sizeof(icmphdr)) continue;
      p += ihl;
      len -= ihl;
    }
    if (len < sizeof(icmphdr)) continue;
    const icmphdr* h = reinterpret_cast<const icmphdr*>(p);
    if (h->type != ICMP_ECHOREPLY) continue;
    // Datagram ICMP sockets rewrite the id; raw ones must filter other pingers.
    if (raw_ && ntohs(h->un.echo.id) != ident_) continue;
    last_reply_[from.sin_addr.s_addr] = loop_.now();
  }
}

bool PingNodes::group_alive(const std::string& name) const {
  double now = loop_.now();
  for (auto& g : groups_) {
    if (g.name != name) continue;
    for (auto& a : g.addresses) {
      in_addr ia{};
      if (inet_pton(AF_INET, a.c_str(), &ia) != 1) continue;
      auto it = last_reply_.find(ia.s_addr);
      if (it != last_reply_.end() && (now - it->second) * 1000 <= static_cast<double>(deadping_ms_)) return true;
    }
  }
  return false;
}

int PingNodes::alive_count() const {
  int n = 0;
  for (auto& g : groups_) n += group_alive(g.name) ? 1 : 0;
  return n;
}

}  // namespace halb::heartbeat
