// lib/daemon/pidfile.h: pid files with LSB status semantics.
//
// The file is locked (flock) for as long as the daemon lives, so "running"
// means "a process holds the lock", not just "the pid in the file exists":
// a recycled pid after a crash reads as a stale file, not a live daemon.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace halb::daemon {

enum class PidStatus { running = 0, stale = 1, stopped = 3 };

struct PidProbe {
  PidStatus status = PidStatus::stopped;
  pid_t pid = 0;  // the pid in the file, when there is one
};

// What the pid file at `path` says about its daemon.
PidProbe probe_pidfile(const std::string& path);

class PidFile {
 public:
  PidFile() = default;
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  // Create and lock; false with `error` set when another live process holds it.
  bool acquire(const std::string& path, std::string& error);
  // Rewrite the pid (after daemonizing the pid changes but the lock fd stays).
  void write_pid();
  void release();

 private:
  std::string path_;
  int fd_ = -1;
};

// Send `sig` to the daemon of a pid file and wait up to `timeout_s` for it to
// release the file. Returns the LSB-style result: 0 stopped by us, 3 was not
// running (stale files are removed), 1 still running after the timeout.
int stop_by_pidfile(const std::string& path, int sig, double timeout_s);

}  // namespace halb::daemon
