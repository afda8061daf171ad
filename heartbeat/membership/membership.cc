// heartbeat/membership/membership.cc: see membership.h.
#include "heartbeat/membership/membership.h"

#include <algorithm>

namespace halb::heartbeat {

const char* status_word(NodeStatus s) {
  switch (s) {
    case NodeStatus::init: return "init";
    case NodeStatus::up: return "up";
    case NodeStatus::active: return "active";
    case NodeStatus::dead: return "dead";
  }
  return "init";
}

Membership::Membership(std::string local, std::vector<std::string> nodes, std::vector<std::string> links,
                       Timing timing)
    : local_(std::move(local)), links_(std::move(links)), timing_(timing) {
  for (auto& n : nodes) nodes_[n];
  nodes_[local_].status = NodeStatus::up;
  nodes_[local_].ever_heard = true;
}

void Membership::start(long long now_ms) { start_ms_ = now_ms; }

std::vector<std::string> Membership::nodes() const {
  std::vector<std::string> out;
  for (auto& [name, _] : nodes_) out.push_back(name);
  return out;
}

std::vector<std::string> Membership::peers() const {
  std::vector<std::string> out;
  for (auto& [name, _] : nodes_)
    if (name != local_) out.push_back(name);
  return out;
}

NodeStatus Membership::status(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? NodeStatus::dead : it->second.status;
}

bool Membership::link_up(const std::string& node, const std::string& link) const {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return false;
  auto l = it->second.links.find(link);
  return l != it->second.links.end() && l->second.up;
}

uint64_t Membership::generation(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? 0 : it->second.generation;
}

void Membership::set_status(const std::string& name, NodeState& n, NodeStatus s,
                            std::vector<MembershipEvent>& events) {
  if (n.status == s) return;
  n.status = s;
  events.push_back({MembershipEvent::node_status, name, "", s, 0});
}

Verdict Membership::on_message(const Heard& h, long long now_ms, std::vector<MembershipEvent>& events) {
  auto it = nodes_.find(h.node);
  if (it == nodes_.end()) return Verdict::unknown_node;
  NodeState& n = it->second;

  auto refresh_link = [&] {
    LinkState& l = n.links[h.link];
    l.last_ms = now_ms;
    if (!l.up) {
      l.up = true;
      events.push_back({MembershipEvent::link_up, h.node, h.link, n.status, 0});
    }
  };

  if (h.node == local_) {
    // Our own packets, looped back by broadcast or a ucast line naming us.
    refresh_link();
    return Verdict::duplicate;
  }

  // A lower generation than we know can only be an old packet played back.
  if (n.ever_heard && h.generation < n.generation) {
    ++replays_;
    return Verdict::replay;
  }
  bool restarted = n.ever_heard && h.generation > n.generation;
  if (restarted) {
    n.max_seq = 0;
    n.recent.clear();
    n.departed = false;
    events.push_back({MembershipEvent::restarted, h.node, h.link, n.status, 0});
  }
  n.generation = h.generation;

  if (h.seq > 0) {
    if (n.max_seq > kSeqWindow && h.seq <= n.max_seq - kSeqWindow) {
      ++replays_;
      return Verdict::replay;
    }
    if (n.recent.count(h.seq)) {
      refresh_link();  // the same message on another medium still proves that medium
      return Verdict::duplicate;
    }
    n.recent.insert(h.seq);
    n.max_seq = std::max(n.max_seq, h.seq);
    if (n.max_seq > kSeqWindow) n.recent.erase(n.recent.begin(), n.recent.lower_bound(n.max_seq - kSeqWindow + 1));
  }

  refresh_link();
  bool first = !n.ever_heard;
  n.ever_heard = true;
  n.last_ms = now_ms;
  if (h.advertised_deadtime_ms > 0) n.advertised_dt_ms = h.advertised_deadtime_ms;

  if (h.status) {
    if (n.last_status_ms >= 0 && !first && n.status != NodeStatus::dead) {
      long long gap = now_ms - n.last_status_ms;
      if (gap > timing_.warntime_ms) events.push_back({MembershipEvent::late_heartbeat, h.node, h.link, n.status, gap});
    }
    n.last_status_ms = now_ms;
  }

  if (n.status == NodeStatus::dead && !restarted && !n.departed && !first)
    events.push_back({MembershipEvent::returned_after_partition, h.node, h.link, n.status, 0});
  if (h.shutdown_done) {
    n.departed = true;
    set_status(h.node, n, NodeStatus::dead, events);
  } else if (h.status == "active") {
    n.departed = false;
    set_status(h.node, n, NodeStatus::active, events);
  } else if (h.status == "dead") {
    set_status(h.node, n, NodeStatus::dead, events);
  } else if (h.status || n.status == NodeStatus::init || n.status == NodeStatus::dead) {
    n.departed = false;
    set_status(h.node, n, NodeStatus::up, events);
  }
  check_comm_up(events);
  return Verdict::fresh;
}

void Membership::mark_departed(const std::string& node, std::vector<MembershipEvent>& events) {
  auto it = nodes_.find(node);
  if (it == nodes_.end() || node == local_) return;
  it->second.departed = true;
  set_status(node, it->second, NodeStatus::dead, events);
}

long long Membership::deadline_ms(const NodeState& n) const {
  if (!n.ever_heard) return start_ms_ + timing_.initdead_ms;
  long long dt = n.advertised_dt_ms > 0 ? n.advertised_dt_ms : timing_.deadtime_ms;
  return n.last_ms + dt;
}

void Membership::tick(long long now_ms, std::vector<MembershipEvent>& events) {
  for (auto& [name, n] : nodes_) {
    if (name == local_) continue;
    for (auto& [link, l] : n.links) {
      if (l.up && now_ms - l.last_ms > timing_.deadtime_ms) {
        l.up = false;
        events.push_back({MembershipEvent::link_dead, name, link, n.status, 0});
      }
    }
    if (n.status != NodeStatus::dead && now_ms > deadline_ms(n)) {
      events.push_back({MembershipEvent::node_dead, name, "", NodeStatus::dead, 0});
      set_status(name, n, NodeStatus::dead, events);
    }
  }
  check_comm_up(events);
}

void Membership::check_comm_up(std::vector<MembershipEvent>& events) {
  if (comm_up_) return;
  for (auto& [name, n] : nodes_)
    if (name != local_ && n.status == NodeStatus::init) return;
  comm_up_ = true;
  events.push_back({MembershipEvent::comm_up, local_, "", NodeStatus::active, 0});
}

}  // namespace halb::heartbeat
