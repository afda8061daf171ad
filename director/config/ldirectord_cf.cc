// director/config/ldirectord_cf.cc: the layout loop, the keyword table and
// the resolution of defaults. See ldirectord_cf.h for the rules.
#include "director/config/ldirectord_cf.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

#include "director/config/values.h"
#include "lib/config/reader.h"
#include "lib/log/log.h"

namespace halb::director::config {

using halb::config::ConfigError;

// The reader's state for the line being parsed. Per-block facts that are
// checked when the block closes (netmask needs persistent, ...) remember
// their line so the error points at the directive, not at the block's end.
struct Context {
  Context(Config& cfg, const ReadOptions& opts, std::string host)
      : config(cfg), options(opts), hostname(std::move(host)) {}

  Config& config;
  const ReadOptions& options;
  std::string hostname;
  int line = 0;
  Virtual* v = nullptr;  // the open block, if any

  // Per open block:
  int protocol_line = 0;
  int netmask_line = 0;
  int ops_line = 0;
  bool service_set = false;
  bool login_set = false;
  bool passwd_set = false;

  // The Shared directives of the open block, else the global ones.
  Shared& shared() { return v ? v->shared : config.global.shared; }
  void warn(std::string message) { config.warnings.push_back({line, std::move(message)}); }
  void reset_block() {
    protocol_line = netmask_line = ops_line = 0;
    service_set = login_set = passwd_set = false;
  }
};

namespace {

std::string unquote_optional(std::string_view text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') return std::string(text.substr(1, text.size() - 2));
  return std::string(text);
}

std::string require_value(std::string_view text, std::string_view what) {
  if (text.empty()) throw BadValue(std::string("expected ") + std::string(what));
  return std::string(text);
}

int positive(std::string_view text) { return static_cast<int>(parse_number(text, 1, INT_MAX)); }

// ---- parse functions, one per keyword -------------------------------------

void p_virtual(Context& c, std::string_view value, bool v6) {
  Virtual v;
  v.line = c.line;
  parse_virtual_address(value, v6, c.options.resolver, v);
  for (const auto& other : c.config.virtuals) {
    bool same = other.v6 == v.v6 && other.fwmark == v.fwmark && (v.fwmark || (other.addr == v.addr && other.port == v.port));
    // Two blocks for one address:port differ only if their protocols do;
    // that is known when the block closes, so compare tcp/udp then.
    if (same && v.fwmark)
      throw BadValue("virtual " + std::string(value) + " is already defined at line " + std::to_string(other.line));
  }
  c.config.virtuals.push_back(std::move(v));
  c.v = &c.config.virtuals.back();
  c.reset_block();
}
void p_virtual4(Context& c, std::string_view value) { p_virtual(c, value, false); }
void p_virtual6(Context& c, std::string_view value) { p_virtual(c, value, true); }

void p_real(Context& c, std::string_view value, bool v6) {
  if (v6 != c.v->v6)
    throw BadValue(v6 ? "real6 in an IPv4 virtual (use real=)" : "real in an IPv6 virtual (use real6=)");
  for (auto& r : parse_real(value, v6, *c.v, c.options.resolver, c.line)) {
    for (const auto& other : c.v->reals)
      if (other.addr == r.addr && other.port == r.port)
        throw BadValue("real " + endpoint_str(r.addr, r.port) + " is already listed at line " + std::to_string(other.line));
    c.v->reals.push_back(std::move(r));
  }
}
void p_real4(Context& c, std::string_view value) { p_real(c, value, false); }
void p_real6(Context& c, std::string_view value) { p_real(c, value, true); }

void p_checktimeout(Context& c, std::string_view value) { c.shared().checktimeout = positive(value); }
void p_negotiatetimeout(Context& c, std::string_view value) { c.shared().negotiatetimeout = positive(value); }
void p_checkinterval(Context& c, std::string_view value) { c.shared().checkinterval = positive(value); }
void p_checkcount(Context& c, std::string_view value) {
  c.shared().checkcount = positive(value);
  c.warn("checkcount is deprecated; it only sets the number of ping attempts");
}
void p_failurecount(Context& c, std::string_view value) { c.shared().failurecount = positive(value); }
void p_fallback(Context& c, std::string_view value) { c.shared().fallback = parse_fallback(value, false, c.options.resolver); }
void p_fallback6(Context& c, std::string_view value) { c.shared().fallback6 = parse_fallback(value, true, c.options.resolver); }
void p_fallbackcommand(Context& c, std::string_view value) {
  c.shared().fallbackcommand = unquote_optional(require_value(value, "a command path"));
}
void p_quiescent(Context& c, std::string_view value) { c.shared().quiescent = parse_yes_no(value); }
void p_cleanstop(Context& c, std::string_view value) { c.shared().cleanstop = parse_yes_no(value); }
void p_emailalert(Context& c, std::string_view value) {
  std::vector<std::string> to;
  for (auto& a : halb::config::split_words(unquote_optional(value), ", \t")) to.push_back(a);
  if (to.empty()) throw BadValue("expected one or more mail addresses");
  c.shared().emailalert = std::move(to);
}
void p_emailalertfrom(Context& c, std::string_view value) {
  c.shared().emailalertfrom = unquote_optional(require_value(value, "a mail address"));
}
void p_emailalertfreq(Context& c, std::string_view value) {
  c.shared().emailalertfreq = static_cast<int>(parse_number(value, 0, INT_MAX));
}
void p_emailalertstatus(Context& c, std::string_view value) {
  EmailStatus s{false, false, false, false};
  auto words = halb::config::split_words(unquote_optional(value), ", \t");
  if (words.empty()) throw BadValue("expected all, none or a list of starting,running,stopping,reloading");
  for (const auto& w : words) {
    if (w == "all") s = EmailStatus{};
    else if (w == "none") s = EmailStatus{false, false, false, false};
    else if (w == "starting") s.starting = true;
    else if (w == "running") s.running = true;
    else if (w == "stopping") s.stopping = true;
    else if (w == "reloading") s.reloading = true;
    else throw BadValue("unknown emailalertstatus '" + w + "' (all, none, starting, running, stopping, reloading)");
  }
  c.shared().emailalertstatus = s;
}
void p_smtp(Context& c, std::string_view value) { c.shared().smtp = unquote_optional(require_value(value, "an SMTP host")); }

void p_deprecated_timeout(Context& c, std::string_view) {
  throw BadValue("timeout and connecttimeout are no longer supported; use checktimeout and negotiatetimeout");
}

void p_autoreload(Context& c, std::string_view value) { c.config.global.autoreload = parse_yes_no(value); }
void p_callback(Context& c, std::string_view value) { c.config.global.callback = parse_quoted(value); }
// ldirectord takes the value quoted or bare and decides by its first
// character: "/..." is a file, anything else a syslog facility (the
// UltraMonkey samples write logfile="local0").
void p_logfile(Context& c, std::string_view value) {
  LogTarget t;
  std::string v = unquote_optional(require_value(value, "a \"/path\" or a syslog facility"));
  if (!v.empty() && v.front() == '/') {
    t.file = v;
  } else {
    if (!halb::log::facility_from_name(v))
      throw BadValue("logfile must be an absolute path or a syslog facility, got '" + std::string(value) + "'");
    t.file.clear();
    t.syslog_facility = v;
  }
  c.config.global.logfile = t;
}
void p_execute(Context& c, std::string_view value) {
  c.config.global.execute.push_back(unquote_optional(require_value(value, "a configuration name")));
}
void p_supervised(Context& c, std::string_view value) {
  if (value.empty()) {
    c.warn("bare 'supervised' is deprecated; write supervised=yes");
    c.config.global.supervised = true;
    return;
  }
  c.config.global.supervised = parse_yes_no(value);
}
void p_fork(Context& c, std::string_view value) { c.config.global.fork = parse_yes_no(value); }
void p_readdquiescent(Context& c, std::string_view value) { c.config.global.readdquiescent = parse_yes_no(value); }
void p_maintenancedir(Context& c, std::string_view value) {
  c.config.global.maintenancedir = unquote_optional(require_value(value, "a directory"));
}

void p_request(Context& c, std::string_view value) { c.v->request = normalize_request(parse_quoted(value)); }
void p_receive(Context& c, std::string_view value) { c.v->receive = parse_quoted(value); }
void p_checktype(Context& c, std::string_view value) {
  static constexpr std::array<std::pair<std::string_view, CheckType>, 7> kTypes{{
      {"negotiate", CheckType::negotiate}, {"connect", CheckType::connect}, {"ping", CheckType::ping},
      {"external", CheckType::external}, {"external-perl", CheckType::external_perl}, {"off", CheckType::off},
      {"on", CheckType::on},
  }};
  for (auto& [name, type] : kTypes)
    if (value == name) {
      c.v->checktype = type;
      return;
    }
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos) {
    c.v->checktype = CheckType::combined;
    c.v->combined_every = positive(value);
    return;
  }
  throw BadValue("unknown checktype '" + std::string(value) +
                 "' (connect, negotiate, ping, external, external-perl, off, on or a number)");
}
void p_service(Context& c, std::string_view value) {
  c.v->service = service_from_name(value);
  c.service_set = true;
}
void p_checkcommand(Context& c, std::string_view value) { c.v->checkcommand = unquote_optional(require_value(value, "a command path")); }
void p_checkport(Context& c, std::string_view value) { c.v->checkport = static_cast<uint16_t>(parse_number(value, 1, 65535)); }
void p_login(Context& c, std::string_view value) {
  c.v->login = parse_quoted(value);
  c.login_set = true;
}
void p_passwd(Context& c, std::string_view value) {
  c.v->passwd = parse_quoted(value);
  c.passwd_set = true;
}
void p_database(Context& c, std::string_view value) { c.v->database = parse_quoted(value); }
void p_secret(Context& c, std::string_view value) { c.v->secret = parse_quoted(value); }
void p_scheduler(Context& c, std::string_view value) {
  if (value.empty() || value.find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string_view::npos)
    throw BadValue("scheduler must be a lower-case ipvsadm scheduler name, got '" + std::string(value) + "'");
  c.v->scheduler = std::string(value);
}
void p_persistent(Context& c, std::string_view value) { c.v->persistent = positive(value); }
void p_netmask(Context& c, std::string_view value) {
  if (c.v->v6) {
    c.v->netmask = static_cast<uint32_t>(parse_number(value, 1, 128));
  } else {
    auto a = IpAddress::parse(value);
    if (!a || !a->is_v4()) throw BadValue("netmask must be a dotted quad such as 255.255.255.0, got '" + std::string(value) + "'");
    c.v->netmask = a->v4_host_order();
  }
  c.netmask_line = c.line;
}
void p_protocol(Context& c, std::string_view value) {
  if (value == "tcp") c.v->protocol = Protocol::tcp;
  else if (value == "udp") c.v->protocol = Protocol::udp;
  else if (value == "fwm") c.v->protocol = Protocol::fwm;
  else throw BadValue("protocol must be tcp, udp or fwm, got '" + std::string(value) + "'");
  c.protocol_line = c.line;
}
void p_httpmethod(Context& c, std::string_view value) {
  if (halb::config::iequals(value, "GET")) c.v->httpmethod = HttpMethod::get;
  else if (halb::config::iequals(value, "HEAD")) c.v->httpmethod = HttpMethod::head;
  else throw BadValue("httpmethod must be GET or HEAD, got '" + std::string(value) + "'");
}
void p_virtualhost(Context& c, std::string_view value) { c.v->virtualhost = unquote_optional(require_value(value, "a host name")); }
void p_monitorfile(Context& c, std::string_view value) { c.v->monitorfile = parse_quoted(value); }
void p_ops(Context& c, std::string_view value) {
  c.v->ops = parse_yes_no(value);
  c.ops_line = c.line;
}
void p_schedflags(Context& c, std::string_view value) {
  static constexpr std::array<std::string_view, 7> kFlags{"flag-1", "flag-2", "flag-3", "sh-fallback",
                                                          "sh-port", "mh-fallback", "mh-port"};
  auto words = halb::config::split_words(unquote_optional(value), ",");
  if (words.empty()) throw BadValue("expected scheduler flags such as sh-fallback,sh-port");
  for (const auto& w : words)
    if (std::find(kFlags.begin(), kFlags.end(), w) == kFlags.end())
      throw BadValue("unknown scheduler flag '" + w + "' (flag-1..3, sh-fallback, sh-port, mh-fallback, mh-port)");
  c.v->schedflags = words;
}
void p_servicename(Context& c, std::string_view value) { c.v->servicename = unquote_optional(value); }
void p_comment(Context& c, std::string_view value) { c.v->comment = unquote_optional(value); }

constexpr Scope G = Scope::global;
constexpr Scope V = Scope::virtual_block;
constexpr Scope B = Scope::both;
constexpr Arg Val = Arg::value;

// The one table. Order follows reference §1 (globals, shared, per virtual).
constexpr std::array kKeywords{
    Keyword{"virtual", G, Val, p_virtual4},
    Keyword{"virtual6", G, Val, p_virtual6},
    Keyword{"autoreload", G, Val, p_autoreload},
    Keyword{"callback", G, Val, p_callback},
    Keyword{"logfile", G, Val, p_logfile},
    Keyword{"execute", G, Val, p_execute},
    Keyword{"supervised", G, Arg::optional_value, p_supervised},
    Keyword{"fork", G, Val, p_fork},
    Keyword{"readdquiescent", G, Val, p_readdquiescent},
    Keyword{"maintenancedir", G, Val, p_maintenancedir},
    Keyword{"checktimeout", B, Val, p_checktimeout},
    Keyword{"negotiatetimeout", B, Val, p_negotiatetimeout},
    Keyword{"checkinterval", B, Val, p_checkinterval},
    Keyword{"checkcount", B, Val, p_checkcount},
    Keyword{"failurecount", B, Val, p_failurecount},
    Keyword{"fallback", B, Val, p_fallback},
    Keyword{"fallback6", B, Val, p_fallback6},
    Keyword{"fallbackcommand", B, Val, p_fallbackcommand},
    Keyword{"quiescent", B, Val, p_quiescent},
    Keyword{"cleanstop", B, Val, p_cleanstop},
    Keyword{"emailalert", B, Val, p_emailalert},
    Keyword{"emailalertfrom", B, Val, p_emailalertfrom},
    Keyword{"emailalertfreq", B, Val, p_emailalertfreq},
    Keyword{"emailalertstatus", B, Val, p_emailalertstatus},
    Keyword{"smtp", B, Val, p_smtp},
    Keyword{"timeout", B, Arg::optional_value, p_deprecated_timeout},
    Keyword{"connecttimeout", B, Arg::optional_value, p_deprecated_timeout},
    Keyword{"real", V, Val, p_real4},
    Keyword{"real6", V, Val, p_real6},
    Keyword{"request", V, Val, p_request},
    Keyword{"receive", V, Val, p_receive},
    Keyword{"checktype", V, Val, p_checktype},
    Keyword{"service", V, Val, p_service},
    Keyword{"checkcommand", V, Val, p_checkcommand},
    Keyword{"checkport", V, Val, p_checkport},
    Keyword{"login", V, Val, p_login},
    Keyword{"passwd", V, Val, p_passwd},
    Keyword{"database", V, Val, p_database},
    Keyword{"secret", V, Val, p_secret},
    Keyword{"scheduler", V, Val, p_scheduler},
    Keyword{"persistent", V, Val, p_persistent},
    Keyword{"netmask", V, Val, p_netmask},
    Keyword{"protocol", V, Val, p_protocol},
    Keyword{"httpmethod", V, Val, p_httpmethod},
    Keyword{"virtualhost", V, Val, p_virtualhost},
    Keyword{"monitorfile", V, Val, p_monitorfile},
    Keyword{"ops", V, Val, p_ops},
    Keyword{"schedflags", V, Val, p_schedflags},
    Keyword{"servicename", V, Val, p_servicename},
    Keyword{"comment", V, Val, p_comment},
};

const Keyword* find_keyword(std::string_view name) {
  for (const auto& k : kKeywords)
    if (k.name == name) return &k;
  return nullptr;
}

// `keyword = value`, `keyword=value` or a bare `keyword`.
void handle_directive(Context& c, std::string_view text, bool in_block) {
  size_t n = 0;
  while (n < text.size() && (std::isalnum(static_cast<unsigned char>(text[n])) || text[n] == '_')) ++n;
  std::string_view name = text.substr(0, n);
  std::string_view rest = text.substr(n);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  bool has_value = !rest.empty() && rest.front() == '=';
  if (name.empty() || (!rest.empty() && !has_value)) throw BadValue("cannot parse '" + std::string(text) + "' (expected keyword=value)");
  std::string value = has_value ? halb::config::trim(rest.substr(1)) : std::string();

  const Keyword* k = find_keyword(name);
  if (!k) throw BadValue("unknown directive '" + std::string(name) + "'");
  if (in_block && k->scope == Scope::global && name != "virtual" && name != "virtual6")
    throw BadValue("'" + std::string(name) + "' is a global directive; write it in column 0 outside virtual blocks");
  if (!in_block && k->scope == Scope::virtual_block)
    throw BadValue("'" + std::string(name) + "' belongs inside a virtual block (indented under virtual=)");
  if (in_block && (name == "virtual" || name == "virtual6"))
    throw BadValue("'" + std::string(name) + "' must start in column 0");
  if (!has_value && k->arg == Arg::value) throw BadValue("missing '=' and value after '" + std::string(name) + "'");
  k->parse(c, value);
}

// Checks and defaults that need the whole block.
void finish_virtual(Context& c) {
  Virtual& v = *c.v;
  if (v.fwmark) {
    if (c.protocol_line && v.protocol != Protocol::fwm)
      throw ConfigError(c.config.path, c.protocol_line, "a firewall-mark virtual must use protocol=fwm");
    v.protocol = Protocol::fwm;
  } else {
    if (v.protocol == Protocol::fwm)
      throw ConfigError(c.config.path, c.protocol_line, "protocol=fwm needs a firewall-mark virtual (virtual=N)");
    if (!c.protocol_line && v.port == 53) v.protocol = Protocol::udp;
  }
  for (const auto& other : c.config.virtuals) {
    if (&other == &v) break;
    if (!v.fwmark && !other.fwmark && other.v6 == v.v6 && other.addr == v.addr && other.port == v.port &&
        other.protocol == v.protocol)
      throw ConfigError(c.config.path, v.line,
                        "virtual " + endpoint_str(v.addr, v.port) + " is already defined at line " + std::to_string(other.line));
  }
  if (c.netmask_line && !v.persistent)
    throw ConfigError(c.config.path, c.netmask_line, "netmask needs persistent= in the same virtual");
  if (c.ops_line && v.ops && v.protocol != Protocol::udp)
    throw ConfigError(c.config.path, c.ops_line, "ops (one-packet scheduling) is for UDP virtuals only");
  if (!c.service_set) {
    v.service = v.fwmark ? Service::none : service_for_port(v.port);
  } else if (v.service == Service::ftp) {
    if (!c.login_set) v.login = "anonymous";
    if (!c.passwd_set) v.passwd = "ldirectord@" + c.hostname;
  } else if (v.service == Service::sip) {
    if (!c.login_set) v.login = "ldirectord@" + c.hostname;
  }
  c.v = nullptr;
}

template <class T>
T pick(const std::optional<T>& a, const std::optional<T>& b, T def) {
  return a ? *a : b ? *b : def;
}

// The Effective values of each virtual (rules in ldirectord_cf.h).
void resolve(Config& config) {
  const Shared& g = config.global.shared;
  for (size_t i = 0; i < config.virtuals.size(); ++i) {
    Virtual& v = config.virtuals[i];
    const Shared& s = v.shared;
    Effective& e = v.effective;
    auto ct = s.checktimeout ? s.checktimeout : g.checktimeout;
    auto nt = s.negotiatetimeout ? s.negotiatetimeout : g.negotiatetimeout;
    e.checktimeout = pick(ct, nt, 5);
    e.negotiatetimeout = pick(nt, ct, 30);
    // ldirectord honours a virtual's checkinterval only with fork=yes; every
    // halb check runs on its own timer, so it always counts.
    e.checkinterval = pick(s.checkinterval, g.checkinterval, 10);
    e.checkcount = pick(s.checkcount, g.checkcount, 1);
    e.failurecount = pick(s.failurecount, g.failurecount, 1);
    e.fallback = v.v6 ? (s.fallback6 ? s.fallback6 : g.fallback6) : (s.fallback ? s.fallback : g.fallback);
    e.fallbackcommand = pick(s.fallbackcommand, g.fallbackcommand, std::string());
    e.quiescent = pick(s.quiescent, g.quiescent, false);
    e.cleanstop = pick(s.cleanstop, g.cleanstop, true);
    e.emailalert = pick(s.emailalert, g.emailalert, std::vector<std::string>());
    e.emailalertfrom = pick(s.emailalertfrom, g.emailalertfrom, std::string());
    e.emailalertfreq = pick(s.emailalertfreq, g.emailalertfreq, 0);
    e.emailalertstatus = pick(s.emailalertstatus, g.emailalertstatus, EmailStatus{});
    e.smtp = pick(s.smtp, g.smtp, std::string());
  }
}

std::string local_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

std::span<const Keyword> keywords() { return kKeywords; }

Config parse_ldirectord_cf(std::string_view text, const std::string& path, const ReadOptions& options) {
  Config config;
  config.path = path;
  // c.v points into config.virtuals while a block is open; that is safe
  // because a block is always closed before the next virtual= is parsed.
  Context c{config, options, options.hostname.empty() ? local_hostname() : options.hostname};

  int number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string raw(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++number;
    c.line = number;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    try {
      if (c.v) {
        std::string expanded;
        for (char ch : raw) {
          if (ch == '\t') expanded += "    ";
          else expanded += ch;
        }
        size_t indent = expanded.find_first_not_of(' ');
        if (indent != std::string::npos && indent >= 4) {
          std::string body = expanded.substr(indent);
          if (auto hash = body.find('#'); hash != std::string::npos) body.erase(hash);
          body = halb::config::trim(body);
          if (body.empty()) continue;
          handle_directive(c, body, true);
          continue;
        }
        finish_virtual(c);  // this line closes the block; read it as top level
      }
      size_t first = raw.find_first_not_of(" \t");
      if (first == std::string::npos || raw[first] == '#') continue;
      if (first > 0)
        throw BadValue("indented line outside a virtual block (global directives start in column 0; "
                       "a blank line ends a virtual block)");
      handle_directive(c, halb::config::trim(raw), false);
    } catch (const BadValue& e) {
      throw ConfigError(path, number, e.what());
    }
  }
  if (c.v) finish_virtual(c);
  resolve(config);
  return config;
}

Config read_ldirectord_cf(const std::string& path, const ReadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_ldirectord_cf(ss.str(), path, options);
}

}  // namespace halb::director::config
