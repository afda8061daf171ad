// cluster/ndbd/wire/engine_codec.h: every engine message (engine/messages.h)
// as a transport message type with a versioned binary payload.
//
// Types 256..277 follow the order of engine::Message's alternatives
// (ApiExecuteReq = 256 ... CommitFragConf = 276, WaitGraphReport = 277), at
// layout version 1 except the two that carry a ScanSpec (API_SCAN_REQ,
// SCAN_FRAGREQ), at 2 since it names the columns to read. Each side speaks
// one layout per type: a peer of another layout is refused at the frame
// check ("version 1 not spoken (2..2)") rather than misread.
// Payloads use buffer.h's little-endian fields; a Value is a tag byte (0 NULL,
// 1 int64, 2 uint64, 3 double, 4 bytes) then its data. Decoding checks every
// length, count, enum and tag, limits filter nesting, and refuses trailing
// bytes: a malformed payload is an error sentence, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/ndbd/engine/messages.h"
#include "cluster/transport/messages.h"

namespace halb::cluster::wire {

inline constexpr uint16_t kFirstEngineMessage = 256;
inline constexpr uint16_t kEngineMessageVersion = 1;
inline constexpr uint16_t kScanSpecMessageVersion = 2;
inline constexpr uint32_t kMaxFilterDepth = 32;

// The transport type of a message (kFirstEngineMessage + its variant index).
uint16_t engine_message_type(const engine::Message& m);
bool is_engine_message_type(uint16_t type);
// Name of a type ("LQHKEYREQ"...), "" when it is not an engine message.
std::string engine_message_name(uint16_t type);
// The layout version this build speaks for `type` (an engine message type).
uint16_t engine_message_version(uint16_t type);

// Registers all engine message types (throws like MessageRegistry::add on a clash).
void register_engine_messages(transport::MessageRegistry& registry);

std::string encode_engine_message(const engine::Message& m);
// nullopt with `error` set when `type` is not an engine message or the
// payload is malformed.
std::optional<engine::Message> decode_engine_message(uint16_t type, std::string_view payload, std::string& error);

}  // namespace halb::cluster::wire
