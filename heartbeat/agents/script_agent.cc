// heartbeat/agents/script_agent.cc: see script_agent.h.
#include "heartbeat/agents/script_agent.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace halb::heartbeat {

struct ScriptAgent::Run {
  pid_t pid = -1;
  int out_fd = -1;
  std::string output;
  bool timed_out = false;
  bool exited = false;
  int status = 0;
  AgentDone done;
  std::unique_ptr<event::Child> child;
  std::unique_ptr<event::Io> io;
  std::unique_ptr<event::Timer> term_timer;
  std::unique_ptr<event::Timer> kill_timer;
};

ScriptAgent::ScriptAgent(event::Loop& loop, log::Logger& logger, std::string path, double timeout_s)
    : loop_(loop), logger_(logger), path_(std::move(path)), timeout_s_(timeout_s) {}

ScriptAgent::~ScriptAgent() { cancel(); }

void ScriptAgent::cancel() {
  for (auto& r : runs_) {
    if (r->pid > 0 && !r->exited) kill(-r->pid, SIGKILL);
    if (r->out_fd >= 0) close(r->out_fd);
  }
  runs_.clear();
}

void ScriptAgent::run(AgentOp op, const std::vector<std::string>& args, AgentDone done) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    done(AgentResult{1, std::string("ERROR: pipe: ") + strerror(errno), false});
    return;
  }
  std::vector<std::string> argv_s{path_};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  argv_s.emplace_back(op_name(op));
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    done(AgentResult{1, std::string("ERROR: fork: ") + strerror(errno), false});
    return;
  }
  if (pid == 0) {
    setpgid(0, 0);
    // Agents must not inherit the daemon's blocked or ignored signals.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    // The daemon may run realtime with its memory locked; agents must not.
    sched_param normal{};
    sched_setscheduler(0, SCHED_OTHER, &normal);
    munlockall();
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    execv(path_.c_str(), argv.data());
    dprintf(2, "ERROR: cannot run %s: %s\n", path_.c_str(), strerror(errno));
    _exit(5);  // OCF "not installed"
  }
  setpgid(pid, pid);  // also here, so a kill before the child ran setpgid still reaches it
  close(fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);

  auto run = std::make_unique<Run>();
  Run* r = run.get();
  r->pid = pid;
  r->out_fd = fds[0];
  r->done = std::move(done);
  r->io = std::make_unique<event::Io>(loop_, r->out_fd, EV_READ, [this, r](int) {
    char buf[4096];
    for (;;) {
      ssize_t n = read(r->out_fd, buf, sizeof buf);
      if (n > 0) {
        if (r->output.size() < kMaxOutput) r->output.append(buf, std::min<size_t>(n, kMaxOutput - r->output.size()));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      // EOF: every writer (the script and its children) closed the pipe.
      r->io->stop();
      close(r->out_fd);
      r->out_fd = -1;
      if (r->exited) finish(r, r->status);
      return;
    }
  });
  r->io->start();
  r->child = std::make_unique<event::Child>(loop_, pid, [this, r](int status) {
    r->exited = true;
    r->status = status;
    // A background child of the script may hold the pipe open for long; do
    // not wait for it beyond what is already readable.
    if (r->out_fd >= 0) {
      char buf[4096];
      ssize_t n;
      while ((n = read(r->out_fd, buf, sizeof buf)) > 0)
        if (r->output.size() < kMaxOutput) r->output.append(buf, std::min<size_t>(n, kMaxOutput - r->output.size()));
      r->io->stop();
      close(r->out_fd);
      r->out_fd = -1;
    }
    finish(r, status);
  });
  r->term_timer = std::make_unique<event::Timer>(loop_, [this, r] {
    r->timed_out = true;
    logger_.error(path_ + ": timed out after " + std::to_string(static_cast<int>(timeout_s_)) + "s, killing it");
    kill(-r->pid, SIGTERM);
    r->kill_timer->start(2.0);
  });
  r->kill_timer = std::make_unique<event::Timer>(loop_, [r] { kill(-r->pid, SIGKILL); });
  r->term_timer->start(timeout_s_);
  runs_.push_back(std::move(run));
}

void ScriptAgent::finish(Run* r, int status) {
  if (!r->done) return;
  AgentResult res;
  res.output = std::move(r->output);
  res.timed_out = r->timed_out;
  if (WIFEXITED(status))
    res.exit_code = WEXITSTATUS(status);
  else
    res.exit_code = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  AgentDone done = std::move(r->done);
  r->done = nullptr;
  r->term_timer->stop();
  r->kill_timer->stop();
  // Free the run outside its own callbacks.
  loop_.defer([this, r] {
    for (auto it = runs_.begin(); it != runs_.end(); ++it)
      if (it->get() == r) {
        runs_.erase(it);
        break;
      }
  });
  done(std::move(res));
}

}  // namespace halb::heartbeat
