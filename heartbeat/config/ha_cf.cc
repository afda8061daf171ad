// heartbeat/config/ha_cf.cc: see ha_cf.h. One keyword table; each entry
// parses its arguments into the model or says what is wrong.
#include "heartbeat/config/ha_cf.h"

#include <netdb.h>

#include <algorithm>
#include <functional>

#include "lib/config/reader.h"
#include "lib/log/log.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace halb::heartbeat {

namespace {

using Args = std::vector<std::string>;

struct Ctx {
  HaCf& cf;
  const std::string& path;
  int line;
  std::string error;  // set by a handler that refuses its arguments
  bool fail(std::string msg) {
    error = std::move(msg);
    return false;
  }
};

bool time_ms(Ctx& c, const std::string& v, long long& out, const char* what) {
  auto ms = config::parse_duration_ms(v);
  if (!ms) return c.fail(std::string("bad time for ") + what + ": " + v);
  out = *ms;
  return true;
}

bool boolean(Ctx& c, const std::string& v, bool& out, const char* what) {
  auto b = config::parse_bool(v);
  if (!b) return c.fail(std::string("bad boolean for ") + what + ": " + v);
  out = *b;
  return true;
}

bool integer(Ctx& c, const std::string& v, long long lo, long long hi, long long& out, const char* what) {
  auto i = config::parse_int(v);
  if (!i || *i < lo || *i > hi)
    return c.fail(std::string("bad value for ") + what + ": " + v + " (" + std::to_string(lo) + "-" +
                  std::to_string(hi) + ")");
  out = *i;
  return true;
}

bool after_media(Ctx& c, const char* what) {
  if (!c.cf.media.empty()) return c.fail(std::string(what) + " setting must precede media statements");
  return true;
}

bool add_media(Ctx& c, MediumKind kind, const Args& a) {
  if (kind == MediumKind::bcast) {
    for (auto& dev : a) c.cf.media.push_back(Medium{kind, dev, "", c.cf.udpport, 1, false, c.cf.baud, c.line});
    return true;
  }
  if (kind == MediumKind::ucast) {
    if (a.size() != 2) return c.fail("ucast takes <device> <peer-ip>");
    c.cf.media.push_back(Medium{kind, a[0], a[1], c.cf.udpport, 1, false, c.cf.baud, c.line});
    return true;
  }
  if (kind == MediumKind::mcast) {
    if (a.size() != 5) return c.fail("mcast takes <device> <group> <port> <ttl> <loop>");
    long long port, ttl, loop;
    if (!integer(c, a[2], 1, 65535, port, "mcast port") || !integer(c, a[3], 1, 255, ttl, "mcast ttl") ||
        !integer(c, a[4], 0, 1, loop, "mcast loop"))
      return false;
    c.cf.media.push_back(
        Medium{kind, a[0], a[1], static_cast<uint16_t>(port), static_cast<int>(ttl), loop == 1, c.cf.baud, c.line});
    return true;
  }
  for (auto& dev : a) c.cf.media.push_back(Medium{kind, dev, "", 0, 1, false, c.cf.baud, c.line});
  return true;
}

struct Keyword {
  const char* name;
  int min_args;
  int max_args;  // -1: any number
  std::function<bool(Ctx&, const Args&)> parse;
};

// Directives heartbeat accepts that do not change a two-node haresources
// cluster's behaviour in halb; they are kept only for validation.
bool accept(Ctx&, const Args&) { return true; }

const std::vector<Keyword>& keywords() {
  static const std::vector<Keyword> table = {
      {"keepalive", 1, 1, [](Ctx& c, const Args& a) { return time_ms(c, a[0], c.cf.keepalive_ms, "keepalive"); }},
      {"deadtime", 1, 1, [](Ctx& c, const Args& a) { return time_ms(c, a[0], c.cf.deadtime_ms, "deadtime"); }},
      {"warntime", 1, 1,
       [](Ctx& c, const Args& a) { return (c.cf.warntime_set = true) && time_ms(c, a[0], c.cf.warntime_ms, "warntime"); }},
      {"initdead", 1, 1,
       [](Ctx& c, const Args& a) { return (c.cf.initdead_set = true) && time_ms(c, a[0], c.cf.initdead_ms, "initdead"); }},
      {"deadping", 1, 1,
       [](Ctx& c, const Args& a) { return (c.cf.deadping_set = true) && time_ms(c, a[0], c.cf.deadping_ms, "deadping"); }},
      {"udpport", 1, 1,
       [](Ctx& c, const Args& a) {
         long long p;
         if (!after_media(c, "udpport") || !integer(c, a[0], 1, 65535, p, "udpport")) return false;
         c.cf.udpport = static_cast<uint16_t>(p);
         return true;
       }},
      {"baud", 1, 1,
       [](Ctx& c, const Args& a) {
         long long b;
         if (!after_media(c, "baudrate") || !integer(c, a[0], 9600, 460800, b, "baud")) return false;
         c.cf.baud = static_cast<int>(b);
         return true;
       }},
      {"bcast", 1, -1, [](Ctx& c, const Args& a) { return add_media(c, MediumKind::bcast, a); }},
      {"mcast", 5, 5, [](Ctx& c, const Args& a) { return add_media(c, MediumKind::mcast, a); }},
      {"ucast", 2, 2, [](Ctx& c, const Args& a) { return add_media(c, MediumKind::ucast, a); }},
      {"serial", 1, -1, [](Ctx& c, const Args& a) { return add_media(c, MediumKind::serial, a); }},
      {"node", 1, -1,
       [](Ctx& c, const Args& a) {
         for (auto& n : a) {
           std::string l = config::lower(n);
           if (std::find(c.cf.nodes.begin(), c.cf.nodes.end(), l) == c.cf.nodes.end()) c.cf.nodes.push_back(l);
         }
         return true;
       }},
      {"auto_failback", 1, 1,
       [](Ctx& c, const Args& a) {
         std::string v = config::lower(a[0]);
         c.cf.auto_failback_set = true;
         if (v == "legacy") {
           c.cf.auto_failback = AutoFailback::legacy;
           return true;
         }
         auto b = config::parse_bool(v);
         if (!b) return c.fail("auto_failback must be on, off or legacy: " + a[0]);
         c.cf.auto_failback = *b ? AutoFailback::on : AutoFailback::off;
         return true;
       }},
      {"nice_failback", 1, 1,
       [](Ctx& c, const Args& a) {
         // The old spelling: nice_failback on = auto_failback off.
         bool b;
         if (!boolean(c, a[0], b, "nice_failback")) return false;
         if (!c.cf.auto_failback_set) c.cf.auto_failback = b ? AutoFailback::off : AutoFailback::legacy;
         return true;
       }},
      {"ping", 1, -1,
       [](Ctx& c, const Args& a) {
         for (auto& ip : a) c.cf.ping_groups.push_back(PingGroup{ip, {ip}});
         return true;
       }},
      {"ping_group", 2, -1,
       [](Ctx& c, const Args& a) {
         c.cf.ping_groups.push_back(PingGroup{a[0], Args(a.begin() + 1, a.end())});
         return true;
       }},
      {"respawn", 2, -1,
       [](Ctx& c, const Args& a) {
         std::string prog;
         for (size_t i = 1; i < a.size(); ++i) prog += (i > 1 ? " " : "") + a[i];
         c.cf.respawns.push_back(Respawn{a[0], prog, c.line});
         return true;
       }},
      {"apiauth", 2, -1,
       [](Ctx& c, const Args& a) {
         ApiAuth x{a[0], "", ""};
         for (size_t i = 1; i < a.size(); ++i) {
           if (a[i].rfind("uid=", 0) == 0) x.uid = a[i].substr(4);
           else if (a[i].rfind("gid=", 0) == 0) x.gid = a[i].substr(4);
           else return c.fail("apiauth takes uid=... and/or gid=...: " + a[i]);
         }
         c.cf.apiauths.push_back(x);
         return true;
       }},
      {"logfacility", 1, 1, [](Ctx& c, const Args& a) {
         if (a[0] != "none" && !log::facility_from_name(a[0])) return c.fail("unknown log facility " + a[0]);
         c.cf.logfacility = a[0];
         return true;
       }},
      {"logfile", 1, 1, [](Ctx& c, const Args& a) { c.cf.logfile = a[0]; return true; }},
      {"debugfile", 1, 1, [](Ctx& c, const Args& a) { c.cf.debugfile = a[0]; return true; }},
      {"use_logd", 1, 1, [](Ctx& c, const Args& a) { return boolean(c, a[0], c.cf.use_logd, "use_logd"); }},
      {"debug", 1, 1,
       [](Ctx& c, const Args& a) {
         long long d;
         if (!integer(c, a[0], 0, 255, d, "debug")) return false;
         c.cf.debug = static_cast<int>(d);
         return true;
       }},
      {"hopfudge", 1, 1,
       [](Ctx& c, const Args& a) {
         long long h;
         if (!integer(c, a[0], 0, 255, h, "hopfudge")) return false;
         c.cf.hopfudge = static_cast<int>(h);
         return true;
       }},
      {"realtime", 1, 1, [](Ctx& c, const Args& a) { return boolean(c, a[0], c.cf.realtime, "realtime"); }},
      {"coredumps", 1, 1, [](Ctx& c, const Args& a) { return boolean(c, a[0], c.cf.coredumps, "coredumps"); }},
      {"msgfmt", 1, 1,
       [](Ctx& c, const Args& a) {
         if (a[0] != "classic" && a[0] != "netstring") return c.fail("msgfmt must be classic or netstring");
         c.cf.msgfmt = a[0];
         return true;
       }},
      {"hbgenmethod", 1, 1,
       [](Ctx& c, const Args& a) {
         if (a[0] != "file" && a[0] != "time") return c.fail("hbgenmethod must be file or time");
         c.cf.hbgenmethod = a[0];
         return true;
       }},
      {"uuidfrom", 1, 1,
       [](Ctx& c, const Args& a) {
         if (a[0] != "file" && a[0] != "nodename") return c.fail("uuidfrom must be file or nodename");
         c.cf.uuidfrom = a[0];
         return true;
       }},
      {"crm", 1, 1, [](Ctx& c, const Args& a) { c.cf.crm = config::lower(a[0]); return true; }},
      {"pacemaker", 1, 1, [](Ctx& c, const Args& a) { c.cf.crm = config::lower(a[0]); return true; }},
      {"autojoin", 1, 1,
       [](Ctx& c, const Args& a) {
         std::string v = config::lower(a[0]);
         if (v != "none" && v != "other" && v != "any") return c.fail("autojoin must be none, other or any");
         c.cf.autojoin = v;
         return true;
       }},
      {"compression", 1, 1, [](Ctx& c, const Args& a) { c.cf.compression = a[0]; return true; }},
      {"compression_threshold", 1, 1,
       [](Ctx& c, const Args& a) {
         long long t;
         if (!integer(c, a[0], 0, 65536, t, "compression_threshold")) return false;
         c.cf.compression_threshold_kb = static_cast<int>(t);
         return true;
       }},
      {"traditional_compression", 1, 1,
       [](Ctx& c, const Args& a) { return boolean(c, a[0], c.cf.traditional_compression, "traditional_compression"); }},
      {"max_rexmit_delay", 1, 1,
       [](Ctx& c, const Args& a) { return time_ms(c, a[0], c.cf.max_rexmit_delay_ms, "max_rexmit_delay"); }},
      {"cluster", 1, 1, [](Ctx& c, const Args& a) { c.cf.cluster = a[0]; return true; }},
      {"rtprio", 1, 1, accept},
      {"watchdog", 1, 1, accept},
      {"stonith", 1, -1, accept},
      {"stonith_host", 1, -1, accept},
      {"memreserve", 1, 1, accept},
      {"conn_logd_time", 1, 1, accept},
      {"enable_config_writes", 1, 1, accept},
      {"record_config_changes", 1, 1, accept},
      {"record_pengine_inputs", 1, 1, accept},
      // halb extensions.
      {"bind_address", 1, 1, [](Ctx& c, const Args& a) { c.cf.bind_address = a[0]; return true; }},
      {"agent_timeout", 1, 1,
       [](Ctx& c, const Args& a) { return time_ms(c, a[0], c.cf.agent_timeout_ms, "agent_timeout"); }},
  };
  return table;
}

uint16_t default_udpport() {
  servent* s = getservbyname("ha-cluster", "udp");
  return s ? ntohs(static_cast<uint16_t>(s->s_port)) : 694;
}

void resolve(HaCf& cf, const std::string& path, const std::string& local) {
  auto err = [&](const std::string& m) { throw config::ConfigError(path, 0, m); };
  if (cf.media.empty()) err("no heartbeat media configured (bcast, mcast, ucast)");
  if (cf.nodes.empty()) err("no node directive");
  if (std::find(cf.nodes.begin(), cf.nodes.end(), local) == cf.nodes.end())
    err("Current node [" + local + "] not in configuration!");
  if (cf.crm != "off" && cf.crm != "no" && cf.crm != "false")
    err("crm/pacemaker must be off: halb-heartbeat manages haresources groups");
  if (cf.autojoin != "none") err("R1 style resource management conflicts with autojoin " + cf.autojoin);
  if (cf.deadtime_ms <= 2 * cf.keepalive_ms)
    err("deadtime (" + std::to_string(cf.deadtime_ms) + "ms) must be more than twice keepalive (" +
        std::to_string(cf.keepalive_ms) + "ms)");
  if (!cf.warntime_set) cf.warntime_ms = cf.deadtime_ms / 2;
  if (cf.warntime_ms >= cf.deadtime_ms)
    cf.warnings.push_back(path + ": warntime (" + std::to_string(cf.warntime_ms) + "ms) is not below deadtime");
  if (!cf.initdead_set) {
    if (cf.deadtime_ms > 10000) cf.initdead_ms = cf.deadtime_ms;
    else if (cf.deadtime_ms < 6000) cf.initdead_ms = 12000;
    else cf.initdead_ms = 2 * cf.deadtime_ms;
  }
  if (cf.initdead_ms < cf.deadtime_ms)
    err("initdead (" + std::to_string(cf.initdead_ms) + "ms) must not be below deadtime (" +
        std::to_string(cf.deadtime_ms) + "ms)");
  if (cf.initdead_ms < 10000)
    cf.warnings.push_back(path + ": initdead below 10 s: a slow peer boot may be taken for a dead one");
  if (!cf.deadping_set) cf.deadping_ms = cf.deadtime_ms;
  if (!cf.ping_groups.empty() && cf.deadping_ms <= 2 * cf.keepalive_ms)
    err("deadping must be more than twice keepalive");
  if (cf.auto_failback == AutoFailback::legacy)
    cf.warnings.push_back(path + ": Deprecated 'legacy' auto_failback option selected.");
}

}  // namespace

HaCf parse_ha_cf_text(std::string_view text, const std::string& path, const std::string& local_node) {
  HaCf cf;
  cf.path = path;
  cf.udpport = default_udpport();
  for (const auto& line : config::split_lines(text, {'#', true, false})) {
    auto words = config::split_words(line.text, " \t,");
    if (words.empty()) continue;
    const Keyword* kw = nullptr;
    for (auto& k : keywords())
      if (words[0] == k.name) kw = &k;
    if (!kw) throw config::ConfigError(path, line.number, "Illegal directive [" + words[0] + "] in " + path);
    Args args(words.begin() + 1, words.end());
    int n = static_cast<int>(args.size());
    if (n < kw->min_args || (kw->max_args >= 0 && n > kw->max_args))
      throw config::ConfigError(path, line.number,
                                std::string(kw->name) + ": wrong number of arguments (" + std::to_string(n) + ")");
    Ctx c{cf, path, line.number, {}};
    if (!kw->parse(c, args)) throw config::ConfigError(path, line.number, c.error);
  }
  resolve(cf, path, local_node);
  return cf;
}

HaCf parse_ha_cf(const std::string& path, const std::string& local_node) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config::ConfigError(path, 0, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_ha_cf_text(text.str(), path, local_node);
}

}  // namespace halb::heartbeat
