// director/checks/mysql_wire.cc
#include "director/checks/mysql_wire.h"

#include <openssl/evp.h>

#include "director/checks/replies.h"

namespace halb::director::checks::mysql {

std::optional<Packet> take_packet(std::string& buf, bool& too_big, size_t limit) {
  too_big = false;
  if (buf.size() < 4) return std::nullopt;
  size_t len = static_cast<uint8_t>(buf[0]) | static_cast<uint8_t>(buf[1]) << 8 | static_cast<uint8_t>(buf[2]) << 16;
  if (len > limit) {
    too_big = true;
    return std::nullopt;
  }
  if (buf.size() < 4 + len) return std::nullopt;
  Packet p{static_cast<uint8_t>(buf[3]), buf.substr(4, len)};
  buf.erase(0, 4 + len);
  return p;
}

std::string frame(uint8_t seq, std::string_view payload) {
  std::string out;
  size_t n = payload.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  out += static_cast<char>((n >> 16) & 0xff);
  out += static_cast<char>(seq);
  out.append(payload);
  return out;
}

namespace {

uint32_t le(std::string_view p, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; i++) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[at + i])) << (8 * i);
  return v;
}

void put_le(std::string& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; i++) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string sha1(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

}  // namespace

std::optional<Greeting> parse_greeting(std::string_view p, std::string& error) {
  if (p.empty()) {
    error = "empty greeting";
    return std::nullopt;
  }
  if (static_cast<uint8_t>(p[0]) == 0xff) {
    error = error_text(p);
    return std::nullopt;
  }
  if (p[0] != 10) {
    error = "unsupported protocol version " + std::to_string(static_cast<uint8_t>(p[0]));
    return std::nullopt;
  }
  Greeting g;
  size_t at = 1;
  size_t nul = p.find('\0', at);
  if (nul == std::string_view::npos || nul + 1 + 4 + 8 + 1 + 2 > p.size()) {
    error = "greeting cut short";
    return std::nullopt;
  }
  g.server_version = std::string(p.substr(at, nul - at));
  at = nul + 1 + 4;  // connection id
  g.scramble = std::string(p.substr(at, 8));
  at += 8 + 1;
  g.capabilities = le(p, at, 2);
  at += 2;
  if (at + 1 + 2 + 2 + 1 + 10 <= p.size()) {
    at += 1 + 2;  // charset, status
    g.capabilities |= le(p, at, 2) << 16;
    at += 2;
    size_t auth_len = static_cast<uint8_t>(p[at]);
    at += 1 + 10;
    if (g.capabilities & kSecureConnection) {
      size_t part2 = std::max<size_t>(13, auth_len > 8 ? auth_len - 8 : 0);
      if (at + part2 > p.size()) part2 = p.size() - at;
      std::string_view s2 = p.substr(at, part2);
      if (!s2.empty() && s2.back() == '\0') s2.remove_suffix(1);
      g.scramble.append(s2);
      at += part2;
    }
    if ((g.capabilities & kPluginAuth) && at < p.size()) {
      size_t end = p.find('\0', at);
      g.plugin = std::string(p.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    }
  }
  if (g.scramble.size() > 20) g.scramble.resize(20);
  return g;
}

std::optional<AuthSwitch> parse_auth_switch(std::string_view p, std::string& plugin_so_far) {
  std::string_view rest = p.substr(std::min<size_t>(1, p.size()));
  size_t nul = rest.find('\0');
  plugin_so_far = std::string(rest.substr(0, nul));
  if (nul == std::string_view::npos) return std::nullopt;
  return AuthSwitch{plugin_so_far, std::string(rest.substr(nul + 1, 20))};
}

std::string native_token(std::string_view password, std::string_view scramble) {
  if (password.empty()) return "";
  std::string h1 = sha1(password);
  std::string h2 = sha1(h1);
  std::string x = sha1(std::string(scramble) + h2);
  for (size_t i = 0; i < h1.size(); i++) h1[i] ^= x[i];
  return h1;
}

std::string handshake_response(uint32_t server_caps, const std::string& user, const std::string& token,
                               const std::string& database) {
  uint32_t caps = kLongPassword | kLongFlag | kProtocol41 | kTransactions | kSecureConnection;
  if (server_caps & kPluginAuth) caps |= kPluginAuth;
  if (!database.empty()) caps |= kConnectWithDb;
  std::string out;
  put_le(out, caps, 4);
  put_le(out, 1u << 24, 4);  // max packet
  out += static_cast<char>(33);  // utf8_general_ci
  out.append(23, '\0');
  out += user;
  out += '\0';
  out += static_cast<char>(token.size());
  out += token;
  if (!database.empty()) {
    out += database;
    out += '\0';
  }
  if (caps & kPluginAuth) {
    out += "mysql_native_password";
    out += '\0';
  }
  return out;
}

std::string error_text(std::string_view p) {
  if (p.size() < 3) return "malformed error packet";
  std::string out = std::to_string(le(p, 1, 2));
  size_t at = 3;
  if (p.size() >= 9 && p[3] == '#') {
    out += " (" + printable(p.substr(4, 5)) + ")";
    at = 9;
  }
  return out + ": " + printable(p.substr(at), 200);
}

std::optional<uint64_t> lenenc(std::string_view p, size_t& at) {
  if (at >= p.size()) return std::nullopt;
  uint8_t first = static_cast<uint8_t>(p[at]);
  int bytes = first < 0xfb ? 0 : first == 0xfc ? 2 : first == 0xfd ? 3 : first == 0xfe ? 8 : -1;
  if (bytes < 0) return std::nullopt;
  if (bytes == 0) {
    at++;
    return first;
  }
  if (at + 1 + bytes > p.size()) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[at + 1 + i])) << (8 * i);
  at += 1 + bytes;
  return v;
}

}  // namespace halb::director::checks::mysql
