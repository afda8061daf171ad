// heartbeat/config/haresources.cc: see haresources.h.
#include "heartbeat/config/haresources.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "lib/config/reader.h"
#include "lib/net/address.h"

namespace halb::heartbeat {

static ResourceSpec parse_resource(const std::string& text) {
  ResourceSpec r;
  r.text = text;
  if (net::looks_like_ipv4(text)) {
    r.agent = "IPaddr";
    r.args = {text};
    return r;
  }
  size_t pos = 0;
  std::vector<std::string> parts;
  for (;;) {
    size_t next = text.find("::", pos);
    parts.push_back(text.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) break;
    pos = next + 2;
  }
  r.agent = parts[0];
  r.args.assign(parts.begin() + 1, parts.end());
  return r;
}

HaResources parse_haresources_text(std::string_view text, const std::string& path,
                                   const std::vector<std::string>& nodes) {
  HaResources hr;
  hr.path = path;
  std::set<std::string> keys;
  for (const auto& line : config::split_lines(text)) {
    auto w = config::split_words(line.text);
    auto err = [&](const std::string& m) { throw config::ConfigError(path, line.number, m); };
    std::string node = config::lower(w[0]);
    if (std::find(nodes.begin(), nodes.end(), node) == nodes.end())
      err("node " + w[0] + " is not a node of ha.cf");
    if (w.size() < 2) err("resource group for " + w[0] + " has no resources");
    ResourceGroup g;
    g.node = node;
    g.line = line.number;
    for (size_t i = 1; i < w.size(); ++i) {
      ResourceSpec r = parse_resource(w[i]);
      if (r.agent.empty()) err("resource '" + w[i] + "' has no agent name");
      g.resources.push_back(std::move(r));
    }
    if (!keys.insert(g.key()).second) err("resource group " + g.key() + " is listed twice");
    hr.groups.push_back(std::move(g));
  }
  return hr;
}

HaResources parse_haresources(const std::string& path, const std::vector<std::string>& nodes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config::ConfigError(path, 0, std::string("cannot read: ") + strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_haresources_text(text.str(), path, nodes);
}

}  // namespace halb::heartbeat
