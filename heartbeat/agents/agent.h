// heartbeat/agents/agent.h: what the resource manager calls to start, stop
// and query one resource.
//
// Every agent answers asynchronously: built-in agents (IPaddr2) may finish
// at once, script agents run as child processes watched by the loop. The
// verdict on `status` is taken from the output words, as heartbeat v1 does
// (see output_says_running), not from the exit code.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace halb::heartbeat {

enum class AgentOp { start, stop, status };

std::string_view op_name(AgentOp op);

struct AgentResult {
  int exit_code = 0;
  std::string output;      // stdout (and stderr) as the agent printed it
  bool timed_out = false;  // killed after the agent timeout
};

using AgentDone = std::function<void(AgentResult)>;

class Agent {
 public:
  virtual ~Agent() = default;
  // Run op with the resource's arguments. `done` is called exactly once,
  // possibly before run() returns.
  virtual void run(AgentOp op, const std::vector<std::string>& args, AgentDone done) = 0;
  // Stop anything still running in the background for these arguments
  // (e.g. gratuitous ARP repeats); called before the daemon exits.
  virtual void cancel() {}
};

// heartbeat v1's judgement of a status call's output: "not running" (any
// case of n/o/t, r) means stopped; otherwise "running"/"Running" or "OK"
// means running; anything else means stopped.
bool output_says_running(std::string_view output);

}  // namespace halb::heartbeat
