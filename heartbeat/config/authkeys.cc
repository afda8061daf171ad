// heartbeat/config/authkeys.cc: see authkeys.h.
#include "heartbeat/config/authkeys.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lib/config/reader.h"

namespace halb::heartbeat {

const char* method_name(AuthMethod m) {
  switch (m) {
    case AuthMethod::crc: return "crc";
    case AuthMethod::md5: return "md5";
    case AuthMethod::sha1: return "sha1";
    case AuthMethod::sha256: return "sha256";
  }
  return "crc";
}

AuthKeys parse_authkeys_text(std::string_view text, const std::string& path) {
  AuthKeys keys;
  keys.path = path;
  int auth_line = 0;
  bool auth_seen = false;
  for (const auto& line : config::split_lines(text, {'#', true, false})) {
    auto w = config::split_words(line.text);
    auto err = [&](const std::string& m) { throw config::ConfigError(path, line.number, m); };
    if (w[0] == "auth") {
      if (w.size() != 2) err("auth takes one key index");
      auto n = config::parse_int(w[1]);
      if (!n || *n < 0 || *n > 15) err("bad auth index " + w[1] + " (0-15)");
      if (auth_seen) err("auth given twice");
      if (!keys.keys.empty()) err("Auth Key [" + w[1] + "] not found in keyfile: the auth line must precede the keys");
      keys.active = static_cast<int>(*n);
      auth_seen = true;
      auth_line = line.number;
      continue;
    }
    auto idx = config::parse_int(w[0]);
    if (!idx || *idx < 0 || *idx > 15) err("bad key index " + w[0] + " (0-15)");
    if (w.size() < 2) err("key " + w[0] + " has no method");
    if (keys.keys.count(static_cast<int>(*idx))) err("key index " + w[0] + " given twice");
    AuthKey k;
    std::string m = config::lower(w[1]);
    if (m == "crc") k.method = AuthMethod::crc;
    else if (m == "md5") k.method = AuthMethod::md5;
    else if (m == "sha1") k.method = AuthMethod::sha1;
    else if (m == "sha256") k.method = AuthMethod::sha256;
    else err("unknown authentication method " + w[1] + " (crc, md5, sha1, sha256)");
    if (k.method == AuthMethod::crc) {
      if (w.size() > 2) err("crc takes no key");
    } else {
      if (w.size() != 3) err(std::string(method_name(k.method)) + " needs exactly one key (a single word)");
      k.secret = w[2];
    }
    keys.keys[static_cast<int>(*idx)] = k;
  }
  if (!auth_seen) throw config::ConfigError(path, 0, "no auth line");
  if (!keys.keys.count(keys.active))
    throw config::ConfigError(path, auth_line, "Auth Key [" + std::to_string(keys.active) + "] not found in keyfile");
  return keys;
}

AuthKeys parse_authkeys(const std::string& path, bool check_permissions) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) throw config::ConfigError(path, 0, std::string("cannot read: ") + strerror(errno));
  if (check_permissions && (st.st_mode & (S_IRGRP | S_IROTH)))
    throw config::ConfigError(path, 0, "Bad permissions on keyfile [" + path + "], 600 recommended.");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config::ConfigError(path, 0, std::string("cannot read: ") + strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_authkeys_text(text.str(), path);
}

}  // namespace halb::heartbeat
