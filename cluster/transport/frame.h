// cluster/transport/frame.h: the binary frame nodes exchange over TCP.
//
// Every message between cluster nodes travels as one frame: a fixed
// 24-byte header in network byte order, then the payload.
//
//   offset size field
//        0    4 magic            'HLBT'
//        4    1 frame version    kFrameVersion
//        5    1 flags            bit 0: checksum present
//        6    2 message type     see messages.h
//        8    2 type version     the message layout's version
//       10    2 sender node id
//       12    2 receiver node id
//       14    2 reserved         0
//       16    4 payload length   at most kMaxPayload
//       20    4 checksum         CRC-32 of header (checksum field zero) and
//                                payload when the link's Checksum is set, else 0
//
// FrameDecoder takes bytes as they arrive and yields whole frames; anything
// malformed (bad magic, unknown frame version, reserved bits, oversized
// payload, checksum mismatch or a checksum missing where the link requires
// one) is an error with a sentence, after which the link is closed. Pure
// code: no sockets, so it is fuzzed in unit tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace halb::cluster::transport {

inline constexpr uint32_t kFrameMagic = 0x484c4254;  // "HLBT"
inline constexpr uint8_t kFrameVersion = 1;
inline constexpr size_t kHeaderSize = 24;
inline constexpr uint32_t kMaxPayload = 1u << 20;
inline constexpr uint8_t kFlagChecksum = 0x01;

struct FrameHeader {
  uint8_t flags = 0;
  uint16_t type = 0;
  uint16_t type_version = 1;
  uint16_t sender = 0;
  uint16_t receiver = 0;
  uint32_t length = 0;
  uint32_t checksum = 0;
};

struct Frame {
  FrameHeader header;
  std::string payload;
};

// CRC-32 (IEEE, as zlib), continuing from `crc`.
uint32_t crc32(std::string_view bytes, uint32_t crc = 0);

// Header + payload on the wire. `checksum` sets the flag and the CRC.
std::string encode_frame(uint16_t type, uint16_t type_version, uint16_t sender, uint16_t receiver,
                         std::string_view payload, bool checksum);

class FrameDecoder {
 public:
  enum class Status { kNeedMore, kFrame, kError };
  // require_checksum: the link's Checksum parameter; frames without one are refused.
  explicit FrameDecoder(bool require_checksum = false, uint32_t max_payload = kMaxPayload)
      : require_checksum_(require_checksum), max_payload_(max_payload) {}
  void feed(std::string_view bytes);
  Status next(Frame& out);
  const std::string& error() const { return error_; }
  size_t buffered() const { return buf_.size() - pos_; }
  // An accepting link learns its Checksum setting from the peer's HELLO.
  void set_require_checksum(bool on) { require_checksum_ = on; }

 private:
  Status fail(std::string why);
  bool require_checksum_;
  uint32_t max_payload_;
  std::string buf_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace halb::cluster::transport
