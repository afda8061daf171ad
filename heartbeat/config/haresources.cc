// heartbeat/config/haresources.cc: see haresources.h.
#include "heartbeat/config/haresources.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "lib/config/reader.h"

namespace halb::heartbeat {

namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Splits `Agent::a::b` the way ResourceManager's sed and word splitting do:
// empty fields between `::` vanish.
std::vector<std::string> split_on_double_colon(const std::string& text) {
  std::vector<std::string> parts;
  size_t pos = 0;
  for (;;) {
    size_t next = text.find("::", pos);
    std::string part = text.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    if (!part.empty() || parts.empty()) parts.push_back(part);
    if (next == std::string::npos) return parts;
    pos = next + 2;
  }
}

ResourceSpec parse_resource(const std::string& text) {
  ResourceSpec r;
  r.text = text;
  if (looks_like_bare_ip(text)) {
    r.agent = "IPaddr";  // heartbeat's canonname(): IPaddr, not IPaddr2
    r.args = {text};
    return r;
  }
  auto parts = split_on_double_colon(text);
  r.agent = parts[0];
  r.args.assign(parts.begin() + 1, parts.end());
  return r;
}

struct Reading {
  HaResources hr;
  std::map<std::string, int> key_line;  // group key -> line it was defined on
};

ResourceGroup read_group(const config::Line& line, const std::string& path, const std::vector<std::string>& nodes) {
  auto err = [&](const std::string& why) { throw config::ConfigError(path, line.number, why); };
  auto w = config::split_words(line.text);
  ResourceGroup g;
  g.node = config::lower(w[0]);
  g.line = line.number;
  if (std::find(nodes.begin(), nodes.end(), g.node) == nodes.end())
    err("Bad nodename in " + path + " [" + w[0] + "]: not a node of ha.cf");
  if (w.size() < 2) err("resource group of node [" + g.node + "] has no resources");
  for (size_t i = 1; i < w.size(); ++i) {
    // heartbeat turns `10.0.0.1::x` into IPaddr with the argument x alone,
    // dropping the address; refuse it rather than copy that.
    if (looks_like_bare_ip(w[i]) && w[i].find("::") != std::string::npos)
      err("resource [" + w[i] + "] is an address followed by ::arguments; name the agent: IPaddr::<address>[/cidr...]");
    ResourceSpec r = parse_resource(w[i]);
    if (r.agent.empty()) err("resource [" + w[i] + "] has no script name before ::");
    g.resources.push_back(std::move(r));
  }
  return g;
}

HaResources parse_lines(const std::vector<config::Line>& lines, const std::string& path,
                        const std::vector<std::string>& nodes) {
  std::vector<std::string> known;
  for (const auto& n : nodes) known.push_back(config::lower(n));
  Reading r;
  r.hr.path = path;
  for (const auto& line : lines) {
    ResourceGroup g = read_group(line, path, known);
    // The key is what ip-request messages and hb_standby name; two groups
    // with one key could not be told apart.
    auto [at, fresh] = r.key_line.emplace(g.key(), line.number);
    if (!fresh)
      throw config::ConfigError(path, line.number,
                                "resource group [" + g.key() + "] is listed twice (first at line " +
                                    std::to_string(at->second) + "): the first resource of each line must be unique");
    r.hr.groups.push_back(std::move(g));
  }
  return std::move(r.hr);
}

}  // namespace

bool looks_like_bare_ip(std::string_view s) {
  if (s.empty() || !is_digit(s[0])) return false;
  // Each `*` may match anything, so the leftmost ".<digit>" after the
  // previous one is always a valid choice.
  size_t from = 1;
  for (int dot = 0; dot < 3; ++dot) {
    size_t i = from;
    while (i + 1 < s.size() && !(s[i] == '.' && is_digit(s[i + 1]))) ++i;
    if (i + 1 >= s.size()) return false;
    from = i + 2;
  }
  return true;
}

HaResources parse_haresources_text(std::string_view text, const std::string& path,
                                   const std::vector<std::string>& nodes) {
  return parse_lines(config::split_lines(text), path, nodes);
}

HaResources parse_haresources(const std::string& path, const std::vector<std::string>& nodes) {
  return parse_lines(config::read_lines(path), path, nodes);
}

}  // namespace halb::heartbeat
