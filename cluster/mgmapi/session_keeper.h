// cluster/mgmapi/session_keeper.h: a node's sessions with its management
// servers, kept up across restarts of either side.
//
// How a node (halb-ndbd, an API node) uses cluster/mgmapi:
//
//   1. Before its loop runs: bootstrap() -- blocking -- tries the
//      connectstring's servers in order until one allocates a node id
//      (`get nodeid`) and returns the configuration (`get config`).
//   2. On its loop: a ManagementSessions over the same connectstring, given
//      the bootstrap result. It holds one Session per management server
//      (the bootstrap connection becomes the first one, so the id never
//      goes free), reconnects every retry_s when a server goes away
//      (re-sending the last state), and forwards the servers' commands to
//      the node's handler.
//
// SessionKeeper is one of those per-server sessions; ManagementSessions fans
// state reports and events out to all of them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/config/connectstring.h"
#include "cluster/config/model.h"
#include "cluster/mgmapi/client.h"
#include "cluster/mgmapi/session.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::cluster::mgmapi {

struct Bootstrap {
  uint32_t node_id = 0;
  ClusterConfig config;
  size_t server_index = 0;  // which server of the connectstring answered
  Client client;            // still holding the id
};

// Blocking: allocate an id (`requested` 0 = any of `type`) and fetch the
// configuration. `attempts` rounds over all servers (0 = forever),
// `delay_s` apart. nullopt with `error` set (the last server's answer).
std::optional<Bootstrap> bootstrap(const ConnectString& cs, NodeType type, uint32_t requested, std::string& error,
                                   int attempts = 3, double delay_s = 5);

struct KeeperOptions {
  MgmServer server;
  uint32_t node_id = 0;
  NodeType type = NodeType::kData;
  uint32_t version = kProtocolVersion;
  double retry_s = 1;
};

class SessionKeeper {
 public:
  // `adopt_fd`: a connection on which get nodeid already succeeded, or -1.
  SessionKeeper(event::Loop& loop, log::Logger& logger, KeeperOptions options, Session::CommandHandler on_command,
                int adopt_fd = -1);
  ~SessionKeeper();
  SessionKeeper(const SessionKeeper&) = delete;
  SessionKeeper& operator=(const SessionKeeper&) = delete;

  bool up() const { return session_ && session_->open(); }
  const MgmServer& server() const { return opt_.server; }
  // Remembered and re-sent after every reconnect.
  void report_state(const StateReport& state);
  // Dropped while the session is down.
  void report_event(const Event& event);
  // Answers false at once while down.
  void arbitrate(uint32_t ticket, std::function<void(bool granted, const std::string& result)> done);
  // Answers nullopt at once while down.
  void get_status(std::function<void(std::optional<std::vector<NodeState>>)> done);
  // Called with true when a session opens, false when it closes.
  std::function<void(bool up)> on_change;

 private:
  void attempt();
  void on_io(int events);
  void fail(const std::string& why);
  void reset_socket();
  void start_session(int fd);

  event::Loop& loop_;
  log::Logger& logger_;
  KeeperOptions opt_;
  Session::CommandHandler on_command_;
  int fd_ = -1;
  bool connecting_ = false;
  std::string out_;
  MessageReader reader_;
  std::unique_ptr<event::Io> io_;
  event::Timer retry_;
  std::unique_ptr<Session> session_;
  std::optional<StateReport> last_state_;
  bool logged_down_ = false;
};

class ManagementSessions {
 public:
  // Opens a keeper for every server of `cs`; the bootstrap connection (if
  // given) is adopted by the keeper of its server.
  ManagementSessions(event::Loop& loop, log::Logger& logger, const ConnectString& cs, uint32_t node_id, NodeType type,
                     Session::CommandHandler on_command, Bootstrap* bootstrap = nullptr, double retry_s = 1);
  void report_state(const StateReport& state);
  void report_event(const Event& event);
  // Asks the first server whose session is up; false at once when none is.
  void arbitrate(uint32_t ticket, std::function<void(bool granted, const std::string& result)> done);
  // From the first server whose session is up; nullopt at once when none is.
  void get_status(std::function<void(std::optional<std::vector<NodeState>>)> done);
  size_t up_count() const;
  std::vector<std::unique_ptr<SessionKeeper>>& keepers() { return keepers_; }

 private:
  std::vector<std::unique_ptr<SessionKeeper>> keepers_;
};

}  // namespace halb::cluster::mgmapi
