// cluster/ndbd/daemon/restart_choice.cc: see restart_choice.h.
#include "cluster/ndbd/daemon/restart_choice.h"

#include <algorithm>

namespace halb::cluster::ndbd {

namespace {

std::string join(const std::set<uint32_t>& ids) {
  std::string s;
  for (uint32_t id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s.empty() ? "none" : s;
}

const NodeGroup* group_of(const std::vector<NodeGroup>& groups, uint32_t node) {
  for (auto& g : groups)
    if (std::count(g.members.begin(), g.members.end(), node)) return &g;
  return nullptr;
}

}  // namespace

std::optional<uint32_t> uncovered_group(const std::vector<NodeGroup>& groups, const std::set<uint32_t>& nodes) {
  for (auto& g : groups) {
    bool covered = false;
    for (uint32_t n : g.members) covered = covered || nodes.count(n);
    if (!covered) return g.id;
  }
  return std::nullopt;
}

RestartChoice choose_restart(const std::map<uint32_t, RestartFiles>& here, const std::vector<uint32_t>& data_nodes,
                             const std::vector<NodeGroup>& groups) {
  RestartChoice c;
  std::set<uint32_t> with_files;
  for (auto& [id, f] : here)
    if (f.has_files) with_files.insert(id);
  if (with_files.empty()) return c;  // kInitial
  if ((c.group = uncovered_group(groups, with_files))) {
    c.kind = RestartChoice::Kind::kNoGroupFiles;
    return c;
  }
  auto restorable = [&](uint32_t n) { return here.at(n).restorable_gci; };
  // What the files say of every node: the last GCI it took part in.
  std::map<uint32_t, uint64_t> known;
  for (uint32_t n : with_files)
    for (auto& [id, g] : here.at(n).node_gcis) known[id] = std::max(known[id], g);

  // The newest GCI that the nodes whose files reach it restore for every group.
  std::set<uint64_t> candidates;
  for (uint32_t n : with_files) candidates.insert(restorable(n));
  for (auto it = candidates.rbegin(); it != candidates.rend() && c.sources.empty(); ++it) {
    std::set<uint32_t> reach;
    for (uint32_t n : with_files)
      if (restorable(n) >= *it) reach.insert(n);
    if (!uncovered_group(groups, reach)) {
      c.gci = *it;
      c.sources = std::move(reach);
    }
  }
  for (uint32_t n : with_files)
    if (!c.sources.count(n)) c.followers.insert(n);

  // A node not here that took part in a later GCI may hold commits the
  // nodes here lack -- unless a node of its group here took part as long
  // (it then failed to save the last of those GCIs, which never completed).
  auto went_on_longer = [&](uint32_t id) {
    if (const NodeGroup* g = group_of(groups, id))
      for (uint32_t n : g->members)
        if (here.count(n) && known.count(n) && known[n] >= known[id]) return false;
    return true;
  };
  std::set<uint32_t> present;
  for (auto& [id, f] : here) present.insert(id);
  for (uint32_t id : data_nodes)
    if (!here.count(id) && known.count(id) && known[id] > c.gci && went_on_longer(id)) {
      c.wait_for.insert(id);
      c.why += (c.why.empty() ? "" : "; ") + std::string("node ") + std::to_string(id) + " took part in GCI " +
               std::to_string(known[id]) + ", past GCI " + std::to_string(c.gci) + ", the newest nodes " +
               join(present) + " can restore";
    }
  if (!c.wait_for.empty()) {
    c.kind = RestartChoice::Kind::kWait;
    return c;
  }

  c.kind = RestartChoice::Kind::kSystemRestart;
  for (uint32_t n : c.followers) {
    const uint64_t last = known.count(n) ? std::min(known[n], restorable(n)) : restorable(n);
    c.reason += (c.reason.empty() ? "" : "; ") + std::string("node ") + std::to_string(n) + " was not alive after GCI " +
                std::to_string(last) + ": it catches up from node" + (c.sources.size() > 1 ? "s " : " ") +
                join(c.sources);
  }
  for (uint32_t id : data_nodes)
    if (!here.count(id))
      c.reason += (c.reason.empty() ? "" : "; ") + std::string("node ") + std::to_string(id) + " is not here" +
                  (known.count(id) ? " (its last GCI by the files here: " + std::to_string(known[id]) + ")" : "");
  if (c.reason.empty()) c.reason = "the newest GCI every node's files reach";
  c.node_gcis = std::move(known);
  for (uint32_t n : c.sources) c.node_gcis[n] = c.gci;
  return c;
}

}  // namespace halb::cluster::ndbd
