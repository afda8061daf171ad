// heartbeat/resources/policy.cc: see policy.h for the rules.
#include "heartbeat/resources/policy.h"

#include <algorithm>

namespace halb::heartbeat {

const char* hold_word(Hold h) {
  switch (h) {
    case Hold::none: return "none";
    case Hold::local: return "local";
    case Hold::foreign: return "foreign";
    case Hold::all: return "all";
  }
  return "none";
}

Hold hold_from_word(const std::string& w) {
  if (w == "local") return Hold::local;
  if (w == "foreign") return Hold::foreign;
  if (w == "all") return Hold::all;
  return Hold::none;
}

Policy::Policy(PolicyConfig config) : cfg_(std::move(config)) {}

bool Policy::is_local(const std::string& key) const {
  for (auto& g : cfg_.groups)
    if (g.key == key) return g.preferred == cfg_.local;
  return false;
}

std::vector<std::string> Policy::ordered(const std::set<std::string>& s) const {
  std::vector<std::string> out;
  for (auto& g : cfg_.groups)
    if (s.count(g.key)) out.push_back(g.key);
  return out;
}

Hold Policy::hold_of(const std::set<std::string>& held) const {
  bool any_local = false, all_local = true, any_foreign = false, all_foreign = true;
  bool have_local = false, have_foreign = false;
  for (auto& g : cfg_.groups) {
    bool mine = g.preferred == cfg_.local;
    bool h = held.count(g.key) != 0;
    if (mine) {
      have_local = true;
      any_local |= h;
      all_local &= h;
    } else {
      have_foreign = true;
      any_foreign |= h;
      all_foreign &= h;
    }
  }
  bool l = have_local && all_local;
  bool f = have_foreign && all_foreign;
  if (!any_local && !any_foreign) return Hold::none;
  if ((l || !have_local) && (f || !have_foreign)) return Hold::all;
  if (l || (any_local && !any_foreign)) return Hold::local;
  if (f || (any_foreign && !any_local)) return Hold::foreign;
  return Hold::all;
}

std::set<std::string> Policy::groups_of(Hold h, bool from_peer_view) const {
  std::set<std::string> out;
  for (auto& g : cfg_.groups) {
    bool mine = g.preferred == cfg_.local;
    // The peer's "local" groups are our foreign ones.
    bool senders_local = from_peer_view ? !mine : mine;
    if (h == Hold::all || (h == Hold::local && senders_local) || (h == Hold::foreign && !senders_local))
      out.insert(g.key);
  }
  return out;
}

void Policy::log(int level, std::string text, std::vector<Action>& out) {
  Action a;
  a.kind = Action::log;
  a.level = level;
  a.text = std::move(text);
  out.push_back(std::move(a));
}

void Policy::send_resource(const char* info, std::vector<Action>& out, bool stable) {
  Action a;
  a.kind = Action::send;
  a.message.type = "resource";
  a.message.fields = {{"rsc_hold", hold_word(hold())}, {"rtype", "full"}, {"isstable", stable ? "1" : "0"}};
  if (info && *info) a.message.fields.emplace_back("info", info);
  out.push_back(std::move(a));
}

void Policy::acquire(std::set<std::string> groups, After after, std::vector<Action>& out) {
  for (auto it = groups.begin(); it != groups.end();)
    it = held_.count(*it) ? groups.erase(it) : std::next(it);
  Action a;
  a.kind = Action::acquire;
  a.groups = ordered(groups);
  a.op = next_op_++;
  for (auto& g : groups) held_.insert(g);
  ops_[a.op] = Op{after, a.groups};
  out.push_back(std::move(a));
}

void Policy::release(std::set<std::string> groups, After after, std::vector<Action>& out) {
  for (auto it = groups.begin(); it != groups.end();)
    it = held_.count(*it) ? std::next(it) : groups.erase(it);
  Action a;
  a.kind = Action::release;
  a.groups = ordered(groups);
  std::reverse(a.groups.begin(), a.groups.end());  // groups stop in reverse order too
  a.op = next_op_++;
  for (auto& g : groups) held_.erase(g);
  ops_[a.op] = Op{after, a.groups};
  out.push_back(std::move(a));
}

void Policy::become_stable(std::vector<Action>& out) {
  if (stage_ == Stage::starting) stage_ = Stage::stable;
}

void Policy::comm_up(bool peer_alive, long long now_ms, std::vector<Action>& out) {
  if (stage_ != Stage::init) return;
  peer_alive_ = peer_alive && !cfg_.peer.empty();
  if (!peer_alive_) {
    // Alone after initdead: everything is ours.
    stage_ = Stage::stable;
    take_everything("", out);
    return;
  }
  stage_ = Stage::starting;
  start_sent_ms_ = now_ms;
  Action a;
  a.kind = Action::send;
  a.message.type = "starting";
  out.push_back(std::move(a));
  if (peer_starting_) {
    // The peer announced its own start before our comm came up: both starting.
    log(1, "local resource transition completed.", out);
    acquire(groups_of(Hold::local, false), After::initial, out);
  }
}

void Policy::take_everything(const char* why, std::vector<Action>& out) {
  std::set<std::string> all;
  for (auto& g : cfg_.groups) all.insert(g.key);
  acquire(all, After::mach_down, out);
}

void Policy::peer_dead(long long now_ms, std::vector<Action>& out) {
  peer_alive_ = false;
  peer_stable_ = false;
  peer_starting_ = false;
  if (stage_ == Stage::stopping || stage_ == Stage::stopped) return;
  if (stage_ == Stage::init) return;  // comm_up(false) follows and takes everything
  std::set<std::string> was = peer_hold_;
  peer_hold_.clear();
  standby_taking_.clear();
  if (!standby_giving_.empty()) {
    // We were giving resources to a peer that died: keep (or take back) everything.
    standby_giving_.clear();
    standby_asked_ms_ = -1;
  }
  if (was.empty()) {
    log(1, "Dead node " + cfg_.peer + " gave up resources.", out);
  } else {
    log(2, "No STONITH device configured.", out);
    log(2, "Shared disks are not protected.", out);
  }
  log(1, "Resources being acquired from " + cfg_.peer + ".", out);
  stage_ = Stage::stable;
  take_everything("mach_down", out);
}

void Policy::peer_shutdown(long long now_ms, std::vector<Action>& out) {
  if (stage_ == Stage::stopping || stage_ == Stage::stopped) return;
  log(1, "Received shutdown notice from '" + cfg_.peer + "'.", out);
  peer_alive_ = false;
  peer_stable_ = false;
  peer_hold_.clear();
  log(1, "Resources being acquired from " + cfg_.peer + ".", out);
  if (stage_ == Stage::init || stage_ == Stage::starting) stage_ = Stage::stable;
  take_everything("shutdown", out);
}

void Policy::peer_returned(long long now_ms, std::vector<Action>& out) {
  peer_alive_ = true;
  // Tell the peer what we hold; its answer settles any group held twice.
  if (stage_ == Stage::stable) send_resource("", out);
}

void Policy::on_message(const std::string& type, const std::map<std::string, std::string>& f, long long now_ms,
                        std::vector<Action>& out) {
  auto field = [&](const char* name) {
    auto it = f.find(name);
    return it == f.end() ? std::string() : it->second;
  };
  if (stage_ == Stage::stopped) return;
  peer_alive_ = true;
  if (type == "starting") {
    peer_starting_ = true;
    peer_stable_ = false;
    if (stage_ == Stage::stable) {
      send_resource("", out, ops_.empty());
    } else if (stage_ == Stage::starting) {
      send_resource("", out, false);
    }
    return;
  }
  if (type == "resource") {
    std::string info = field("info");
    peer_hold_ = groups_of(hold_from_word(field("rsc_hold")), true);
    peer_stable_ = field("isstable") == "1";
    if (info == "shutdown") {
      peer_shutdown(now_ms, out);
      return;
    }
    if (peer_stable_) peer_starting_ = false;
    if (stage_ == Stage::starting && start_sent_ms_ >= 0 && ops_.empty()) {
      std::set<std::string> want = groups_of(Hold::local, false);
      if (peer_stable_) {
        for (auto& g : peer_hold_) want.erase(g);
        log(1, "remote resource transition completed.", out);
      } else {
        log(1, "local resource transition completed.", out);
      }
      if (want.empty()) {
        log(1, "Local Resource acquisition completed. (none)", out);
        stage_ = Stage::stable;
        send_resource("", out);
        rebalance(now_ms, out);
      } else {
        acquire(want, After::initial, out);
      }
      return;
    }
    if (stage_ == Stage::stable) rebalance(now_ms, out);
    return;
  }
  if (type == "ask_resources") {
    std::string info = field("info");
    Hold which = hold_from_word(field("rsc_hold"));
    if (info == "me") {
      // The peer wants to give up `which` (its view). Agree unless busy.
      if (in_transition() || stage_ != Stage::stable) return;
      standby_taking_ = groups_of(which, true);
      Action a;
      a.kind = Action::send;
      a.message.type = "ask_resources";
      a.message.fields = {{"rsc_hold", hold_word(which)}, {"info", "other"}};
      out.push_back(std::move(a));
    } else if (info == "other") {
      if (standby_giving_.empty()) return;
      log(1, std::string("give up ") + hold_word(hold_of(standby_giving_)) + " HA resources (standby).", out);
      release(standby_giving_, After::standby_given, out);
      standby_asked_ms_ = -1;
    } else if (info == "done") {
      if (!standby_taking_.empty()) {
        std::set<std::string> take;
        for (auto& g : standby_taking_) take.insert(g);
        log(1, std::string("acquire ") + hold_word(hold_of(take)) + " HA resources (standby).", out);
        standby_taking_.clear();
        for (auto& g : take) peer_hold_.erase(g);
        acquire(take, After::standby_taken, out);
      } else {
        log(1, "Standby resource acquisition done [" + std::string(hold_word(which)) + "].", out);
      }
    }
    return;
  }
  if (type == "hb_takeover") {
    // The peer wants `which` (its view): we stand by for the same groups.
    Hold which = hold_from_word(field("rsc_hold"));
    std::set<std::string> give = groups_of(which, true);
    Hold ours = hold_of(give);
    std::string why;
    request_standby(ours, now_ms, out, why);
    return;
  }
}

void Policy::rebalance(long long now_ms, std::vector<Action>& out) {
  if (stage_ != Stage::stable || !ops_.empty() || !peer_alive_) return;
  // A group both sides hold (healed partition): its non-preferred holder lets go.
  std::set<std::string> twice;
  for (auto& g : held_)
    if (peer_hold_.count(g) && !is_local(g)) twice.insert(g);
  if (!twice.empty()) {
    log(2, "Resource groups held by both nodes after a partition; " + cfg_.peer +
               " is their preferred node: releasing them.", out);
    release(twice, After::partition, out);
    return;
  }
  if (!peer_stable_) return;
  // auto_failback: hand the peer's own groups back once it is stable.
  if (cfg_.auto_failback != AutoFailback::off && standby_giving_.empty()) {
    std::set<std::string> back;
    for (auto& g : held_)
      if (!is_local(g) && !peer_hold_.count(g)) back.insert(g);
    if (!back.empty()) {
      log(1, "auto_failback: giving foreign HA resources back to " + cfg_.peer + ".", out);
      release(back, After::failback_given, out);
      return;
    }
  }
  // Our own groups that nobody holds (the peer handed them back).
  std::set<std::string> orphans;
  for (auto& g : cfg_.groups)
    if (g.preferred == cfg_.local && !held_.count(g.key) && !peer_hold_.count(g.key) &&
        cfg_.auto_failback != AutoFailback::off)
      orphans.insert(g.key);
  if (!orphans.empty() && standby_giving_.empty()) acquire(orphans, After::taken, out);
}

void Policy::op_done(int op, const std::vector<std::string>& failed, long long now_ms, std::vector<Action>& out) {
  auto it = ops_.find(op);
  if (it == ops_.end()) return;
  Op done = it->second;
  ops_.erase(it);
  for (auto& g : failed) held_.erase(g);
  for (auto& g : failed) log(4, "Giving up resources due to failure of " + g, out);
  switch (done.after) {
    case After::initial:
      log(1, "Local Resource acquisition completed.", out);
      log(1, "Initial resource acquisition complete (T_RESOURCES(us))", out);
      stage_ = Stage::stable;
      send_resource("", out);
      break;
    case After::mach_down:
      log(1, "mach_down takeover complete for node " + cfg_.peer + ".", out);
      send_resource("mach_down", out);
      break;
    case After::standby_given: {
      Action a;
      a.kind = Action::send;
      a.message.type = "ask_resources";
      a.message.fields = {{"rsc_hold", hold_word(hold_of(std::set<std::string>(done.groups.begin(), done.groups.end())))},
                          {"info", "done"}};
      out.push_back(std::move(a));
      standby_giving_.clear();
      send_resource("standby", out);
      break;
    }
    case After::standby_taken: {
      log(1, "Standby resource acquisition done [all].", out);
      Action a;
      a.kind = Action::send;
      a.message.type = "ask_resources";
      a.message.fields = {{"rsc_hold", hold_word(hold())}, {"info", "done"}};
      out.push_back(std::move(a));
      send_resource("standby", out);
      break;
    }
    case After::failback_given:
    case After::partition:
    case After::taken:
      send_resource("", out);
      break;
    case After::shutdown:
      if (ops_.empty()) {
        log(1, "All HA resources relinquished.", out);
        Action a;
        a.kind = Action::send;
        a.message.type = "resource";
        a.message.fields = {{"rsc_hold", "none"}, {"rtype", "full"}, {"isstable", "0"}, {"info", "shutdown"}};
        out.push_back(a);
        Action b;
        b.kind = Action::send;
        b.message.type = "shutdone";
        b.message.fields = {{"st", "dead"}};
        out.push_back(b);
        stage_ = Stage::stopped;
      }
      return;
    case After::nothing:
      break;
  }
  if (ops_.empty()) rebalance(now_ms, out);
}

bool Policy::request_standby(Hold which, long long now_ms, std::vector<Action>& out, std::string& why,
                             bool operator_request) {
  // heartbeat refuses hb_standby under legacy; halb's own ipfail giveup still uses the protocol.
  if (operator_request && cfg_.auto_failback == AutoFailback::legacy) {
    why = "standby needs auto_failback on or off (not legacy)";
    return false;
  }
  if (!peer_alive_) {
    why = "the other node is not alive";
    return false;
  }
  if (in_transition() || stage_ != Stage::stable || !standby_giving_.empty()) {
    why = "resources are in transition";
    return false;
  }
  std::set<std::string> give = groups_of(which, false);
  for (auto it = give.begin(); it != give.end();) it = held_.count(*it) ? std::next(it) : give.erase(it);
  if (give.empty()) {
    why = std::string("this node holds no ") + hold_word(which) + " resources";
    return false;
  }
  standby_giving_ = give;
  standby_asked_ms_ = now_ms;
  Action a;
  a.kind = Action::send;
  a.message.type = "ask_resources";
  a.message.fields = {{"rsc_hold", hold_word(which)}, {"info", "me"}};
  out.push_back(std::move(a));
  return true;
}

bool Policy::request_takeover(Hold which, long long now_ms, std::vector<Action>& out, std::string& why) {
  if (!peer_alive_) {
    why = "the other node is not alive";
    return false;
  }
  if (in_transition()) {
    why = "resources are in transition";
    return false;
  }
  Action a;
  a.kind = Action::send;
  a.message.type = "hb_takeover";
  a.message.fields = {{"rsc_hold", hold_word(which)}};
  out.push_back(std::move(a));
  return true;
}

void Policy::ping_counts(int local_count, int peer_count, long long now_ms, std::vector<Action>& out) {
  local_ping_ = local_count;
  peer_ping_ = peer_count;
  tick(now_ms, out);
}

void Policy::shutdown(long long now_ms, std::vector<Action>& out) {
  if (stage_ == Stage::stopping || stage_ == Stage::stopped) return;
  stage_ = Stage::stopping;
  log(1, "Giving up all HA resources.", out);
  std::set<std::string> all = held_;
  release(all, After::shutdown, out);
}

void Policy::tick(long long now_ms, std::vector<Action>& out) {
  if (standby_asked_ms_ >= 0 && now_ms - standby_asked_ms_ > cfg_.standby_timeout_ms) {
    log(2, "No reply to standby request.  Standby request cancelled.", out);
    standby_giving_.clear();
    standby_asked_ms_ = -1;
  }
  if (stage_ == Stage::starting && ops_.empty() && start_sent_ms_ >= 0 &&
      now_ms - start_sent_ms_ > cfg_.start_answer_ms) {
    // The peer never answered `starting`: take our own groups it does not claim.
    std::set<std::string> want = groups_of(Hold::local, false);
    for (auto& g : peer_hold_) want.erase(g);
    log(1, "local resource transition completed.", out);
    if (want.empty()) {
      stage_ = Stage::stable;
      send_resource("", out);
    } else {
      acquire(want, After::initial, out);
    }
  }
  if (cfg_.ping_configured && stage_ == Stage::stable && ops_.empty() && peer_alive_ && peer_stable_ &&
      !held_.empty() && local_ping_ >= 0 && peer_ping_ > local_ping_) {
    if (ping_imbalance_since_ < 0) ping_imbalance_since_ = now_ms;
    if (now_ms - ping_imbalance_since_ >= cfg_.ping_giveup_ms) {
      ping_imbalance_since_ = -1;
      log(1, "Giving up resources: " + cfg_.peer + " reaches " + std::to_string(peer_ping_) +
                 " ping nodes, this node " + std::to_string(local_ping_) + ".",
          out);
      std::string why;
      if (!request_standby(Hold::all, now_ms, out, why, false)) log(2, "ping giveup postponed: " + why, out);
    }
  } else {
    ping_imbalance_since_ = -1;
  }
}

}  // namespace halb::heartbeat
