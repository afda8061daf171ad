// cluster/sqld/protocol/handshake.cc
#include "cluster/sqld/protocol/handshake.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <random>

#include "cluster/sqld/protocol/wire.h"

namespace halb::cluster::sqld::protocol {

void encode_greeting(std::string& out, const Greeting& g) {
  put_u8(out, 10);
  put_nul_string(out, g.server_version);
  put_u32(out, g.connection_id);
  out.append(g.scramble, 0, 8);
  put_u8(out, 0);
  put_u16(out, static_cast<uint16_t>(g.capabilities & 0xFFFF));
  put_u8(out, g.charset);
  put_u16(out, g.status);
  put_u16(out, static_cast<uint16_t>(g.capabilities >> 16));
  put_u8(out, (g.capabilities & cap::kPluginAuth) ? static_cast<uint8_t>(g.scramble.size() + 1) : 0);
  out.append(10, '\0');
  out.append(g.scramble, 8, std::string::npos);
  put_u8(out, 0);
  if (g.capabilities & cap::kPluginAuth) put_nul_string(out, kNativePlugin);
}

bool parse_handshake_response(std::string_view payload, HandshakeResponse& out, std::string& error) {
  Reader r(payload);
  out = HandshakeResponse{};
  out.capabilities = r.u32();
  out.max_packet = r.u32();
  out.charset = r.u8();
  r.skip(23);
  if (r.failed()) {
    error = "handshake response too short (" + std::to_string(payload.size()) + " bytes)";
    return false;
  }
  if (!(out.capabilities & cap::kProtocol41)) {
    error = "client does not speak protocol 4.1";
    return false;
  }
  if (r.at_end()) {
    if (out.capabilities & cap::kSsl) {
      out.ssl_request = true;
      return true;
    }
    error = "handshake response without a user name";
    return false;
  }
  out.user = r.nul_string();
  if (out.capabilities & cap::kPluginAuthLenencData) {
    out.auth_token = r.lenenc_string();
  } else if (out.capabilities & cap::kSecureConnection) {
    out.auth_token = r.bytes(r.u8());
  } else {
    out.auth_token = r.nul_string(true);
  }
  if (r.failed()) {
    error = "malformed user or auth data in the handshake response";
    return false;
  }
  if ((out.capabilities & cap::kConnectWithDb) && !r.at_end()) {
    out.has_database = true;
    out.database = r.nul_string(true);
  }
  if ((out.capabilities & cap::kPluginAuth) && !r.at_end()) out.plugin = r.nul_string(true);
  if ((out.capabilities & cap::kConnectAttrs) && !r.at_end()) {
    auto total = r.lenenc();
    if (!total || *total > r.remaining()) {
      error = "malformed connection attributes";
      return false;
    }
    Reader attrs(r.bytes(*total));
    while (!attrs.at_end() && !attrs.failed()) {
      std::string key(attrs.lenenc_string());
      std::string value(attrs.lenenc_string());
      if (!attrs.failed()) out.attributes.emplace_back(std::move(key), std::move(value));
    }
    if (attrs.failed()) {
      error = "malformed connection attributes";
      return false;
    }
  }
  if (r.failed()) {
    error = "malformed handshake response";
    return false;
  }
  return true;
}

void encode_auth_switch(std::string& out, std::string_view plugin, std::string_view scramble) {
  put_u8(out, 0xFE);
  put_nul_string(out, plugin);
  out.append(scramble);
  put_u8(out, 0);
}

std::string make_scramble() {
  unsigned char raw[kScrambleLength];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    std::random_device rd;
    for (auto& b : raw) b = static_cast<unsigned char>(rd());
  }
  std::string s(kScrambleLength, '\0');
  // Printable ASCII without quote characters: safe for every client.
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~";
  for (size_t i = 0; i < kScrambleLength; ++i) s[i] = kAlphabet[raw[i] % kAlphabet.size()];
  return s;
}

std::string sha1(std::string_view data) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

std::string native_password_hash(std::string_view password) {
  if (password.empty()) return {};
  return sha1(sha1(password));
}

std::string native_password_text(std::string_view stored_hash) {
  if (stored_hash.empty()) return {};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "*";
  for (unsigned char c : stored_hash) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string native_password_token(std::string_view password, std::string_view scramble) {
  if (password.empty()) return {};
  std::string h1 = sha1(password);
  std::string h2 = sha1(h1);
  std::string x = sha1(std::string(scramble) + h2);
  for (size_t i = 0; i < h1.size(); ++i) h1[i] = static_cast<char>(h1[i] ^ x[i]);
  return h1;
}

bool check_native_password(std::string_view scramble, std::string_view token, std::string_view stored_hash) {
  if (stored_hash.empty()) return token.empty();
  if (token.size() != SHA_DIGEST_LENGTH || stored_hash.size() != SHA_DIGEST_LENGTH) return false;
  std::string x = sha1(std::string(scramble) + std::string(stored_hash));
  std::string h1(token);
  for (size_t i = 0; i < h1.size(); ++i) h1[i] = static_cast<char>(h1[i] ^ x[i]);
  std::string candidate = sha1(h1);
  // Constant-time compare: no timing hint about how much of the hash matched.
  unsigned char diff = 0;
  for (size_t i = 0; i < candidate.size(); ++i)
    diff |= static_cast<unsigned char>(candidate[i] ^ stored_hash[i]);
  return diff == 0;
}

}  // namespace halb::cluster::sqld::protocol
