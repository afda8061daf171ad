// cluster/config/connectstring.cc: connectstring grammar and lookup order
// (see connectstring.h).
#include "cluster/config/connectstring.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "lib/config/reader.h"

namespace halb::cluster {
namespace {

using config::iequals;
using config::trim;

std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return s;
}

uint32_t parse_number(std::string_view text, uint32_t min, uint32_t max, std::string_view token, const char* what) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 10);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < min || v > max)
    throw ConnectStringError("bad " + std::string(what) + " in connectstring token '" + std::string(token) + "'");
  return v;
}

// host, host:port, [v6addr], [v6addr]:port
MgmServer parse_host(std::string_view spec, std::string_view token) {
  MgmServer s;
  std::string_view port;
  if (!spec.empty() && spec.front() == '[') {
    auto close = spec.find(']');
    if (close == std::string_view::npos) throw ConnectStringError("unclosed '[' in connectstring token '" + std::string(token) + "'");
    s.host = std::string(spec.substr(1, close - 1));
    std::string_view rest = spec.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw ConnectStringError("bad host in connectstring token '" + std::string(token) + "'");
      port = rest.substr(1);
      if (port.empty()) throw ConnectStringError("bad port in connectstring token '" + std::string(token) + "'");
    }
  } else {
    auto colon = spec.find(':');
    if (colon != std::string_view::npos && spec.find(':', colon + 1) != std::string_view::npos)
      throw ConnectStringError("bad host in connectstring token '" + std::string(token) + "' (write IPv6 as [addr]:port)");
    s.host = std::string(spec.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = spec.substr(colon + 1);
      if (port.empty()) throw ConnectStringError("bad port in connectstring token '" + std::string(token) + "'");
    }
  }
  if (s.host.empty()) throw ConnectStringError("empty host in connectstring token '" + std::string(token) + "'");
  if (!port.empty()) s.port = static_cast<uint16_t>(parse_number(port, 1, 65535, token, "port"));
  return s;
}

// `key=value` or `key://value` when the token starts with key (case-insensitive).
std::optional<std::string_view> after_key(std::string_view token, std::string_view key) {
  if (token.size() <= key.size() || !iequals(token.substr(0, key.size()), key)) return std::nullopt;
  std::string_view rest = token.substr(key.size());
  if (rest.substr(0, 3) == "://") return rest.substr(3);
  // Blanks may sit around '=' ("nodeid = 2").
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() == '=') return rest.substr(1);
  return std::nullopt;
}

std::optional<std::string> read_from_disk(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Ndb.cfg and file= targets: one piece per line, joined with ';'.
std::string join_lines(const std::string& text) {
  std::string out;
  for (const auto& line : config::split_words(text, "\r\n")) {
    if (!out.empty()) out += ';';
    out += line;
  }
  return out;
}

}  // namespace

std::string ConnectString::to_string() const {
  std::string out = "nodeid=" + std::to_string(node_id);
  for (const auto& s : servers) out += "," + s.to_string();
  return out;
}

ConnectString parse_connectstring(std::string_view text) {
  ConnectString cs;
  bool have_node_id = false;
  const std::string whole = unquote(trim(text));
  for (const auto& raw : config::split_words(whole, ",;")) {
    const std::string token = trim(raw);
    if (token.empty() || token.front() == '#') continue;
    std::optional<uint32_t> node_id;
    if (auto v = after_key(token, "nodeid")) {
      node_id = parse_number(trim(*v), 1, kMaxNodeId, token, "nodeid");
    } else if (token.size() > 13 && iequals(std::string_view(token).substr(0, 13), "OwnProcessId ")) {
      node_id = parse_number(trim(std::string_view(token).substr(13)), 1, kMaxNodeId, token, "nodeid");
    } else if (auto f = after_key(token, "file")) {
      if (trim(*f).empty()) throw ConnectStringError("empty file in connectstring token '" + token + "'");
      cs.file = trim(*f);
    } else if (auto h = after_key(token, "host")) {
      cs.servers.push_back(parse_host(trim(*h), token));
    } else if (auto m = after_key(token, "mgmd")) {
      cs.servers.push_back(parse_host(trim(*m), token));
    } else if (token.find('=') != std::string::npos) {
      throw ConnectStringError("unknown connectstring token '" + token + "'");
    } else {
      cs.servers.push_back(parse_host(token, token));
    }
    if (node_id) {
      if (have_node_id) throw ConnectStringError("only one nodeid allowed in a connectstring");
      have_node_id = true;
      cs.node_id = *node_id;
    }
  }
  return cs;
}

ResolvedConnectString resolve_connectstring(const ConnectStringSources& src) {
  ResolvedConnectString out;
  const std::function<std::optional<std::string>(const std::string&)> read =
      src.read_file ? src.read_file : read_from_disk;
  bool have_node_id = false;
  // Takes what one source gives; true once it named hosts.
  auto take = [&](const ConnectString& cs, const std::string& source) {
    if (cs.node_id && !have_node_id) {
      out.connect.node_id = cs.node_id;
      have_node_id = true;
    }
    if (cs.servers.empty()) return false;
    out.connect.servers = cs.servers;
    out.source = source;
    return true;
  };
  auto try_text = [&](const std::optional<std::string>& text, const std::string& source, bool cfg_file) {
    if (!text) return false;
    ConnectString cs = parse_connectstring(cfg_file ? join_lines(*text) : *text);
    if (take(cs, source)) return true;
    if (cs.file.empty()) return false;
    // (2) the explicit file named by the first source.
    auto content = read(cs.file);
    if (!content) throw ConnectStringError("cannot read connectstring file " + cs.file);
    return take(parse_connectstring(join_lines(*content)), "file " + cs.file);
  };

  // (1) The command line overrides the same option read from my.cnf.
  bool done = src.command_line ? try_text(src.command_line, "command line", false)
                               : try_text(src.my_cnf, "my.cnf", false);
  done = done || try_text(src.environment, "NDB_CONNECTSTRING", false) ||
         try_text(src.ndb_home_cfg, "NDB_HOME/Ndb.cfg", true) || try_text(src.cwd_cfg, "Ndb.cfg", true);
  if (!done) {
    out.connect.servers = {MgmServer{"localhost", kDefaultMgmPort}};
    out.source = "default";
  }
  if (src.forced_node_id) out.connect.node_id = src.forced_node_id;
  return out;
}

}  // namespace halb::cluster
