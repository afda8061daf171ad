// director/adm/command.cc: see command.h. The checks run in ipvsadm's
// order, so that a command line with several mistakes reports the same
// first one.
#include "director/adm/command.h"

#include <arpa/inet.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "director/adm/grammar.h"
#include "director/adm/popt_lexer.h"

namespace halb::director::adm {

using backend::Forward;
using backend::Protocol;

namespace {

constexpr uint32_t kMaxTimeout = 86400 * 31;  // 31 days
constexpr uint32_t kDefaultPersistence = 360;  // ipvsadm's code (its man page says 300)

// What the command line says before it becomes a Command: ipvsadm's
// ipvs_command_entry, including its zero "address family" before any
// address is read.
struct Entry {
  Cmd cmd = Cmd::none;
  uint64_t options = 0;
  ListFormat format;
  // service
  int af = 0;  // 0 (not yet known), 4 or 6
  int protocol = 0;
  uint32_t fwmark = 0;
  IpAddress addr;
  uint16_t port = 0;
  std::string sched;
  uint32_t flags = 0;
  uint32_t timeout = 0;
  uint32_t netmask = 0xffffffff;  // network order for IPv4, prefix length for IPv6
  std::string pe;
  // dest
  int dest_af = 0;
  IpAddress dest_addr;
  uint16_t dest_port = 0;
  Forward forward = Forward::route;
  int weight = 1;
  uint32_t u_threshold = 0, l_threshold = 0;
  int tun_type = 0;
  // timeouts and daemon
  backend::Timeouts timeouts;
  backend::SyncDaemon daemon;
};

std::string try_help(const std::string& program) {
  return "Try `" + program + " -h' or '" + program + " --help' for more information.\n";
}

// strtol in base 10 over the whole text, within [min, max]; nullopt
// otherwise (ipvsadm's string_to_number).
std::optional<long> number(const std::string& s, long min, long max) {
  errno = 0;
  char* end = nullptr;
  long n = strtol(s.c_str(), &end, 10);
  if (*end != '\0' || end == s.c_str() || errno == ERANGE || n < min || n > max) return std::nullopt;
  return n;
}

uint32_t parse_timeout(const std::optional<std::string>& text, long min, long max) {
  if (!text) return kDefaultPersistence;
  auto n = number(*text, min, max);
  if (!n) fail("invalid timeout value `" + *text + "' specified");
  return static_cast<uint32_t>(*n);
}

uint32_t parse_fwmark(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  long l = strtol(text.c_str(), &end, 10);
  if (*end != '\0' || end == text.c_str() || errno == ERANGE || l <= 0 || static_cast<unsigned long>(l) > UINT_MAX)
    fail("invalid fwmark value `" + text + "' specified");
  return static_cast<uint32_t>(l);
}

bool all_digits(const std::string& s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::optional<IpAddress> parse_v4(const std::string& host, Names& names) {
  in_addr in{};
  if (inet_aton(host.c_str(), &in) != 0) {
    IpAddress a;
    std::memcpy(a.bytes.data(), &in, 4);
    return a;
  }
  return names.host_address(host);
}

constexpr int kServiceAddr = 1, kServicePort = 2;

// ipvsadm's parse_service: "host[:port]" or "[v6]:port" into the
// service fields of e; returns kServiceAddr|kServicePort as found, 0 when
// the text is not an address (a bare number is not).
int parse_service(const std::string& text, Entry& e, Names& names) {
  if (all_digits(text)) return 0;
  std::string host = text;
  std::optional<std::string> port_text;
  if (host[0] == '[') {
    host.erase(0, 1);
    auto close = host.find(']');
    if (close == std::string::npos) return 0;
    std::string rest = host.substr(close + 1);
    host.resize(close);
    if (rest.empty() || rest[0] != ':') return 0;
    port_text = rest.substr(1);
  }
  in6_addr in6{};
  if (inet_pton(AF_INET6, host.c_str(), &in6) > 0) {
    e.af = 6;
    e.addr.family = Family::v6;
    std::memcpy(e.addr.bytes.data(), &in6, 16);
    e.netmask = 128;
  } else {
    // A port is looked for again, within the host part only: ipvsadm
    // drops the port of "[1.2.3.4]:80".
    port_text.reset();
    if (auto colon = host.rfind(':'); colon != std::string::npos) {
      port_text = host.substr(colon + 1);
      host.resize(colon);
    }
    auto a = parse_v4(host, names);
    if (!a) return 0;
    e.af = 4;
    e.addr = *a;
  }
  int result = kServiceAddr;
  if (port_text) {
    result |= kServicePort;
    if (auto n = number(*port_text, 0, 65535)) {
      e.port = static_cast<uint16_t>(*n);
    } else if (auto p = names.service_port(*port_text, e.protocol)) {
      e.port = *p;
    } else {
      return 0;
    }
  }
  return result;
}

uint32_t parse_sched_flags(const std::string& sched_name, const std::string& arg) {
  const std::string sched = sched_name.empty() ? "wlc" : sched_name;
  uint32_t flags = 0;
  size_t start = 0;
  bool any = false;
  while (start <= arg.size()) {
    size_t comma = arg.find(',', start);
    std::string flag = arg.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? arg.size() + 1 : comma + 1;
    if (flag.empty()) continue;
    any = true;
    auto scheduler_only = [&](const char* s) {
      if (sched != s) fail("incompatible scheduler flag `" + flag + "'");
    };
    if (flag == "flag-1") {
      flags |= backend::kSvcSched1;
    } else if (flag == "flag-2") {
      flags |= backend::kSvcSched2;
    } else if (flag == "flag-3") {
      flags |= backend::kSvcSched3;
    } else if (flag == "sh-fallback") {
      flags |= backend::kSvcSched1;
      scheduler_only("sh");
    } else if (flag == "sh-port") {
      flags |= backend::kSvcSched2;
      scheduler_only("sh");
    } else if (flag == "mh-fallback") {
      flags |= backend::kSvcSched1;
      scheduler_only("mh");
    } else if (flag == "mh-port") {
      flags |= backend::kSvcSched2;
      scheduler_only("mh");
    } else {
      fail("invalid scheduler flag `" + flag + "'");
    }
  }
  if (!any) fail("invalid scheduler flag `" + arg + "'");
  return flags;
}

void set_command(Entry& e, Cmd cmd) {
  if (e.cmd != Cmd::none) fail("multiple commands specified");
  e.cmd = cmd;
}

void set_option(Entry& e, Opt o) {
  uint64_t bit = uint64_t{1} << o;
  if (e.options & bit) fail(std::string("multiple '") + option_name(o) + "' options specified");
  e.options |= bit;
}

bool has(const Entry& e, Opt o) { return e.options & (uint64_t{1} << o); }

void read_first(Entry& e, PoptLexer& lex, const std::string& program, std::variant<Command, Exit>& early) {
  Token t = lex.next();
  if (t.kind != Token::option) throw ArgError{255, try_help(program)};
  auto daemon_role = [&](const char* what) {
    if (*t.value == "master") {
      e.daemon.role = backend::SyncRole::master;
    } else if (*t.value == "backup") {
      e.daemon.role = backend::SyncRole::backup;
    } else {
      fail(what);
    }
  };
  switch (t.tag) {
    case 'A': set_command(e, Cmd::add_service); break;
    case 'E': set_command(e, Cmd::edit_service); break;
    case 'D': set_command(e, Cmd::del_service); break;
    case 'a': set_command(e, Cmd::add_dest); break;
    case 'e': set_command(e, Cmd::edit_dest); break;
    case 'd': set_command(e, Cmd::del_dest); break;
    case 'C': set_command(e, Cmd::flush); break;
    case 'L':
    case 'l': set_command(e, Cmd::list); break;
    case 'Z': set_command(e, Cmd::zero); break;
    case kTagSet: set_command(e, Cmd::set_timeouts); break;
    case 'R': set_command(e, Cmd::restore); break;
    case 'S': set_command(e, Cmd::save); break;
    case kTagStartDaemon:
      set_command(e, Cmd::start_daemon);
      daemon_role("illegal start-daemon parameter specified");
      break;
    case kTagStopDaemon:
      set_command(e, Cmd::stop_daemon);
      daemon_role("illegal start_daemon specified");
      break;
    case 'h': early = Exit{0, usage_text(program), {}}; return;
    case 'v': early = Exit{0, version_text(), {}}; return;
    default: throw ArgError{255, try_help(program)};
  }
}

// One option after the command, as ipvsadm's parse_options loop.
void read_option(Entry& e, const Token& t, Names& names, std::string& sched_flags_arg) {
  const std::string arg = t.value.value_or("");
  switch (t.tag) {
    case 't':
    case 'u':
    case kTagSctp: {
      set_option(e, kOptService);
      e.protocol = t.tag == 't' ? kProtoTcp : t.tag == 'u' ? kProtoUdp : kProtoSctp;
      if (!(parse_service(arg, e, names) & kServiceAddr)) fail("illegal virtual server address[:port] specified");
      break;
    }
    case 'f':
      set_option(e, kOptService);
      e.af = 4;
      e.protocol = kProtoTcp;
      e.fwmark = parse_fwmark(arg);
      break;
    case 's':
      set_option(e, kOptScheduler);
      e.sched = arg.substr(0, 15);  // IP_VS_SCHEDNAME_MAXLEN - 1
      break;
    case 'p':
      set_option(e, kOptPersistent);
      e.flags |= backend::kSvcPersistent;
      e.timeout = parse_timeout(t.value, 1, kMaxTimeout);
      break;
    case 'M':
      set_option(e, kOptNetmask);
      if (e.af != 6) {
        in_addr in{};
        std::optional<IpAddress> a;
        if (inet_aton(arg.c_str(), &in) != 0) {
          e.netmask = in.s_addr;
        } else if ((a = names.host_address(arg))) {
          std::memcpy(&e.netmask, a->bytes.data(), 4);
        } else {
          fail("illegal virtual server persistent mask specified");
        }
      } else {
        int bits = atoi(arg.c_str());
        if (bits < 1 || bits > 128) fail("illegal ipv6 netmask specified");
        e.netmask = static_cast<uint32_t>(bits);
      }
      break;
    case 'r': {
      set_option(e, kOptServer);
      Entry t_dest = e;  // the service's protocol names the port; its port is the default
      int parsed = parse_service(arg, t_dest, names);
      e.dest_af = t_dest.af;
      e.dest_addr = t_dest.addr;
      e.dest_port = t_dest.port;
      if (!(parsed & kServiceAddr)) fail("illegal real server address[:port] specified");
      if (parsed == kServiceAddr) e.dest_port = e.port;
      break;
    }
    case 'i':
      set_option(e, kOptForward);
      e.forward = Forward::tunnel;
      break;
    case 'g':
      set_option(e, kOptForward);
      e.forward = Forward::route;
      break;
    case 'm':
      set_option(e, kOptForward);
      e.forward = Forward::masq;
      break;
    case 'w': {
      set_option(e, kOptWeight);
      // 0..INT_MAX as the 1.31 binary takes it (its man page and older
      // sources say 65535; the kernel only refuses negative weights).
      auto n = number(arg, 0, INT_MAX);
      if (!n) fail("illegal weight specified");
      e.weight = static_cast<int>(*n);
      break;
    }
    case 'x': {
      set_option(e, kOptUThreshold);
      auto n = number(arg, 0, INT_MAX);
      if (!n) fail("illegal u_threshold specified");
      e.u_threshold = static_cast<uint32_t>(*n);
      break;
    }
    case 'y': {
      set_option(e, kOptLThreshold);
      auto n = number(arg, 0, INT_MAX);
      if (!n) fail("illegal l_threshold specified");
      e.l_threshold = static_cast<uint32_t>(*n);
      break;
    }
    case 'c': set_option(e, kOptConnection); break;
    case 'n':
      set_option(e, kOptNumeric);
      e.format.numeric = true;
      break;
    case kTagMcastInterface:
      set_option(e, kOptMcast);
      e.daemon.mcast_ifn = arg.substr(0, 15);  // IP_VS_IFNAME_MAXLEN - 1
      break;
    case kTagSyncId: {
      set_option(e, kOptSyncId);
      auto n = number(arg, 0, 255);
      if (!n) fail("illegal syncid specified");
      e.daemon.syncid = static_cast<uint32_t>(*n);
      break;
    }
    case kTagTimeout: set_option(e, kOptTimeout); break;
    case kTagDaemon: set_option(e, kOptDaemon); break;
    case kTagStats:
      set_option(e, kOptStats);
      e.format.stats = true;
      break;
    case kTagRate:
      set_option(e, kOptRate);
      e.format.rate = true;
      break;
    case kTagThresholds:
      set_option(e, kOptThresholds);
      e.format.thresholds = true;
      break;
    case kTagPersistentConn:
      set_option(e, kOptPersistentConn);
      e.format.persistent_conn = true;
      break;
    case kTagNoSort:
      set_option(e, kOptNoSort);
      e.format.nosort = true;
      break;
    case kTagSort: break;  // sorting is the default; accepted for old scripts
    case 'X':
      set_option(e, kOptExact);
      e.format.exact = true;
      break;
    case '6':
      if (!e.fwmark) fail("-6 used before -f\n");  // sic: ipvsadm prints an empty line too
      e.af = 6;
      e.netmask = 128;
      break;
    case 'o':
      set_option(e, kOptOnePacket);
      e.flags |= backend::kSvcOnePacket;
      break;
    case kTagPe:
      set_option(e, kOptPe);
      e.pe = arg.substr(0, 32);
      break;
    case 'b':
      set_option(e, kOptSchedFlags);
      sched_flags_arg = arg.substr(0, 127);
      break;
    case kTagMcastGroup: {
      set_option(e, kOptMcastGroup);
      auto a = IpAddress::parse(arg);
      if (arg.find(':') != std::string::npos) {
        if (!a || a->is_v4() || a->bytes[0] != 0xff) fail("invalid IPv6 mcast-group `" + arg + "'");
      } else {
        in_addr in{};
        if (inet_pton(AF_INET, arg.c_str(), &in) <= 0 || !a || (a->bytes[0] & 0xf0) != 0xe0)
          fail("invalid IPv4 mcast-group `" + arg + "'");
      }
      e.daemon.group = *a;
      break;
    }
    case kTagMcastPort: {
      set_option(e, kOptMcastPort);
      auto n = number(arg, 1, 65535);
      if (!n) fail("illegal mcast-port specified");
      e.daemon.port = static_cast<uint16_t>(*n);
      break;
    }
    case kTagMcastTtl: {
      set_option(e, kOptMcastTtl);
      auto n = number(arg, 1, 255);
      if (!n) fail("illegal mcast-ttl specified");
      e.daemon.ttl = static_cast<uint8_t>(*n);
      break;
    }
    case kTagSyncMaxlen: {
      set_option(e, kOptSyncMaxlen);
      auto n = number(arg, 1, 65535 - 20 - 8);
      if (!n) fail("illegal sync-maxlen specified");
      e.daemon.maxlen = static_cast<uint16_t>(*n);
      break;
    }
    case kTagTunInfo:
      set_option(e, kOptTunInfo);
      e.format.tun_info = true;
      break;
    case kTagTunType:
      set_option(e, kOptTunType);
      if (arg == "ipip") {
        e.tun_type = 0;
      } else if (arg == "gue") {
        e.tun_type = 1;
      } else if (arg == "gre") {
        e.tun_type = 2;
      } else {
        fail("illegal tunnel type specified");
      }
      break;
    case kTagTunPort:
      set_option(e, kOptTunPort);
      if (!number(arg, 1, 65535)) fail("illegal tunnel port specified");
      break;
    case kTagTunNoCsum: set_option(e, kOptTunNoCsum); break;
    case kTagTunCsum: set_option(e, kOptTunCsum); break;
    case kTagTunRemCsum: set_option(e, kOptTunRemCsum); break;
    default: fail("invalid option `" + t.word + "'");
  }
}

// ipvsadm's process_options after parsing: combination table, then the
// per-command rules.
void check_entry(Entry& e) {
  check_combination(e.cmd, e.options);
  if (e.cmd == Cmd::add_service || e.cmd == Cmd::edit_service) {
    if (!e.fwmark && !e.port && !(e.flags & backend::kSvcPersistent))
      fail("Zero port specified for non-persistent service");
    if ((e.flags & backend::kSvcOnePacket) && !e.fwmark && e.protocol != kProtoUdp)
      fail("One-Packet Scheduling is only for UDP virtual services");
    if (e.sched.empty()) e.sched = "wlc";
  }
  if (e.cmd == Cmd::start_daemon && e.daemon.mcast_ifn.empty()) e.daemon.mcast_ifn = "eth0";
  if (e.cmd == Cmd::add_dest || e.cmd == Cmd::edit_dest) {
    // Direct routing and tunnelling cannot change the port.
    if (!e.fwmark && (e.forward == Forward::tunnel || e.forward == Forward::route)) e.dest_port = e.port;
    if (e.dest_af != e.af && e.forward != Forward::tunnel)
      fail("Different address family is allowed only for tunneling servers");
    if ((has(e, kOptTunType) || has(e, kOptTunPort) || has(e, kOptTunNoCsum) || has(e, kOptTunCsum) ||
         has(e, kOptTunRemCsum)) &&
        e.forward != Forward::tunnel)
      fail("Tunnel options conflict with forward method");
    check_tunnel(e.tun_type, e.options);
    if (e.tun_type != 0)
      fail(std::string("tunnel type '") + tunnel_type_name(e.tun_type) +
           "' is not supported by halb-adm (only ipip)");
  }
  if (e.cmd == Cmd::list) {
    bool conn_like = has(e, kOptConnection) || has(e, kOptTimeout) || has(e, kOptDaemon);
    bool stat_like = has(e, kOptStats) || has(e, kOptRate) || has(e, kOptThresholds);
    if ((conn_like && stat_like) || ((has(e, kOptTimeout) || has(e, kOptDaemon)) && has(e, kOptPersistentConn)))
      fail("options conflicts in the list command");
  }
  if (e.protocol == kProtoSctp && !e.fwmark) fail("SCTP services are not supported by halb-adm");
}

Command to_command(const Entry& e) {
  Command c;
  c.cmd = e.cmd;
  c.options = e.options;
  c.format = e.format;
  backend::ServiceKey& k = c.service.key;
  k.family = e.af == 6 ? Family::v6 : Family::v4;
  if (e.fwmark) {
    k.protocol = Protocol::fwmark;
    k.fwmark = e.fwmark;
    k.addr.family = k.family;  // the zero address of the family: keys compare whole
  } else {
    k.protocol = e.protocol == kProtoUdp ? Protocol::udp : Protocol::tcp;
    k.addr = e.addr;
    k.port = e.port;
  }
  c.service.scheduler = e.sched;
  c.service.flags = e.flags;
  c.service.timeout = e.timeout;
  c.service.netmask = e.af == 6 ? e.netmask : ntohl(e.netmask);
  c.service.pe_name = e.pe;
  c.dest.addr = e.dest_addr;
  c.dest.port = e.dest_port;
  c.dest.forward = e.forward;
  c.dest.weight = e.weight;
  c.dest.u_threshold = e.u_threshold;
  c.dest.l_threshold = e.l_threshold;
  c.timeouts = e.timeouts;
  c.daemon = e.daemon;
  return c;
}

}  // namespace

std::variant<Command, Exit> parse_command(const std::vector<std::string>& args, Names& names, bool reading_stdin) {
  const std::string program = args.empty() ? "halb-adm" : args[0];
  try {
    Entry e;
    e.daemon.mcast_ifn.clear();
    PoptLexer lex(args, option_table());
    std::variant<Command, Exit> early;
    read_first(e, lex, program, early);
    if (std::holds_alternative<Exit>(early)) return early;
    std::string sched_flags_arg;
    Token t;
    while ((t = lex.next()).kind == Token::option) read_option(e, t, names, sched_flags_arg);
    if (t.kind == Token::failed) return Exit{255, {}, t.word + ": " + t.error + "\n", true};
    const auto& rest = lex.leftovers();
    size_t used = 0;
    if (e.cmd == Cmd::set_timeouts) {
      if (rest.size() < 3) fail("--set option requires 3 timeout values");
      e.timeouts.tcp = parse_timeout(rest[0], 0, kMaxTimeout);
      e.timeouts.tcp_fin = parse_timeout(rest[1], 0, kMaxTimeout);
      e.timeouts.udp = parse_timeout(rest[2], 0, kMaxTimeout);
      used = 3;
    }
    if (rest.size() > used) fail("unexpected argument " + rest[used]);
    if (!sched_flags_arg.empty()) {
      e.flags &= ~(backend::kSvcSched1 | backend::kSvcSched2 | backend::kSvcSched3);
      e.flags |= parse_sched_flags(e.sched, sched_flags_arg);
    }
    check_entry(e);
    if (e.cmd == Cmd::restore && reading_stdin) throw ArgError{255, try_help(program)};
    return to_command(e);
  } catch (const ArgError& f) {
    return Exit{f.status, {}, f.text};
  }
}

}  // namespace halb::director::adm
