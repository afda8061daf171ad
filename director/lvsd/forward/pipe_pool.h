// director/lvsd/forward/pipe_pool.h: a worker's spare splice() pipes.
//
// Every proxied connection needs two pipes; creating and closing them
// costs six system calls per connection, a visible share of a short
// connection's cost. A session hands back a pipe it left empty, and the
// next session takes it. A pipe that may still hold bytes is closed
// instead. One pool per worker thread, so no locking.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <utility>
#include <vector>

namespace halb::director::lvsd {

class PipePool {
 public:
  static constexpr size_t kMaxSpare = 256;
  // A bulk transfer moves up to this much per splice() pair (the default
  // 64 KiB pipe took four times the calls); pages are used only while bytes
  // wait. Above the user's pipe quota the kernel keeps the default size.
  static constexpr int kPipeBytes = 256 * 1024;

  PipePool() = default;
  ~PipePool() {
    for (auto [r, w] : spare_) {
      close(r);
      close(w);
    }
  }
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // A pipe {read end, write end}, or {-1, -1} with errno set.
  std::pair<int, int> take() {
    if (!spare_.empty()) {
      auto p = spare_.back();
      spare_.pop_back();
      return p;
    }
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return {-1, -1};
    fcntl(fds[1], F_SETPIPE_SZ, kPipeBytes);
    return {fds[0], fds[1]};
  }

  // Return a pipe; `empty` says nothing is left in it.
  void give_back(int r, int w, bool empty) {
    if (r < 0 || w < 0) return;
    if (empty && spare_.size() < kMaxSpare) {
      spare_.emplace_back(r, w);
      return;
    }
    close(r);
    close(w);
  }

 private:
  std::vector<std::pair<int, int>> spare_;
};

}  // namespace halb::director::lvsd
