// cluster/ndbd/wire/buffer.h: little-endian writer and a bounds-checked
// reader for the data node's message payloads.
//
// The reader never throws and never reads past its input: the first short
// or impossible field marks it failed, every later read returns a zero
// value, and the caller checks ok() once at the end. Counts are checked
// against the bytes left before anything is allocated, so a forged count
// cannot make a decoder reserve gigabytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace halb::cluster::wire {

class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    u64(bits);
  }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint8_t u8() { return static_cast<uint8_t>(get(1)); }
  uint16_t u16() { return static_cast<uint16_t>(get(2)); }
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  bool boolean() {
    uint8_t v = u8();
    if (v > 1) fail("a flag is neither 0 nor 1");
    return v == 1;
  }
  double f64() {
    uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  std::string str() {
    uint32_t n = u32();
    if (!ok_ || n > left()) {
      fail("a string runs past the end of the message");
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A element count; each element takes at least `min_bytes` bytes.
  uint32_t count(size_t min_bytes = 1) {
    uint32_t n = u32();
    if (ok_ && static_cast<uint64_t>(n) * min_bytes > left()) {
      fail("a count of " + std::to_string(n) + " does not fit the message");
      return 0;
    }
    return ok_ ? n : 0;
  }
  void fail(std::string why) {
    if (ok_) error_ = std::move(why) + " (at byte " + std::to_string(pos_) + ")";
    ok_ = false;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  size_t left() const { return in_.size() - pos_; }
  const std::string& error() const { return error_; }

 private:
  uint64_t get(int n) {
    if (!ok_) return 0;
    if (left() < static_cast<size_t>(n)) {
      fail("the message is truncated");
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += n;
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
  std::string error_;
};

}  // namespace halb::cluster::wire
