// cluster/sqld/protocol/packet_channel.h: MySQL packet framing on a Stream.
//
// A packet is a 3-byte payload length, a sequence id and the payload. The
// sequence id restarts at 0 with every command and counts every packet in
// either direction. Payloads of 0xFFFFFF bytes or more travel as 0xFFFFFF
// chunks ending with a shorter (possibly empty) one; both directions join
// and split here, so callers see whole payloads.
//
// Replies are framed into one output buffer and written with one send per
// flush(): a whole result set costs one system call and, once the buffer has
// grown, no allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/sqld/protocol/stream.h"

namespace halb::cluster::sqld::protocol {

inline constexpr size_t kMaxChunk = 0xFFFFFF;

enum class ReadResult { kOk, kClosed, kTimeout, kError, kTooLarge, kBadSequence };

class PacketChannel {
 public:
  explicit PacketChannel(Stream* stream) : stream_(stream) {}

  void set_stream(Stream* stream) { stream_ = stream; }
  // Bytes left in the input buffer (a TLS switch must find none).
  size_t buffered_input() const { return in_.size() - in_pos_; }

  // One whole payload into `payload`. `max_payload` is max_allowed_packet:
  // a larger one is drained up to the limit and reported as kTooLarge.
  // With `expect_sequence`, a packet out of order gives kBadSequence.
  ReadResult read_packet(std::string& payload, size_t max_payload, int timeout_ms,
                         bool expect_sequence = true);

  // The next command starts: the client's packet carries sequence id 0.
  void reset_sequence() { sequence_ = 0; }
  uint8_t sequence() const { return sequence_; }

  // Framing a reply: begin() returns the buffer to append the payload to,
  // end() writes the header (splitting large payloads).
  std::string& begin();
  void end();
  void write_packet(std::string_view payload) {
    begin().append(payload);
    end();
  }
  bool flush();
  size_t pending_output() const { return out_.size(); }

 private:
  bool fill(int timeout_ms, ReadResult& why);

  Stream* stream_;
  std::string in_;
  size_t in_pos_ = 0;
  std::string out_;
  size_t packet_start_ = 0;
  uint8_t sequence_ = 0;
};

}  // namespace halb::cluster::sqld::protocol
