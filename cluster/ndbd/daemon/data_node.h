// cluster/ndbd/daemon/data_node.h: one running data node -- the engine on
// the event loop, its transport links, its management sessions and its
// start, failure and restart logic.
//
// Links: the data node listens on a transporter port (any free one, told to
// halb-mgmd in every state report). Between two data nodes the LOWER id
// connects to the higher one; the higher one accepts. API nodes do not
// listen: they always connect to the data nodes. Peers' ports come from
// halb-mgmd's `get status`, polled every half second, so links to nodes
// that come back are re-made.
//
// Start: phase 1 while links come up. When every configured data node is
// linked and none is started, the cluster starts together (phases 2..9,
// then `started`). When a linked peer is already started, this node runs a
// node restart instead: dictionary from the lowest started peer, every
// unreachable data node marked failed, begin_restart, RESTART_STARTING to
// the started peers (each marks it starting and passes its TC barrier),
// start_copy, then a local checkpoint of every fragment (the copy is not
// in the redo log: this is what makes the node restorable from its own
// files), and once it is complete RESTART_DONE to all and `started`.
//
// Failure: a link to a member data node that closes (or misses its
// heartbeats) is that node's failure: node_failed() runs at once, before
// any later message is handled, then the arbitration check (reference §5)
// decides whether to go on, ask halb-mgmd to arbitrate, or stop. Until it
// has decided that this side goes on, no commit is answered to an API node
// (the commit may lack the replica across a split): a side that loses
// stops without ever acknowledging what only it holds.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/config/connectstring.h"
#include "cluster/config/model.h"
#include "cluster/mgmapi/events.h"
#include "cluster/mgmapi/session_keeper.h"
#include "cluster/ndbd/backup/service.h"
#include "cluster/ndbd/daemon/durability.h"
#include "cluster/ndbd/engine/node.h"
#include "cluster/ndbd/wire/node_protocol.h"
#include "cluster/transport/link.h"
#include "cluster/transport/listener.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::cluster::ndbd {

// Exit statuses. NDB's ndbd exits with its error number (2305 for lost
// arbitration), which a process status truncates to 1; halb-ndbd logs the
// NDB number and exits with a status of its own that stays distinct.
inline constexpr int kNdbErrorArbitrationLost = 2305;
inline constexpr int kExitArbitrationLost = 5;
inline constexpr int kExitShutdown = 0;
// What an API request to a node that is not started gets: temporary, try another node.
inline constexpr uint32_t kErrNodeNotStarted = 4035;  // "Cluster temporary unavailable"

struct DataNodeOptions {
  ConnectString connectstring;
  bool no_start = false;     // --nostart: connect and wait for START from halb-mgmd
  bool initial = false;      // --initial
  std::string bind_host;     // where to listen; empty = the node's HostName, else 127.0.0.1
  uint64_t start_count = 1;  // how many times this node has started (trans id base)
  std::string fs_dir;        // DataDir/ndb_<id>_fs; empty = no files (as with Diskless)
};

class DataNode : private engine::Peers, private engine::Clock {
 public:
  DataNode(event::Loop& loop, log::Logger& logger, mgmapi::Bootstrap& boot, DataNodeOptions options);
  ~DataNode() override;

  // Listens and begins the start. False with `error` when it cannot listen.
  bool start(std::string& error);
  // Asks the node to stop: reports shutting down and ends the loop.
  void stop(const std::string& why, int exit_status = 0);
  // A graceful stop: first the next global checkpoint completes (so every
  // commit answered so far is on disk), then stop(why, 0). Bounded wait.
  void shutdown(const std::string& why);
  // While shutting down: refuses new transactions, and once none runs
  // here names the GCI that must complete before the stop.
  void drain_tick();
  void drained_by(uint32_t node, uint64_t gci);
  // A graceful stop while other nodes run on: the files say they went on
  // (called from stop() while draining).
  void note_going_on();
  int exit_status() const { return exit_status_; }
  // After the loop ended: did halb-mgmd ask for a restart, and how?
  bool restart_requested() const { return restart_requested_; }
  bool restart_initial() const { return restart_initial_; }
  bool restart_no_start() const { return restart_no_start_; }

 private:
  struct Peer {
    std::unique_ptr<transport::Link> link;
    bool is_data = false;
    bool hello = false;  // its NODE_HELLO arrived
    wire::NodeStartState state = wire::NodeStartState::kNotStarted;
    // Frames the link refused while its send buffer was full, in order.
    std::deque<std::pair<uint16_t, std::string>> backlog;
  };
  // kRestartLcp: the copy is done; the local checkpoint after it runs
  // (the node is restorable from its own files once it is complete).
  enum class Phase {
    kWaiting, kConnecting, kStarting, kRestartDict, kRestartBarrier, kRestartCopy, kRestartLcp, kStarted, kStopping
  };

  // engine::Peers / engine::Clock
  void send(uint32_t to, engine::Message m) override;
  uint64_t now_ms() const override;

  void poll_status();
  void on_status(const std::vector<mgmapi::NodeState>& nodes);
  void connect_to(uint32_t node, const std::string& host, uint16_t port);
  void accept(int fd, const std::string& from);
  void add_link(int fd, uint32_t peer_hint, const std::string& from = "");
  // May node `peer`, connecting from address `from`, link to us?
  bool may_connect(uint32_t peer, const std::string& from) const;
  void on_link_up(uint16_t peer, transport::Link* link);
  void on_frame(uint16_t peer, const transport::Frame& f);
  void on_link_closed(uint16_t peer, transport::Link* link, const std::string& why);
  void drain_closed();
  void handle_closed(uint16_t peer, transport::Link* link, const std::string& why);
  void on_control(uint16_t peer, uint16_t type, const wire::ControlMsg& m);
  void on_api_dict(uint16_t peer, uint16_t type, const wire::ControlMsg& m);
  void send_control(uint32_t to, uint16_t type, const wire::ControlMsg& m);
  void queue_frame(uint32_t to, uint16_t type, std::string payload);
  void flush_backlog(uint32_t peer);
  void finish_dict(uint32_t id);

  void advance();
  void step_initial_start();
  void begin_node_restart();
  // A node restart from this node's own files restores them before any
  // link to a data node is up: the restore blocks the event loop, and a
  // linked peer would miss this node's heartbeats meanwhile. Closes the
  // data links first; true when it did (they are made again from the next
  // status poll).
  bool restore_before_linking();
  // A node restart takes the live nodes' current GCI (sent with the
  // dictionary and each barrier): until its first GCP round it would
  // otherwise count from 1.
  void learn_gci(const std::string& text);
  void on_tick();
  // RESTART_DONE to the others, then started.
  void finish_node_restart();
  void become_started();
  void node_failures(const std::set<uint32_t>& failed);
  void check_round();
  void arbitration_result(bool won, const std::string& why);
  // A commit answer to an API node while a data node failure is unsettled:
  // kept back (true) until this side is known to go on.
  bool hold_unsettled(uint32_t to, engine::Message& m);
  // This side goes on: the answers kept back leave now.
  void settle_failures(const std::string& why);
  void unsettled_timeout();
  // True when some management server or API node has ArbitrationRank 1 or 2.
  bool arbitrator_configured() const;
  void report(mgmapi::NodeStatus status, uint32_t phase);
  wire::NodeStartState start_state() const;
  mgmapi::Message on_command(const std::string& command, const mgmapi::Message& request);
  void make_backup_service();
  bool linked(uint32_t node) const;
  // Durability (data_node_durability.cc): files, GCP rounds, restarts.
  bool open_files(std::string& error);
  void event(mgmapi::Category c, int threshold, mgmapi::Severity s, const std::string& text);
  uint32_t gcp_master() const;
  void gcp_send(uint32_t to, uint16_t type, uint64_t gci, uint32_t error = 0, uint32_t request = 0);
  void on_gcp(uint32_t from, uint16_t type, const wire::ControlMsg& m);
  void gcp_timer();
  void gcp_start_round(uint64_t gci);
  void gcp_advance();
  void gcp_node_failed(const std::set<uint32_t>& failed);
  void durability_tick();
  void release_replies();
  bool hold_reply(uint32_t to, engine::Message& m);
  // The schema file after a CREATE or DROP in GCI `gci` (0: during a node
  // restart, before any GCI this node can restore to).
  void save_schema(uint64_t gci);
  // The GCI a dictionary change from `text` (the master's), else the current one.
  uint64_t dict_gci(const std::string& text) const;
  void sr_exchange();
  // A partial system restart: StartPartialTimeout passed, this node has
  // files and the linked nodes cover every node group. Sets sr_participants_.
  bool partial_start_due();
  // The present nodes cover every node group but none whole, and are
  // exactly half: the missing half may be running as a cluster of its own.
  // True once StartPartitionedTimeout passed (0 = never) and the
  // arbitrator said yes to this half.
  bool partitioned_start_allowed(const std::set<uint32_t>& present, const std::string& missing);
  void partitioned_answer(bool granted, const std::string& why);
  void sr_decide();
  // The restart cannot go on without `wait_for` (newer files): back to
  // waiting for them, with the reason told once.
  void sr_wait(const std::set<uint32_t>& wait_for, const std::string& why);
  bool is_gcp_type(uint16_t type) const;

  event::Loop& loop_;
  log::Logger& logger_;
  mgmapi::Bootstrap& boot_;
  DataNodeOptions opt_;
  const ClusterConfig& config_;
  uint32_t self_;
  const cluster::DataNode* own_;
  std::vector<NodeGroup> groups_;
  std::map<std::string, std::set<std::string>> hosts_;  // HostName -> its addresses, resolved at start
  transport::MessageRegistry registry_;
  uint64_t started_at_ms_;
  std::unique_ptr<engine::DataNodeEngine> engine_;
  std::unique_ptr<backup::BackupService> backup_;  // START/ABORT BACKUP, this node's part of each backup
  // The engine has one change sink; every user of the change stream (the
  // backup log, and the redo log) hangs off this one.
  struct ChangeFanout : engine::ChangeSink {
    std::vector<std::function<void(const engine::RowChange&)>> users;
    void on_commit(const engine::RowChange& c) override {
      for (auto& u : users) u(c);
    }
  };
  ChangeFanout changes_;
  std::unique_ptr<transport::Listener> listener_;
  std::unique_ptr<mgmapi::ManagementSessions> mgm_;
  std::map<uint32_t, Peer> peers_;                                      // links that are up, by node id
  std::map<transport::Link*, std::unique_ptr<transport::Link>> pending_;  // connecting, or awaiting HELLO
  struct Closed {
    uint16_t peer;
    transport::Link* link;
    std::string why;
  };
  std::deque<Closed> closed_;  // links closed since the last entry from the loop
  std::set<uint32_t> dialing_;                                          // outgoing connects in progress
  event::Timer status_timer_;
  event::Timer tick_timer_;
  event::Timer gcp_timer_;
  event::Timer phase_timer_;
  std::unique_ptr<event::Timer> stop_timer_;
  bool status_in_flight_ = false;
  std::set<uint32_t> mgmd_started_;  // data nodes halb-mgmd last called started
  bool status_seen_ = false;         // mgmd_started_ has been filled once

  Phase phase_ = Phase::kWaiting;
  uint32_t start_phase_ = 0;
  std::set<uint32_t> members_;  // data nodes the engine counts alive (this one too)
  // Membership rounds completed (starts, joins, failure rounds): every
  // member counts the same, so both halves of a split derive the same
  // arbitration ticket from it and the membership they shared.
  uint64_t membership_changes_ = 0;
  // Failures are checked as one round: the members before the first
  // failure, and a window of one and a half heartbeat intervals so nodes
  // lost together (a partition) are judged together.
  std::optional<std::set<uint32_t>> round_before_;
  std::unique_ptr<event::Timer> round_timer_;
  // From a data node's failure until this side is known to go on (no
  // arbitration needed, or arbitration won), a commit may have reached only
  // the replicas on this side of a split that the other side wins: its
  // answer to the API waits here, and a loser stops without sending it.
  bool failure_unsettled_ = false;
  struct UnsettledReply {
    uint32_t to;
    engine::Message m;
  };
  std::deque<UnsettledReply> unsettled_replies_;
  std::unique_ptr<event::Timer> unsettled_timer_;  // bounds the wait (ArbitrationTimeout)
  uint64_t gci_ = 1;
  // Files (the redo log is one user of changes_).
  std::unique_ptr<Durability> dur_;
  FsState fs_state_;
  bool commit_durable_ = false;  // CommitDurability=gcp
  // GCP, on the master.
  enum class GcpStep { kPrepare, kCommit, kSave };
  struct GcpRound {
    uint64_t gci = 0;  // the GCI nodes switch to; gci - 1 is saved
    GcpStep step = GcpStep::kPrepare;
    std::set<uint32_t> waiting;
    uint64_t highest_seen = 0;  // a node already past `gci` (after a master change)
    bool failed = false;
    bool urgent = false;  // some node holds commit answers: the next round starts at once
  };
  std::optional<GcpRound> round_;
  // GCP, on every node.
  uint64_t finish_pending_ = 0;  // the GCI to report finished once the TC has committed it
  uint32_t finish_to_ = 0;
  // CommitDurability=gcp: commit answers waiting for their GCI to complete.
  struct HeldReply {
    uint64_t gci;
    uint32_t to;
    engine::Message m;
  };
  std::deque<HeldReply> held_replies_;
  bool urgent_sent_ = false;  // GCP_URGENT sent for the replies held now
  // System restart: each node's restorable GCI (0 = no files).
  std::map<uint32_t, std::pair<bool, uint64_t>> sr_gcis_;
  std::map<uint32_t, std::set<uint32_t>> sr_sets_;  // the nodes each peer starts with
  // Each peer's node GCIs (FsState::node_gcis): who took part up to which GCI.
  std::map<uint32_t, std::map<uint32_t, uint64_t>> sr_nodes_;
  // Missing nodes that went on after the GCI the nodes here can restore:
  // no partial start without them (their files may hold newer commits).
  std::set<uint32_t> sr_wait_for_;
  std::set<uint32_t> sr_wait_present_;  // the nodes that were here when that was found
  bool sr_wait_told_ = false;  // the wait for them was reported
  std::string partial_event_;  // "Partial system restart ...", told once the files allow it
  uint64_t sr_highest_gci_ = 0;
  std::set<uint32_t> sr_participants_;  // the nodes this (possibly partial) start waits for
  uint64_t connecting_since_ms_ = 0;  // the highest GCI the other nodes' files name
  // A possibly partitioned partial start: the arbitrator's answer.
  enum class PartitionedStart { kNone, kAsking, kGranted, kRefused };
  PartitionedStart partitioned_ = PartitionedStart::kNone;
  bool partitioned_waiting_told_ = false;  // the wait was logged
  bool sr_sent_ = false;
  bool sr_decided_ = false;
  std::string start_kind_ = "initial start";
  uint64_t catchup_gci_ = 0;              // node restart from own files: restored to this GCI
  std::set<std::string> restart_tables_;  // tables the live node sent during a node restart
  // Node restart: own files restored before linking (restore_before_linking).
  bool own_restore_done_ = false;
  std::string own_restore_error_;  // why they could not be, if they could not
  // shutdown(): new transactions are refused while the running ones end
  // (draining_); then the GCI current when this node's TC went idle, and
  // any other stopping node's, must complete before this node stops.
  bool draining_ = false;
  std::set<uint32_t> stopping_peers_;  // other nodes that said they stop too (GCP_URGENT 1)
  uint64_t drained_gci_ = 0;  // the highest idle GCI of this and every other stopping node
  std::optional<uint64_t> stop_after_gci_;
  std::string stop_why_;
  std::unique_ptr<event::Timer> shutdown_timer_;
  // Node restart, on the restarting node.
  uint32_t restart_source_ = 0;
  std::set<uint32_t> restart_waiting_;
  // Node restart, on a started node: barrier marks for nodes starting.
  std::map<uint32_t, uint64_t> barriers_;
  // Dictionary changes waiting for every member's DICT_INSTALL_CONF.
  struct PendingDict {
    uint32_t api = 0;
    uint32_t api_request = 0;
    std::set<uint32_t> waiting;
    wire::ControlMsg answer;
  };
  std::map<uint32_t, PendingDict> dict_pending_;
  uint32_t next_dict_request_ = 1;
  int exit_status_ = 0;
  bool restart_requested_ = false;
  bool restart_initial_ = false;
  bool restart_no_start_ = false;
};

}  // namespace halb::cluster::ndbd
