// heartbeat/resources/resource_manager.h: starts and stops resource groups.
//
// One operation at a time, in the order asked (a release queued behind an
// acquire runs after it). A group starts left to right, skipping resources
// whose status already says running; if one fails to start, the part of the
// group already started is stopped again (right to left) and the group is
// reported failed. A group stops right to left; a failing stop is retried
// (up to 10 times, 1 s apart, as heartbeat does). Nothing here blocks: each
// step is an agent call whose completion starts the next.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "heartbeat/agents/registry.h"
#include "heartbeat/config/model.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::heartbeat {

class ResourceManager {
 public:
  using Done = std::function<void(std::vector<std::string> failed_groups)>;

  ResourceManager(event::Loop& loop, log::Logger& logger, AgentRegistry& agents, const HaResources& resources);
  ~ResourceManager();

  void acquire(std::vector<std::string> group_keys, Done done);
  void release(std::vector<std::string> group_keys, Done done);
  bool busy() const { return current_ != nullptr || !queue_.empty(); }
  // Status of every resource of a group: true when all say running.
  void group_status(const std::string& key, std::function<void(bool running)> done);

  static constexpr int kStopRetries = 10;

 private:
  struct Op;
  void next();
  void step();
  void start_resource();
  void stop_resource();
  void finish_group(bool failed);
  const ResourceGroup* group(const std::string& key) const;
  void call(const ResourceSpec& spec, AgentOp op, std::function<void(AgentResult, bool located)> done);

  event::Loop& loop_;
  log::Logger& logger_;
  AgentRegistry& agents_;
  const HaResources& resources_;
  std::deque<std::unique_ptr<Op>> queue_;
  std::unique_ptr<Op> current_;
  std::unique_ptr<event::Timer> retry_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace halb::heartbeat
