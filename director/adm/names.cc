// director/adm/names.cc: see names.h.
#include "director/adm/names.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

namespace halb::director::adm {

namespace {

const char* proto_word(int proto) {
  switch (proto) {
    case kProtoTcp: return "tcp";
    case kProtoUdp: return "udp";
    case kProtoSctp: return "sctp";
    default: return nullptr;
  }
}

}  // namespace

std::optional<std::string> SystemNames::host_name(const IpAddress& addr) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (addr.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, addr.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, addr.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  std::array<char, NI_MAXHOST> host{};
  if (getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host.data(), host.size(), nullptr, 0, NI_NAMEREQD) != 0)
    return std::nullopt;
  return std::string(host.data());
}

std::optional<std::string> SystemNames::service_name(uint16_t port, int proto) {
  const char* p = proto_word(proto);
  if (!p) return std::nullopt;
  servent se{};
  servent* res = nullptr;
  std::array<char, 1024> buf{};
  if (getservbyport_r(htons(port), p, &se, buf.data(), buf.size(), &res) != 0 || !res) return std::nullopt;
  return std::string(res->s_name);
}

std::optional<IpAddress> SystemNames::host_address(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* res = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &res) != 0 || !res) return std::nullopt;
  IpAddress a;
  a.family = Family::v4;
  std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, 4);
  freeaddrinfo(res);
  return a;
}

std::optional<uint16_t> SystemNames::service_port(const std::string& name, int proto) {
  const char* p = proto_word(proto);
  if (!p) return std::nullopt;
  servent se{};
  servent* res = nullptr;
  std::array<char, 1024> buf{};
  if (getservbyname_r(name.c_str(), p, &se, buf.data(), buf.size(), &res) != 0 || !res) return std::nullopt;
  return ntohs(static_cast<uint16_t>(res->s_port));
}

std::string endpoint_name(const IpAddress& addr, uint16_t port, int proto, bool numeric, Names& names) {
  std::string host, serv;
  if (!numeric) {
    if (auto h = names.host_name(addr)) host = *h;
    if (auto s = names.service_name(port, proto)) serv = *s;
  }
  if (host.empty()) host = addr.str();
  if (serv.empty()) serv = std::to_string(port);
  std::string out = addr.is_v4() ? host + ":" + serv : "[" + host + "]:" + serv;
  if (out.size() > 59) out.resize(59);
  return out;
}

}  // namespace halb::director::adm
