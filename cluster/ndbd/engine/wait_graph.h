// cluster/ndbd/engine/wait_graph.h: deadlock detection across data nodes.
//
// NDB finds deadlocks only by timeout: a lock wait longer than
// TransactionDeadlockDetectionTimeout (1200 ms) fails with 266. Two
// transactions that lock each other's rows therefore stall for that long,
// and every transaction queued behind their locks with them (sysbench
// oltp_read_write at 16 threads spent whole seconds with the machine idle).
// Here each node looks at its lock waits that have lasted kMinWaitMs, sends
// them to the other data nodes every kIntervalMs (WaitGraphReport), and
// looks for cycles in its own waits plus the latest report of each peer. In
// a cycle the youngest transaction is the victim; the node where it waits
// fails that wait as the timeout would have, only sooner, and with 298
// instead of 266 (the SQL node answers 1213, "Deadlock found"), and its
// coordinator aborts it. Every node picks the same victim of a
// cycle, so one transaction dies, not all of them. The timeout stays as the
// backstop for waits this graph cannot see.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "cluster/ndbd/engine/operation.h"

namespace halb::cluster::engine {

// The transactions of `local` (this node's waits) to fail so that no cycle
// of `local` + `remote` edges remains: per strongly connected component of
// two or more transactions, its youngest member, when it waits here.
std::vector<TransId> deadlock_victims(const std::vector<WaitEdge>& local, const std::vector<WaitEdge>& remote);

// The younger of two transactions (the victim of a cycle): the higher
// sequence number, then the higher coordinator id.
bool younger(TransId a, TransId b);

class DeadlockDetector {
 public:
  // One data-node tick each. sysbench oltp_read_write, 4 threads: 775-800
  // tps at 20/20 ms, 872-893 at 10/10, 812-827 reporting every wait at once
  // (more reports and more victims of waits that would have ended anyway).
  static constexpr uint64_t kIntervalMs = 10;
  static constexpr uint64_t kMinWaitMs = 10;
  // A peer's report older than this is not trusted any more (the peer
  // reports every interval while it has waits).
  static constexpr uint64_t kStaleMs = 3 * kIntervalMs;
  // At most this many edges per node are shared and looked at (a report
  // stays well within one frame); leaving edges out can only miss a cycle,
  // which the timeout then ends.
  static constexpr size_t kMaxEdges = 16384;

  // Time to gather this node's waits and report them?
  bool due(uint64_t now_ms) const { return now_ms >= next_ms_; }
  // Whether `local` is worth sending now: there are waits, or the last
  // report had some and must be withdrawn. Starts the next interval.
  bool report(const std::vector<WaitEdge>& local, uint64_t now_ms);
  void peer_report(uint32_t node, std::vector<WaitEdge> edges, uint64_t now_ms);
  void peer_gone(uint32_t node) { peers_.erase(node); }
  // deadlock_victims() of `local` and the peers' fresh reports.
  std::vector<TransId> victims(const std::vector<WaitEdge>& local, uint64_t now_ms) const;

 private:
  struct Report {
    uint64_t at_ms = 0;
    std::vector<WaitEdge> edges;
  };
  std::map<uint32_t, Report> peers_;
  uint64_t next_ms_ = 0;
  bool reported_edges_ = false;
};

}  // namespace halb::cluster::engine
