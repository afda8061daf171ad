// heartbeat/agents/script_agent.h: a resource.d or LSB init script run as
// `<script> <args...> start|stop|status`.
//
// Each call is a child process watched by the loop (never waited for in
// place), in its own process group so a timeout kills the whole tree:
// SIGTERM at the agent timeout, SIGKILL two seconds later. Output (stdout
// and stderr together) is collected for the status-word verdict.
#pragma once

#include <list>
#include <memory>
#include <string>

#include "heartbeat/agents/agent.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::heartbeat {

class ScriptAgent : public Agent {
 public:
  ScriptAgent(event::Loop& loop, log::Logger& logger, std::string path, double timeout_s);
  ~ScriptAgent() override;
  void run(AgentOp op, const std::vector<std::string>& args, AgentDone done) override;
  void cancel() override;
  const std::string& path() const { return path_; }

  // Output beyond this is dropped (a runaway script must not eat memory).
  static constexpr size_t kMaxOutput = 64 * 1024;

 private:
  struct Run;
  void finish(Run* run, int status);

  event::Loop& loop_;
  log::Logger& logger_;
  std::string path_;
  double timeout_s_;
  std::list<std::unique_ptr<Run>> runs_;
};

}  // namespace halb::heartbeat
