// director/checks/external_probe.cc: checktype=external (and external-perl,
// which ldirectord loaded as a Perl sub; halb runs the script the same way):
// fork+exec `checkcommand VIP|fwmark VPORT RIP RPORT`, exit 0 = up, the
// whole process group killed after checktimeout or when the attempt is
// dropped. The only attempt that forks.
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

class External : public Attempt {
 public:
  External(event::Loop& loop, const Spec& spec, Done done) : Attempt(loop, std::move(done)) {
    name_ = spec.checkcommand;
    std::vector<std::string> args = {
        spec.checkcommand,
        spec.fwmark ? std::to_string(*spec.fwmark) : spec.vip.str(),
        std::to_string(spec.vport),
        spec.rip.str(),
        std::to_string(spec.port),
    };
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int errpipe[2];  // carries exec's errno; closed by a successful exec
    if (pipe2(errpipe, O_CLOEXEC) < 0) {
      finish_soon(false, "external check " + name_ + ": pipe: " + errno_text(errno));
      return;
    }
    pid_t pid = fork();
    if (pid < 0) {
      int err = errno;
      close(errpipe[0]);
      close(errpipe[1]);
      finish_soon(false, "external check " + name_ + ": fork: " + errno_text(err));
      return;
    }
    if (pid == 0) {
      setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      signal(SIGPIPE, SIG_DFL);
      int null = open("/dev/null", O_RDONLY);
      if (null >= 0) dup2(null, 0);
      // The daemon's other descriptors (sockets, the control socket, log
      // files) are not the script's business, whoever opened them.
      close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
      execv(argv[0], argv.data());
      int err = errno;
      ssize_t ignored = write(errpipe[1], &err, sizeof err);
      (void)ignored;
      _exit(127);
    }
    setpgid(pid, pid);  // also from here: no race with the kill below
    close(errpipe[1]);
    int err = 0;
    ssize_t n;
    do n = read(errpipe[0], &err, sizeof err);
    while (n < 0 && errno == EINTR);
    close(errpipe[0]);
    pid_ = pid;
    child_ = std::make_unique<event::Child>(loop, pid, [this](int status) { exited(status); });
    if (n == sizeof err) exec_error_ = errno_text(err);
    arm_deadline(spec.checktimeout, "external check " + name_ + ": timed out after " +
                                        std::to_string(static_cast<int>(spec.checktimeout)) + " s, killed");
  }
  ~External() override { halt(); }

  void halt() override {
    if (pid_ > 0) kill(-pid_, SIGKILL);  // libev's SIGCHLD handler reaps it
    pid_ = -1;
    child_.reset();
  }

 private:
  void exited(int status) {
    pid_ = -1;  // reaped: the group id may be reused now
    if (!exec_error_.empty()) return finish(false, "external check " + name_ + ": " + exec_error_);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return finish(true, "external check " + name_ + " exited 0");
    if (WIFEXITED(status))
      return finish(false, "external check " + name_ + " exited " + std::to_string(WEXITSTATUS(status)));
    finish(false, "external check " + name_ + " killed by signal " + std::to_string(WTERMSIG(status)));
  }

  std::string name_;
  std::string exec_error_;
  pid_t pid_ = -1;
  std::unique_ptr<event::Child> child_;
};

}  // namespace

std::unique_ptr<Check> start_external(event::Loop& loop, const Spec& spec, Done done) {
  return std::make_unique<External>(loop, spec, std::move(done));
}

}  // namespace halb::director::checks
