// cluster/ndbd/engine/tc.h: the transaction coordinator on one data node, a
// pure state machine over messages (NDB's TC).
//
// An API batch is split into key operations, each routed by its key's hash
// to its fragment: locking reads to the primary replica, committed reads
// (and scans) to this node's own replica when it holds one, else the
// primary, writes down the live replica chain (primary first; the last
// replica answers). A commit request
// waits for every operation, then commits each touched fragment back along
// its chain (last replica first, primary last) and answers the API only when
// every fragment's primary has confirmed; CompleteReq then lets the
// participants forget the transaction. Any error aborts the whole transaction
// (after every operation still in flight has answered, so nothing prepares
// behind the abort). A participant dying fails its unanswered operations
// with 286; a committing transaction simply stops waiting for it.
//
// TC takeover: when a coordinator dies, the lowest live node asks every live
// node for the dead coordinator's transactions and commits those that any
// node already committed, aborting the rest, so no transaction is ever left
// half committed.
//
// Unique hash indexes are hidden tables the TC keeps in step inside the same
// transaction: an insert also inserts (index key -> primary key) there, an
// update or delete first reads the row exclusively to learn the old index
// values, then deletes the old entry and inserts the new one. A clash is 893.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <vector>

#include "cluster/ndbd/engine/dictionary.h"
#include "cluster/ndbd/engine/distribution.h"
#include "cluster/ndbd/engine/messages.h"

namespace halb::cluster::engine {

struct TcLimits {
  uint32_t max_operations = 32768;   // MaxNoOfConcurrentOperations
  uint32_t max_transactions = 4096;  // MaxNoOfConcurrentTransactions
};

class Tc {
 public:
  Tc(uint32_t self, const Dictionary& dict, const Distribution& dist, Peers& peers, TcLimits limits)
      : self_(self), dict_(dict), dist_(dist), peers_(peers), limits_(limits) {}

  // Stamp given to rows committed from now on (the current global checkpoint).
  void set_gci(uint64_t gci) { gci_ = gci; }
  uint64_t gci() const { return gci_; }
  // Global checkpoint prepare: while held, transactions ready to commit
  // wait (they would otherwise take a GCI other nodes already left behind);
  // releasing starts them with the GCI set meanwhile.
  void hold_commits(bool hold);
  // Whether a transaction that took a GCI <= `gci` is still committing
  // (some participant has not yet installed its changes).
  bool committing_at_or_below(uint64_t gci) const;

  void on(uint32_t from, const ApiExecuteReq& m);
  void on(uint32_t from, const ApiScanReq& m);
  void on(uint32_t from, const ApiScanNextReq& m);
  void on(uint32_t from, const LqhKeyConf& m);
  void on(uint32_t from, const LqhKeyRef& m);
  void on(uint32_t from, const CommitConf& m);
  void on(uint32_t from, const CommitFragConf& m);
  void on(uint32_t from, const AbortConf& m);
  void on(uint32_t from, ScanFragConf& m);  // takes the batch's rows
  void on(uint32_t from, const TakeoverConf& m);
  // After the distribution marked `node` dead: fail what waited on it,
  // resume scans elsewhere, and take over its transactions when this node
  // is the lowest live one.
  void node_failed(uint32_t node);
  void take_over(uint32_t failed_tc);
  // An API node disconnected: its open transactions abort, its scans end.
  void api_failed(uint32_t api_node);

  size_t transactions() const { return trans_.size(); }

  // Transaction ids and hidden keys must not repeat after a restart: the
  // host seeds the sequences with something that grows across restarts
  // (e.g. the node's start count << 32).
  void set_sequence_base(uint64_t base) {
    trans_seq_ = std::max(trans_seq_, base);
    hidden_key_seq_ = std::max(hidden_key_seq_, base);
  }
  // Node restart barrier: a mark now, and whether every transaction this
  // coordinator started up to the mark has finished (so every later write
  // chain includes a node marked starting before the mark was taken).
  uint64_t mark() const { return trans_seq_; }
  bool finished_up_to(uint64_t mark) const;
  size_t scans() const { return scans_.size(); }

 private:
  enum class Phase { kOpen, kExecuting, kCommitting, kAborting };
  // What an operation the TC sent is for: the API's own operation, the
  // exclusive read that precedes changing a row with unique indexes, a
  // change to a unique index's hidden table, or the index lookup of a read
  // through a unique index.
  enum class Role : uint8_t { kUser, kPreRead, kIndex, kIndexLookup };
  struct PendingOp {
    uint32_t index = 0;  // position in the API batch
    std::vector<uint32_t> chain;
    bool answered = false;
    Role role = Role::kUser;
    ApiOp deferred;  // kPreRead, kIndexLookup: the API operation to run next
  };
  struct Trans {
    TransId id = 0;
    uint32_t api_node = 0;  // 0: taken over, nobody to answer
    uint32_t request = 0;
    Phase phase = Phase::kOpen;
    ExecType exec = ExecType::kNoCommit;
    uint32_t error = 0;
    std::map<uint32_t, PendingOp> ops;
    size_t outstanding = 0;
    size_t op_count = 0;  // operations charged against max_operations
    std::vector<OpResult> results;
    std::set<uint32_t> participants;
    // Replica chain of each fragment holding changes or locks, primary
    // first; empty for a taken-over transaction (commit goes per node).
    std::map<std::pair<uint32_t, uint32_t>, std::vector<uint32_t>> chains;
    std::set<std::pair<uint32_t, uint32_t>> awaiting_fragments;
    uint64_t gci = 0;
    // Taken over after some replica committed it: the GCI the failed
    // coordinator gave it, kept so a transaction never spans two GCIs.
    uint64_t takeover_gci = 0;
    std::set<uint32_t> awaiting;
    bool abort_sent = false;
    bool abort_everywhere = false;  // a late answer showed replicas outside `participants` may hold it
  };
  // One fragment of a scan: every fragment is read at once, each with at
  // most one batch in flight and one waiting here.
  struct ScanFragment {
    uint32_t node = 0;      // replica asked for the current batch
    std::string cursor;
    bool fetching = false;  // a ScanFragReq is outstanding
    bool done = false;      // every row of the fragment read
    std::deque<std::vector<Row>> ready;  // batches for the API (not merge)
  };
  struct Scan {
    uint32_t api_node = 0;
    uint32_t scan = 0;
    uint32_t table_id = 0;
    ScanSpec spec;
    std::vector<ScanFragment> fragments;
    // Batches reach the API in fragment order: the first fragment some of
    // whose rows the API has not had yet.
    uint32_t next = 0;
    bool api_holds = false; // a batch is at the API, not yet asked past
    bool merge = false;     // ordered index scan: rows sorted across fragments
    bool sorted = false;    // merge: every fragment read, `ready` holds all
    std::vector<Row> buffer;
    std::deque<std::vector<Row>> ready;  // merge: sorted batches for the API
  };
  struct Takeover {
    std::set<uint32_t> awaiting;
    struct Report {
      std::set<uint32_t> nodes;  // replicas holding the transaction
      bool committed = false;    // some replica committed it
      uint64_t gci = 0;          // the GCI that replica committed it with
    };
    std::map<TransId, Report> reports;
  };

  void route(Trans& t, const ApiOp& op, uint32_t index);
  bool send_key_op(Trans& t, const Table& table, OpType type, LockMode lock, const std::vector<Value>& key,
                   const ColumnValues& set, uint32_t index, Role role, ApiOp deferred);
  void send_index_changes(Trans& t, const Table& table, const std::optional<Row>& old_row,
                          const std::optional<Row>& new_row, uint32_t index);
  void continue_after_pre_read(Trans& t, const PendingOp& p, const std::optional<Row>& old_row);
  void continue_after_lookup(Trans& t, const PendingOp& p, const std::optional<Row>& index_row);
  void progress(TransId id);
  void start_commit(Trans& t);
  void send_commit_chain(Trans& t, std::pair<uint32_t, uint32_t> fragment);
  void send_abort(Trans& t);
  void finish(TransId id, TransState state);
  // False when the scan ended (no replica left for the fragment).
  bool request_fragment(uint64_t ref, uint32_t fragment);
  void scan_done(uint64_t ref, uint32_t error);
  void pump(uint64_t ref);
  // Non-merge scans hand the API batches gathered over fragments in order:
  // whether to hand one on now, the batch, and whether every row went.
  bool worth_handing_on(Scan& s);
  std::vector<Row> gather_batch(Scan& s);
  bool all_handed_on(Scan& s);
  uint64_t find_scan(uint32_t api_node, uint32_t scan) const;
  void decide_takeover(uint32_t failed_tc);
  void reply(const Trans& t, TransState state);
  void remember_failed(TransId id, uint32_t error);
  // An operation answered after its transaction ended, or after a node
  // failure already failed it (part of its chain was alive and went on):
  // the replicas it reached prepared it behind the abort. Abort it again
  // everywhere, so no prepared operation and no lock stay behind.
  void abort_late(TransId id);

  uint32_t self_;
  const Dictionary& dict_;
  const Distribution& dist_;
  Peers& peers_;
  TcLimits limits_;
  uint64_t gci_ = 1;
  bool hold_commits_ = false;
  std::vector<TransId> held_;  // ready to commit while commits were held
  uint64_t trans_seq_ = 0;
  uint32_t op_seq_ = 0;
  uint64_t hidden_key_seq_ = 0;
  uint64_t scan_seq_ = 0;
  size_t operations_ = 0;
  std::map<TransId, Trans> trans_;
  std::map<uint64_t, Scan> scans_;
  std::map<uint32_t, Takeover> takeovers_;
  // Open transactions a node failure aborted, so the API's next request on
  // them hears 286 rather than "unknown transaction"; bounded.
  static constexpr size_t kRememberedFailures = 1024;
  std::map<TransId, uint32_t> failed_;
  std::deque<TransId> failed_order_;
};

}  // namespace halb::cluster::engine
