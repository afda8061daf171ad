// cluster/sqld/protocol/packet_channel.cc
#include "cluster/sqld/protocol/packet_channel.h"

#include <algorithm>

namespace halb::cluster::sqld::protocol {
namespace {
constexpr size_t kReadBlock = 16384;
}

bool PacketChannel::fill(int timeout_ms, ReadResult& why) {
  if (in_pos_ > 0 && in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > (1u << 20)) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  size_t old = in_.size();
  in_.resize(old + kReadBlock);
  size_t got = 0;
  ReadStatus st = stream_->read_some(in_.data() + old, kReadBlock, timeout_ms, got);
  in_.resize(old + (st == ReadStatus::kOk ? got : 0));
  switch (st) {
    case ReadStatus::kOk: return true;
    case ReadStatus::kClosed: why = ReadResult::kClosed; return false;
    case ReadStatus::kTimeout: why = ReadResult::kTimeout; return false;
    case ReadStatus::kError: why = ReadResult::kError; return false;
  }
  return false;
}

ReadResult PacketChannel::read_packet(std::string& payload, size_t max_payload, int timeout_ms,
                                      bool expect_sequence) {
  payload.clear();
  bool too_large = false;
  for (;;) {
    ReadResult why = ReadResult::kOk;
    while (in_.size() - in_pos_ < 4)
      if (!fill(timeout_ms, why)) return why;
    const auto* h = reinterpret_cast<const uint8_t*>(in_.data() + in_pos_);
    size_t len = h[0] | (h[1] << 8) | (h[2] << 16);
    uint8_t seq = h[3];
    if (expect_sequence && seq != sequence_) return ReadResult::kBadSequence;
    sequence_ = static_cast<uint8_t>(seq + 1);
    in_pos_ += 4;
    size_t left = len;
    while (left > 0) {
      if (in_pos_ == in_.size() && !fill(timeout_ms, why)) return why;
      size_t take = std::min(left, in_.size() - in_pos_);
      if (!too_large && payload.size() + take > max_payload) {
        too_large = true;
        payload.clear();
      }
      if (!too_large) payload.append(in_, in_pos_, take);
      in_pos_ += take;
      left -= take;
    }
    if (len < kMaxChunk) break;
  }
  return too_large ? ReadResult::kTooLarge : ReadResult::kOk;
}

std::string& PacketChannel::begin() {
  packet_start_ = out_.size();
  out_.append(4, '\0');
  return out_;
}

void PacketChannel::end() {
  size_t len = out_.size() - packet_start_ - 4;
  if (len < kMaxChunk) {
    auto* h = reinterpret_cast<uint8_t*>(out_.data() + packet_start_);
    h[0] = len & 0xFF;
    h[1] = (len >> 8) & 0xFF;
    h[2] = (len >> 16) & 0xFF;
    h[3] = sequence_++;
    return;
  }
  // Rare: split into 0xFFFFFF chunks, each with its own header, ending with
  // a shorter (possibly empty) chunk.
  std::string body = out_.substr(packet_start_ + 4);
  out_.resize(packet_start_);
  size_t pos = 0;
  for (;;) {
    size_t n = std::min(kMaxChunk, body.size() - pos);
    out_.push_back(static_cast<char>(n & 0xFF));
    out_.push_back(static_cast<char>((n >> 8) & 0xFF));
    out_.push_back(static_cast<char>((n >> 16) & 0xFF));
    out_.push_back(static_cast<char>(sequence_++));
    out_.append(body, pos, n);
    pos += n;
    if (n < kMaxChunk) break;
  }
}

bool PacketChannel::flush() {
  if (out_.empty()) return true;
  bool ok = stream_->write_all(out_.data(), out_.size());
  if (out_.capacity() > (4u << 20)) {
    std::string().swap(out_);  // a huge result set does not pin its memory
  } else {
    out_.clear();
  }
  return ok;
}

}  // namespace halb::cluster::sqld::protocol
