// lib/daemon/pidfile.cc: see pidfile.h.
#include "lib/daemon/pidfile.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace halb::daemon {

static std::optional<pid_t> read_pid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  char* end = nullptr;
  long v = strtol(buf, &end, 10);
  if (v <= 0 || end == buf) return std::nullopt;
  return static_cast<pid_t>(v);
}

PidProbe probe_pidfile(const std::string& path) {
  PidProbe out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  auto pid = read_pid(fd);
  out.pid = pid.value_or(0);
  // A shared lock succeeds only when nobody holds the exclusive one.
  bool locked_by_other = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  if (locked_by_other) {
    out.status = PidStatus::running;
  } else if (pid && kill(*pid, 0) == 0) {
    // Pid files written by other tools carry no lock; trust a live pid.
    out.status = PidStatus::running;
  } else {
    out.status = PidStatus::stale;
  }
  return out;
}

PidFile::~PidFile() { release(); }

bool PidFile::acquire(const std::string& path, std::string& error) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot open pid file " + path + ": " + strerror(errno);
    return false;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto pid = read_pid(fd);
    error = "already running" + (pid ? " with pid " + std::to_string(*pid) : std::string()) + " (" + path + ")";
    close(fd);
    return false;
  }
  path_ = path;
  fd_ = fd;
  write_pid();
  return true;
}

void PidFile::write_pid() {
  if (fd_ < 0) return;
  std::string text = std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    // Nothing sensible to do: the lock still marks us as running.
  }
}

void PidFile::release() {
  if (fd_ < 0) return;
  unlink(path_.c_str());
  close(fd_);
  fd_ = -1;
}

int stop_by_pidfile(const std::string& path, int sig, double timeout_s) {
  auto probe = probe_pidfile(path);
  if (probe.status != PidStatus::running || probe.pid <= 0) {
    if (probe.status == PidStatus::stale) unlink(path.c_str());
    return 3;
  }
  if (kill(probe.pid, sig) != 0) return errno == ESRCH ? 3 : 1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe_pidfile(path).status != PidStatus::running) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 1;
}

}  // namespace halb::daemon
