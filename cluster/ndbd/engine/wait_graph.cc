// cluster/ndbd/engine/wait_graph.cc: cycles in the wait-for graph (see wait_graph.h).
#include "cluster/ndbd/engine/wait_graph.h"

#include <algorithm>
#include <set>

namespace halb::cluster::engine {

bool younger(TransId a, TransId b) {
  constexpr TransId kSeq = (TransId(1) << 48) - 1;
  if ((a & kSeq) != (b & kSeq)) return (a & kSeq) > (b & kSeq);
  return a > b;
}

std::vector<TransId> deadlock_victims(const std::vector<WaitEdge>& local, const std::vector<WaitEdge>& remote) {
  std::map<TransId, std::vector<TransId>> next;
  std::set<TransId> waits_here;
  for (const auto* edges : {&local, &remote})
    for (const WaitEdge& e : *edges)
      if (e.waiter != e.holder) next[e.waiter].push_back(e.holder);
  for (const WaitEdge& e : local) waits_here.insert(e.waiter);

  // Tarjan's strongly connected components, iteratively: a queue of a
  // thousand waiters on one hot row is a chain a thousand deep.
  std::map<TransId, uint32_t> index, low;
  std::set<TransId> on_stack;
  std::vector<TransId> stack;
  uint32_t counter = 0;
  std::vector<TransId> victims;
  static const std::vector<TransId> kNone;
  auto successors = [&](TransId v) -> const std::vector<TransId>& {
    auto it = next.find(v);
    return it == next.end() ? kNone : it->second;
  };
  struct Frame {
    TransId v;
    size_t edge;
  };
  for (const auto& [root, out] : next) {
    if (index.count(root)) continue;
    std::vector<Frame> calls{{root, 0}};
    index[root] = low[root] = counter++;
    stack.push_back(root);
    on_stack.insert(root);
    while (!calls.empty()) {
      Frame& f = calls.back();
      const auto& succ = successors(f.v);
      if (f.edge < succ.size()) {
        TransId w = succ[f.edge++];
        if (!index.count(w)) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack.insert(w);
          calls.push_back({w, 0});
        } else if (on_stack.count(w)) {
          low[f.v] = std::min(low[f.v], index[w]);
        }
        continue;
      }
      const TransId v = f.v;
      calls.pop_back();
      if (!calls.empty()) low[calls.back().v] = std::min(low[calls.back().v], low[v]);
      if (low[v] != index[v]) continue;
      std::vector<TransId> component;
      for (;;) {
        TransId w = stack.back();
        stack.pop_back();
        on_stack.erase(w);
        component.push_back(w);
        if (w == v) break;
      }
      if (component.size() < 2) continue;
      TransId victim = component.front();
      for (TransId t : component)
        if (younger(t, victim)) victim = t;
      if (waits_here.count(victim)) victims.push_back(victim);
    }
  }
  return victims;
}

bool DeadlockDetector::report(const std::vector<WaitEdge>& local, uint64_t now_ms) {
  next_ms_ = now_ms + kIntervalMs;
  const bool send = !local.empty() || reported_edges_;
  reported_edges_ = !local.empty();
  return send;
}

void DeadlockDetector::peer_report(uint32_t node, std::vector<WaitEdge> edges, uint64_t now_ms) {
  if (edges.size() > kMaxEdges) edges.resize(kMaxEdges);  // fewer edges: cycles missed, never invented
  if (edges.empty()) {
    peers_.erase(node);
    return;
  }
  peers_[node] = Report{now_ms, std::move(edges)};
}

std::vector<TransId> DeadlockDetector::victims(const std::vector<WaitEdge>& local, uint64_t now_ms) const {
  if (local.empty()) return {};
  std::vector<WaitEdge> remote;
  for (const auto& [node, r] : peers_)
    if (now_ms - r.at_ms <= kStaleMs) remote.insert(remote.end(), r.edges.begin(), r.edges.end());
  return deadlock_victims(local, remote);
}

}  // namespace halb::cluster::engine
