// heartbeat/agents/ipaddr.cc: the built-in IPaddr2/IPaddr agent (see ipaddr.h).
#include "heartbeat/agents/ipaddr.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace halb::heartbeat {

namespace {

// OCF exit codes the wrapper passes through.
constexpr int kGeneric = 1;
constexpr int kBadArgs = 2;
constexpr int kNotRunning = 7;

// Interface names and labels share the kernel's IFNAMSIZ (16, with the NUL).
constexpr size_t kMaxIfName = 15;

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

bool valid_ifname(std::string_view n) {
  if (n.empty() || n.size() > kMaxIfName || n == "." || n == "..") return false;
  for (char c : n)
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) return false;
  return true;
}

const char* family_word(const net::Address& a) { return a.is_v4() ? "inet" : "inet6"; }

}  // namespace

// ---- argument ------------------------------------------------------------

net::Result<IpAddrSpec> parse_ipaddr_arg(std::string_view arg) {
  auto fields = split(arg, '/');
  if (fields.size() > 4) return net::Error{"too many fields in [" + std::string(arg) + "]: expected ip[/cidr[/nic[:label][/broadcast]]]"};
  IpAddrSpec spec;
  auto ip = net::Address::parse(fields[0]);
  if (!ip) return net::Error{"IP address [" + std::string(fields[0]) + "] not valid."};
  spec.ip = *ip;

  if (fields.size() >= 2 && !fields[1].empty()) {
    auto len = net::parse_prefix_len(fields[1], ip->family);
    if (!len) return net::Error{"Invalid netmask specification [" + std::string(fields[1]) + "]"};
    spec.prefix_len = *len;
  }

  std::string_view bcast;
  if (fields.size() >= 3 && !fields[2].empty()) {
    std::string_view third = fields[2];
    if (third[0] >= '0' && third[0] <= '9') {
      // The classic wrapper's rule: a digit means the broadcast, nic auto.
      if (fields.size() == 4) return net::Error{"[" + std::string(arg) + "]: a broadcast in the third field leaves no room for a fourth"};
      bcast = third;
    } else {
      auto colon = third.find(':');
      std::string_view nic = third.substr(0, colon);
      if (!valid_ifname(nic)) return net::Error{"Invalid interface name [" + std::string(nic) + "]"};
      spec.nic = nic;
      if (colon != std::string_view::npos) {
        std::string_view suffix = third.substr(colon + 1);
        if (suffix.empty()) return net::Error{"Empty interface label in [" + std::string(third) + "]"};
        if (third.size() > kMaxIfName) return net::Error{"Interface label [" + std::string(third) + "] is longer than 15 characters"};
        for (char c : suffix)
          if (c <= ' ' || c == 0x7f) return net::Error{"Invalid interface label [" + std::string(third) + "]"};
        if (!ip->is_v4()) return net::Error{"Interface labels are for IPv4 addresses only"};
        spec.label = third;  // the kernel wants the label to start with "nic:"
      }
    }
  }
  if (fields.size() == 4 && !fields[3].empty()) bcast = fields[3];

  if (!bcast.empty()) {
    auto b = net::Address::parse(bcast);
    if (!b || !b->is_v4() || !net::looks_like_ipv4(bcast)) return net::Error{"Invalid broadcast address [" + std::string(bcast) + "]"};
    if (!ip->is_v4()) return net::Error{"A broadcast address is for IPv4 addresses only"};
    spec.broadcast = *b;
  }
  return spec;
}

bool needs_route(const IpAddrSpec& spec) { return spec.nic.empty() || !spec.prefix_len; }

net::Result<IpAddrTarget> complete_target(const IpAddrSpec& spec, const std::optional<net::ConnectedRoute>& route) {
  if (needs_route(spec)) {
    if (!route) return net::Error{"Unable to find nic or netmask for " + spec.ip.str()};
    // A nic was named but the route that gives the netmask lies elsewhere:
    // the netmask would be a guess about another network.
    if (!spec.nic.empty() && route->ifname != spec.nic)
      return net::Error{"Unable to find netmask for " + spec.ip.str() + " on " + spec.nic + " (its route is on " + route->ifname + ")"};
  }
  IpAddrTarget t;
  t.nic = spec.nic.empty() ? route->ifname : spec.nic;
  t.prefix = net::Prefix{spec.ip, spec.prefix_len ? *spec.prefix_len : route->route.len};
  t.label = spec.label;
  t.broadcast = spec.broadcast ? spec.broadcast : net::broadcast(t.prefix);
  return t;
}

std::string ip_add_command(const IpAddrTarget& t) {
  std::string s = std::string("ip -f ") + family_word(t.prefix.addr) + " addr add " + t.prefix.str();
  if (t.broadcast) s += " brd " + t.broadcast->str();
  s += " dev " + t.nic;
  if (!t.label.empty()) s += " label " + t.label;
  return s;
}

std::string ip_del_command(const IpAddrTarget& t) {
  return std::string("ip -f ") + family_word(t.prefix.addr) + " addr delete " + t.prefix.str() + " dev " + t.nic;
}

std::string send_arp_command(const IpAddrTarget& t, const IpAddrOptions& o) {
  return "send_arp -i " + std::to_string(o.arp_interval_ms) + " -r " + std::to_string(o.arp_count) + " " + t.nic + " " +
         t.prefix.addr.str() + " auto not_used not_used";
}

// ---- agent ---------------------------------------------------------------

IpAddrAgent::IpAddrAgent(event::Loop& loop, log::Logger& logger, std::string name, IpAddrOptions options)
    : loop_(loop), logger_(logger), name_(std::move(name)), options_(std::move(options)) {}

IpAddrAgent::~IpAddrAgent() { cancel(); }

void IpAddrAgent::cancel() {
  for (auto& [_, g] : garps_) g->cancel();
}

bool IpAddrAgent::announcing() const {
  for (auto& [_, g] : garps_)
    if (g->active()) return true;
  return false;
}

void IpAddrAgent::log(log::Level level, const std::string& msg) {
  // The shell agent's shape: "IPaddr2: INFO: ..." whatever the sink adds.
  const char* word = level == log::Level::error ? "ERROR" : level == log::Level::warn ? "WARN" : level == log::Level::debug ? "DEBUG" : "INFO";
  logger_.log(level, name_ + ": " + word + ": " + msg);
}

AgentResult IpAddrAgent::fail(int code, const std::string& message) {
  log(log::Level::error, message);
  return AgentResult{code, "ERROR: " + message + "\n", false};
}

net::Result<net::Netlink*> IpAddrAgent::netlink() {
  // Opened on first use so constructing the agent (config test, unit
  // tests) touches no kernel state.
  if (!nl_) {
    auto opened = net::Netlink::open();
    if (!opened) return net::Error{opened.error()};
    nl_ = std::move(*opened);
  }
  return nl_.get();
}

std::optional<IpAddrAgent::Failure> IpAddrAgent::resolve(const std::vector<std::string>& args, IpAddrTarget& out) {
  if (args.size() != 1) return Failure{kBadArgs, "usage: " + name_ + " ip[/cidr[/nic[:label][/broadcast]]] {start|stop|status}"};
  auto spec = parse_ipaddr_arg(args[0]);
  if (!spec) return Failure{kBadArgs, spec.error()};
  auto nl = netlink();
  if (!nl) return Failure{kGeneric, nl.error()};
  std::optional<net::ConnectedRoute> route;
  if (needs_route(*spec)) {
    auto found = (*nl)->find_interface_for(spec->ip, spec->prefix_len);
    if (!found) return Failure{kGeneric, "[findif] failed: " + found.error()};
    route = *found;
  }
  auto target = complete_target(*spec, route);
  if (!target) return Failure{kGeneric, target.error()};
  if (auto idx = (*nl)->ifindex(target->nic); !idx) return Failure{kGeneric, "Unknown interface [" + target->nic + "] No such device."};
  out = *target;
  return std::nullopt;
}

void IpAddrAgent::run(AgentOp op, const std::vector<std::string>& args, AgentDone done) {
  IpAddrTarget t;
  if (auto failure = resolve(args, t)) {
    // A status on a resource whose interface or route is gone is "not
    // running" rather than an error: the VIP cannot be there.
    if (op == AgentOp::status && failure->code == kGeneric) {
      log(log::Level::info, failure->message);
      done(AgentResult{kNotRunning, "INFO:  Resource is stopped\n", false});
      return;
    }
    // Stopping what cannot be there succeeds (OCF: stop is idempotent),
    // though the ARPs and lo copy of the address still get their cleanup.
    if (op == AgentOp::stop && failure->code == kGeneric) {
      log(log::Level::info, failure->message);
      if (auto spec = parse_ipaddr_arg(args[0]); spec) {
        if (auto g = garps_.find(spec->ip); g != garps_.end()) g->second->cancel();
        restore_lo_copy(IpAddrTarget{net::Prefix{spec->ip, spec->ip.bits()}, "", "", std::nullopt});
      }
      done(AgentResult{0, "INFO:  Success\n", false});
      return;
    }
    done(fail(failure->code, failure->message));
    return;
  }
  switch (op) {
    case AgentOp::start: done(start(t)); return;
    case AgentOp::stop: done(stop(t)); return;
    case AgentOp::status: done(status(t)); return;
  }
}

std::optional<bool> IpAddrAgent::present(const IpAddrTarget& t, std::string& error) {
  auto list = nl_->addresses(t.nic);
  if (!list) {
    error = list.error();
    return std::nullopt;
  }
  for (auto& a : *list)
    if (a.prefix == t.prefix) return true;
  return false;
}

AgentResult IpAddrAgent::status(const IpAddrTarget& t) {
  std::string error;
  auto on = present(t, error);
  if (!on) return fail(kGeneric, error);
  if (*on) return AgentResult{0, "INFO:  Running OK\n", false};
  return AgentResult{kNotRunning, "INFO:  Resource is stopped\n", false};
}

AgentResult IpAddrAgent::start(const IpAddrTarget& t) {
  std::string error;
  auto on = present(t, error);
  if (!on) return fail(kGeneric, error);
  if (*on) return AgentResult{0, "INFO:  Success\n", false};

  if (options_.lvs_support && t.nic != "lo") remove_lo_copy(t);

  log(log::Level::info, ip_add_command(t));
  if (auto st = nl_->add_address(t.nic, t.prefix, t.broadcast, t.label); !st) {
    // Leave the machine as we found it: the lo copy goes back.
    if (options_.lvs_support && t.nic != "lo") restore_lo_copy(t);
    return fail(kGeneric, "command failed: " + ip_add_command(t) + ": " + st.error());
  }
  log(log::Level::info, "ip link set " + t.nic + " up");
  if (auto st = nl_->set_up(t.nic); !st) return fail(kGeneric, "command failed: ip link set " + t.nic + " up: " + st.error());

  if (t.nic != "lo" && t.prefix.addr.is_v4()) announce(t);
  return AgentResult{0, "INFO:  Success\n", false};
}

void IpAddrAgent::announce(const IpAddrTarget& t) {
  auto mac = nl_->mac(t.nic);
  auto index = nl_->ifindex(t.nic);
  if (!mac || !index) {
    log(log::Level::warn, "no gratuitous ARP on " + t.nic + ": " + (mac ? index.error() : mac.error()));
    return;
  }
  log(log::Level::info, send_arp_command(t, options_));
  auto& sender = garps_[t.prefix.addr];
  if (!sender) sender = std::make_unique<net::GarpSender>(loop_);
  int total = 2 * options_.arp_count;
  std::string what = t.nic + " " + t.prefix.addr.str();
  auto st = sender->start(*index, *mac, t.prefix.addr, {options_.arp_interval_ms, options_.arp_count},
                          [this, what, total](int sent, const std::string& err) {
                            if (!err.empty())
                              log(log::Level::warn, "send_arp " + what + ": " + err + " (" + std::to_string(sent) + " of " +
                                                        std::to_string(total) + " frames sent)");
                            else
                              log(log::Level::debug, "send_arp " + what + ": " + std::to_string(sent) + " frames sent");
                          });
  if (!st) log(log::Level::warn, "send_arp " + what + ": " + st.error());
}

AgentResult IpAddrAgent::stop(const IpAddrTarget& t) {
  if (auto g = garps_.find(t.prefix.addr); g != garps_.end()) g->second->cancel();
  std::string error;
  auto on = present(t, error);
  if (!on) return fail(kGeneric, error);
  if (*on) {
    log(log::Level::info, "IP status = ok, IP_CIP=");
    log(log::Level::info, ip_del_command(t));
    if (auto st = nl_->del_address(t.nic, t.prefix); !st)
      return fail(kGeneric, "command failed: " + ip_del_command(t) + ": " + st.error());
  }
  if (options_.lvs_support && t.nic != "lo") restore_lo_copy(t);
  return AgentResult{0, "INFO:  Success\n", false};
}

// ---- the lo copy (lvs_support) -------------------------------------------
//
// A director that also serves as a real server holds the VIP on lo while
// standby (so it accepts direct-routed packets without answering ARP for
// them). Taking over, the VIP must leave lo or the kernel would refuse the
// same local address twice; handing over, it goes back.

std::string IpAddrAgent::state_path(const net::Address& ip) const {
  if (options_.state_dir.empty()) return {};
  return options_.state_dir + "/halb-ipaddr-lo-" + ip.str();
}

void IpAddrAgent::remove_lo_copy(const IpAddrTarget& t) {
  auto list = nl_->addresses("lo");
  if (!list) return;
  for (auto& a : *list) {
    if (a.prefix.addr != t.prefix.addr) continue;
    log(log::Level::info, "Removing conflicting loopback lo.");
    if (auto st = nl_->del_address("lo", a.prefix); !st) {
      log(log::Level::error, "Could not delete conflicting loopback lo: " + st.error());
      return;
    }
    lo_saved_[a.prefix.addr] = a;
    if (std::string path = state_path(a.prefix.addr); !path.empty()) {
      // One line: prefix, label, broadcast ("-" when none).
      std::ofstream out(path, std::ios::trunc);
      out << a.prefix.str() << ' ' << (a.label.empty() ? "-" : a.label) << ' '
          << (a.broadcast ? a.broadcast->str() : "-") << '\n';
      if (!out) log(log::Level::warn, "cannot write " + path + ": " + strerror(errno));
    }
    return;
  }
}

void IpAddrAgent::restore_lo_copy(const IpAddrTarget& t) {
  std::optional<net::InterfaceAddress> saved;
  if (auto s = lo_saved_.find(t.prefix.addr); s != lo_saved_.end()) saved = s->second;
  std::string path = state_path(t.prefix.addr);
  if (!saved && !path.empty()) {
    std::ifstream in(path);
    std::string prefix, label, brd;
    if (in >> prefix >> label >> brd) {
      auto p = net::Prefix::parse(prefix);
      if (p && p->addr == t.prefix.addr) {
        net::InterfaceAddress a;
        a.prefix = *p;
        if (label != "-") a.label = label;
        if (brd != "-") a.broadcast = net::Address::parse(brd);
        saved = a;
      }
    }
  }
  if (!saved) return;
  log(log::Level::info, "Restoring loopback IP Address " + t.prefix.addr.str() + " on lo.");
  auto nl = netlink();
  if (!nl) {
    log(log::Level::error, "Could not restore loopback: " + nl.error());
    return;
  }
  if (auto st = (*nl)->add_address("lo", saved->prefix, saved->broadcast, saved->label); !st) {
    log(log::Level::error, "Could not restore loopback: " + st.error());
    return;
  }
  lo_saved_.erase(t.prefix.addr);
  if (!path.empty()) std::remove(path.c_str());
}

}  // namespace halb::heartbeat
