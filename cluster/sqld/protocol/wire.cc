// cluster/sqld/protocol/wire.cc
#include "cluster/sqld/protocol/wire.h"

namespace halb::cluster::sqld::protocol {

uint64_t Reader::fixed(size_t n) {
  if (failed_ || data_.size() - pos_ < n) {
    failed_ = true;
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
  pos_ += n;
  return v;
}

std::optional<uint64_t> Reader::lenenc() {
  uint8_t first = u8();
  if (failed_) return std::nullopt;
  switch (first) {
    case 0xFB: return std::nullopt;
    case 0xFC: return fixed(2);
    case 0xFD: return fixed(3);
    case 0xFE: return fixed(8);
    case 0xFF: failed_ = true; return std::nullopt;  // starts an ERR packet, never a length
    default: return first;
  }
}

std::string_view Reader::bytes(size_t n) {
  if (failed_ || data_.size() - pos_ < n) {
    failed_ = true;
    return {};
  }
  std::string_view v = data_.substr(pos_, n);
  pos_ += n;
  return v;
}

std::string_view Reader::lenenc_string() {
  auto n = lenenc();
  if (!n) {
    failed_ = true;
    return {};
  }
  return bytes(*n);
}

std::string_view Reader::nul_string(bool nul_optional) {
  if (failed_) return {};
  size_t end = data_.find('\0', pos_);
  if (end == std::string_view::npos) {
    if (!nul_optional) {
      failed_ = true;
      return {};
    }
    return rest();
  }
  std::string_view v = data_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return v;
}

std::string_view Reader::rest() {
  if (failed_) return {};
  std::string_view v = data_.substr(pos_);
  pos_ = data_.size();
  return v;
}

void put_lenenc(std::string& out, uint64_t v) {
  if (v < 0xFB) {
    put_u8(out, static_cast<uint8_t>(v));
  } else if (v <= 0xFFFF) {
    put_u8(out, 0xFC);
    put_fixed(out, v, 2);
  } else if (v <= 0xFFFFFF) {
    put_u8(out, 0xFD);
    put_fixed(out, v, 3);
  } else {
    put_u8(out, 0xFE);
    put_fixed(out, v, 8);
  }
}

size_t lenenc_size(uint64_t v) {
  if (v < 0xFB) return 1;
  if (v <= 0xFFFF) return 3;
  if (v <= 0xFFFFFF) return 4;
  return 9;
}

}  // namespace halb::cluster::sqld::protocol
