// cluster/transport/frame.cc: frame encoding and incremental decoding (see frame.h).
#include "cluster/transport/frame.h"

#include <array>

namespace halb::cluster::transport {

namespace {

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

void put16(std::string& s, size_t at, uint16_t v) {
  s[at] = static_cast<char>(v >> 8);
  s[at + 1] = static_cast<char>(v);
}
void put32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (24 - 8 * i));
}
uint16_t get16(std::string_view s, size_t at) {
  return static_cast<uint16_t>((uint8_t(s[at]) << 8) | uint8_t(s[at + 1]));
}
uint32_t get32(std::string_view s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) | (uint32_t(uint8_t(s[at + 2])) << 8) |
         uint32_t(uint8_t(s[at + 3]));
}

}  // namespace

uint32_t crc32(std::string_view bytes, uint32_t crc) {
  crc = ~crc;
  for (unsigned char b : bytes) crc = kCrcTable[(crc ^ b) & 0xff] ^ (crc >> 8);
  return ~crc;
}

std::string encode_frame(uint16_t type, uint16_t type_version, uint16_t sender, uint16_t receiver,
                         std::string_view payload, bool checksum) {
  std::string out(kHeaderSize, '\0');
  put32(out, 0, kFrameMagic);
  out[4] = static_cast<char>(kFrameVersion);
  out[5] = static_cast<char>(checksum ? kFlagChecksum : 0);
  put16(out, 6, type);
  put16(out, 8, type_version);
  put16(out, 10, sender);
  put16(out, 12, receiver);
  put32(out, 16, static_cast<uint32_t>(payload.size()));
  out.append(payload);
  if (checksum) put32(out, 20, crc32(out));
  return out;
}

void FrameDecoder::feed(std::string_view bytes) {
  if (!error_.empty()) return;
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 256 * 1024) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

FrameDecoder::Status FrameDecoder::fail(std::string why) {
  error_ = std::move(why);
  return Status::kError;
}

FrameDecoder::Status FrameDecoder::next(Frame& out) {
  if (!error_.empty()) return Status::kError;
  if (buffered() < kHeaderSize) return Status::kNeedMore;
  std::string_view h(buf_.data() + pos_, kHeaderSize);
  if (get32(h, 0) != kFrameMagic) return fail("bad frame magic");
  if (uint8_t(h[4]) != kFrameVersion) return fail("unsupported frame version " + std::to_string(uint8_t(h[4])));
  uint8_t flags = uint8_t(h[5]);
  if (flags & ~kFlagChecksum) return fail("unknown frame flags");
  if (get16(h, 14) != 0) return fail("reserved header field is not zero");
  uint32_t length = get32(h, 16);
  if (length > max_payload_)
    return fail("frame payload of " + std::to_string(length) + " bytes exceeds " + std::to_string(max_payload_));
  bool has_sum = flags & kFlagChecksum;
  if (require_checksum_ && !has_sum) return fail("frame without checksum on a checksummed link");
  if (!has_sum && get32(h, 20) != 0) return fail("checksum field set without the checksum flag");
  if (buffered() < kHeaderSize + length) return Status::kNeedMore;
  if (has_sum) {
    std::string copy(buf_, pos_, kHeaderSize + length);
    uint32_t sent = get32(copy, 20);
    put32(copy, 20, 0);
    if (crc32(copy) != sent) return fail("frame checksum mismatch");
  }
  out.header.flags = flags;
  out.header.type = get16(h, 6);
  out.header.type_version = get16(h, 8);
  out.header.sender = get16(h, 10);
  out.header.receiver = get16(h, 12);
  out.header.length = length;
  out.header.checksum = get32(h, 20);
  out.payload.assign(buf_, pos_ + kHeaderSize, length);
  pos_ += kHeaderSize + length;
  return Status::kFrame;
}

}  // namespace halb::cluster::transport
