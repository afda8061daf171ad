// cluster/ndbd/engine/lqh.h: the participant side on one data node -- the
// fragment replicas it holds and its record of every transaction that has
// prepared something here (NDB's LQH). It runs key operations and passes
// writes down the replica chain, commits and aborts on the coordinator's
// word, serves scan batches, and reports its transactions to a new
// coordinator after the old one died.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "cluster/ndbd/engine/fragment.h"
#include "cluster/ndbd/engine/messages.h"

namespace halb::cluster::engine {

class Lqh {
 public:
  // max_operations: MaxNoOfLocalOperations, the operation records for
  // prepared and queued operations on this node (1217 when out).
  Lqh(uint32_t self, PagePool& data, PagePool& index, Peers& peers, uint64_t deadlock_timeout_ms,
      uint32_t max_operations = 36044)
      : self_(self),
        data_(data),
        index_(index),
        peers_(peers),
        deadlock_timeout_ms_(deadlock_timeout_ms),
        max_operations_(max_operations) {}

  Fragment& add_fragment(std::shared_ptr<const Table> table, uint32_t fragment);
  void drop_table(uint32_t table_id);
  Fragment* fragment(uint32_t table_id, uint32_t fragment);
  // The replicas held here, by (table, fragment).
  const std::map<std::pair<uint32_t, uint32_t>, std::unique_ptr<Fragment>>& fragments() const { return fragments_; }
  // Given to every fragment replica held now and added later.
  void set_change_sink(ChangeSink* sink);

  void on(uint32_t from, const LqhKeyReq& m, uint64_t now_ms);
  void on(uint32_t from, const CommitReq& m);
  void on(uint32_t from, const CommitFragReq& m);
  void on(uint32_t from, const CompleteReq& m);
  void on(uint32_t from, const AbortReq& m);
  void on(uint32_t from, const ScanFragReq& m);
  void on(uint32_t from, const TakeoverReq& m);
  void on(uint32_t from, const CopyFragReq& m);
  // Lock wait timeouts and operations whose locks were granted meanwhile.
  void tick(uint64_t now_ms);
  // Fragment::wait_edges of every replica held here.
  std::vector<WaitEdge> wait_edges(uint64_t now_ms, uint64_t min_wait_ms) const;
  // A deadlock victim: its waiting operations fail with 298 (its
  // coordinator then aborts it).
  void fail_waits_of(TransId t);
  // Requests of a dead coordinator's transactions (prepare, commit, abort,
  // complete) are dropped from now on: its successor decides their fate
  // from what the nodes report. A TakeoverReq for it does the same, since
  // it can arrive before this node has noticed the death itself.
  void node_failed(uint32_t node) { failed_.insert(node); }
  void node_restarted(uint32_t node) { failed_.erase(node); }
  // Non-zero: every new write is refused with this error (410 while the
  // redo log is nearly full); commits of what is prepared still go on.
  void refuse_writes(uint32_t error) { refuse_writes_ = error; }

  size_t transactions() const { return trans_.size(); }
  size_t operations() const { return operations_; }
  // The transactions holding records here, and whether each committed.
  std::vector<std::pair<TransId, bool>> transaction_states() const {
    std::vector<std::pair<TransId, bool>> out;
    for (const auto& [id, rec] : trans_) out.emplace_back(id, rec.committed);
    return out;
  }

 private:
  struct TransRecord {
    std::set<std::pair<uint32_t, uint32_t>> fragments;  // (table, fragment)
    bool committed = false;
    uint64_t gci = 0;  // the commit's GCI, once committed (a takeover keeps it)
    size_t operations = 0;  // operation records held
  };
  void finish(const LqhKeyReq& req, const OpResult& r);
  void release(TransRecord& rec);
  void drain();

  uint32_t self_;
  PagePool& data_;
  PagePool& index_;
  Peers& peers_;
  uint64_t deadlock_timeout_ms_;
  uint32_t max_operations_;
  size_t operations_ = 0;
  std::map<std::pair<uint32_t, uint32_t>, std::unique_ptr<Fragment>> fragments_;
  std::map<TransId, TransRecord> trans_;
  std::map<std::pair<TransId, uint32_t>, LqhKeyReq> queued_;  // (trans, op) waiting for a lock
  std::set<uint32_t> failed_;
  ChangeSink* sink_ = nullptr;
  uint32_t refuse_writes_ = 0;
};

}  // namespace halb::cluster::engine
