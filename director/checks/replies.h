// director/checks/replies.h: how the probes read what a real server
// answered (DNS, RADIUS, SIP, PostgreSQL, the line-based dialogs, HTTP's
// head; MySQL's are in mysql_wire.h). A broken or hostile real sends these
// bytes, so they are kept pure, out of the probes' socket and loop code,
// where the unit tests and tests/fuzz/fuzz_inputs.cc (surface probe-replies)
// reach them without a server.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace halb::director::checks {

// At most `max` bytes of `s`, control and non-ASCII bytes as '?': what a
// reason (logged, shown by halb-adm) quotes of a server's answer, which may
// hold anything -- NULs, newlines that would forge log lines, a megabyte.
std::string printable(std::string_view s, size_t max = 120);

// Takes the first line (without "\n" or "\r\n") off the front of `in`;
// nullopt while no newline has arrived.
std::optional<std::string> take_line(std::string& in);

// ---- dns -------------------------------------------------------------------

constexpr uint16_t kDnsA = 1, kDnsPtr = 12, kDnsAaaa = 28;

struct DnsAnswer {
  bool ours = false;  // false: not a response to query `id`, keep waiting
  int rcode = 0;
  std::vector<std::string> values;  // the A, AAAA and PTR answers, in order
  bool malformed = false;           // a record after `values` did not parse
};

DnsAnswer parse_dns_answer(const std::string& p, uint16_t id);

// ---- radius ----------------------------------------------------------------

std::string md5(const std::string& data);

struct RadiusAnswer {
  enum Kind { not_ours, malformed, unsigned_, signed_ } kind = not_ours;
  uint8_t code = 0;  // when signed_: 2 Access-Accept, 3 Access-Reject, ...
};

// An answer to the Access-Request `id` sent with `authenticator`, its
// response authenticator checked against `secret`.
RadiusAnswer parse_radius_answer(std::string p, uint8_t id, const std::string& authenticator,
                                 const std::string& secret);

// ---- sip -------------------------------------------------------------------

// The answer's first line once it is there (nullopt: wait for more); `whole`
// when no more will come (end of stream, or a UDP datagram).
std::optional<std::string> sip_first_line(const std::string& in, bool whole);

// ---- pgsql -----------------------------------------------------------------

struct PgMessage {
  char type = 0;
  std::string body;
};

// Takes one backend message off the front of `in`; nullopt while incomplete,
// or with `malformed` set on an impossible length.
std::optional<PgMessage> take_pg_message(std::string& in, bool& malformed);

// The 'M' field of an ErrorResponse body, printable().
std::string pg_error_message(const std::string& body);

uint32_t get32be(const std::string& p, size_t at);

// ---- line-based dialogs (smtp, pop, imap, nntp) ------------------------------

enum class Judged { more, ok, bad };
using Judge = std::function<Judged(const std::string& line)>;

// An SMTP reply: "250-..." lines continue, "250 ..." ends it.
Judge smtp_reply(char first_digit);
Judge line_starts(std::string prefix);
// IMAP: untagged lines ("* ...") are skipped until the tagged answer.
Judge imap_tagged(std::string tag);

// ---- http ------------------------------------------------------------------

struct HttpHead {
  int status = 0;
  long long content_length = -1;
  bool has_location = false;
  bool chunked = false;
};

// Where the head ends in `in` and how long the blank line is; nullopt while
// it has not all arrived.
std::optional<std::pair<size_t, size_t>> http_head_end(const std::string& in);

// The status line and the headers that matter; nullopt when `head` is not
// an HTTP response.
std::optional<HttpHead> parse_http_head(std::string_view head);

}  // namespace halb::director::checks
