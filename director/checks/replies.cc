// director/checks/replies.cc: see replies.h.
#include "director/checks/replies.h"

#include <openssl/evp.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

#include "director/address.h"

namespace halb::director::checks {

std::string printable(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) out += (c >= 32 && c < 127) ? c : '?';
  return out;
}

std::optional<std::string> take_line(std::string& in) {
  size_t nl = in.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  std::string line = in.substr(0, nl);
  in.erase(0, nl + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// ---- dns -------------------------------------------------------------------

namespace {

uint16_t get16(const std::string& p, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[at]) << 8 | static_cast<uint8_t>(p[at + 1]));
}

// Reads a (possibly compressed) name at `at`; `at` moves past it in the
// record. False on a malformed or looping name.
bool read_name(const std::string& p, size_t& at, std::string& name) {
  size_t pos = at;
  bool jumped = false;
  for (int hops = 0; hops < 64; hops++) {
    if (pos >= p.size()) return false;
    uint8_t len = static_cast<uint8_t>(p[pos]);
    if (len == 0) {
      if (!jumped) at = pos + 1;
      if (name.empty()) name = ".";
      return true;
    }
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= p.size()) return false;
      if (!jumped) at = pos + 2;
      jumped = true;
      pos = ((len & 0x3f) << 8) | static_cast<uint8_t>(p[pos + 1]);
      continue;
    }
    if (pos + 1 + len > p.size()) return false;
    if (!name.empty()) name += '.';
    name.append(p, pos + 1, len);
    pos += 1 + len;
  }
  return false;
}

}  // namespace

DnsAnswer parse_dns_answer(const std::string& p, uint16_t id) {
  DnsAnswer a;
  if (p.size() < 12 || get16(p, 0) != id || !(p[2] & 0x80)) return a;
  a.ours = true;
  a.rcode = p[3] & 0x0f;
  if (a.rcode != 0) return a;
  auto malformed = [&a] {
    a.malformed = true;
    return a;
  };
  uint16_t qd = get16(p, 4), an = get16(p, 6);
  size_t at = 12;
  for (int i = 0; i < qd; i++) {
    std::string ignored;
    if (!read_name(p, at, ignored) || at + 4 > p.size()) return malformed();
    at += 4;
  }
  for (int i = 0; i < an; i++) {
    std::string owner;
    if (!read_name(p, at, owner) || at + 10 > p.size()) return malformed();
    uint16_t type = get16(p, at);
    uint16_t rdlen = get16(p, at + 8);
    at += 10;
    if (at + rdlen > p.size()) return malformed();
    std::string value;
    if (type == kDnsA && rdlen == 4) {
      IpAddress addr;
      memcpy(addr.bytes.data(), p.data() + at, 4);
      value = addr.str();
    } else if (type == kDnsAaaa && rdlen == 16) {
      IpAddress addr;
      addr.family = Family::v6;
      memcpy(addr.bytes.data(), p.data() + at, 16);
      value = addr.str();
    } else if (type == kDnsPtr) {
      size_t n = at;
      if (!read_name(p, n, value)) return malformed();
    }
    at += rdlen;
    if (!value.empty()) a.values.push_back(std::move(value));
  }
  return a;
}

// ---- radius ----------------------------------------------------------------

std::string md5(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

RadiusAnswer parse_radius_answer(std::string p, uint8_t id, const std::string& authenticator,
                                 const std::string& secret) {
  RadiusAnswer a;
  if (p.size() < 20 || static_cast<uint8_t>(p.at(1)) != id) return a;
  size_t len = static_cast<uint8_t>(p[2]) << 8 | static_cast<uint8_t>(p[3]);
  if (len < 20 || len > p.size()) {
    a.kind = RadiusAnswer::malformed;
    return a;
  }
  p.resize(len);
  std::string expect = md5(p.substr(0, 4) + authenticator + p.substr(20) + secret);
  if (p.substr(4, 16) != expect) {
    a.kind = RadiusAnswer::unsigned_;
    return a;
  }
  a.kind = RadiusAnswer::signed_;
  a.code = static_cast<uint8_t>(p[0]);
  return a;
}

// ---- sip -------------------------------------------------------------------

std::optional<std::string> sip_first_line(const std::string& in, bool whole) {
  size_t nl = in.find('\n');
  if (nl == std::string::npos && !whole && in.size() < 4096) return std::nullopt;
  std::string line = in.substr(0, nl == std::string::npos ? std::min<size_t>(in.size(), 120) : nl);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// ---- pgsql -----------------------------------------------------------------

uint32_t get32be(const std::string& p, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v = v << 8 | static_cast<uint8_t>(p[at + i]);
  return v;
}

std::optional<PgMessage> take_pg_message(std::string& in, bool& malformed) {
  malformed = false;
  if (in.size() < 5) return std::nullopt;
  uint32_t len = get32be(in, 1);
  if (len < 4 || len > (1u << 20)) {
    malformed = true;
    return std::nullopt;
  }
  if (in.size() < 1 + len) return std::nullopt;
  PgMessage m{in[0], in.substr(5, len - 4)};
  in.erase(0, 1 + len);
  return m;
}

std::string pg_error_message(const std::string& body) {
  for (size_t at = 0; at < body.size() && body[at];) {
    size_t end = body.find('\0', at);
    if (end == std::string::npos) break;
    if (body[at] == 'M') return printable(std::string_view(body).substr(at + 1, end - at - 1), 200);
    at = end + 1;
  }
  return "error";
}

// ---- line-based dialogs ------------------------------------------------------

namespace {

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

}  // namespace

Judge smtp_reply(char first_digit) {
  return [first_digit](const std::string& line) {
    if (line.size() < 3) return Judged::bad;
    if (line.size() > 3 && line[3] == '-') return Judged::more;
    return line[0] == first_digit ? Judged::ok : Judged::bad;
  };
}

Judge line_starts(std::string prefix) {
  return [prefix](const std::string& line) { return starts_with(line, prefix) ? Judged::ok : Judged::bad; };
}

Judge imap_tagged(std::string tag) {
  return [tag](const std::string& line) {
    if (starts_with(line, "* ")) return Judged::more;
    return starts_with(line, tag + " OK") ? Judged::ok : Judged::bad;
  };
}

// ---- http ------------------------------------------------------------------

namespace {

bool iequal_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

}  // namespace

std::optional<std::pair<size_t, size_t>> http_head_end(const std::string& in) {
  if (size_t end = in.find("\r\n\r\n"); end != std::string::npos) return std::pair{end, size_t{4}};
  if (size_t end = in.find("\n\n"); end != std::string::npos) return std::pair{end, size_t{2}};
  return std::nullopt;
}

std::optional<HttpHead> parse_http_head(std::string_view head) {
  size_t eol = head.find('\n');
  std::string_view line = head.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // "HTTP/1.1 200 OK"
  if (!iequal_prefix(line, "HTTP/") || line.size() < 12 || line[8] != ' ') return std::nullopt;
  HttpHead h;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return std::nullopt;
    h.status = h.status * 10 + (line[i] - '0');
  }
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 1);
    eol = head.find('\n');
    std::string_view field = head.substr(0, eol);
    if (iequal_prefix(field, "content-length:")) {
      std::string value(field.substr(15));
      char* end = nullptr;
      long long n = std::strtoll(value.c_str(), &end, 10);
      if (end != value.c_str() && n >= 0) h.content_length = n;
    } else if (iequal_prefix(field, "location:")) {
      h.has_location = true;
    } else if (iequal_prefix(field, "transfer-encoding:")) {
      h.chunked = field.find("chunked") != std::string_view::npos;
    }
  }
  return h;
}

}  // namespace halb::director::checks
