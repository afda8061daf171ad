// lib/daemon/daemonize.h: detach from the terminal, reporting readiness.
//
// The parent waits until the child calls Readiness::ready() (or fails) and
// exits with the child's verdict, so `halb-foo start` returns only once the
// daemon holds its pid file and sockets, and an init script sees real
// failures in the exit status.
#pragma once

#include <string>

namespace halb::daemon {

class Readiness {
 public:
  Readiness() = default;
  ~Readiness();
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;
  // Tell the waiting parent we are up (status 0) or failed (status != 0).
  void report(int status);
  void ready() { report(0); }

 private:
  friend void daemonize(Readiness&);
  int fd_ = -1;
};

// Fork twice, setsid, chdir("/"), stdin/stdout/stderr to /dev/null. Only the
// grandchild returns; the original process exits with the reported status
// (1 if the daemon died before reporting).
void daemonize(Readiness& readiness);

}  // namespace halb::daemon
