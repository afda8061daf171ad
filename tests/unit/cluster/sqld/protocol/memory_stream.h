// An in-memory Stream for protocol unit tests: reads from `input` (in
// slices of at most `slice` bytes, to exercise partial reads), appends
// writes to `output`.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "cluster/sqld/protocol/stream.h"

class MemoryStream : public halb::cluster::sqld::protocol::Stream {
 public:
  std::string input;
  std::string output;
  size_t pos = 0;
  size_t slice = 7;

  halb::cluster::sqld::protocol::ReadStatus read_some(char* buf, size_t len, int, size_t& got) override {
    if (pos >= input.size()) return halb::cluster::sqld::protocol::ReadStatus::kClosed;
    got = std::min({len, slice, input.size() - pos});
    std::memcpy(buf, input.data() + pos, got);
    pos += got;
    return halb::cluster::sqld::protocol::ReadStatus::kOk;
  }
  bool write_all(const char* data, size_t len) override {
    output.append(data, len);
    return true;
  }
};
