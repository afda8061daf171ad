// lib/daemon/daemonize.cc: see daemonize.h.
#include "lib/daemon/daemonize.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace halb::daemon {

Readiness::~Readiness() {
  if (fd_ >= 0) close(fd_);
}

void Readiness::report(int status) {
  if (fd_ < 0) return;
  unsigned char b = static_cast<unsigned char>(status);
  ssize_t n = write(fd_, &b, 1);
  (void)n;
  close(fd_);
  fd_ = -1;
}

void daemonize(Readiness& readiness) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) _exit(1);
  pid_t pid = fork();
  if (pid < 0) _exit(1);
  if (pid > 0) {
    close(fds[1]);
    unsigned char status = 1;
    ssize_t n;
    do {
      n = read(fds[0], &status, 1);
    } while (n < 0);
    waitpid(pid, nullptr, 0);
    _exit(n == 1 ? status : 1);
  }
  close(fds[0]);
  setsid();
  pid = fork();
  if (pid < 0) _exit(1);
  if (pid > 0) _exit(0);  // the intermediate child; the reader waits for the grandchild's report
  umask(022);
  if (chdir("/") != 0) _exit(1);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
  }
  readiness.fd_ = fds[1];
}

}  // namespace halb::daemon
