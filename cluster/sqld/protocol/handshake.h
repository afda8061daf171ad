// cluster/sqld/protocol/handshake.h: the connection phase -- the server's
// greeting (protocol 10), the client's HandshakeResponse41 (and the short
// SSLRequest), AuthSwitchRequest, and mysql_native_password.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace halb::cluster::sqld::protocol {

namespace cap {
inline constexpr uint32_t kLongPassword = 1u << 0, kFoundRows = 1u << 1, kLongFlag = 1u << 2,
                          kConnectWithDb = 1u << 3, kProtocol41 = 1u << 9, kInteractive = 1u << 10,
                          kSsl = 1u << 11, kTransactions = 1u << 13, kSecureConnection = 1u << 15,
                          kMultiStatements = 1u << 16, kMultiResults = 1u << 17,
                          kPsMultiResults = 1u << 18, kPluginAuth = 1u << 19, kConnectAttrs = 1u << 20,
                          kPluginAuthLenencData = 1u << 21, kSessionTrack = 1u << 23,
                          kDeprecateEof = 1u << 24;
// What halb-sqld offers (reference §2.2, validated with every target
// client): bit 0 set so libmariadb speaks plain MySQL, no SESSION_TRACK, no
// DEPRECATE_EOF, no compression. kSsl is added only with a certificate.
inline constexpr uint32_t kServerDefault = 0x003FA20F;
}  // namespace cap

inline constexpr std::string_view kNativePlugin = "mysql_native_password";
inline constexpr size_t kScrambleLength = 20;

struct Greeting {
  std::string server_version;
  uint32_t connection_id = 0;
  std::string scramble;  // 20 bytes, no NUL
  uint32_t capabilities = cap::kServerDefault;
  uint8_t charset = 45;  // utf8mb4_general_ci
  uint16_t status = 0x0002;
};

void encode_greeting(std::string& out, const Greeting& g);

struct HandshakeResponse {
  uint32_t capabilities = 0;  // as the client sent them
  uint32_t max_packet = 0;
  uint8_t charset = 0;
  bool ssl_request = false;   // only the 32-byte SSLRequest prefix arrived
  std::string user;
  std::string auth_token;
  bool has_database = false;
  std::string database;
  std::string plugin;         // empty when the client named none
  std::vector<std::pair<std::string, std::string>> attributes;
};

// Parses a response (or SSLRequest) read during the handshake. Fields the
// client left off at the end are empty. False with `error` on malformed
// bytes (the server then answers 1043 Bad handshake).
bool parse_handshake_response(std::string_view payload, HandshakeResponse& out, std::string& error);

// 0xFE · plugin · scramble · NUL.
void encode_auth_switch(std::string& out, std::string_view plugin, std::string_view scramble);

// 20 random printable, NUL-free bytes.
std::string make_scramble();

std::string sha1(std::string_view data);
// SHA1(SHA1(password)): what an account stores.
std::string native_password_hash(std::string_view password);
// "*" + 40 upper-case hex digits of a stored hash (or "" for none).
std::string native_password_text(std::string_view stored_hash);
// What a client sends: SHA1(pw) XOR SHA1(scramble ‖ SHA1(SHA1(pw))); "" for "".
std::string native_password_token(std::string_view password, std::string_view scramble);
// The server's check against the stored SHA1(SHA1(password)); an empty
// `stored_hash` (no password) accepts only an empty token.
bool check_native_password(std::string_view scramble, std::string_view token, std::string_view stored_hash);

}  // namespace halb::cluster::sqld::protocol
