// director/config/values.cc: see values.h.
#include "director/config/values.h"

#include <array>
#include <cctype>
#include <utility>

#include "lib/config/reader.h"

namespace halb::director::config {
namespace {

// The largest range a real= line may expand to; a typo such as
// 10.0.0.1->10.9.0.1 should fail rather than create a million reals.
constexpr uint32_t kMaxRange = 1024;

std::string_view skip_blanks(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

std::string_view next_word(std::string_view& s) {
  s = skip_blanks(s);
  size_t n = 0;
  while (n < s.size() && !std::isspace(static_cast<unsigned char>(s[n]))) ++n;
  auto w = s.substr(0, n);
  s.remove_prefix(n);
  return w;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string_view proto_name(Protocol p) { return p == Protocol::udp ? "udp" : "tcp"; }

uint16_t resolve_port(std::string_view text, std::string_view proto, const Resolver& r) {
  auto p = r.port(text, proto);
  if (!p) throw BadValue("unknown port or service name '" + std::string(text) + "'");
  return *p;
}

IpAddress resolve_host(std::string_view text, Family family, const Resolver& r) {
  if (text.empty()) throw BadValue("missing address");
  auto a = r.host(text, family);
  if (!a)
    throw BadValue("cannot resolve '" + std::string(text) + "' to an " + (family == Family::v4 ? "IPv4" : "IPv6") +
                   " address (numeric or hosts file only)");
  return *a;
}

// "host[:port]" (IPv4) or "[v6][:port]"; the port text is returned unparsed.
std::pair<std::string_view, std::optional<std::string_view>> split_host_port(std::string_view text, bool v6) {
  if (v6) {
    if (text.empty() || text.front() != '[') throw BadValue("expected [IPv6-address] in '" + std::string(text) + "'");
    auto close = text.find(']');
    if (close == std::string_view::npos) throw BadValue("missing ']' in '" + std::string(text) + "'");
    auto host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (rest.empty()) return {host, std::nullopt};
    if (rest.front() != ':') throw BadValue("unexpected '" + std::string(rest) + "' after ']'");
    return {host, rest.substr(1)};
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return {text, std::nullopt};
  return {text.substr(0, colon), text.substr(colon + 1)};
}

constexpr std::array<std::pair<std::string_view, Service>, 21> kServices{{
    {"none", Service::none}, {"dns", Service::dns}, {"ftp", Service::ftp}, {"http", Service::http},
    {"https", Service::https}, {"http_proxy", Service::http_proxy}, {"imap", Service::imap},
    {"imaps", Service::imaps}, {"ldap", Service::ldap}, {"ldaps", Service::ldaps}, {"mysql", Service::mysql},
    {"nntp", Service::nntp}, {"oracle", Service::oracle}, {"pgsql", Service::pgsql}, {"pop", Service::pop},
    {"pops", Service::pops}, {"radius", Service::radius}, {"sip", Service::sip},
    {"simpletcp", Service::simpletcp}, {"smtp", Service::smtp}, {"submission", Service::submission},
}};

}  // namespace

bool parse_yes_no(std::string_view text) {
  if (text == "yes") return true;
  if (text == "no") return false;
  throw BadValue("expected yes or no, got '" + std::string(text) + "'");
}

long long parse_number(std::string_view text, long long min, long long max) {
  auto v = all_digits(text) && text.size() <= 10 ? halb::config::parse_int(text) : std::nullopt;
  if (!v) throw BadValue("expected a number, got '" + std::string(text) + "'");
  if (*v < min || *v > max)
    throw BadValue("'" + std::string(text) + "' is out of range " + std::to_string(min) + ".." + std::to_string(max));
  return *v;
}

std::string parse_quoted(std::string_view text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"')
    throw BadValue("expected a quoted string (\"...\"), got '" + std::string(text) + "'");
  return std::string(text.substr(1, text.size() - 2));
}

Forward parse_forward(std::string_view text) {
  if (text == "gate") return Forward::gate;
  if (text == "masq") return Forward::masq;
  if (text == "ipip") return Forward::ipip;
  throw BadValue("expected gate, masq or ipip, got '" + std::string(text) + "'");
}

std::string normalize_request(std::string_view request) {
  if (!request.empty() && request.front() == '/') return std::string(request);
  return "/" + std::string(request);
}

void parse_virtual_address(std::string_view text, bool v6, const Resolver& resolver, Virtual& v) {
  v.v6 = v6;
  if (all_digits(text)) {
    v.fwmark = static_cast<uint32_t>(parse_number(text, 1, 4294967295LL));
    v.protocol = Protocol::fwm;
    return;
  }
  auto [host, port] = split_host_port(text, v6);
  if (!port || port->empty()) throw BadValue("virtual '" + std::string(text) + "' needs a port (address:port) or a firewall mark");
  v.addr = resolve_host(host, v6 ? Family::v6 : Family::v4, resolver);
  // The protocol= line comes later in the block, so the name is looked up
  // as tcp first; udp-only names (few) still resolve.
  auto p = resolver.port(*port, "tcp");
  if (!p) p = resolver.port(*port, "udp");
  if (!p) throw BadValue("unknown port or service name '" + std::string(*port) + "'");
  v.port = *p;
}

std::vector<Real> parse_real(std::string_view text, bool v6, const Virtual& v, const Resolver& resolver, int line) {
  std::string_view rest = text;
  std::string_view where = next_word(rest);
  if (where.empty()) throw BadValue("real needs an address and a forwarding method");
  Family family = v6 ? Family::v6 : Family::v4;

  // ADDR[->ADDR2][:PORT]: neither IPv4 nor host names contain ':', so the
  // port is split off first and the range from what is left.
  auto [host_part, port_text] = split_host_port(where, v6);
  std::string_view host = host_part;
  std::string_view range_end;
  if (auto arrow = host_part.find("->"); arrow != std::string_view::npos) {
    if (v6) throw BadValue("address ranges are IPv4 only");
    host = host_part.substr(0, arrow);
    range_end = host_part.substr(arrow + 2);
  }

  Real proto_real;
  proto_real.line = line;
  if (port_text) {
    if (port_text->empty()) throw BadValue("empty port in real '" + std::string(where) + "'");
    proto_real.port = resolve_port(*port_text, proto_name(v.protocol), resolver);
  }

  auto fwd = next_word(rest);
  if (fwd.empty()) throw BadValue("real " + std::string(where) + " needs a forwarding method: gate, masq or ipip");
  proto_real.forward = parse_forward(fwd);

  // [WEIGHT] ["REQ","RECV"] [l:N] [u:N], each at most once, in this order.
  rest = skip_blanks(rest);
  if (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) {
    proto_real.weight = static_cast<int>(parse_number(next_word(rest), 0, 65535));
    rest = skip_blanks(rest);
  }
  if (!rest.empty() && rest.front() == '"') {
    auto close = rest.find('"', 1);
    if (close == std::string_view::npos) throw BadValue("unterminated request string in real");
    proto_real.request = normalize_request(rest.substr(1, close - 1));
    rest = skip_blanks(rest.substr(close + 1));
    if (!rest.empty() && rest.front() == ',') rest = skip_blanks(rest.substr(1));
    if (rest.empty() || rest.front() != '"')
      throw BadValue("real: a request string must be followed by a receive string (\"request\", \"receive\")");
    close = rest.find('"', 1);
    if (close == std::string_view::npos) throw BadValue("unterminated receive string in real");
    proto_real.receive = std::string(rest.substr(1, close - 1));
    rest = skip_blanks(rest.substr(close + 1));
  }
  bool seen_l = false, seen_u = false;
  while (!rest.empty()) {
    auto word = next_word(rest);
    if (word.size() > 2 && word[1] == ':' && (word[0] == 'l' || word[0] == 'u')) {
      bool& seen = word[0] == 'l' ? seen_l : seen_u;
      if (seen) throw BadValue("real: '" + std::string(word.substr(0, 2)) + "' given twice");
      seen = true;
      auto n = static_cast<uint32_t>(parse_number(word.substr(2), 0, INT32_MAX));
      (word[0] == 'l' ? proto_real.lower_threshold : proto_real.upper_threshold) = n;
      rest = skip_blanks(rest);
      continue;
    }
    throw BadValue("unexpected '" + std::string(word) + "' in real " + std::string(where));
  }
  if (proto_real.upper_threshold && proto_real.lower_threshold > proto_real.upper_threshold)
    throw BadValue("real: lower threshold l:" + std::to_string(proto_real.lower_threshold) +
                   " is above upper threshold u:" + std::to_string(proto_real.upper_threshold));

  IpAddress first = resolve_host(host, family, resolver);
  std::vector<Real> out;
  if (range_end.empty()) {
    proto_real.addr = first;
    out.push_back(proto_real);
    return out;
  }
  auto last = IpAddress::parse(range_end);
  if (!last || !last->is_v4()) throw BadValue("range end '" + std::string(range_end) + "' is not an IPv4 address");
  uint32_t a = first.v4_host_order(), b = last->v4_host_order();
  if (b < a) throw BadValue("range " + std::string(where) + " ends before it starts");
  if (b - a >= kMaxRange) throw BadValue("range " + std::string(where) + " has more than " + std::to_string(kMaxRange) + " addresses");
  for (uint32_t i = a;; ++i) {
    proto_real.addr = IpAddress::v4(i);
    out.push_back(proto_real);
    if (i == b) break;
  }
  return out;
}

Fallback parse_fallback(std::string_view text, bool v6, const Resolver& resolver) {
  std::string_view rest = text;
  auto where = next_word(rest);
  auto [host, port] = split_host_port(where, v6);
  Fallback f;
  f.addr = resolve_host(host, v6 ? Family::v6 : Family::v4, resolver);
  if (port) {
    if (port->empty()) throw BadValue("empty port in fallback '" + std::string(where) + "'");
    f.port = resolve_port(*port, "tcp", resolver);
  }
  auto fwd = next_word(rest);
  if (!fwd.empty()) f.forward = parse_forward(fwd);
  if (auto extra = next_word(rest); !extra.empty())
    throw BadValue("unexpected '" + std::string(extra) + "' in fallback");
  return f;
}

Service service_from_name(std::string_view name) {
  for (auto& [n, s] : kServices)
    if (n == name) return s;
  throw BadValue("unknown service '" + std::string(name) + "'");
}

std::string_view service_name(Service s) {
  for (auto& [n, v] : kServices)
    if (v == s) return n;
  return "none";
}

Service service_for_port(uint16_t port) {
  switch (port) {
    case 21: return Service::ftp;
    case 25: return Service::smtp;
    case 53: return Service::dns;
    case 80: return Service::http;
    case 110: return Service::pop;
    case 119: return Service::nntp;
    case 143: return Service::imap;
    case 389: return Service::ldap;
    case 443: return Service::https;
    case 587: return Service::submission;
    case 636: return Service::ldaps;
    case 993: return Service::imaps;
    case 995: return Service::pops;
    case 1521: return Service::oracle;
    case 1812: return Service::radius;
    case 3128: return Service::http_proxy;
    case 3306: return Service::mysql;
    case 5060: return Service::sip;
    case 5432: return Service::pgsql;
    default: return Service::none;
  }
}

}  // namespace halb::director::config
