// heartbeat/agents/registry.h: from a haresources resource name to the agent
// that runs it, in heartbeat's lookup order:
//   1. halb's own implementations of the classic agents, matched without
//      regard to case (IPaddr2, IPaddr; ldirectord and LVSSyncDaemonSwap
//      when halb-director / halb-syncswap are installed beside us);
//   2. <config-dir>/resource.d/<Name> (exact name, executable);
//   3. <init-dir>/<Name> (LSB init scripts, /etc/init.d by default).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "heartbeat/agents/agent.h"
#include "heartbeat/config/model.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::heartbeat {

struct Resolved {
  Agent* agent = nullptr;
  std::string path;               // what runs, for log lines ("/etc/ha.d/resource.d/x" or "built-in IPaddr2")
  std::vector<std::string> args;  // arguments to pass (a program agent may add its own first)
};

class AgentRegistry {
 public:
  struct Options {
    std::string config_dir = "/etc/ha.d";
    std::string init_dir = "/etc/init.d";
    std::string program_dir;  // where halb-director / halb-syncswap live; empty: next to this program
    double timeout_s = 60;
  };
  // A factory for a built-in agent, keyed by its lowercased classic name.
  using Factory = std::function<std::unique_ptr<Agent>()>;

  AgentRegistry(event::Loop& loop, log::Logger& logger, Options options);
  void add_builtin(const std::string& classic_name, Factory factory);
  // Map a classic agent name to a halb program run as `<program> <args> op`.
  void add_program(const std::string& classic_name, const std::string& program);

  // nullptr agent and `error` set ("Cannot locate resource script X") when nothing matches.
  Resolved resolve(const ResourceSpec& spec, std::string& error);
  void cancel_all();

 private:
  Agent* script(const std::string& path);

  event::Loop& loop_;
  log::Logger& logger_;
  Options options_;
  std::map<std::string, Factory> factories_;
  std::map<std::string, std::string> programs_;
  std::map<std::string, std::unique_ptr<Agent>> instances_;  // by lowercased name or script path
};

}  // namespace halb::heartbeat
