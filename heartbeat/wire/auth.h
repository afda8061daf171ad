// heartbeat/wire/auth.h: heartbeat's message digests.
//
//   crc     CRC-32, polynomial 0x04C11DB7, MSB first, initial value 0, no
//           length appended, result inverted, printed as %lx
//   md5     HMAC-MD5(key, text), lowercase hex
//   sha1    HMAC-SHA1(key, text), lowercase hex
//   sha256  HMAC-SHA256(key, text), lowercase hex (halb extension)
// The auth value on the wire is "<index> <digest>".
#pragma once

#include <string>
#include <string_view>

#include "heartbeat/config/model.h"

namespace halb::heartbeat::wire {

std::string auth_digest(const AuthKey& key, std::string_view text);
// "<active index> <digest>" with the active key.
std::string sign(const AuthKeys& keys, std::string_view text);
// Check an auth value against any listed key (rollover). Constant-time
// comparison of the digest. `why` says what failed.
bool verify(const AuthKeys& keys, std::string_view auth_value, std::string_view text, std::string& why);

}  // namespace halb::heartbeat::wire
