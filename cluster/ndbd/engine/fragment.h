// cluster/ndbd/engine/fragment.h: one fragment replica on one data node --
// rows of one table whose key hashes here, their primary hash index, ordered
// indexes, row locks, and the prepared-but-uncommitted changes of the
// transactions that hold those locks (NDB's LQH + ACC + TUP + TUX for one
// fragment, in one object).
//
// Locks: a committed read takes none; a shared read shares with other
// shared readers; every write, and an exclusive read, holds the row alone
// until its transaction commits or aborts. A request that cannot be granted
// waits in the row's FIFO queue; expire_waits() fails those older than the
// deadlock timeout (plus a per-wait spread, see lock_wait_limit_ms) with
// 266. A prepared change is visible only to its own transaction; commit
// installs it, abort drops it and leaves the row, the indexes and the
// memory exactly as before.
//
// Memory: an insert (or the new copy of a row an update makes) takes its
// fixed slot, var chunk and ordered index entries from DataMemory and its
// hash index entry from IndexMemory before anything changes, and gives all
// of them back if one does not fit, so 827/625 leave nothing behind.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cluster/ndbd/engine/change_sink.h"
#include "cluster/ndbd/engine/filter.h"
#include "cluster/ndbd/engine/memory.h"
#include "cluster/ndbd/engine/operation.h"
#include "cluster/ndbd/engine/row_format.h"
#include "cluster/ndbd/engine/table.h"

namespace halb::cluster::engine {

// Which part of a table a scan reads, in which order, which rows it keeps.
struct ScanSpec {
  std::optional<uint32_t> index_id;  // ordered index; none = every row in key order
  // Bounds on a prefix of the index columns; empty = unbounded.
  std::vector<Value> low, high;
  bool low_inclusive = true, high_inclusive = true;
  bool descending = false;
  Filter filter;            // kTrue = keep all
  uint32_t batch_rows = 64;  // rows per batch (>= 1); fewer when they add up to kBatchBytes
  // The columns the reader uses; empty = all. The others come back NULL
  // (neither decoded nor sent) unless the scan needs them itself: the
  // primary key, the scanned index's columns (the coordinator merges
  // fragments by them) and the filter's columns always come back.
  std::vector<uint32_t> columns;
};

// Which columns a scan decodes (see ScanSpec::columns): empty = all.
std::vector<bool> scan_columns(const Table& t, const ScanSpec& spec);

// "" when the spec fits the table: an ordered index that exists, bounds no
// longer than its columns and of their types, a valid filter.
std::string check_scan(const Table& t, const ScanSpec& spec);

struct ScanBatch {
  std::vector<Row> rows;
  std::string cursor;  // pass back to continue after the last row
  bool done = false;
  uint32_t error = 0;  // a spec check_scan refuses
};

struct CopiedRow {
  Row row;  // unchanged: the primary key values only
  uint64_t gci = 0;
  bool unchanged = false;  // stamped below the catch-up GCI: key, stamp and digest only
  // unchanged: a digest of the stored row, so a replica whose own row has
  // the same stamp but other contents is caught (a stamp alone does not
  // name one row version: a takeover or a restart can reuse a GCI).
  uint64_t digest = 0;
};

// The digest CopiedRow carries: 64-bit FNV-1a of the stored row bytes.
uint64_t row_digest(std::string_view stored_bytes);

// apply_copy() during a catch-up: this replica's row for an unchanged key is
// missing or has another stamp or digest, so its own state cannot be trusted.
inline constexpr uint32_t kCatchupMismatch = 1;

struct CopyBatch {
  std::vector<CopiedRow> rows;
  std::string cursor;
  bool done = false;
};

struct FragmentStats {
  size_t committed_rows = 0;
  uint32_t data_pages = 0;   // fixed + var pages this fragment holds
  uint32_t index_pages = 0;  // hash index pages
  size_t waiting_ops = 0;
  size_t transactions = 0;   // transactions holding locks or changes here
};

// How long one queued operation may wait: the deadlock timeout plus up to a
// quarter more, drawn from the operation's identity. Two transactions that
// wait for each other began waiting within a round trip of one another; with
// one limit for both they timed out in the same tick, both aborted, both
// retried in step and met again (5 sysbench-like clients: 304 timeouts for
// 60 transactions). Spread apart, one gives up first and the other goes on.
uint64_t lock_wait_limit_ms(TransId trans, uint32_t op_id, uint64_t timeout_ms);

class Fragment {
 public:
  Fragment(std::shared_ptr<const Table> table, uint32_t fragment_id, PagePool& data, PagePool& index);
  ~Fragment();
  Fragment(const Fragment&) = delete;
  Fragment& operator=(const Fragment&) = delete;

  const Table& table() const { return *table_; }
  uint32_t id() const { return id_; }

  // Runs the operation now and returns its result, or queues it behind a
  // lock and returns nullopt (the result comes from take_completions()).
  // Committed reads never wait.
  std::optional<OpResult> execute(const KeyOp& op, uint64_t now_ms);
  // Results of queued operations that ran (or failed) since the last call.
  std::vector<OpResult> take_completions();
  // Fails operations queued for longer than lock_wait_limit_ms() with 266.
  void expire_waits(uint64_t now_ms, uint64_t timeout_ms);
  // Adds to `out` who each operation queued for at least `min_wait_ms`
  // waits for: the holders it conflicts with and the conflicting requests
  // queued ahead of it (which are granted first).
  void wait_edges(uint64_t now_ms, uint64_t min_wait_ms, std::vector<WaitEdge>& out) const;
  // Fails the transaction's queued operations with `error` (a deadlock
  // victim); what they blocked may now run.
  void fail_waits_of(TransId t, uint32_t error);

  // Installs the transaction's changes with commit stamp `gci` and releases
  // its locks; queued operations that can now run do.
  void commit(TransId t, uint64_t gci);
  // Drops the transaction's changes and queued operations, releases its locks.
  void abort(TransId t);
  bool involves(TransId t) const { return trans_keys_.count(t) != 0; }

  // Committed state, lock-free.
  std::optional<Row> read_committed(const std::vector<Value>& key) const;
  ScanBatch scan(const ScanSpec& spec, const std::string& cursor) const;

  // Node restart copy. Source side: committed rows in key order with their
  // commit stamps. Target side: begin_copy() empties the replica and makes
  // forwarded writes tolerant (update of a missing row inserts it, delete of
  // a missing row still records the delete); apply_copy() installs a copied
  // row unless this replica already has a newer one or saw it deleted
  // during the copy; end_copy() returns to normal. Returns 0 or 827/625.
  CopyBatch copy_rows(const std::string& cursor, uint32_t max_rows, uint64_t since_gci = 0) const;
  // A batch of rows (scan or copy) travels in one transport frame of at
  // most 1 MB: a batch ends early once its rows hold this many bytes.
  static constexpr size_t kBatchBytes = 256 * 1024;
  void begin_copy();
  // Catch-up (node restart from own files restored to GCI `since`): keeps
  // the rows, takes forwarded writes as begin_copy does; apply_copy checks
  // unchanged keys (kCatchupMismatch when they do not match) and installs
  // changed rows; end_catchup() removes the rows the source no longer has.
  void begin_catchup(uint64_t since);
  // Returns how many rows it removed.
  size_t end_catchup();
  uint32_t apply_copy(const CopiedRow& r);
  void end_copy() {
    copying_ = false;
    tombstones_.clear();
  }
  bool copying() const { return copying_; }

  // Every committed change (and every copied row) is told to `sink`; null: nobody.
  // (The redo log leaves a node restart's copy out: see daemon/durability.h.)
  void set_change_sink(ChangeSink* sink) { sink_ = sink; }

  // Restart from local files (no sink, no locks; the fragment is idle):
  // put a row back with its stamp, whatever this replica holds for its key,
  // or take the row with these key bytes away. Returns 0 or 827/625/4275.
  uint32_t restore_row(const Row& row, uint64_t gci);
  void restore_delete(std::string_view key_bytes);

  FragmentStats stats() const;

 private:
  // A row's bytes and the DataMemory pieces charged for them. Kept small:
  // a fragment holds millions of these (see tests/unit/cluster/ndbd/row_memory_test.cc).
  struct Stored {
    std::string bytes;
    SlotPages::Ref slot;
    std::optional<uint32_t> var_page;
    // (page, bytes) of its entry in each ordered index, in ordered_ order;
    // null when the table has no ordered index.
    std::unique_ptr<std::pair<uint32_t, uint32_t>[]> ordered_chunks;
    uint64_t gci = 0;
  };
  enum class Pending : uint8_t { kNone, kImage, kDeleted };
  struct Waiter {
    KeyOp op;
    uint64_t since_ms = 0;
  };
  // Lock holders, queued requests and the prepared change of a row: only
  // rows some transaction touches have one (NDB keeps these in operation
  // records, not in the row), and it goes once the row is free again.
  struct Locks {
    TransId x_holder = 0;
    std::vector<TransId> s_holders;
    std::vector<Waiter> waiters;  // FIFO; short, so erasing the front is cheap
    Pending pending = Pending::kNone;
    std::optional<Stored> pending_image;
    bool idle() const { return x_holder == 0 && s_holders.empty() && waiters.empty() && pending == Pending::kNone; }
  };
  static constexpr uint32_t kNoPage = UINT32_MAX;
  // One per key this replica has a row, a lock or a prepared change for.
  // The key values are not kept: they decode from the row when needed.
  struct Entry {
    std::optional<Stored> committed;
    std::unique_ptr<Locks> locks;  // null: nobody holds, waits for or changes the row
    uint32_t index_page = kNoPage;  // hash index entry charged here
    uint32_t catchup_mark = 0;  // == catchup_epoch_: the source named this key in the running catch-up
  };

  bool can_grant(const Entry& e, TransId t, bool exclusive, bool queue_fair) const;
  void take_lock(Entry& e, TransId t, bool exclusive);
  bool holds_lock(const Entry& e, TransId t) const;
  OpResult run_locked(Entry& e, const KeyOp& op);
  uint32_t make_stored(const Row& row, bool charge_index, Entry& e, Stored& out);
  void free_stored(Stored& s);
  void release_lock(Entry& e, TransId t);
  // The primary key values of stored row bytes.
  std::vector<Value> key_of(const std::string& bytes) const;
  void grant_waiters(const std::string& key_bytes);
  // Fails every queued operation `fails` picks with `error`, then lets what
  // they blocked run (lock wait timeouts, deadlock victims).
  void fail_waiters(const std::function<bool(const Waiter&)>& fails, uint32_t error);
  void cleanup(const std::string& key_bytes);
  void index_add(const std::string& pk, const Row& row);
  void index_remove(const std::string& pk, const Row& row);
  uint32_t index_entry_bytes(const std::string& key_bytes) const;

  std::shared_ptr<const Table> table_;
  uint32_t id_;
  RowLayout layout_;
  PagePool& data_pool_;
  PagePool& index_pool_;
  SlotPages slots_;
  ChunkPages var_pages_;
  ChunkPages ordered_pages_;  // ordered index entries live in DataMemory, as T-tree nodes do
  ChunkPages index_pages_;
  std::map<std::string, Entry> rows_;  // key bytes -> row (ordered: stable scan cursors)
  // Ordered index id -> (index key bytes + primary key bytes) -> primary key bytes.
  std::map<uint32_t, std::map<std::string, std::string>> ordered_;
  size_t ordered_count_ = 0;
  std::unordered_map<TransId, std::set<std::string>> trans_keys_;
  std::set<std::string> waiting_keys_;
  std::vector<OpResult> completions_;
  size_t committed_rows_ = 0;
  bool copying_ = false;
  std::set<std::string> tombstones_;  // keys deleted by forwarded writes during a copy
  // Catch-up: own rows the source has not named carry an older mark. A
  // mark per row, not a set of keys: begin_catchup() must not stall the
  // event loop (and the node's heartbeats) over every row it restored.
  uint32_t catchup_epoch_ = 0;
  void mark_named(const std::string& key);
  uint64_t catchup_since_ = 0;
  ChangeSink* sink_ = nullptr;
};

}  // namespace halb::cluster::engine
