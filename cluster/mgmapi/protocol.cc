// cluster/mgmapi/protocol.cc: message framing and base64 (see protocol.h).
#include "cluster/mgmapi/protocol.h"

#include <charconv>

#include "lib/config/reader.h"

namespace halb::cluster::mgmapi {

std::optional<std::string> Message::get(std::string_view name) const {
  for (auto& [k, v] : fields)
    if (config::iequals(k, name)) return v;
  return std::nullopt;
}

std::string Message::get_or(std::string_view name, std::string fallback) const {
  auto v = get(name);
  return v ? *v : fallback;
}

std::optional<long long> Message::get_int(std::string_view name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  return config::parse_int(config::trim(*v));
}

std::string format(const Message& m) {
  std::string out = m.head + "\n";
  for (auto& [k, v] : m.fields) out += k + ": " + v + "\n";
  out += "\n";
  out += m.body;
  return out;
}

void MessageReader::feed(std::string_view bytes) {
  if (failed()) return;
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 64 * 1024) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

void MessageReader::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
}

bool MessageReader::take_line(std::string& line) {
  size_t nl = buf_.find('\n', pos_);
  if (nl == std::string::npos) {
    if (buffered() > kMaxLine) fail("line longer than " + std::to_string(kMaxLine) + " bytes");
    return false;
  }
  if (nl - pos_ > kMaxLine) {
    fail("line longer than " + std::to_string(kMaxLine) + " bytes");
    return false;
  }
  line.assign(buf_, pos_, nl - pos_);
  pos_ = nl + 1;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  for (unsigned char c : line)
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      fail("control character in a protocol line");
      return false;
    }
  return true;
}

bool MessageReader::next_line(std::string& out) {
  if (failed()) return false;
  return take_line(out);
}

bool MessageReader::next(Message& out) {
  while (!failed()) {
    if (body_wanted_) {
      if (buffered() < *body_wanted_) return false;
      partial_.body.assign(buf_, pos_, *body_wanted_);
      pos_ += *body_wanted_;
      body_wanted_.reset();
      out = std::move(partial_);
      partial_ = Message();
      in_message_ = false;
      return true;
    }
    std::string line;
    if (!take_line(line)) return false;
    if (!in_message_) {
      if (config::trim(line).empty()) continue;  // blank lines between messages
      partial_ = Message(config::trim(line));
      in_message_ = true;
      continue;
    }
    if (line.empty()) {
      auto len = partial_.get("Content-Length");
      if (len) {
        auto n = config::parse_int(config::trim(*len));
        if (!n || *n < 0 || static_cast<size_t>(*n) > kMaxBody) {
          fail("bad Content-Length '" + *len + "'");
          return false;
        }
        body_wanted_ = static_cast<size_t>(*n);
        continue;
      }
      out = std::move(partial_);
      partial_ = Message();
      in_message_ = false;
      return true;
    }
    size_t colon = line.find(':');
    // A name of blanks only (" : x") is no name either: it would be kept as
    // an empty name that format() writes as a line this reader refuses.
    if (colon == std::string::npos || config::trim(line.substr(0, colon)).empty()) {
      fail("expected 'name: value', got '" + line + "'");
      return false;
    }
    if (partial_.fields.size() >= kMaxFields) {
      fail("too many fields in one message");
      return false;
    }
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    partial_.fields.emplace_back(config::trim(line.substr(0, colon)), value);
  }
  return false;
}

std::string version_string(uint32_t version) {
  return std::to_string((version >> 16) & 0xff) + "." + std::to_string((version >> 8) & 0xff) + "." +
         std::to_string(version & 0xff);
}

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string clean;
  for (char c : text)
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') clean += c;
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < clean.size(); i += 4) {
    int pad = 0;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = clean[i + k];
      if (c == '=') {
        if (i + 4 != clean.size() || k < 2) return std::nullopt;
        ++pad;
        v <<= 6;
        continue;
      }
      if (pad) return std::nullopt;
      int d = decode_char(c);
      if (d < 0) return std::nullopt;
      v = (v << 6) | d;
    }
    out += char((v >> 16) & 0xff);
    if (pad < 2) out += char((v >> 8) & 0xff);
    if (pad < 1) out += char(v & 0xff);
  }
  return out;
}

}  // namespace halb::cluster::mgmapi
