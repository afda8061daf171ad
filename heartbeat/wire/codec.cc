// heartbeat/wire/codec.cc: see codec.h.
#include "heartbeat/wire/codec.h"

#include <openssl/evp.h>

#include <cctype>

#include "heartbeat/wire/auth.h"

namespace halb::heartbeat::wire {

namespace {

std::string base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
  if (text.size() % 4) return std::nullopt;
  std::string out(3 * text.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// The classic line of a field, as both the classic format and the inner
// auth of the netstring format write it.
std::string classic_line(const Field& f) {
  if (f.type == FieldType::string) return f.name + "=" + f.value + "\n";
  return "(" + std::to_string(static_cast<int>(f.type)) + ")" + f.name + "=" + base64(f.value) + "\n";
}

std::string classic_text(const Message& m) {
  std::string text;
  for (auto& f : m.fields())
    if (f.name != "auth") text += classic_line(f);
  return text;
}

void netstring(std::string& out, std::string_view payload) {
  out += std::to_string(payload.size());
  out += ':';
  out.append(payload);
  out += ',';
}

DecodeResult refuse(std::string why, bool auth = false) {
  DecodeResult r;
  r.error = std::move(why);
  r.bad_auth = auth;
  return r;
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 256) return false;
  for (char c : n)
    if (c == '=' || c == '\n' || c == '\0') return false;
  return true;
}

DecodeResult check_required(Message m) {
  for (const char* f : {"t", "src", "ts"})
    if (!m.get(f)) return refuse(std::string("missing field ") + f);
  if (m.get_hex("ts").value_or(0) == 0) return refuse("bad ts");
  if (auto seq = m.get("seq"); seq && m.get_hex("seq").value_or(0) == 0) return refuse("bad seq");
  DecodeResult r;
  r.message = std::move(m);
  return r;
}

DecodeResult decode_classic(std::string_view d, const AuthKeys& keys) {
  static constexpr std::string_view head = ">>>\n", tail = "<<<\n";
  if (d.size() < head.size() + tail.size() || d.substr(d.size() - tail.size()) != tail)
    return refuse("classic message without <<< trailer");
  std::string_view body = d.substr(head.size(), d.size() - head.size() - tail.size());
  Message m;
  std::string auth;
  std::string signed_text;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) return refuse("classic line without newline");
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return refuse("classic line without '='");
    std::string_view name = line.substr(0, eq), value = line.substr(eq + 1);
    if (name == "auth") {
      auth = std::string(value);
      continue;
    }
    signed_text.append(line);
    signed_text += '\n';
    FieldType type = FieldType::string;
    if (name.size() > 3 && name[0] == '(' && name[2] == ')' && name[1] >= '0' && name[1] <= '4') {
      type = static_cast<FieldType>(name[1] - '0');
      name = name.substr(3);
      // "(1)auth=..." would be kept as a field named auth beside the
      // signature, and encode() drops every field of that name: refuse it.
      if (name == "auth") return refuse("typed field named auth");
      if (type != FieldType::string) {
        auto raw = unbase64(value);
        if (!raw) return refuse("bad base64 in field " + std::string(name));
        if (!valid_name(name)) return refuse("bad field name");
        m.add(std::string(name), *raw, type);
        continue;
      }
    }
    if (!valid_name(name)) return refuse("bad field name");
    m.add(std::string(name), std::string(value), type);
  }
  if (auth.empty()) return refuse("unsigned message", true);
  std::string why;
  if (!verify(keys, auth, signed_text, why)) return refuse(why, true);
  return check_required(std::move(m));
}

// Read one netstring at pos; false on malformed input.
bool read_netstring(std::string_view d, size_t& pos, std::string_view& payload) {
  size_t len = 0, digits = 0;
  while (pos < d.size() && std::isdigit(static_cast<unsigned char>(d[pos]))) {
    if (++digits > 6) return false;
    len = len * 10 + static_cast<size_t>(d[pos++] - '0');
  }
  if (digits == 0 || pos >= d.size() || d[pos] != ':') return false;
  ++pos;
  if (len > d.size() - pos || d.size() - pos - len < 1 || d[pos + len] != ',') return false;
  payload = d.substr(pos, len);
  pos += len + 1;
  return true;
}

DecodeResult decode_netstring(std::string_view d, const AuthKeys& keys) {
  static constexpr std::string_view head = "###\n", end = "%%%\n";
  size_t pos = head.size();
  Message m;
  while (true) {
    if (d.substr(pos, end.size()) == end) {
      pos += end.size();
      break;
    }
    std::string_view payload;
    if (!read_netstring(d, pos, payload)) return refuse("malformed netstring field");
    if (payload.size() < 4 || payload[0] != '(' || payload[2] != ')' || payload[1] < '0' || payload[1] > '4')
      return refuse("netstring field without a type");
    auto type = static_cast<FieldType>(payload[1] - '0');
    payload.remove_prefix(3);
    size_t eq = payload.find('=');
    if (eq == std::string_view::npos) return refuse("netstring field without '='");
    std::string_view name = payload.substr(0, eq);
    if (!valid_name(name)) return refuse("bad field name");
    m.add(std::string(name), std::string(payload.substr(eq + 1)), type);
    if (m.fields().size() > 4096) return refuse("too many fields");
  }
  std::string_view signed_part = d.substr(0, pos);
  std::string_view auth;
  if (!read_netstring(d, pos, auth)) return refuse("netstring message without outer auth", true);
  if (pos != d.size()) return refuse("bytes after the outer auth");
  std::string why;
  if (!verify(keys, auth, signed_part, why)) return refuse(why, true);
  m.remove("auth");  // the inner auth is redundant once the outer one holds
  return check_required(std::move(m));
}

}  // namespace

std::string encode(const Message& m, Format format, const AuthKeys& keys) {
  if (format == Format::classic) {
    std::string text = classic_text(m);
    return ">>>\n" + text + "auth=" + sign(keys, text) + "\n<<<\n";
  }
  std::string out = "###\n";
  for (auto& f : m.fields()) {
    if (f.name == "auth") continue;
    netstring(out, "(" + std::to_string(static_cast<int>(f.type)) + ")" + f.name + "=" + f.value);
  }
  netstring(out, "(0)auth=" + sign(keys, classic_text(m)));
  out += "%%%\n";
  netstring(out, sign(keys, out));
  return out;
}

DecodeResult decode(std::string_view d, const AuthKeys& keys) {
  if (d.size() > kMaxDatagram) return refuse("datagram too long");
  if (d.substr(0, 4) == ">>>\n") return decode_classic(d, keys);
  if (d.substr(0, 4) == "###\n") return decode_netstring(d, keys);
  return refuse("neither classic nor netstring format");
}

}  // namespace halb::heartbeat::wire
