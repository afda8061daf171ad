// heartbeat/config/authkeys.cc: see authkeys.h.
//
// Lines are either `auth N` or `N method [key]`. The reader keeps where the
// auth line was and which keys came after it, because that is what decides
// heartbeat's "Auth Key [N] not found" failure.
#include "heartbeat/config/authkeys.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include "lib/config/reader.h"

namespace halb::heartbeat {

namespace {

constexpr int kMaxIndex = 15;  // heartbeat's MAXAUTH is 16

// heartbeat keeps no comments after text and joins no lines here: a key is
// whatever `%s` reads, `#` and a trailing `\` included.
constexpr config::ReadOptions kAuthkeysLines{'#', false, false};

struct Reading {
  AuthKeys keys;
  int auth_line = 0;
  std::map<int, int> key_line;  // index -> line it was defined on
};

[[noreturn]] void fail(const Reading& r, int line, const std::string& why) {
  throw config::ConfigError(r.keys.path, line, why);
}

std::optional<AuthMethod> method_from(std::string_view word) {
  for (AuthMethod m : {AuthMethod::crc, AuthMethod::md5, AuthMethod::sha1, AuthMethod::sha256})
    if (config::iequals(word, method_name(m))) return m;
  return std::nullopt;
}

std::optional<int> key_index(std::string_view word) {
  auto n = config::parse_int(word);
  if (!n || *n < 0 || *n > kMaxIndex) return std::nullopt;
  return static_cast<int>(*n);
}

void read_auth_line(Reading& r, const config::Line& line, const std::vector<std::string>& w) {
  if (w.size() != 2 || !config::parse_int(w[1]))
    fail(r, line.number, "Invalid auth line [" + line.text + "] in " + r.keys.path + ": auth <index>");
  if (r.auth_line) fail(r, line.number, "auth given twice (first at line " + std::to_string(r.auth_line) + ")");
  auto n = key_index(w[1]);
  if (!n) fail(r, line.number, "Invalid auth index [" + w[1] + "]: keys are numbered 0 to 15");
  r.keys.active = *n;
  r.auth_line = line.number;
}

void read_key_line(Reading& r, const config::Line& line, const std::vector<std::string>& w) {
  if (w.size() < 2 || !config::parse_int(w[0])) fail(r, line.number, "Auth line [" + line.text + "] is invalid.");
  auto idx = key_index(w[0]);
  if (!idx) fail(r, line.number, "Invalid authnum [" + w[0] + "] in " + r.keys.path + ": keys are numbered 0 to 15");
  if (auto seen = r.key_line.find(*idx); seen != r.key_line.end())
    fail(r, line.number, "Key index [" + w[0] + "] given twice (first at line " + std::to_string(seen->second) + ")");
  auto method = method_from(w[1]);
  if (!method) fail(r, line.number, "Invalid authtype [" + w[1] + "]: crc, md5, sha1 or sha256");
  AuthKey key{*method, w.size() > 2 ? w[2] : ""};
  if (*method == AuthMethod::crc && w.size() > 2)
    fail(r, line.number, "Auth method [crc] doesn't use a key");
  if (*method != AuthMethod::crc && w.size() < 3)
    fail(r, line.number, std::string("Auth method [") + method_name(*method) + "] requires a key");
  // heartbeat reads the key with %s and would silently sign with the first
  // word only; a peer keyed with the whole phrase would never agree.
  if (w.size() > 3)
    fail(r, line.number, "the key of index " + w[0] + " is more than one word; heartbeat would use only [" + w[2] +
                             "]: write the key without blanks");
  r.keys.keys[*idx] = key;
  r.key_line[*idx] = line.number;
}

// heartbeat matches `auth N` while reading the key lines, so key N only
// counts when it comes after the auth line.
void check_active_key(const Reading& r) {
  const std::string& path = r.keys.path;
  if (!r.auth_line) fail(r, 0, "Missing auth directive in keyfile [" + path + "]");
  std::string n = std::to_string(r.keys.active);
  auto at = r.key_line.find(r.keys.active);
  if (at == r.key_line.end()) fail(r, r.auth_line, "Auth Key [" + n + "] not found in keyfile [" + path + "]");
  if (at->second < r.auth_line)
    fail(r, r.auth_line,
         "Auth Key [" + n + "] not found in keyfile [" + path + "]: key " + n + " is on line " +
             std::to_string(at->second) + ", before the auth line; heartbeat only sees keys listed after it");
}

AuthKeys parse_lines(const std::vector<config::Line>& lines, const std::string& path) {
  Reading r;
  r.keys.path = path;
  for (const auto& line : lines) {
    auto w = config::split_words(line.text);
    if (w[0] == "auth") read_auth_line(r, line, w);
    else read_key_line(r, line, w);
  }
  check_active_key(r);
  return std::move(r.keys);
}

}  // namespace

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
  return parse_lines(config::split_lines(text, kAuthkeysLines), path);
}

AuthKeys parse_authkeys(const std::string& path, bool check_permissions) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0)
    throw config::ConfigError(path, 0, "Cannot open keyfile [" + path + "]: " + std::strerror(errno));
  // Only the read bits matter, as in heartbeat: the secrets must not leak.
  if (check_permissions && (st.st_mode & (S_IRGRP | S_IROTH)))
    throw config::ConfigError(path, 0, "Bad permissions on keyfile [" + path + "], 600 recommended.");
  return parse_lines(config::read_lines(path, kAuthkeysLines), path);
}

}  // namespace halb::heartbeat
