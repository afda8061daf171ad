// cluster/ndbd/engine/node.h: the engine of one data node -- dictionary,
// distribution, memory pools, participant (Lqh) and coordinator (Tc) --
// behind one message entry point. halb-ndbd hosts one of these: it feeds
// receive() with decoded messages, calls tick() from a timer (every 10 ms or
// so: lock wait timeouts), node_failed() when membership declares a node
// dead, and set_gci() as global checkpoints advance.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cluster/config/model.h"
#include "cluster/ndbd/engine/dictionary.h"
#include "cluster/ndbd/engine/distribution.h"
#include "cluster/ndbd/engine/lqh.h"
#include "cluster/ndbd/engine/tc.h"
#include "cluster/ndbd/engine/wait_graph.h"

namespace halb::cluster::engine {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t now_ms() const = 0;
};

struct EngineConfig {
  uint32_t node_id = 0;
  uint64_t data_memory = 80ull << 20;
  uint64_t index_memory = 18ull << 20;
  uint64_t deadlock_timeout_ms = 1200;  // TransactionDeadlockDetectionTimeout
  uint32_t max_tables = 128;
  uint32_t max_local_operations = 36044;  // MaxNoOfLocalOperations (1.1 x 32768)
  TcLimits tc;
};
// The engine's settings from a data node's [NDBD] section.
EngineConfig engine_config(const DataNode& node);

class DataNodeEngine {
 public:
  DataNodeEngine(EngineConfig cfg, std::vector<NodeGroup> groups, Peers& peers, const Clock& clock);

  uint32_t node_id() const { return cfg_.node_id; }

  // Creates a table here (and the fragments this node holds). Every data
  // node must create the same definition: create on one, ship
  // encode_table(*result.table) and install_table() it on the others.
  DictResult create_table(Table t);
  DictResult install_table(const std::string& encoded);
  DictResult drop_table(const std::string& name);

  void receive(uint32_t from, Message m);
  void tick();
  void node_failed(uint32_t node);
  // An API node disconnected: its transactions abort, its scans end.
  void api_failed(uint32_t api_node);
  // A restarted node is back; `starting` while its fragments are refilled.
  void node_state(uint32_t node, NodeState s);
  void set_gci(uint64_t gci) { tc_.set_gci(gci); }
  // Global checkpoint prepare/commit (Tc::hold_commits); releasing starts
  // the held commits at once.
  void hold_commits(bool hold) {
    tc_.hold_commits(hold);
    run_loopback();
  }
  // The change stream (change_sink.h): every committed row change on this
  // node's replicas, with its GCI. Null: nobody listens. The sink must
  // outlive the engine or be reset first.
  void set_change_sink(ChangeSink* sink) { lqh_.set_change_sink(sink); }

  // Node restart, on the starting node:
  //  1. begin_restart(): empty this node's fragment replicas and make them
  //     accept forwarded writes for rows they do not have yet;
  //  2. every node marks this one kStarting (node_state), so new write
  //     chains end with it, and each coordinator passes its barrier
  //     (Tc::mark, then wait for Tc::finished_up_to) so no older chain is
  //     still open;
  //  3. start_copy(): pull every fragment from its live primary, batch by
  //     batch, while the writes keep arriving;
  //  4. when copy_complete() (and copy_error() is 0), every node marks this
  //     one kAlive.
  // since_gci > 0: this node's replicas were restored from its own files to
  // that GCI; the copy then only brings rows stamped later (and checks the
  // rest by key and stamp, falling back to a full copy of a fragment whose
  // rows do not match).
  void begin_restart(uint64_t since_gci = 0);
  void start_copy(uint32_t batch_rows = 64);
  struct CopyStats {
    uint64_t full_rows = 0;       // rows shipped whole
    uint64_t unchanged_rows = 0;  // rows checked by key and stamp only
    uint64_t removed_rows = 0;    // own rows the source no longer had
    uint32_t fallbacks = 0;       // fragments copied in full after a mismatch
  };
  const CopyStats& copy_stats() const { return copy_stats_; }
  bool copy_complete() const { return copying_.empty(); }
  uint32_t copy_error() const { return copy_error_; }

  Dictionary& dictionary() { return dict_; }
  Distribution& distribution() { return dist_; }
  Lqh& lqh() { return lqh_; }
  Tc& tc() { return tc_; }
  const PagePool& data_memory() const { return data_; }
  const PagePool& index_memory() const { return index_; }

 private:
  // Messages to this node itself are handled after the current one, in order.
  class Loopback : public Peers {
   public:
    Loopback(uint32_t self, Peers& out) : self_(self), out_(out) {}
    void send(uint32_t to, Message m) override {
      if (to == self_) queue_.push_back(std::move(m));
      else out_.send(to, std::move(m));
    }
    std::deque<Message> queue_;

   private:
    uint32_t self_;
    Peers& out_;
  };

  void dispatch(uint32_t from, Message& m);
  // wait_graph.h, once per interval from the tick: shares this node's
  // lasting lock waits and fails the waits of the cycles' victims.
  void detect_deadlocks();
  void run_loopback();
  void add_fragments(const std::shared_ptr<const Table>& t);
  void request_copy(std::pair<uint32_t, uint32_t> frag);
  void on_copy(uint32_t from, const CopyFragConf& m);

  EngineConfig cfg_;
  const Clock& clock_;
  Loopback peers_;
  Dictionary dict_;
  Distribution dist_;
  PagePool data_;
  PagePool index_;
  Lqh lqh_;
  Tc tc_;
  DeadlockDetector deadlocks_;
  struct Copying {
    std::string cursor;
    uint32_t source = 0;
    uint64_t since = 0;
  };
  std::map<std::pair<uint32_t, uint32_t>, Copying> copying_;  // (table, fragment) still being filled
  uint32_t copy_batch_ = 64;
  uint32_t copy_error_ = 0;
  uint64_t copy_since_ = 0;
  CopyStats copy_stats_;
};

}  // namespace halb::cluster::engine
