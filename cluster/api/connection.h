// cluster/api/connection.h: the client API -- how a program (an API node)
// reads and writes the cluster's tables.
//
//   api::Connection c;
//   c.connect("nodeid=0,127.0.0.1:1186", 30, error);  // API node id from halb-mgmd, links to data nodes
//   c.create_table(table);                             // through the dictionary, on every data node
//   auto t = c.start_transaction();
//   t->write(table_id, {key}, {{1, value}});           // batched until execute
//   NdbError e = t->execute(engine::ExecType::kCommit);
//   if (e.temporary()) ... retry the whole transaction
//
// Blocking. By default single-threaded: every call runs the connection's own
// event loop until its answer arrives (or request_timeout_s passes), so links,
// heartbeats and reconnects are served while a call waits, and nothing is
// served between calls: a connection left idle for longer than
// 4 x HeartbeatIntervalDbApi is dropped by the data nodes (its open
// transactions abort) and re-made by the next call, which may then see a
// temporary error. After start_io_thread() any number of threads may call
// at once (each Transaction used by one thread at a time): a caller that
// waits runs the loop itself when no other thread does (NDB's poll owner),
// so its answer wakes it straight from poll; the others wait on a condition
// variable each and only the thread whose answer came is woken. A thread of
// the connection's own serves the links between calls.
//
// Transactions go to a started data node's coordinator: the node asked for,
// else the primary replica of the first operation's key (coordinator.h),
// else round robin; dictionary changes go to the lowest started data node,
// which ships them to the others before answering. A program wanting more than one API node id (halb-sqld's
// ndb-cluster-connection-pool) makes several Connections and lets them share
// one TableDirectory.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/api/coordinator.h"
#include "cluster/api/error.h"
#include "cluster/config/model.h"
#include "cluster/mgmapi/session_keeper.h"
#include "cluster/ndbd/engine/messages.h"
#include "cluster/ndbd/engine/table.h"
#include "cluster/ndbd/wire/node_protocol.h"
#include "cluster/transport/link.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::cluster::api {

class Transaction;

class Connection {
 public:
  // `tables`: shared with other connections of the same program (a pool),
  // so a table one of them looked up routes transactions on all.
  explicit Connection(log::Logger* logger = nullptr, std::shared_ptr<TableDirectory> tables = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Gets an API node id and the configuration from halb-mgmd, then waits up
  // to `timeout_s` for a started data node. False with `error` set.
  // `node_id`, when given, replaces the connectstring's nodeid (0: any free
  // API slot), for the second and later members of a pool.
  bool connect(const std::string& connectstring, double timeout_s, std::string& error,
               std::optional<uint32_t> node_id = std::nullopt);
  // Moves the event loop to a dedicated thread (after connect); from then on
  // the connection is usable from many threads at once. Stopped and joined
  // by the destructor.
  void start_io_thread();
  bool io_thread_running() const { return io_thread_.joinable(); }
  uint32_t node_id() const { return node_id_; }
  // Data nodes linked and started, ascending.
  std::vector<uint32_t> started_nodes() const;
  // Waits until `count` data nodes are started (or the timeout).
  bool wait_for_nodes(size_t count, double timeout_s);

  NdbError create_table(const engine::Table& t);
  NdbError drop_table(const std::string& name);
  // The table as the dictionary holds it (ids, column positions).
  std::shared_ptr<const engine::Table> get_table(const std::string& name, NdbError& error);

  // `node` 0: the coordinator is chosen at the first execute (see above).
  std::unique_ptr<Transaction> start_transaction(uint32_t node = 0);
  // The node a transaction starting with `op` would be sent to when it is
  // started; 0 when round robin would choose.
  uint32_t coordinator_for(const engine::ApiOp& op) const;
  const std::shared_ptr<TableDirectory>& tables() const { return tables_; }

  struct ScanResult {
    NdbError error;
    std::vector<engine::Row> rows;
  };
  // Every row the scan yields, batch by batch.
  ScanResult scan(uint32_t table_id, engine::ScanSpec spec, uint32_t node = 0);

  double request_timeout_s = 30;

 private:
  friend class Transaction;
  struct DataLink {
    std::unique_ptr<transport::Link> link;
    bool up = false;
    bool started = false;
    std::deque<std::pair<uint16_t, std::string>> backlog;
  };
  struct Pending {
    uint32_t node = 0;
    bool answered = false;
    NdbError error;
    engine::ApiExecuteConf conf;
    wire::ControlMsg dict;
    // scans
    std::vector<engine::Row> rows;
    bool batch_arrived = false;
    bool done = false;
  };

  // A thread waiting (I/O thread mode) for `done`, woken alone.
  struct Waiter {
    const std::function<bool()>* done;
    std::condition_variable cv;
    bool owner = false;  // polling the links itself
  };
  static constexpr double kIdlePollS = 0.01;

  uint32_t pick_node(uint32_t preferred) const;
  // pick_node(), first waiting up to timeout_s for a started data node.
  // Without an I/O thread only a waiting caller runs the links, so a caller
  // that gave up at once would never see the nodes come back.
  uint32_t pick_started_node(uint32_t preferred, double timeout_s);
  // How long a transaction or scan waits for a started data node before
  // it answers 4035 (a dictionary call waits request_timeout_s).
  static constexpr double kNoNodeWaitS = 1.0;
  uint32_t coordinator_for_locked(const engine::ApiOp& op) const;
  std::vector<uint32_t> started_nodes_locked() const;
  // Keeps view_ in step with links_[node] (linked and started).
  void note_node(uint32_t node);
  // Called when something a waiter may wait for happened.
  // Wakes the waiting threads whose answer is in. In I/O thread mode only
  // notes that (wakes_due_); flush_wakes() notifies once the poll owner has
  // handled everything its poll returned, just before it lets go of mu_:
  // a thread notified in the middle of that would only wake to block on
  // mu_ again.
  void wake_waiters();
  void flush_wakes();
  // The poll is free: the first waiter takes it over.
  void pass_poll_on();
  static void release_lock(struct ev_loop* l) noexcept;
  static void acquire_lock(struct ev_loop* l) noexcept;
  bool wait(const std::function<bool()>& done, double timeout_s);
  void poll_status();
  void dial(uint32_t node, const std::string& host, uint16_t port);
  void on_frame(uint32_t node, const transport::Frame& f);
  void on_closed(uint32_t node, transport::Link* link, const std::string& why);
  // A request larger than a data node accepts in one frame: an error for
  // its caller here, since the data node would close the link over it and
  // every transaction on the link would abort with it.
  std::optional<NdbError> oversized(uint16_t type, size_t bytes) const;
  bool send_frame(uint32_t node, uint16_t type, std::string payload);
  void flush(uint32_t node);
  NdbError dict_call(uint16_t type, wire::ControlMsg m, wire::ControlMsg* answer);
  // Sends one execute request to `node` and waits for its answer.
  NdbError execute(uint32_t node, engine::ApiExecuteReq& req, engine::ApiExecuteConf& conf);

  std::unique_ptr<log::Logger> own_logger_;
  log::Logger* logger_;
  event::Loop loop_;
  uint32_t node_id_ = 0;
  ClusterConfig config_;
  std::optional<mgmapi::Bootstrap> boot_;
  std::unique_ptr<mgmapi::ManagementSessions> mgm_;
  transport::MessageRegistry registry_;
  std::map<uint32_t, DataLink> links_;
  std::map<transport::Link*, uint32_t> link_nodes_;
  std::unique_ptr<event::Timer> status_timer_;
  bool status_in_flight_ = false;
  std::function<bool()> waiting_;
  uint32_t next_request_ = 1;
  std::map<uint32_t, Pending> pending_;  // by request (execute, dictionary) or scan id
  mutable size_t round_robin_ = 0;
  std::shared_ptr<TableDirectory> tables_;
  std::optional<engine::Distribution> view_;  // started data nodes as live
  // Guards everything above once the I/O thread runs: the thread running
  // the loop (poll_owned_) holds it except while it sleeps in poll (libev's
  // release/acquire hooks), any other caller holds it except while it waits
  // on its Waiter.
  mutable std::mutex mu_;
  std::vector<Waiter*> waiters_;
  // A caller changed a watcher the sleeping loop must pick up (a link with
  // bytes left to write): the next wait wakes the loop first.
  bool loop_needs_wake_ = false;
  bool wakes_due_ = false;
  bool poll_owned_ = false;  // some thread runs the loop
  std::condition_variable io_idle_;
  std::thread io_thread_;
  bool io_stop_ = false;
  std::unique_ptr<event::Async> io_wake_;
};

class Transaction {
 public:
  Transaction(Connection& c, uint32_t node) : c_(c), node_(node) {}

  void insert(uint32_t table, std::vector<engine::Value> key, engine::ColumnValues set);
  void update(uint32_t table, std::vector<engine::Value> key, engine::ColumnValues set);
  void write(uint32_t table, std::vector<engine::Value> key, engine::ColumnValues set);
  void remove(uint32_t table, std::vector<engine::Value> key);
  void read(uint32_t table, std::vector<engine::Value> key, engine::LockMode lock = engine::LockMode::kCommitted);
  void read_unique(uint32_t table, uint32_t index_id, std::vector<engine::Value> key,
                   engine::LockMode lock = engine::LockMode::kCommitted);

  // Sends the operations added since the last execute. Any error aborts
  // the whole transaction (results() names the failing operation).
  NdbError execute(engine::ExecType exec);
  NdbError commit() { return execute(engine::ExecType::kCommit); }
  NdbError rollback() { return execute(engine::ExecType::kRollback); }
  // One per operation of the last execute, in order; reads carry their row.
  const std::vector<engine::OpResult>& results() const { return results_; }
  engine::TransState state() const { return state_; }
  uint32_t coordinator() const { return node_; }
  // True once an execute has opened the transaction at its coordinator.
  bool started() const { return trans_ != 0; }
  // Operations added since the last execute, and a way to take back the
  // tail of them (a failed SQL statement drops only its own).
  const std::vector<engine::ApiOp>& buffered() const { return ops_; }
  void discard_buffered_from(size_t n) {
    if (n < ops_.size()) ops_.erase(ops_.begin() + static_cast<long>(n), ops_.end());
  }
  void add(engine::ApiOp op) { ops_.push_back(std::move(op)); }

 private:
  void add(uint32_t table, engine::OpType type, engine::LockMode lock, std::vector<engine::Value> key,
           engine::ColumnValues set, std::optional<uint32_t> unique_index = std::nullopt);
  Connection& c_;
  uint32_t node_;
  engine::TransId trans_ = 0;
  std::vector<engine::ApiOp> ops_;
  std::vector<engine::OpResult> results_;
  engine::TransState state_ = engine::TransState::kOpen;
};

}  // namespace halb::cluster::api
