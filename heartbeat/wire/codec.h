// heartbeat/wire/codec.h: heartbeat messages as UDP datagrams.
//
// Classic (what halb sends by default, and what 3.0.6 accepts):
//   ">>>\n" name=value\n ... "auth=<idx> <hex>\n" "<<<\n"
//   binary fields written "(1)name=<base64>"; the digest covers every
//   name=value\n line except auth, without the >>> and <<< lines.
// Netstring (what heartbeat 3.0.6 sends):
//   "###\n" LEN:(T)name=value, ... "%%%\n" LEN:<idx> <hex>,
//   the trailing netstring is the outer auth over the bytes from "###\n"
//   through "%%%\n"; 3.0.6 also carries an inner (0)auth= field computed
//   the classic way, which halb writes too.
// No trailing NUL. Anything else, or a bad digest, is refused with a reason;
// no input can make the decoder read out of bounds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "heartbeat/config/model.h"
#include "heartbeat/wire/message.h"

namespace halb::heartbeat::wire {

enum class Format { classic, netstring };

// Sign with the active key and lay out in `format`.
std::string encode(const Message& m, Format format, const AuthKeys& keys);

struct DecodeResult {
  std::optional<Message> message;  // set when the datagram is good
  bool bad_auth = false;           // well formed but not signed by a listed key
  std::string error;               // why it was refused
};

DecodeResult decode(std::string_view datagram, const AuthKeys& keys);

// Largest datagram accepted (heartbeat's own limit is below 64 KiB).
inline constexpr size_t kMaxDatagram = 65507;

}  // namespace halb::heartbeat::wire
