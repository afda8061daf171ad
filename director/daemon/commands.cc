// director/daemon/commands.cc: see commands.h.
#include "director/daemon/commands.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace halb::director::daemon {

CommandRunner::~CommandRunner() {
  for (auto& [pid, r] : children_) kill(-pid, SIGKILL);
}

void CommandRunner::run(const std::vector<std::string>& argv, const std::string& what, double timeout_s,
                        const std::string& stdin_text) {
  if (argv.empty()) return;
  int in[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0) {
    logger_.error(what + ": pipe: " + strerror(errno));
    return;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    logger_.error(what + ": fork: " + strerror(errno));
    close(in[0]);
    close(in[1]);
    return;
  }
  if (pid == 0) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    dup2(in[0], 0);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  setpgid(pid, pid);
  close(in[0]);
  // The text is small (a mail); a full pipe would only cut it short, never block us.
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  if (!stdin_text.empty() && write(in[1], stdin_text.data(), stdin_text.size()) < 0)
    logger_.warn(what + ": could not pass input: " + strerror(errno));
  close(in[1]);

  auto r = std::make_unique<Running>();
  r->what = what;
  r->child = std::make_unique<event::Child>(loop_, pid, [this, pid](int status) { finished(pid, status); });
  r->deadline = std::make_unique<event::Timer>(loop_, [this, pid] {
    auto it = children_.find(pid);
    if (it == children_.end()) return;
    logger_.warn(it->second->what + " did not finish in time; killed");
    kill(-pid, SIGKILL);
  });
  r->deadline->start(timeout_s);
  children_[pid] = std::move(r);
}

void CommandRunner::run_shell(const std::string& line, const std::string& what, double timeout_s) {
  run({"/bin/sh", "-c", line}, what, timeout_s);
}

void CommandRunner::finished(pid_t pid, int status) {
  auto it = children_.find(pid);
  if (it == children_.end()) return;
  std::string what = it->second->what;
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    logger_.warn(what + " exited with status " + std::to_string(WEXITSTATUS(status)));
  else if (WIFSIGNALED(status))
    logger_.warn(what + " ended by signal " + std::to_string(WTERMSIG(status)));
  // Freed outside the child watcher's own callback.
  loop_.defer([this, pid] { children_.erase(pid); });
}

}  // namespace halb::director::daemon
