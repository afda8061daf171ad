// heartbeat/daemon/generation.cc: see generation.h.
#include "heartbeat/daemon/generation.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace halb::heartbeat {

bool next_generation(const std::string& state_dir, uint64_t& generation, std::string& error) {
  std::string path = state_dir + "/hb_generation";
  uint64_t current = 0;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[32] = {};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0) current = strtoull(buf, nullptr, 10);
  }
  generation = current + 1;
  std::string tmp = path + ".new";
  fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot write " + tmp + ": " + strerror(errno);
    return false;
  }
  std::string text = std::to_string(generation) + "\n";
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot write " + path + ": " + strerror(errno);
    return false;
  }
  int dfd = open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return true;
}

}  // namespace halb::heartbeat
