// heartbeat/daemon/heartbeat_daemon.h: halb-heartbeat's runtime.
//
// Wires the parts together on one libev loop:
//   media (UDP) -> codec (auth) -> membership -> policy -> resource manager
// and back out: policy messages are stamped with the control fields (src,
// seq, hg, ts, ld, ttl), signed and sent on every medium. A keepalive timer
// sends status; a fast tick judges deadlines. The control socket answers
// halb-hbctl.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "heartbeat/agents/registry.h"
#include "heartbeat/config/model.h"
#include "heartbeat/media/ping_nodes.h"
#include "heartbeat/media/udp_media.h"
#include "heartbeat/membership/membership.h"
#include "heartbeat/resources/policy.h"
#include "heartbeat/resources/resource_manager.h"
#include "lib/control/server.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::heartbeat {

struct DaemonSettings {
  std::string node;  // local node name (lowercase)
  std::string config_dir;
  std::string run_dir;
  std::string state_dir;
  HaCf ha;
  AuthKeys keys;
  HaResources resources;
};

struct Counters {
  unsigned long sent = 0;
  unsigned long received = 0;
  unsigned long bad_auth = 0;
  unsigned long malformed = 0;
  unsigned long replayed = 0;
  unsigned long unknown_node = 0;
  unsigned long duplicates = 0;
};

class HeartbeatDaemon {
 public:
  HeartbeatDaemon(event::Loop& loop, log::Logger& logger, DaemonSettings settings);
  ~HeartbeatDaemon();

  // Open media, control socket and timers; false with `error` on failure.
  bool start(std::string& error);
  // Graceful stop: give up resources, tell the peer, then `done` runs.
  void shutdown(std::function<void()> done);
  // SIGHUP: re-read authkeys (heartbeat does too); other files need a restart.
  void reload(const AuthKeys& keys);

  // Control-socket request handler (also used by tests).
  control::Json handle(const control::Json& request);
  const Counters& counters() const { return counters_; }

 private:
  void on_datagram(std::string_view bytes, const std::string& link);
  void on_keepalive();
  void on_tick();
  void handle_events(std::vector<MembershipEvent>& events);
  void run_actions(std::vector<Action> actions);
  void send(const Outgoing& message);
  long long now_ms() const;
  std::string peer() const;
  control::Json snapshot() const;

  event::Loop& loop_;
  log::Logger& logger_;
  DaemonSettings s_;
  uint64_t generation_ = 0;
  uint64_t seq_ = 0;
  Counters counters_;
  std::string local_status_ = "up";

  std::unique_ptr<UdpMedia> media_;
  std::unique_ptr<PingNodes> ping_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<Policy> policy_;
  std::unique_ptr<AgentRegistry> agents_;
  std::unique_ptr<ResourceManager> resources_;
  std::unique_ptr<control::Server> control_;
  std::unique_ptr<event::Timer> keepalive_timer_;
  std::unique_ptr<event::Timer> tick_timer_;
  std::unique_ptr<event::Timer> shutdown_guard_;
  std::function<void()> shutdown_done_;
  int peer_ping_count_ = -1;
  std::map<std::string, int> ping_states_;  // last logged state per ping group
};

}  // namespace halb::heartbeat
