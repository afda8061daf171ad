// director/daemon/commands.h: the few programs the director runs besides
// external checks: fallbackcommand, callback and sendmail for emailalert.
//
// Each runs as a child watched on the loop (never waited for), with
// optional text on stdin, and is killed when it outlives its timeout, so
// a hung command can neither block the checks nor pile up.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::director::daemon {

class CommandRunner {
 public:
  CommandRunner(event::Loop& loop, log::Logger& logger) : loop_(loop), logger_(logger) {}
  ~CommandRunner();
  CommandRunner(const CommandRunner&) = delete;
  CommandRunner& operator=(const CommandRunner&) = delete;

  // Run argv[0] with argv (no shell); `what` names it in log lines.
  void run(const std::vector<std::string>& argv, const std::string& what, double timeout_s = 60,
           const std::string& stdin_text = "");
  // `sh -c line`, for commands written in the config with their own words.
  void run_shell(const std::string& line, const std::string& what, double timeout_s = 60);
  size_t running() const { return children_.size(); }

 private:
  struct Running {
    std::string what;
    std::unique_ptr<event::Child> child;
    std::unique_ptr<event::Timer> deadline;
  };
  void finished(pid_t pid, int status);

  event::Loop& loop_;
  log::Logger& logger_;
  std::map<pid_t, std::unique_ptr<Running>> children_;
};

}  // namespace halb::director::daemon
