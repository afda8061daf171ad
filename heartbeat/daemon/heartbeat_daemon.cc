// heartbeat/daemon/heartbeat_daemon.cc: see heartbeat_daemon.h.
#include "heartbeat/daemon/heartbeat_daemon.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "heartbeat/agents/ipaddr.h"
#include "heartbeat/daemon/generation.h"
#include "heartbeat/wire/codec.h"
#include "lib/config/reader.h"

namespace halb::heartbeat {

namespace {

std::string hex(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string line;
  std::getline(in, line);
  return line;
}

const char* af_word(AutoFailback a) {
  switch (a) {
    case AutoFailback::on: return "on";
    case AutoFailback::off: return "off";
    case AutoFailback::legacy: return "legacy";
  }
  return "legacy";
}

}  // namespace

HeartbeatDaemon::HeartbeatDaemon(event::Loop& loop, log::Logger& logger, DaemonSettings settings)
    : loop_(loop), logger_(logger), s_(std::move(settings)) {}

HeartbeatDaemon::~HeartbeatDaemon() {
  if (agents_) agents_->cancel_all();
}

long long HeartbeatDaemon::now_ms() const { return static_cast<long long>(loop_.now() * 1000.0); }

std::string HeartbeatDaemon::peer() const {
  for (auto& n : s_.ha.nodes)
    if (n != s_.node) return n;
  return {};
}

bool HeartbeatDaemon::start(std::string& error) {
  if (!next_generation(s_.state_dir, generation_, error)) return false;

  Timing timing{s_.ha.keepalive_ms, s_.ha.deadtime_ms, s_.ha.warntime_ms, s_.ha.initdead_ms};
  media_ = std::make_unique<UdpMedia>(loop_, logger_,
                                      [this](std::string_view b, const std::string& l) { on_datagram(b, l); });
  if (!media_->open(s_.ha.media, s_.ha.bind_address, error)) return false;
  membership_ = std::make_unique<Membership>(s_.node, s_.ha.nodes, media_->links(), timing);
  membership_->start(now_ms());

  if (!s_.ha.ping_groups.empty()) {
    ping_ = std::make_unique<PingNodes>(loop_, logger_, s_.ha.ping_groups, s_.ha.keepalive_ms, s_.ha.deadping_ms);
    if (!ping_->open(error)) return false;
  }
  for (auto& r : s_.ha.respawns) {
    if (r.program.find("ipfail") != std::string::npos)
      logger_.info("respawn " + r.user + " " + r.program + ": ipfail is built in" +
                   (s_.ha.ping_groups.empty() ? " (no ping nodes configured: nothing to do)"
                                              : " (" + std::to_string(s_.ha.ping_groups.size()) + " ping nodes)"));
    else
      logger_.warn("respawn " + r.program + ": halb-heartbeat does not run API clients; line ignored");
  }
  for (auto& d : s_.ha.inert)
    logger_.info(s_.ha.path + ":" + std::to_string(d.line) + ": " + d.name + " " + d.value +
                 ": accepted; halb-heartbeat does not act on it");
  for (auto& a : s_.ha.apiauths)
    logger_.info("apiauth " + a.client + ": accepted; halb clients use the control socket (" + s_.run_dir +
                 "/heartbeat.sock)");

  PolicyConfig pc;
  pc.local = s_.node;
  pc.peer = peer();
  for (auto& g : s_.resources.groups) pc.groups.push_back({g.key(), g.node});
  pc.auto_failback = s_.ha.auto_failback;
  pc.ping_configured = !s_.ha.ping_groups.empty();
  pc.ping_giveup_ms = std::max(2 * s_.ha.keepalive_ms, 1000LL);
  policy_ = std::make_unique<Policy>(pc);

  // As heartbeat does for its resource scripts: agents learn where the
  // configuration is (HA_D), and halb's programs (halb-director behind
  // `ldirectord`) also where this instance keeps pid files and sockets.
  setenv("HA_D", s_.config_dir.c_str(), 1);
  setenv("HALB_RUN_DIR", s_.run_dir.c_str(), 1);
  AgentRegistry::Options ao;
  ao.config_dir = s_.config_dir;
  ao.timeout_s = static_cast<double>(s_.ha.agent_timeout_ms) / 1000.0;
  agents_ = std::make_unique<AgentRegistry>(loop_, logger_, ao);
  IpAddrOptions ipopts;
  ipopts.state_dir = s_.run_dir;  // a restarted daemon can still put back a lo copy it moved
  agents_->add_builtin("IPaddr2", [this, ipopts] { return std::make_unique<IpAddrAgent>(loop_, logger_, "IPaddr2", ipopts); });
  agents_->add_builtin("IPaddr", [this, ipopts] { return std::make_unique<IpAddrAgent>(loop_, logger_, "IPaddr", ipopts); });
  agents_->add_program("ldirectord", "halb-director");
  agents_->add_program("LVSSyncDaemonSwap", "halb-syncswap");
  resources_ = std::make_unique<ResourceManager>(loop_, logger_, *agents_, s_.resources);

  control_ = std::make_unique<control::Server>(loop_, logger_,
                                               [this](const control::Json& r, const control::Peer&) { return handle(r); });
  try {
    control_->listen(s_.run_dir + "/heartbeat.sock");
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }

  keepalive_timer_ = std::make_unique<event::Timer>(loop_, [this] { on_keepalive(); });
  double ka = static_cast<double>(s_.ha.keepalive_ms) / 1000.0;
  keepalive_timer_->start(0, ka);
  // Deadlines are judged much more often than keepalive so that a takeover
  // starts within a few milliseconds of deadtime, not up to a keepalive later.
  tick_timer_ = std::make_unique<event::Timer>(loop_, [this] { on_tick(); });
  double tick = std::min(0.05, ka / 4);
  tick_timer_->start(tick, tick);

  logger_.info("Configuration validated. Starting halb-heartbeat " PACKAGE_VERSION);
  logger_.info("heartbeat: generation " + std::to_string(generation_) + ", node " + s_.node + ", auto_failback " +
               af_word(s_.ha.auto_failback));
  if (s_.ha.auto_failback == AutoFailback::legacy) logger_.warn("Deprecated 'legacy' auto_failback option selected.");
  logger_.info("Local status now set to: 'up'");
  return true;
}

void HeartbeatDaemon::send(const Outgoing& out) {
  wire::Message m;
  m.add("t", out.type);
  for (auto& [k, v] : out.fields) m.add(k, v);
  m.add("src", s_.node);
  m.add("seq", hex(++seq_));
  m.add("hg", hex(generation_));
  m.add("ts", hex(static_cast<uint64_t>(time(nullptr))));
  m.add("ld", loadavg());
  m.add("ttl", std::to_string(s_.ha.hopfudge + static_cast<int>(s_.ha.nodes.size())));
  auto fmt = s_.ha.msgfmt == "netstring" ? wire::Format::netstring : wire::Format::classic;
  std::string bytes = wire::encode(m, fmt, s_.keys);
  media_->send(bytes);
  ++counters_.sent;
}

void HeartbeatDaemon::on_keepalive() {
  Outgoing st;
  st.type = "status";
  st.fields.emplace_back("st", local_status_);
  // heartbeat 3.0.6 advertises deadtime + 2 s for its first 5 s; halb does
  // not, so a node killed right after starting is still taken over on time
  // (a slow start is what initdead is for).
  st.fields.emplace_back("dt", hex(static_cast<uint64_t>(s_.ha.deadtime_ms)));
  if (ping_) st.fields.emplace_back("pn", std::to_string(ping_->alive_count()));
  send(st);
  if (ping_) ping_->probe();
}

void HeartbeatDaemon::on_tick() {
  std::vector<MembershipEvent> events;
  membership_->tick(now_ms(), events);
  handle_events(events);
  std::vector<Action> acts;
  if (ping_) {
    for (auto& g : ping_->groups()) {
      int alive = ping_->group_alive(g.name) ? 1 : 0;
      auto it = ping_states_.find(g.name);
      if (it == ping_states_.end() || it->second != alive) {
        if (it != ping_states_.end() || alive)
          logger_.info("Link " + g.name + ":" + g.name + (alive ? " up." : " dead."));
        ping_states_[g.name] = alive;
      }
    }
    policy_->ping_counts(ping_->alive_count(), peer_ping_count_, now_ms(), acts);
  } else {
    policy_->tick(now_ms(), acts);
  }
  run_actions(std::move(acts));
}

void HeartbeatDaemon::on_datagram(std::string_view bytes, const std::string& link) {
  ++counters_.received;
  auto r = wire::decode(bytes, s_.keys);
  if (!r.message) {
    if (r.bad_auth) {
      ++counters_.bad_auth;
      logger_.limited("auth", log::Level::warn, "Invalid authentication on " + link + ": " + r.error);
    } else {
      ++counters_.malformed;
      logger_.limited("malformed", log::Level::warn, "Bad message on " + link + ": " + r.error);
    }
    return;
  }
  const wire::Message& m = *r.message;
  std::string type(m.get("t").value_or(""));
  Heard h;
  h.node = config::lower(std::string(m.get("src").value_or("")));
  h.link = link;
  h.generation = m.get_hex("hg").value_or(0);
  h.seq = m.get_hex("seq").value_or(0);
  if (type == "status") {
    h.status = std::string(m.get("st").value_or("up"));
    h.advertised_deadtime_ms = static_cast<long long>(m.get_hex("dt").value_or(0));
  }
  h.shutdown_done = type == "shutdone";
  // Messages addressed to another node are not ours to act on.
  auto dest = m.get("dest");
  std::vector<MembershipEvent> events;
  Verdict v = membership_->on_message(h, now_ms(), events);
  switch (v) {
    case Verdict::unknown_node:
      ++counters_.unknown_node;
      logger_.limited("badnode", log::Level::warn, "bad node [" + h.node + "] in message");
      return;
    case Verdict::replay:
      ++counters_.replayed;
      logger_.limited("replay", log::Level::warn, "Rejecting message from " + h.node + ": attempted replay attack");
      handle_events(events);
      return;
    case Verdict::duplicate:
      ++counters_.duplicates;
      handle_events(events);
      return;
    case Verdict::fresh:
      break;
  }
  if (type == "status") {
    if (auto pn = m.get("pn")) peer_ping_count_ = std::atoi(std::string(*pn).c_str());
  }
  handle_events(events);
  if (dest && config::lower(std::string(*dest)) != s_.node) return;
  if (type == "starting" || type == "resource" || type == "ask_resources" || type == "hb_takeover") {
    std::map<std::string, std::string> fields;
    for (auto& f : m.fields()) fields.emplace(f.name, f.value);
    std::vector<Action> acts;
    policy_->on_message(type, fields, now_ms(), acts);
    run_actions(std::move(acts));
  }
}

void HeartbeatDaemon::handle_events(std::vector<MembershipEvent>& events) {
  std::vector<Action> acts;
  for (auto& e : events) {
    switch (e.kind) {
      case MembershipEvent::link_up:
        logger_.info("Link " + e.node + ":" + e.link + " up.");
        break;
      case MembershipEvent::link_dead:
        logger_.info("Link " + e.node + ":" + e.link + " dead.");
        break;
      case MembershipEvent::node_status:
        if (e.node != s_.node) logger_.info("Status update for node " + e.node + ": status " + status_word(e.status));
        break;
      case MembershipEvent::node_dead:
        logger_.warn("node " + e.node + ": is dead");
        if (membership_->comm_up()) policy_->peer_dead(now_ms(), acts);
        break;
      case MembershipEvent::late_heartbeat:
        logger_.warn("Late heartbeat: Node " + e.node + ": interval " + std::to_string(e.interval_ms) + " ms" +
                     (e.interval_ms > s_.ha.deadtime_ms ? " (> deadtime)" : ""));
        break;
      case MembershipEvent::returned_after_partition:
        logger_.crit("Cluster node " + e.node + " returning after partition.");
        logger_.info("For information on cluster partitions, see halb-heartbeat(8).");
        logger_.warn("Deadtime value may be too small.");
        policy_->peer_returned(now_ms(), acts);
        break;
      case MembershipEvent::restarted:
        logger_.info("Heartbeat restart on node " + e.node);
        break;
      case MembershipEvent::comm_up: {
        logger_.info("Comm_now_up(): updating status to active");
        logger_.info("Local status now set to: 'active'");
        local_status_ = "active";
        std::string p = peer();
        bool alive = !p.empty() && membership_->status(p) != NodeStatus::dead;
        policy_->comm_up(alive, now_ms(), acts);
        on_keepalive();  // announce 'active' at once
        break;
      }
    }
  }
  events.clear();
  run_actions(std::move(acts));
}

void HeartbeatDaemon::run_actions(std::vector<Action> actions) {
  for (auto& a : actions) {
    switch (a.kind) {
      case Action::send:
        send(a.message);
        break;
      case Action::log:
        logger_.log(static_cast<log::Level>(a.level), a.text);
        break;
      case Action::acquire:
      case Action::release: {
        int op = a.op;
        auto done = [this, op](std::vector<std::string> failed) {
          std::vector<Action> more;
          policy_->op_done(op, failed, now_ms(), more);
          run_actions(std::move(more));
          if (shutdown_done_ && policy_->shut_down()) {
            logger_.info(s_.node + " Heartbeat shutdown complete.");
            auto cb = std::move(shutdown_done_);
            shutdown_done_ = nullptr;
            cb();
          }
        };
        if (a.groups.empty()) {
          loop_.defer([done] { done({}); });
        } else if (a.kind == Action::acquire) {
          resources_->acquire(a.groups, done);
        } else {
          resources_->release(a.groups, done);
        }
        break;
      }
    }
  }
}

void HeartbeatDaemon::shutdown(std::function<void()> done) {
  logger_.info("Heartbeat shutdown in progress. (" + std::to_string(getpid()) + ")");
  if (resources_->busy()) logger_.info("Shutdown delayed until current resource activity finishes.");
  shutdown_done_ = std::move(done);
  std::vector<Action> acts;
  policy_->shutdown(now_ms(), acts);
  run_actions(std::move(acts));
}

void HeartbeatDaemon::reload(const AuthKeys& keys) {
  s_.keys = keys;
  logger_.info("authkeys re-read; changes to ha.cf and haresources take effect at the next start");
}

control::Json HeartbeatDaemon::snapshot() const {
  control::Json nodes = control::Json::array();
  for (auto& n : s_.ha.nodes) {
    control::Json links = control::Json::array();
    for (auto& l : media_->links()) {
      bool up = membership_->link_up(n, l);
      links.push_back({{"name", l}, {"status", up ? "up" : "dead"}});
    }
    std::string st = n == s_.node ? local_status_ : status_word(membership_->status(n));
    nodes.push_back({{"name", n}, {"type", "normal"}, {"status", st}, {"links", links}});
  }
  if (ping_)
    for (auto& g : ping_->groups()) {
      bool up = ping_->group_alive(g.name);
      nodes.push_back({{"name", g.name},
                       {"type", "ping"},
                       {"status", up ? "ping" : "dead"},
                       {"links", control::Json::array({{{"name", g.name}, {"status", up ? "up" : "dead"}}})}});
    }
  std::string rsc = policy_->in_transition() || resources_->busy() ? "transition" : hold_word(policy_->hold());
  control::Json held = control::Json::array();
  for (auto& g : s_.resources.groups)
    if (policy_->held().count(g.key())) held.push_back(g.key());
  return {{"ok", true},
          {"node", s_.node},
          {"status", local_status_},
          {"generation", generation_},
          {"nodes", nodes},
          {"rscstatus", rsc},
          {"held", held},
          {"parameters",
           {{"keepalive", std::to_string(s_.ha.keepalive_ms) + "ms"},
            {"deadtime", std::to_string(s_.ha.deadtime_ms) + "ms"},
            {"warntime", std::to_string(s_.ha.warntime_ms) + "ms"},
            {"initdead", std::to_string(s_.ha.initdead_ms) + "ms"},
            {"udpport", std::to_string(s_.ha.udpport)},
            {"auto_failback", af_word(s_.ha.auto_failback)},
            {"hopfudge", std::to_string(s_.ha.hopfudge)},
            {"deadping", std::to_string(s_.ha.deadping_ms) + "ms"}}},
          {"counters",
           {{"sent", counters_.sent},
            {"received", counters_.received},
            {"bad_auth", counters_.bad_auth},
            {"malformed", counters_.malformed},
            {"replayed", counters_.replayed},
            {"unknown_node", counters_.unknown_node},
            {"duplicates", counters_.duplicates},
            {"send_errors", media_->send_errors()}}}};
}

control::Json HeartbeatDaemon::handle(const control::Json& req) {
  std::string cmd = req.value("cmd", "");
  if (cmd == "status") return snapshot();
  if (cmd == "standby" || cmd == "takeover") {
    std::string which = req.value("which", "all");
    if (which == "failback") which = "foreign";
    if (which != "all" && which != "local" && which != "foreign")
      return {{"ok", false}, {"error", "which must be all, local, foreign or failback"}};
    std::vector<Action> acts;
    std::string why;
    bool ok = cmd == "standby" ? policy_->request_standby(hold_from_word(which), now_ms(), acts, why)
                               : policy_->request_takeover(hold_from_word(which), now_ms(), acts, why);
    run_actions(std::move(acts));
    if (!ok) return {{"ok", false}, {"error", why}};
    logger_.info(std::string(cmd == "standby" ? "Standby" : "Takeover") + " request [" + which + "] sent to " + peer());
    return {{"ok", true}};
  }
  return {{"ok", false}, {"error", "unknown command '" + cmd + "'"}};
}

}  // namespace halb::heartbeat
