// heartbeat/wire/auth.cc: see auth.h. Digests come from OpenSSL; only the
// CRC, which is heartbeat's own variant, is computed here.
#include "heartbeat/wire/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <cstdio>

namespace halb::heartbeat::wire {

static std::string crc_digest(std::string_view text) {
  uint32_t crc = 0;
  for (unsigned char c : text) {
    crc ^= static_cast<uint32_t>(c) << 24;
    for (int i = 0; i < 8; ++i) crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
  }
  char buf[16];
  snprintf(buf, sizeof buf, "%lx", static_cast<unsigned long>(~crc & 0xffffffffu));
  return buf;
}

static std::string hmac_digest(const EVP_MD* md, const std::string& key, std::string_view text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
       out, &len);
  static const char* hexd = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += hexd[out[i] >> 4];
    s += hexd[out[i] & 15];
  }
  return s;
}

std::string auth_digest(const AuthKey& key, std::string_view text) {
  switch (key.method) {
    case AuthMethod::crc: return crc_digest(text);
    case AuthMethod::md5: return hmac_digest(EVP_md5(), key.secret, text);
    case AuthMethod::sha1: return hmac_digest(EVP_sha1(), key.secret, text);
    case AuthMethod::sha256: return hmac_digest(EVP_sha256(), key.secret, text);
  }
  return {};
}

std::string sign(const AuthKeys& keys, std::string_view text) {
  auto it = keys.keys.find(keys.active);
  if (it == keys.keys.end()) return {};
  return std::to_string(keys.active) + " " + auth_digest(it->second, text);
}

bool verify(const AuthKeys& keys, std::string_view auth_value, std::string_view text, std::string& why) {
  auto sp = auth_value.find(' ');
  if (sp == std::string_view::npos) {
    why = "auth value without a key index";
    return false;
  }
  int idx = -1;
  auto [p, ec] = std::from_chars(auth_value.data(), auth_value.data() + sp, idx);
  if (ec != std::errc() || p != auth_value.data() + sp) {
    why = "bad key index in auth value";
    return false;
  }
  auto it = keys.keys.find(idx);
  if (it == keys.keys.end()) {
    why = "key index " + std::to_string(idx) + " is not in authkeys";
    return false;
  }
  std::string want = auth_digest(it->second, text);
  std::string_view got = auth_value.substr(sp + 1);
  if (got.size() != want.size() || CRYPTO_memcmp(got.data(), want.data(), want.size()) != 0) {
    why = "digest mismatch (key index " + std::to_string(idx) + ")";
    return false;
  }
  return true;
}

}  // namespace halb::heartbeat::wire
