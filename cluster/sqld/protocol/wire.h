// cluster/sqld/protocol/wire.h: the MySQL protocol's basic types --
// little-endian fixed integers, length-encoded integers and strings,
// NUL-terminated strings -- read from a payload and appended to one.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace halb::cluster::sqld::protocol {

// Reads a payload front to back. A read past the end sets failed() and
// returns zero/empty, so a parser checks once at the end instead of after
// every field (client bytes are never trusted).
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool failed() const { return failed_; }
  bool at_end() const { return pos_ >= data_.size(); }
  size_t remaining() const { return failed_ ? 0 : data_.size() - pos_; }
  size_t position() const { return pos_; }

  uint8_t u8() { return static_cast<uint8_t>(fixed(1)); }
  uint16_t u16() { return static_cast<uint16_t>(fixed(2)); }
  uint32_t u24() { return static_cast<uint32_t>(fixed(3)); }
  uint32_t u32() { return static_cast<uint32_t>(fixed(4)); }
  uint64_t u64() { return fixed(8); }
  uint64_t fixed(size_t bytes);
  // Length-encoded integer; nullopt for the NULL marker 0xFB (and failure).
  std::optional<uint64_t> lenenc();
  std::string_view bytes(size_t n);
  // Length-encoded string; fails on the NULL marker.
  std::string_view lenenc_string();
  // Up to the next NUL (consumed); the rest of the payload if there is none
  // and `nul_optional` (old clients end the last field without one).
  std::string_view nul_string(bool nul_optional = false);
  std::string_view rest();
  void skip(size_t n) { bytes(n); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

inline void put_u8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
inline void put_fixed(std::string& out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
inline void put_u16(std::string& out, uint16_t v) { put_fixed(out, v, 2); }
inline void put_u32(std::string& out, uint32_t v) { put_fixed(out, v, 4); }
void put_lenenc(std::string& out, uint64_t v);
inline void put_lenenc_string(std::string& out, std::string_view s) {
  put_lenenc(out, s.size());
  out.append(s);
}
inline void put_nul_string(std::string& out, std::string_view s) {
  out.append(s);
  out.push_back('\0');
}
size_t lenenc_size(uint64_t v);

}  // namespace halb::cluster::sqld::protocol
