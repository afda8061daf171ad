// lib/net/address.cc: parsing and formatting of addresses, prefixes and
// MACs (see address.h). inet_pton/inet_ntop do the address text so halb
// accepts exactly what iproute2 accepts.
#include "lib/net/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

namespace halb::net {

std::optional<Address> Address::parse(std::string_view text) {
  // inet_pton wants a C string; INET6_ADDRSTRLEN bounds any valid text.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::v4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::v6;
    return a;
  }
  return std::nullopt;
}

Address Address::v4(uint32_t host_order) {
  Address a;
  a.family = Family::v4;
  a.bytes[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes[3] = static_cast<uint8_t>(host_order);
  return a;
}

uint32_t Address::v4_host_order() const {
  if (!is_v4()) return 0;
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3];
}

std::string Address::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

static std::optional<int> parse_decimal(std::string_view text) {
  int v = 0;
  // from_chars would take a minus sign; a length never has one.
  if (text.empty() || text.size() > 3 || text[0] < '0' || text[0] > '9') return std::nullopt;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<int> parse_prefix_len(std::string_view text, Family family) {
  int max = family == Family::v4 ? 32 : 128;
  if (auto n = parse_decimal(text)) {
    if (*n < 0 || *n > max) return std::nullopt;
    return *n;
  }
  // A dotted netmask is only meaningful for IPv4, and only when its ones are
  // contiguous (255.0.255.0 has no prefix length).
  if (family != Family::v4) return std::nullopt;
  auto mask = Address::parse(text);
  if (!mask || !mask->is_v4()) return std::nullopt;
  uint32_t m = mask->v4_host_order();
  int len = 0;
  while (len < 32 && (m & (0x80000000u >> len))) ++len;
  uint32_t expect = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  if (m != expect) return std::nullopt;
  return len;
}

std::optional<Prefix> Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = Address::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  Prefix p{*addr, addr->bits()};
  if (slash == std::string_view::npos) return p;
  auto len = parse_decimal(text.substr(slash + 1));
  if (!len || *len > addr->bits()) return std::nullopt;
  p.len = *len;
  return p;
}

std::string Prefix::str() const { return addr.str() + "/" + std::to_string(len); }

Address Prefix::network() const {
  Address n = addr;
  for (size_t i = 0; i < n.size(); ++i) {
    int keep = len - static_cast<int>(i * 8);  // network bits left for this byte
    if (keep >= 8) continue;
    n.bytes[i] = keep <= 0 ? 0 : static_cast<uint8_t>(n.bytes[i] & (0xff << (8 - keep)));
  }
  return n;
}

bool Prefix::contains(const Address& a) const {
  if (a.family != addr.family) return false;
  return Prefix{a, len}.network() == network();
}

std::optional<Address> broadcast(const Prefix& p) {
  if (!p.addr.is_v4() || p.len >= 31) return std::nullopt;
  uint32_t host_mask = p.len == 0 ? ~uint32_t{0} : (~uint32_t{0} >> p.len);
  return Address::v4(p.addr.v4_host_order() | host_mask);
}

bool looks_like_ipv4(std::string_view text) {
  int groups = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    size_t n = i - start;
    if (n < 1 || n > 3) return false;
    ++groups;
    if (i == text.size()) return groups == 4;
    if (text[i] != '.' || groups == 4) return false;
    ++i;
  }
}

std::string format_mac(const Mac& mac) {
  char buf[18];
  snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return buf;
}

std::optional<Mac> parse_mac(std::string_view text) {
  Mac m{};
  if (text.size() != 17) return std::nullopt;
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && text[i * 3 - 1] != ':') return std::nullopt;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(text.data() + i * 3, text.data() + i * 3 + 2, v, 16);
    if (ec != std::errc() || p != text.data() + i * 3 + 2) return std::nullopt;
    m[i] = static_cast<uint8_t>(v);
  }
  return m;
}

}  // namespace halb::net
