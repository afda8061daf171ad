// cluster/sqld/protocol/stream.h: the byte pipe a MySQL connection runs on
// -- a plain socket, a TLS session over one, or a buffer in unit tests.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace halb::cluster::sqld::protocol {

enum class ReadStatus { kOk, kClosed, kTimeout, kError };

class Stream {
 public:
  virtual ~Stream() = default;
  // Up to `len` bytes into `buf`, waiting at most `timeout_ms` (< 0: no
  // limit). On kOk `got` > 0.
  virtual ReadStatus read_some(char* buf, size_t len, int timeout_ms, size_t& got) = 0;
  // Everything or false (peer gone).
  virtual bool write_all(const char* data, size_t len) = 0;
};

}  // namespace halb::cluster::sqld::protocol
