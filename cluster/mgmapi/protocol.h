// cluster/mgmapi/protocol.h: the text management protocol of ndb_mgmd
// (port 1186), shared by halb-mgmd, halb-mgm and the nodes' sessions.
//
// A message is a head line (`get nodeid`, `node status`...), zero or more
// `name: value` lines and an empty line. A message that carries
// `Content-Length: n` is followed by n bytes of body (get config's base64
// payload). Lines end in LF (a CR before it is dropped). The reader is
// incremental so the daemon can feed it whatever a socket gave; anything that
// is not the protocol -- control bytes, an overlong line, a field line without
// a colon, too many fields, a body larger than the limit -- puts the reader in
// an error state with a sentence saying why, and the caller drops the peer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace halb::cluster::mgmapi {

struct Message {
  std::string head;
  std::vector<std::pair<std::string, std::string>> fields;  // in order; names as sent
  std::string body;                                          // only with Content-Length

  Message() = default;
  explicit Message(std::string h) : head(std::move(h)) {}

  Message& add(std::string name, std::string value) {
    fields.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Message& add(std::string name, long long value) { return add(std::move(name), std::to_string(value)); }
  // First value of a field (names compare case-insensitively); nullopt when absent.
  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string fallback) const;
  // The field as a decimal integer; nullopt when absent or not a number.
  std::optional<long long> get_int(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
};

// Wire form: head, fields, empty line, body.
std::string format(const Message& m);

class MessageReader {
 public:
  static constexpr size_t kMaxLine = 1024;       // InitConfigFileParser's and Parser's line limit
  static constexpr size_t kMaxFields = 4096;     // get status of 63 nodes has ~600
  static constexpr size_t kMaxBody = 16 << 20;

  // Appends bytes from the peer.
  void feed(std::string_view bytes);
  // Takes the next complete message; false when more bytes are needed or on error.
  bool next(Message& out);
  // Takes one raw line (event streams after `listen event`); false when none yet.
  bool next_line(std::string& out);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  bool take_line(std::string& line);
  void fail(std::string why);
  std::string buf_;
  size_t pos_ = 0;
  Message partial_;
  bool in_message_ = false;
  std::optional<size_t> body_wanted_;
  std::string error_;
};

// Version numbers as NDB packs them: major<<16 | minor<<8 | build.
inline constexpr uint32_t make_version(uint32_t major, uint32_t minor, uint32_t build) {
  return (major << 16) | (minor << 8) | build;
}
// The protocol generation halb speaks and reports (5.0.67, the seeds').
inline constexpr uint32_t kProtocolVersion = make_version(5, 0, 67);
// "5.0.67"
std::string version_string(uint32_t version);

// base64 as get config carries the configuration (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);
// nullopt on a character outside the alphabet or bad padding; whitespace is skipped.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace halb::cluster::mgmapi
