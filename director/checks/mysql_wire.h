// director/checks/mysql_wire.h: the few MySQL client/server protocol pieces
// the mysql check needs, pure so they are tested without a server:
// packet framing, the protocol-10 greeting, HandshakeResponse41 and the
// mysql_native_password scramble.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace halb::director::checks::mysql {

constexpr uint32_t kLongPassword = 1u << 0;
constexpr uint32_t kLongFlag = 1u << 2;
constexpr uint32_t kConnectWithDb = 1u << 3;
constexpr uint32_t kProtocol41 = 1u << 9;
constexpr uint32_t kTransactions = 1u << 13;
constexpr uint32_t kSecureConnection = 1u << 15;
constexpr uint32_t kPluginAuth = 1u << 19;

struct Packet {
  uint8_t seq = 0;
  std::string payload;
};

// Takes one whole packet off the front of `buf`; nullopt while incomplete.
// Sets `too_big` (and returns nullopt) past `limit` bytes of payload.
std::optional<Packet> take_packet(std::string& buf, bool& too_big, size_t limit = 1 << 20);
std::string frame(uint8_t seq, std::string_view payload);

struct Greeting {
  std::string server_version;
  uint32_t capabilities = 0;
  std::string scramble;  // 20 bytes
  std::string plugin;    // empty when the server names none
};

// Parses a protocol-10 greeting; nullopt with `error` set otherwise.
std::optional<Greeting> parse_greeting(std::string_view payload, std::string& error);

// SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))); empty for an
// empty password.
std::string native_token(std::string_view password, std::string_view scramble);

std::string handshake_response(uint32_t server_caps, const std::string& user, const std::string& token,
                               const std::string& database);

struct AuthSwitch {
  std::string plugin;
  std::string scramble;  // at most 20 bytes
};

// Parses an AuthSwitchRequest (0xfe, plugin name, NUL, the plugin's data);
// nullopt, with the plugin named so far in `error`, when no NUL ends it.
std::optional<AuthSwitch> parse_auth_switch(std::string_view payload, std::string& plugin_so_far);

// "1045 (28000): Access denied ..." from an ERR payload.
std::string error_text(std::string_view payload);

// A length-encoded integer at `at` (advanced past it); nullopt if cut short.
std::optional<uint64_t> lenenc(std::string_view p, size_t& at);

}  // namespace halb::director::checks::mysql
