// director/backend/ipvs_conn.cc: see ipvs_conn.h. The line format is
// ip_vs_conn_seq_show() in net/netfilter/ipvs/ip_vs_conn.c (Linux 6.1).
#include "director/backend/ipvs_conn.h"

#include <charconv>
#include <optional>
#include <sstream>

namespace halb::director::backend::ipvs {

namespace {

std::optional<uint32_t> hex(const std::string& s, size_t digits) {
  if (s.size() != digits) return std::nullopt;
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<IpAddress> address(const std::string& s) {
  if (s.find(':') != std::string::npos) {
    auto a = IpAddress::parse(s);
    if (!a || a->is_v4()) return std::nullopt;
    return a;
  }
  auto v = hex(s, 8);
  if (!v) return std::nullopt;
  return IpAddress::v4(*v);
}

std::optional<uint16_t> port(const std::string& s) {
  auto v = hex(s, 4);
  if (!v) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

std::optional<Connection> parse_line(const std::string& line) {
  std::istringstream in(line);
  std::string pro, caddr, cport, vaddr, vport, daddr, dport, state, expires;
  if (!(in >> pro >> caddr >> cport >> vaddr >> vport >> daddr >> dport >> state >> expires)) return std::nullopt;
  Connection c;
  if (pro == "TCP") {
    c.protocol = Protocol::tcp;
  } else if (pro == "UDP") {
    c.protocol = Protocol::udp;
  } else if (pro == "IP") {
    c.protocol = Protocol::fwmark;
  } else {
    return std::nullopt;
  }
  auto ca = address(caddr), va = address(vaddr), da = address(daddr);
  auto cp = port(cport), vp = port(vport), dp = port(dport);
  if (!ca || !va || !da || !cp || !vp || !dp) return std::nullopt;
  uint32_t exp = 0;
  auto [p, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), exp);
  if (ec != std::errc() || p != expires.data() + expires.size()) return std::nullopt;
  c.client_addr = *ca;
  c.client_port = *cp;
  c.virtual_addr = *va;
  c.virtual_port = *vp;
  c.dest_addr = *da;
  c.dest_port = *dp;
  c.state = state;
  c.expires_s = exp;
  c.is_template = c.protocol == Protocol::fwmark || (c.client_port == 0 && (state == "NONE" || state == "ASSURED"));
  return c;
}

}  // namespace

std::vector<Connection> parse_conn_table(std::string_view text, size_t* skipped) {
  std::vector<Connection> out;
  size_t bad = 0;
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (first && line.rfind("Pro ", 0) == 0) {
      first = false;
      continue;
    }
    first = false;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (auto c = parse_line(line)) {
      out.push_back(std::move(*c));
    } else {
      ++bad;
    }
  }
  if (skipped) *skipped = bad;
  return out;
}

}  // namespace halb::director::backend::ipvs
