// cluster/mgmapi/session.h: a node's long-lived session with one halb-mgmd.
//
// A node (halb-ndbd, an API node, a second halb-mgmd) first allocates its id
// with a blocking Client (`get nodeid`, `get config`), then hands that
// connection to a Session running on its event loop. The id stays reserved
// for as long as the connection lives. Over the session (a halb extension of
// the 5.0 protocol, same message framing):
//
//   node -> mgmd   `node session` (nodeid)                 -> `node session reply`, result: Ok
//                  `report state` (status, startphase, dynamic_id, node_group)   no reply
//                  `report event` (category, threshold, severity, text)           no reply
//                  `arbitrate` (seq, ticket)               -> `arbitrate reply` (seq, granted: 1|0, result)
//                  `get status`                            -> `node status` (as for any client; peers'
//                                                             transporter ports included)
//   mgmd -> node   `node command` (seq, command, args...)  -> `node command reply` (seq, result, ...)
//
// Commands a node receives: `stop` (abort), `restart` (initialstart, nostart,
// abort), `start`, `enter single user` (nodeId), `exit single user`,
// `set loglevel` (category, level), `report memoryusage` (the node answers
// data_used, data_total, index_used, index_total in pages). A node talks to
// every management server of its connectstring with one Session each, so all
// of them can show its state.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/mgmapi/events.h"
#include "cluster/mgmapi/node_status.h"
#include "cluster/mgmapi/protocol.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::cluster::mgmapi {

struct StateReport {
  NodeStatus status = NodeStatus::kNotStarted;
  uint32_t start_phase = 0;
  uint32_t dynamic_id = 0;
  int node_group = -1;
  uint16_t transporter_port = 0;  // where this node accepts transport links (0: none)
};

class Session {
 public:
  // Answers one `node command`: the returned message's fields (result: Ok or
  // an error text, plus any values) go back in the reply; its head is ignored.
  using CommandHandler = std::function<Message(const std::string& command, const Message& request)>;
  using ClosedHandler = std::function<void(const std::string& why)>;

  // `fd`: a connected socket on which get nodeid succeeded (Client::release_fd()).
  Session(event::Loop& loop, log::Logger& logger, int fd, uint32_t node_id, CommandHandler on_command,
          ClosedHandler on_closed);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  bool open() const { return fd_ >= 0; }
  uint32_t node_id() const { return node_id_; }

  void report_state(const StateReport& state);
  void report_event(const Event& event);
  // Asks the management server (as arbitrator) for ticket `ticket`; the
  // callback gets true for a yes. Called with false if the session closes first.
  void arbitrate(uint32_t ticket, std::function<void(bool granted, const std::string& result)> done);
  // Every node's state as the management server sees it (nullopt if the
  // session closes first); how a node finds its peers' transporter ports.
  void get_status(std::function<void(std::optional<std::vector<NodeState>>)> done);
  void close(const std::string& why);

 private:
  void on_io(int events);
  void handle(const Message& m);
  void queue(const Message& m);

  event::Loop& loop_;
  log::Logger& logger_;
  int fd_;
  uint32_t node_id_;
  CommandHandler on_command_;
  ClosedHandler on_closed_;
  MessageReader reader_;
  std::string out_;
  std::unique_ptr<event::Io> io_;
  uint64_t next_seq_ = 1;
  std::map<uint64_t, std::function<void(bool, const std::string&)>> pending_arbitration_;
  // The server answers status requests in order.
  std::deque<std::function<void(std::optional<std::vector<NodeState>>)>> pending_status_;
};

}  // namespace halb::cluster::mgmapi
