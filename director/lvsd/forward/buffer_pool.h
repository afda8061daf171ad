// director/lvsd/forward/buffer_pool.h: a worker's spare copy buffers.
//
// Short exchanges (a request, a reply) move through a user-space buffer
// with recv()/send(): for a few hundred bytes that is cheaper than two
// splice() calls through a pipe. A connection holds a buffer only while
// bytes wait in it, so thousands of idle keep-alive connections cost no
// buffer memory; drained buffers go back here for the next one. One pool
// per worker thread, so no locking.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace halb::director::lvsd {

class BufferPool {
 public:
  static constexpr size_t kSize = 16 * 1024;
  static constexpr size_t kMaxSpare = 256;

  std::unique_ptr<char[]> take() {
    if (spare_.empty()) return std::make_unique_for_overwrite<char[]>(kSize);
    auto b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }

  void give_back(std::unique_ptr<char[]> b) {
    if (b && spare_.size() < kMaxSpare) spare_.push_back(std::move(b));
  }

 private:
  std::vector<std::unique_ptr<char[]>> spare_;
};

}  // namespace halb::director::lvsd
