// cluster/mgmd/server.h: halb-mgmd's management protocol server.
//
// Listens on the [NDB_MGMD] PortNumber and serves the requests of the NDB
// 5.0 management protocol (get nodeid, get config, get status, get version,
// stop, restart, start, single user mode, cluster log levels and filters,
// listen event, purge stale sessions, check connection, get mgmd nodeid)
// plus the node sessions of cluster/mgmapi/session.h, through which it
// learns node states, receives node events, answers arbitration requests
// and forwards stop/restart/start to the nodes. A connection that sends
// anything that is not the protocol is told why (when it can be) and closed;
// the daemon carries on.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/config/model.h"
#include "cluster/mgmapi/events.h"
#include "cluster/mgmapi/protocol.h"
#include "cluster/mgmd/arbitration.h"
#include "cluster/mgmd/cluster_log.h"
#include "cluster/mgmd/node_registry.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::cluster::mgmd {

struct ServerSettings {
  ClusterConfig config;
  std::string config_text;  // what get config sends
  uint32_t own_id = 0;
  std::string bind_host;    // empty: all addresses
  uint16_t port = kDefaultMgmPort;
  HostAddresses hosts;
  uint32_t arbitration_rank = 1;
  uint32_t arbitration_delay_ms = 0;
  double command_timeout_s = 120;  // how long stop/restart wait for the nodes
};

class Server {
 public:
  Server(event::Loop& loop, log::Logger& logger, ClusterLog& cluster_log, ServerSettings settings);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; false with `error` set.
  bool listen(std::string& error);
  uint16_t port() const { return port_; }
  // Called once a client has asked this management server to stop (after
  // the reply went out).
  std::function<void()> on_stop_requested;
  // Writes an event to the cluster log and to matching event listeners.
  void publish(const mgmapi::Event& e);
  NodeRegistry& registry() { return registry_; }
  unsigned long rejected() const { return rejected_; }

 private:
  struct Conn;
  struct Gather;
  using ReplyFn = std::function<void(std::optional<mgmapi::Message>)>;

  void on_accept();
  void on_io(Conn& c, int events);
  void flush(Conn& c);
  void send(Conn& c, const mgmapi::Message& m);
  void send_line(Conn& c, const std::string& line);
  void drop(Conn& c, const std::string& why);
  Conn* find(uint64_t id);
  void dispatch(Conn& c, const mgmapi::Message& m);
  void reply_to(uint64_t conn_id, const mgmapi::Message& m);

  // requests
  void get_nodeid(Conn& c, const mgmapi::Message& m);
  void node_session(Conn& c, const mgmapi::Message& m);
  void session_message(Conn& c, const mgmapi::Message& m);
  void get_status(Conn& c);
  void stop(Conn& c, const mgmapi::Message& m, bool all);
  void restart(Conn& c, const mgmapi::Message& m, bool all);
  void start(Conn& c, const mgmapi::Message& m, bool all);
  void single_user(Conn& c, const mgmapi::Message& m, bool enter);
  void set_loglevel(Conn& c, const mgmapi::Message& m);
  void set_logfilter(Conn& c, const mgmapi::Message& m);
  void clusterlog_info(Conn& c);
  void listen_event(Conn& c, const mgmapi::Message& m);
  void report_memory(Conn& c);
  // server_backup.cc
  void start_backup(uint64_t conn_id, const mgmapi::Message& m);
  void abort_backup(uint64_t conn_id, const mgmapi::Message& m);
  uint32_t backup_master() const;
  // A BACKUP event went by: answer the `start backup` requests it ends.
  void backup_event(const mgmapi::Event& e);
  // reached: 1 started, 2 completed; `error` set: the backup failed.
  void finish_backup_waiters(uint32_t id, int reached, const std::string& error);

  // Node ids from a `node: "2 3"` argument; nullopt with `error` on a bad list.
  std::optional<std::vector<uint32_t>> parse_nodes(const mgmapi::Message& m, std::string& error) const;
  std::vector<uint32_t> connected_data_nodes() const;
  std::optional<std::string> unreachable_data_node(const std::vector<uint32_t>& nodes);
  // Sends a node command over the node's session; the callback gets the
  // reply, or nullopt when the session closes first.
  bool command_node(uint32_t node_id, mgmapi::Message cmd, ReplyFn done);
  // Calls `done` once node `node_id` has no session any more.
  void when_gone(uint32_t node_id, std::function<void()> done);
  Conn* session_of(uint32_t node_id);

  event::Loop& loop_;
  log::Logger& logger_;
  ClusterLog& cluster_log_;
  ServerSettings settings_;
  NodeRegistry registry_;
  ArbitratorState arbitrator_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::unique_ptr<event::Io> accept_io_;
  std::unique_ptr<event::Timer> ping_timer_;
  std::map<uint64_t, std::unique_ptr<Conn>> conns_;
  uint64_t next_conn_id_ = 1;
  uint64_t next_seq_ = 1;
  std::map<uint32_t, std::vector<std::function<void()>>> gone_watchers_;
  // Arbitration answers waiting out ArbitrationDelay, owned here so that no
  // timer outlives the server and fires into it.
  std::map<uint64_t, std::unique_ptr<event::Timer>> delayed_answers_;
  uint64_t next_delayed_answer_ = 1;
  unsigned long rejected_ = 0;
  uint32_t next_dynamic_id_ = 1;
  struct BackupWaiter {
    uint64_t conn_id = 0;
    uint32_t id = 0;
    uint32_t master = 0;
    int completed = 2;
  };
  std::vector<BackupWaiter> backup_waiters_;
  // The latest backups' progress (reached: 1 started, 2 completed; error), for
  // replies that arrive after their events.
  std::map<uint32_t, std::pair<int, std::string>> backup_seen_;
};

}  // namespace halb::cluster::mgmd
