// heartbeat/config/ha_cf.cc: see ha_cf.h.
//
// One table, kKeywords, lists every directive heartbeat 3.0.6 accepts with
// its argument counts, how its arguments split, and the function that checks
// and stores them; the line loop only looks the first word up in it. Checks
// that involve several directives run in resolve() after the last line,
// because heartbeat lets most directives come in any order; the Reading
// state remembers where each directive was seen so those checks can still
// name a line.
#include "heartbeat/config/ha_cf.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>

#include "lib/config/reader.h"
#include "lib/log/log.h"

namespace halb::heartbeat {

namespace {

using Args = std::vector<std::string>;

// What a directive's function returns: empty when the arguments were taken,
// else why not; the line loop adds "file:line: ".
struct Result {
  std::string error;
  bool ok() const { return error.empty(); }
};
const Result kOk{};
Result fail(std::string why) { return Result{std::move(why)}; }

// Parse state that is not part of the model.
struct Reading {
  HaCf cf;
  std::map<std::string, int, std::less<>> last_line;  // directive -> last line it was on
  int first_node_line = 0;
  int first_media_line = 0;
  std::string first_media;  // the directive of the first medium, for the order message
  int auto_failback_line = 0;
  bool baud_set = false;
  bool watchdog_set = false;
  std::set<std::string> apiauth_clients;
};

// One directive line being applied.
struct Step {
  Reading& r;
  int line;
  std::string_view name;  // the directive as written (`udp` stays `udp`)
  std::string_view rest;  // everything after the directive, as written
  HaCf& cf() { return r.cf; }
  void warn(const std::string& text) {
    r.cf.warnings.push_back(r.cf.path + ":" + std::to_string(line) + ": " + text);
  }
  // For directives halb validates but does not act on.
  Result inert() {
    r.cf.inert.push_back(InertDirective{std::string(name), std::string(rest), line});
    return kOk;
  }
};

// ---- values -------------------------------------------------------------

// heartbeat also spells the units `msec` and `usec`.
std::optional<long long> parse_time(std::string_view text) {
  std::string t(text);
  for (std::string_view unit : {"msec", "usec"})
    if (t.size() > unit.size() && config::iequals(std::string_view(t).substr(t.size() - unit.size()), unit))
      t.resize(t.size() - 2);
  return config::parse_duration_ms(t);
}

Result time_value(std::string_view text, const char* what, long long min_ms, long long& out) {
  auto ms = parse_time(text);
  if (!ms || *ms < min_ms)
    return fail(std::string("Invalid ") + what + " [" + std::string(text) +
                "]: a time in seconds (decimals allowed) or with ms or us" + (min_ms > 0 ? ", above 0" : ""));
  out = *ms;
  return kOk;
}

Result int_value(std::string_view text, const char* what, long long lo, long long hi, long long& out) {
  auto v = config::parse_int(text);
  if (!v || *v < lo || *v > hi)
    return fail(std::string("Invalid ") + what + " [" + std::string(text) + "]: a whole number from " +
                std::to_string(lo) + " to " + std::to_string(hi));
  out = *v;
  return kOk;
}

Result int_value(std::string_view text, const char* what, long long lo, long long hi, int& out) {
  long long v = 0;
  Result r = int_value(text, what, lo, hi, v);
  if (r.ok()) out = static_cast<int>(v);
  return r;
}

Result bool_value(std::string_view text, const char* what, bool& out) {
  auto b = config::parse_bool(text);
  if (!b)
    return fail(std::string("Invalid ") + what + " [" + std::string(text) + "]: on/off, true/false, yes/no, y/n, 1/0");
  out = *b;
  return kOk;
}

Result one_of(std::string_view text, const char* what, std::initializer_list<std::string_view> allowed,
              std::string& out) {
  std::string list;
  for (auto a : allowed) {
    if (text == a) {
      out = std::string(text);
      return kOk;
    }
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return fail(std::string("Invalid ") + what + " [" + std::string(text) + "]: one of " + list);
}

bool is_ipv4(const std::string& text) {
  in_addr a{};
  return inet_pton(AF_INET, text.c_str(), &a) == 1;
}

bool is_ipv4_multicast(const std::string& text) {
  in_addr a{};
  return inet_pton(AF_INET, text.c_str(), &a) == 1 && IN_MULTICAST(ntohl(a.s_addr));
}

// ---- timing -------------------------------------------------------------

Result set_keepalive(Step& s, const Args& a) { return time_value(a[0], "keepalive", 1, s.cf().keepalive_ms); }
Result set_deadtime(Step& s, const Args& a) { return time_value(a[0], "deadtime", 0, s.cf().deadtime_ms); }

Result set_warntime(Step& s, const Args& a) {
  s.cf().warntime_set = true;
  return time_value(a[0], "warntime", 1, s.cf().warntime_ms);
}

Result set_initdead(Step& s, const Args& a) {
  s.cf().initdead_set = true;
  return time_value(a[0], "initdead", 0, s.cf().initdead_ms);
}

Result set_deadping(Step& s, const Args& a) {
  s.cf().deadping_set = true;
  return time_value(a[0], "deadping", 0, s.cf().deadping_ms);
}

// ---- media --------------------------------------------------------------

// udpport and baud are copied into each medium as it is read (heartbeat's
// plugins read them at that moment), so a later value would silently not
// apply to the media above it.
Result before_media(Step& s) {
  if (s.r.first_media_line == 0) return kOk;
  return fail(std::string(s.name) + " setting must precede media statements (" + s.r.first_media + " at line " +
              std::to_string(s.r.first_media_line) + ")");
}

Result set_udpport(Step& s, const Args& a) {
  if (Result r = before_media(s); !r.ok()) return r;
  long long port = 0;
  if (Result r = int_value(a[0], "udpport", 1, 65535, port); !r.ok()) return r;
  s.cf().udpport = static_cast<uint16_t>(port);
  return kOk;
}

Result set_baud(Step& s, const Args& a) {
  if (Result r = before_media(s); !r.ok()) return r;
  if (s.r.baud_set) return fail("Baudrate multiply specified");
  static constexpr std::array<int, 7> kRates = {9600, 19200, 38400, 57600, 115200, 230400, 460800};
  auto b = config::parse_int(a[0]);
  if (!b || std::find(kRates.begin(), kRates.end(), *b) == kRates.end())
    return fail("invalid baudrate [" + a[0] + "] specified: 9600, 19200, 38400, 57600, 115200, 230400 or 460800");
  s.r.baud_set = true;
  s.cf().baud = static_cast<int>(*b);
  return kOk;
}

Medium new_medium(Step& s, MediumKind kind, const std::string& device) {
  if (s.r.first_media_line == 0) {
    s.r.first_media_line = s.line;
    s.r.first_media = std::string(s.name);
  }
  Medium m;
  m.kind = kind;
  m.device = device;
  m.port = s.cf().udpport;
  m.baud = s.cf().baud;
  m.line = s.line;
  return m;
}

Result add_bcast(Step& s, const Args& a) {
  if (s.name == "udp") s.warn("directive 'udp' replaced by 'bcast'");
  for (const auto& dev : a) s.cf().media.push_back(new_medium(s, MediumKind::bcast, dev));
  return kOk;
}

Result add_ucast(Step& s, const Args& a) {
  // heartbeat also resolved host names; halb takes an address so that
  // reading the config never waits for DNS.
  if (!is_ipv4(a[1])) return fail("Invalid ucast peer [" + a[1] + "]: an IPv4 address");
  Medium m = new_medium(s, MediumKind::ucast, a[0]);
  m.address = a[1];
  s.cf().media.push_back(m);
  return kOk;
}

Result add_mcast(Step& s, const Args& a) {
  if (!is_ipv4_multicast(a[1]))
    return fail("Invalid mcast group [" + a[1] + "]: an IPv4 multicast address (224.0.0.0-239.255.255.255)");
  long long port = 0, ttl = 0, loop = 0;
  if (Result r = int_value(a[2], "mcast port", 1, 65535, port); !r.ok()) return r;
  if (Result r = int_value(a[3], "mcast ttl", 1, 255, ttl); !r.ok()) return r;
  if (Result r = int_value(a[4], "mcast loop", 0, 1, loop); !r.ok()) return r;
  Medium m = new_medium(s, MediumKind::mcast, a[0]);
  m.address = a[1];
  m.port = static_cast<uint16_t>(port);  // mcast names its own port; udpport does not apply
  m.ttl = static_cast<int>(ttl);
  m.loop = loop == 1;
  s.cf().media.push_back(m);
  return kOk;
}

Result add_serial(Step& s, const Args& a) {
  for (const auto& tty : a) s.cf().media.push_back(new_medium(s, MediumKind::serial, tty));
  return kOk;
}

// ---- nodes, failback, ping ----------------------------------------------

Result add_node(Step& s, const Args& a) {
  if (s.r.first_node_line == 0) s.r.first_node_line = s.line;
  for (const auto& n : a) {
    std::string name = config::lower(n);
    auto& nodes = s.cf().nodes;
    if (std::find(nodes.begin(), nodes.end(), name) != nodes.end()) {
      s.warn("node " + name + " is listed twice");
      continue;
    }
    nodes.push_back(name);
  }
  return kOk;
}

Result set_auto_failback(Step& s, const Args& a) {
  s.cf().auto_failback_set = true;
  s.r.auto_failback_line = s.line;
  if (config::iequals(a[0], "legacy")) {
    s.cf().auto_failback = AutoFailback::legacy;
    return kOk;
  }
  auto b = config::parse_bool(a[0]);
  if (!b) return fail("Invalid auto_failback [" + a[0] + "]: on, off or legacy");
  s.cf().auto_failback = *b ? AutoFailback::on : AutoFailback::off;
  return kOk;
}

// The pre-1.2 spelling. heartbeat's intent, which halb follows: "nice"
// meant "do not fail back", so on = auto_failback off and off = legacy.
// (3.0.6 tests a stale variable here and can pick the other branch.)
Result set_nice_failback(Step& s, const Args& a) {
  bool nice = false;
  if (Result r = bool_value(a[0], "nice_failback", nice); !r.ok()) return r;
  const char* now = nice ? "off" : "legacy";
  s.warn("nice_failback flag is obsolete. 'nice_failback " + a[0] + "' has been changed to 'auto_failback " + now +
         "'");
  s.cf().auto_failback = nice ? AutoFailback::off : AutoFailback::legacy;
  s.cf().auto_failback_set = true;
  s.r.auto_failback_line = s.line;
  return kOk;
}

Result add_ping(Step& s, const Args& a) {
  for (const auto& ip : a) s.cf().ping_groups.push_back(PingGroup{ip, {ip}});
  return kOk;
}

Result add_ping_group(Step& s, const Args& a) {
  for (const auto& g : s.cf().ping_groups)
    if (g.name == a[0]) return fail("ping_group [" + a[0] + "] is defined twice");
  s.cf().ping_groups.push_back(PingGroup{a[0], Args(a.begin() + 1, a.end())});
  return kOk;
}

// ---- API clients ----------------------------------------------------------

Result add_respawn(Step& s, const Args& a) {
  if (a[1].front() != '/') return fail("Client child command [" + a[1] + "] is not full pathname");
  std::string_view program = s.rest.substr(s.rest.find_first_of(" \t"));  // the command line as written
  program.remove_prefix(program.find_first_not_of(" \t"));
  s.cf().respawns.push_back(Respawn{a[0], std::string(program), s.line});
  return kOk;
}

Result apiauth_list(const std::string& word, std::string_view key, std::string& out) {
  if (!out.empty()) return fail("Duplicate " + std::string(key) + " list in apiauth");
  out = word.substr(key.size());
  if (out.empty()) return fail("empty " + std::string(key) + " list in apiauth");
  return kOk;
}

Result add_apiauth(Step& s, const Args& a) {
  ApiAuth x{a[0], "", ""};
  for (size_t i = 1; i < a.size(); ++i) {
    Result r = a[i].rfind("uid=", 0) == 0   ? apiauth_list(a[i], "uid=", x.uid)
               : a[i].rfind("gid=", 0) == 0 ? apiauth_list(a[i], "gid=", x.gid)
                                            : fail("Missing uid or gid in apiauth: [" + a[i] + "]");
    if (!r.ok()) return fail(r.error + "; syntax: apiauth client [uid=uidlist] [gid=gidlist]");
  }
  if (!s.r.apiauth_clients.insert(x.client).second)
    return fail("Duplicate apiauth directive for API client " + x.client);
  s.cf().apiauths.push_back(x);
  return kOk;
}

// ---- logging ------------------------------------------------------------

Result set_logfacility(Step& s, const Args& a) {
  if (a[0] != "none" && !log::facility_from_name(a[0])) return fail("Log facility(" + a[0] + ") not valid");
  s.cf().logfacility = a[0];
  return kOk;
}

Result set_logfile(Step& s, const Args& a) {
  s.cf().logfile = a[0];
  return kOk;
}

Result set_debugfile(Step& s, const Args& a) {
  s.cf().debugfile = a[0];
  return kOk;
}

Result set_use_logd(Step& s, const Args& a) { return bool_value(a[0], "use_logd", s.cf().use_logd); }
Result set_debug(Step& s, const Args& a) { return int_value(a[0], "debug", 0, 255, s.cf().debug); }

// ---- cluster mode --------------------------------------------------------

// crm (pacemaker in 3.x) replaces haresources with the CRM; halb has only
// the haresources manager, so anything but off is refused in resolve().
Result set_crm(Step& s, const Args& a) {
  std::string v = config::lower(a[0]);
  auto b = config::parse_bool(v);
  if (!b && v != "respawn" && v != "manual" && v != "valgrind")
    return fail("Invalid " + std::string(s.name) + " [" + a[0] + "]: on, off, respawn or manual");
  s.cf().crm = b ? (*b ? "on" : "off") : v;
  return kOk;
}

Result set_autojoin(Step& s, const Args& a) {
  std::string v = config::lower(a[0]);
  return one_of(v, "autojoin", {"none", "other", "any"}, s.cf().autojoin);
}

Result set_uuidfrom(Step& s, const Args& a) { return one_of(a[0], "uuidfrom", {"file", "nodename"}, s.cf().uuidfrom); }

Result set_hbgenmethod(Step& s, const Args& a) {
  Result r = one_of(a[0], "hbgenmethod", {"file", "time"}, s.cf().hbgenmethod);
  return r.ok() ? r : fail("Illegal hb generation method [" + a[0] + "]: file or time");
}

Result set_cluster(Step& s, const Args& a) {
  s.cf().cluster = a[0];
  return kOk;
}

// ---- wire ---------------------------------------------------------------

Result set_msgfmt(Step& s, const Args& a) { return one_of(a[0], "msgfmt", {"classic", "netstring"}, s.cf().msgfmt); }
Result set_hopfudge(Step& s, const Args& a) { return int_value(a[0], "hopfudge", 0, 255, s.cf().hopfudge); }

Result set_compression(Step& s, const Args& a) {
  return one_of(a[0], "compression", {"zlib", "bz2"}, s.cf().compression);
}

Result set_compression_threshold(Step& s, const Args& a) {
  return int_value(a[0], "compression_threshold (KB)", 1, 65536, s.cf().compression_threshold_kb);
}

Result set_traditional_compression(Step& s, const Args& a) {
  return bool_value(a[0], "traditional_compression", s.cf().traditional_compression);
}

// A bare number of milliseconds here, unlike the times above.
Result set_max_rexmit_delay(Step& s, const Args& a) {
  return int_value(a[0], "max_rexmit_delay (ms)", 1, 3600000, s.cf().max_rexmit_delay_ms);
}

// ---- process ------------------------------------------------------------

Result set_realtime(Step& s, const Args& a) { return bool_value(a[0], "realtime", s.cf().realtime); }
Result set_coredumps(Step& s, const Args& a) { return bool_value(a[0], "coredumps", s.cf().coredumps); }

Result check_rtprio(Step& s, const Args& a) {
  int prio = 0;
  Result r = int_value(a[0], "rtprio", 1, 99, prio);  // SCHED_FIFO's range on Linux
  return r.ok() ? s.inert() : fail("Illegal realtime priority [" + a[0] + "]: 1 to 99");
}

Result check_watchdog(Step& s, const Args&) {
  if (s.r.watchdog_set) return fail("Watchdog device multiply specified");
  s.r.watchdog_set = true;
  return s.inert();
}

Result check_positive_int(Step& s, const Args& a) {
  long long v = 0;
  Result r = int_value(a[0], std::string(s.name).c_str(), 1, 1LL << 40, v);
  return r.ok() ? s.inert() : r;
}

Result check_positive_time(Step& s, const Args& a) {
  long long v = 0;
  Result r = time_value(a[0], std::string(s.name).c_str(), 1, v);
  return r.ok() ? s.inert() : r;
}

Result check_bool(Step& s, const Args& a) {
  bool v = false;
  Result r = bool_value(a[0], std::string(s.name).c_str(), v);
  return r.ok() ? s.inert() : r;
}

Result check_env(Step& s, const Args& a) {
  auto eq = a[0].find('=');
  if (eq == 0 || eq == std::string::npos) return fail("Invalid env [" + a[0] + "]: NAME=value");
  return s.inert();
}

Result accept_inert(Step& s, const Args&) { return s.inert(); }

// ---- halb extensions ----------------------------------------------------

Result set_bind_address(Step& s, const Args& a) {
  if (!is_ipv4(a[0])) return fail("Invalid bind_address [" + a[0] + "]: an IPv4 address of this host");
  s.cf().bind_address = a[0];
  return kOk;
}

Result set_agent_timeout(Step& s, const Args& a) {
  return time_value(a[0], "agent_timeout", 1, s.cf().agent_timeout_ms);
}

// ---- the table ----------------------------------------------------------

constexpr int kAny = -1;

// How a directive's arguments split. heartbeat hands list directives one
// word at a time, cutting at blanks and commas; whole-line directives (media
// plugins with several fields, apiauth, respawn, stonith) get the rest of
// the line and cut it at blanks only, so `uid=a,b` stays one word.
enum class Split { list, words };

using Handler = Result (*)(Step&, const Args&);

struct Keyword {
  std::string_view name;
  int min_args;
  int max_args;  // kAny: no upper limit
  Split split;
  std::string_view syntax;  // shown when the argument count is wrong
  Handler parse;
};

constexpr Keyword kKeywords[] = {
    // timing
    {"keepalive", 1, 1, Split::list, "keepalive <time>", set_keepalive},
    {"deadtime", 1, 1, Split::list, "deadtime <time>", set_deadtime},
    {"warntime", 1, 1, Split::list, "warntime <time>", set_warntime},
    {"initdead", 1, 1, Split::list, "initdead <time>", set_initdead},
    {"deadping", 1, 1, Split::list, "deadping <time>", set_deadping},
    // media
    {"udpport", 1, 1, Split::list, "udpport <port>", set_udpport},
    {"baud", 1, 1, Split::list, "baud <rate>", set_baud},
    {"bcast", 1, kAny, Split::list, "bcast <device> [<device>...]", add_bcast},
    {"udp", 1, kAny, Split::list, "udp <device> [<device>...]", add_bcast},
    {"mcast", 5, 5, Split::words, "mcast <device> <group> <port> <ttl> <loop>", add_mcast},
    {"ucast", 2, 2, Split::words, "ucast <device> <peer-address>", add_ucast},
    {"serial", 1, kAny, Split::list, "serial <tty> [<tty>...]", add_serial},
    // membership and failback
    {"node", 1, kAny, Split::list, "node <name> [<name>...]", add_node},
    {"auto_failback", 1, 1, Split::list, "auto_failback on|off|legacy", set_auto_failback},
    {"nice_failback", 1, 1, Split::list, "nice_failback on|off", set_nice_failback},
    {"ping", 1, kAny, Split::list, "ping <address> [<address>...]", add_ping},
    {"ping_group", 2, kAny, Split::words, "ping_group <name> <address> [<address>...]", add_ping_group},
    // API clients
    {"respawn", 2, kAny, Split::words, "respawn <user> </path/to/program> [<args>...]", add_respawn},
    {"apiauth", 2, 3, Split::words, "apiauth <client> [uid=<uids>] [gid=<gids>]", add_apiauth},
    // logging
    {"logfacility", 1, 1, Split::list, "logfacility <facility>|none", set_logfacility},
    {"logfile", 1, 1, Split::list, "logfile <path>", set_logfile},
    {"debugfile", 1, 1, Split::list, "debugfile <path>", set_debugfile},
    {"use_logd", 1, 1, Split::list, "use_logd yes|no", set_use_logd},
    {"debug", 1, 1, Split::list, "debug <level 0-255>", set_debug},
    {"conn_logd_time", 1, 1, Split::list, "conn_logd_time <time>", check_positive_time},
    {"log_badpack", 1, 1, Split::list, "log_badpack yes|no", check_bool},
    // cluster mode
    {"crm", 1, 1, Split::list, "crm off|on|respawn|manual", set_crm},
    {"pacemaker", 1, 1, Split::list, "pacemaker off|on|respawn|manual", set_crm},
    {"autojoin", 1, 1, Split::list, "autojoin none|other|any", set_autojoin},
    {"uuidfrom", 1, 1, Split::list, "uuidfrom file|nodename", set_uuidfrom},
    {"hbgenmethod", 1, 1, Split::list, "hbgenmethod file|time", set_hbgenmethod},
    {"cluster", 1, 1, Split::list, "cluster <name>", set_cluster},
    {"quorum_server", 1, 1, Split::list, "quorum_server <host>", accept_inert},
    {"record_config_changes", 1, 1, Split::list, "record_config_changes on|off", check_bool},
    {"record_pengine_inputs", 1, 1, Split::list, "record_pengine_inputs on|off", check_bool},
    {"enable_config_writes", 1, 1, Split::list, "enable_config_writes on|off", check_bool},
    // wire
    {"msgfmt", 1, 1, Split::list, "msgfmt classic|netstring", set_msgfmt},
    {"hopfudge", 1, 1, Split::list, "hopfudge <hops 0-255>", set_hopfudge},
    {"compression", 1, 1, Split::list, "compression zlib|bz2", set_compression},
    {"compression_threshold", 1, 1, Split::list, "compression_threshold <KB>", set_compression_threshold},
    {"traditional_compression", 1, 1, Split::list, "traditional_compression yes|no", set_traditional_compression},
    {"max_rexmit_delay", 1, 1, Split::list, "max_rexmit_delay <ms>", set_max_rexmit_delay},
    // process
    {"realtime", 1, 1, Split::list, "realtime on|off", set_realtime},
    {"rtprio", 1, 1, Split::list, "rtprio <1-99>", check_rtprio},
    {"coredumps", 1, 1, Split::list, "coredumps on|off", set_coredumps},
    {"coreroot", 1, 1, Split::list, "coreroot <directory>", accept_inert},
    {"memreserve", 1, 1, Split::list, "memreserve <KB>", check_positive_int},
    {"use_apphbd", 1, 1, Split::list, "use_apphbd yes|no", check_bool},
    {"env", 1, 1, Split::words, "env <NAME>=<value>", check_env},
    {"watchdog", 1, 1, Split::list, "watchdog <device>", check_watchdog},
    {"stonith", 1, kAny, Split::words, "stonith <type> <config-file>", accept_inert},
    {"stonith_host", 2, kAny, Split::words, "stonith_host <host>|* <type> <params...>", accept_inert},
    // halb extensions
    {"bind_address", 1, 1, Split::list, "bind_address <local-address>", set_bind_address},
    {"agent_timeout", 1, 1, Split::list, "agent_timeout <time>", set_agent_timeout},
};

const Keyword* find_keyword(std::string_view name) {
  for (const auto& k : kKeywords)
    if (k.name == name) return &k;
  return nullptr;
}

std::string count_error(const Keyword& k, size_t got) {
  return std::string(k.name) + ": wrong number of arguments (" + std::to_string(got) + "); syntax: " +
         std::string(k.syntax);
}

void apply_line(Reading& r, const config::Line& line) {
  std::string_view text = line.text;
  size_t end = text.find_first_of(" \t");
  std::string_view name = text.substr(0, end);
  std::string_view rest = end == std::string_view::npos ? std::string_view{} : text.substr(end);
  rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  const Keyword* k = find_keyword(name);
  auto error = [&](const std::string& why) { throw config::ConfigError(r.cf.path, line.number, why); };
  if (!k) error("Illegal directive [" + std::string(name) + "] in " + r.cf.path);
  Args args = config::split_words(rest, k->split == Split::list ? " \t," : " \t");
  int n = static_cast<int>(args.size());
  if (n < k->min_args || (k->max_args != kAny && n > k->max_args)) error(count_error(*k, args.size()));
  Step step{r, line.number, name, rest};
  if (Result res = k->parse(step, args); !res.ok()) error(res.error);
  r.last_line[std::string(k->name)] = line.number;
}

// ---- after the last line --------------------------------------------------

uint16_t default_udpport() {
  servent* s = getservbyname("ha-cluster", "udp");
  return s ? ntohs(static_cast<uint16_t>(s->s_port)) : 694;
}

int line_of(const Reading& r, std::string_view directive) {
  auto it = r.last_line.find(directive);
  return it == r.last_line.end() ? 0 : it->second;
}

void check_required(const Reading& r, const std::string& local) {
  const HaCf& cf = r.cf;
  if (cf.media.empty()) throw config::ConfigError(cf.path, 0, "No heartbeat media defined (bcast, mcast, ucast)");
  if (cf.nodes.empty()) throw config::ConfigError(cf.path, 0, "no nodes defined");
  if (std::find(cf.nodes.begin(), cf.nodes.end(), local) == cf.nodes.end())
    throw config::ConfigError(cf.path, r.first_node_line, "Current node [" + local + "] not in configuration!");
}

// halb-heartbeat is heartbeat's haresources ("R1") manager only.
void check_haresources_mode(const Reading& r) {
  const HaCf& cf = r.cf;
  if (cf.crm != "off") {
    int line = std::max(line_of(r, "crm"), line_of(r, "pacemaker"));
    throw config::ConfigError(cf.path, line,
                              "crm/pacemaker [" + cf.crm + "] is not supported: halb-heartbeat manages haresources "
                              "groups, which needs crm off");
  }
  if (cf.autojoin != "none")
    throw config::ConfigError(cf.path, line_of(r, "autojoin"),
                              "R1 style resource management conflicts with autojoin set [" + cf.autojoin +
                                  "]: use autojoin none with haresources");
}

std::string ms(long long v) { return std::to_string(v) + "ms"; }

void warn_at(HaCf& cf, int line, const std::string& text) {
  cf.warnings.push_back(cf.path + (line ? ":" + std::to_string(line) : "") + ": " + text);
}

void check_deadtime(const Reading& r) {
  const HaCf& cf = r.cf;
  if (cf.deadtime_ms > 2 * cf.keepalive_ms) return;
  int line = line_of(r, "deadtime") ? line_of(r, "deadtime") : line_of(r, "keepalive");
  throw config::ConfigError(cf.path, line,
                            "Dead time [" + ms(cf.deadtime_ms) + "] is too small compared to keepalive [" +
                                ms(cf.keepalive_ms) + "]: deadtime must be more than twice keepalive");
}

void resolve_warntime(Reading& r) {
  HaCf& cf = r.cf;
  if (!cf.warntime_set) cf.warntime_ms = cf.deadtime_ms / 2;
  if (cf.warntime_ms >= cf.deadtime_ms)
    warn_at(cf, line_of(r, "warntime"),
            "warntime [" + ms(cf.warntime_ms) + "] is not below deadtime [" + ms(cf.deadtime_ms) +
                "]: no late heartbeat is reported before a node is declared dead");
}

// heartbeat's rule: a short deadtime gets more slack at boot, since a
// peer's network may come up seconds after the peer itself.
void resolve_initdead(Reading& r) {
  HaCf& cf = r.cf;
  if (!cf.initdead_set)
    cf.initdead_ms = cf.deadtime_ms > 10000 ? cf.deadtime_ms : cf.deadtime_ms < 6000 ? 12000 : 2 * cf.deadtime_ms;
  if (cf.initdead_ms < cf.deadtime_ms)
    throw config::ConfigError(cf.path, line_of(r, "initdead"),
                              "Initial dead time [" + ms(cf.initdead_ms) + "] is smaller than deadtime [" +
                                  ms(cf.deadtime_ms) + "]");
  if (cf.initdead_ms < 10000)
    warn_at(cf, line_of(r, "initdead"),
            "Initial dead time [" + ms(cf.initdead_ms) +
                "] may be too small! It accounts for slow network startup and should be >= deadtime and >= 10 "
                "seconds");
}

void resolve_deadping(Reading& r) {
  HaCf& cf = r.cf;
  if (!cf.deadping_set) {
    cf.deadping_ms = cf.deadtime_ms;
    return;
  }
  if (cf.deadping_ms <= 2 * cf.keepalive_ms)
    throw config::ConfigError(cf.path, line_of(r, "deadping"),
                              "Ping dead time [" + ms(cf.deadping_ms) + "] is too small compared to keepalive [" +
                                  ms(cf.keepalive_ms) + "]");
}

void resolve_failback(Reading& r) {
  if (r.cf.auto_failback != AutoFailback::legacy) return;
  std::string where = r.cf.path + (r.auto_failback_line ? ":" + std::to_string(r.auto_failback_line) : "");
  r.cf.warnings.push_back(where + ": Deprecated 'legacy' auto_failback option selected." +
                          (r.auto_failback_line ? "" : " (the default)") +
                          " Please convert to 'auto_failback on' or 'off'.");
}

HaCf parse_lines(const std::vector<config::Line>& lines, const std::string& path, const std::string& local_node) {
  Reading r;
  r.cf.path = path;
  r.cf.udpport = default_udpport();
  for (const auto& line : lines) apply_line(r, line);
  check_required(r, config::lower(local_node));
  check_haresources_mode(r);
  check_deadtime(r);
  resolve_warntime(r);
  resolve_initdead(r);
  resolve_deadping(r);
  resolve_failback(r);
  return std::move(r.cf);
}

}  // namespace

HaCf parse_ha_cf_text(std::string_view text, const std::string& path, const std::string& local_node) {
  // ha.cf has no continuation lines: a trailing `\` is part of the value.
  return parse_lines(config::split_lines(text, {'#', true, false}), path, local_node);
}

HaCf parse_ha_cf(const std::string& path, const std::string& local_node) {
  return parse_lines(config::read_lines(path, {'#', true, false}), path, local_node);
}

}  // namespace halb::heartbeat
