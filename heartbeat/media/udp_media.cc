// heartbeat/media/udp_media.cc: see udp_media.h.
#include "heartbeat/media/udp_media.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace halb::heartbeat {

UdpMedia::UdpMedia(event::Loop& loop, log::Logger& logger, Receive on_receive)
    : loop_(loop), logger_(logger), on_receive_(std::move(on_receive)) {}

UdpMedia::~UdpMedia() {
  for (auto& [_, s] : sockets_) {
    s->io.reset();
    if (s->fd >= 0) close(s->fd);
  }
}

std::vector<std::string> UdpMedia::links() const { return links_; }

static bool interface_broadcast(const std::string& device, in_addr& out, std::string& error) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = strerror(errno);
    return false;
  }
  ifreq ifr{};
  strncpy(ifr.ifr_name, device.c_str(), IFNAMSIZ - 1);
  bool ok = ioctl(fd, SIOCGIFBRDADDR, &ifr) == 0;
  if (ok) out = reinterpret_cast<sockaddr_in*>(&ifr.ifr_broadaddr)->sin_addr;
  else error = "no broadcast address on " + device + ": " + strerror(errno);
  close(fd);
  return ok;
}

UdpMedia::Socket* UdpMedia::socket_for(const std::string& device, in_addr bind_addr, uint16_t port, bool mcast,
                                       std::string& error) {
  char addr_text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &bind_addr, addr_text, sizeof addr_text);
  std::string key = device + "/" + addr_text + "/" + std::to_string(port) + (mcast ? "/m" : "");
  if (auto it = sockets_.find(key); it != sockets_.end()) return it->second.get();

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + strerror(errno);
    return nullptr;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
  int tos = IPTOS_LOWDELAY;
  setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  if (mcast) {
    int zero = 0;
    // Only the groups this socket joined, not every group joined on the host.
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero);
  }
  bool wildcard = bind_addr.s_addr == htonl(INADDR_ANY) || mcast;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), static_cast<socklen_t>(device.size())) != 0) {
    if (wildcard) {
      // Without the device binding a wildcard socket would hear every interface.
      error = "cannot bind to device " + device + ": " + strerror(errno);
      close(fd);
      return nullptr;
    }
    logger_.debug("SO_BINDTODEVICE " + device + " refused (" + strerror(errno) + "); using the bound address only");
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr = bind_addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    error = std::string("bind ") + addr_text + ":" + std::to_string(port) + " on " + device + ": " + strerror(errno);
    close(fd);
    return nullptr;
  }
  auto s = std::make_unique<Socket>();
  s->fd = fd;
  s->link = device;
  Socket* raw = s.get();
  s->io = std::make_unique<event::Io>(loop_, fd, EV_READ, [this, raw](int) { on_readable(*raw); });
  s->io->start();
  sockets_[key] = std::move(s);
  return raw;
}

bool UdpMedia::open(const std::vector<Medium>& media, const std::string& bind_address, std::string& error) {
  in_addr bind_addr{htonl(INADDR_ANY)};
  if (!bind_address.empty() && inet_pton(AF_INET, bind_address.c_str(), &bind_addr) != 1) {
    error = "bad bind_address " + bind_address;
    return false;
  }
  for (const Medium& m : media) {
    Target t{};
    t.device = m.device;
    t.to.sin_family = AF_INET;
    t.to.sin_port = htons(m.port);
    switch (m.kind) {
      case MediumKind::bcast: {
        t.socket = socket_for(m.device, bind_addr, m.port, false, error);
        if (!t.socket) return false;
        if (!interface_broadcast(m.device, t.to.sin_addr, error)) return false;
        t.what = "bcast " + m.device;
        break;
      }
      case MediumKind::ucast: {
        t.socket = socket_for(m.device, bind_addr, m.port, false, error);
        if (!t.socket) return false;
        if (inet_pton(AF_INET, m.address.c_str(), &t.to.sin_addr) != 1) {
          error = "bad ucast address " + m.address;
          return false;
        }
        t.what = "ucast " + m.device + " " + m.address;
        break;
      }
      case MediumKind::mcast: {
        in_addr group{};
        if (inet_pton(AF_INET, m.address.c_str(), &group) != 1) {
          error = "bad mcast group " + m.address;
          return false;
        }
        t.socket = socket_for(m.device, group, m.port, true, error);
        if (!t.socket) return false;
        ip_mreqn mreq{};
        mreq.imr_multiaddr = group;
        mreq.imr_ifindex = static_cast<int>(if_nametoindex(m.device.c_str()));
        if (mreq.imr_ifindex == 0 ||
            setsockopt(t.socket->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
          error = "cannot join " + m.address + " on " + m.device + ": " + strerror(errno);
          return false;
        }
        setsockopt(t.socket->fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq);
        unsigned char ttl = static_cast<unsigned char>(m.ttl);
        unsigned char loop = m.loop ? 1 : 0;
        setsockopt(t.socket->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
        setsockopt(t.socket->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
        t.to.sin_addr = group;
        t.what = "mcast " + m.device + " " + m.address;
        break;
      }
      case MediumKind::serial:
        error = "serial media are not supported by halb-heartbeat (ha.cf line " + std::to_string(m.line) + ")";
        return false;
    }
    targets_.push_back(t);
    if (std::find(links_.begin(), links_.end(), m.device) == links_.end()) links_.push_back(m.device);
  }
  return true;
}

void UdpMedia::send(std::string_view datagram) {
  for (auto& t : targets_) {
    ssize_t n = sendto(t.socket->fd, datagram.data(), datagram.size(), MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&t.to), sizeof t.to);
    if (n < 0) {
      ++send_errors_;
      logger_.limited("send:" + t.what, log::Level::warn, "cannot send on " + t.what + ": " + strerror(errno),
                      std::chrono::seconds(30));
    }
  }
}

void UdpMedia::on_readable(Socket& s) {
  char buf[65536];
  for (int i = 0; i < 64; ++i) {
    ssize_t n = recv(s.fd, buf, sizeof buf, 0);
    if (n < 0) return;
    ++received_;
    on_receive_(std::string_view(buf, static_cast<size_t>(n)), s.link);
  }
}

}  // namespace halb::heartbeat
