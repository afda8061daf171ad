// realserver/noarp/plan.cc: see plan.h.
#include "realserver/noarp/plan.h"

#include <sstream>

#include "lib/config/reader.h"

namespace halb::realserver {

std::string method_name(Method m) {
  switch (m) {
    case Method::nft: return "nft";
    case Method::arptables: return "arptables";
    case Method::sysctl: return "sysctl";
  }
  return "nft";
}

std::optional<Method> parse_method(const std::string& s) {
  for (Method m : {Method::nft, Method::arptables, Method::sysctl})
    if (method_name(m) == s) return m;
  return std::nullopt;
}

net::Result<std::vector<net::Address>> parse_vip_list(const std::string& text) {
  std::vector<net::Address> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto a = net::Address::parse(item);
    if (!a) return net::Error{"not an IP address: '" + item + "'"};
    if (!a->is_v4()) return net::Error{"IPv6 has no ARP: " + item + " (neighbour discovery is not handled)"};
    out.push_back(*a);
  }
  if (out.empty()) return net::Error{"no VIP given"};
  return out;
}

namespace {

std::string vip_set(const Plan& plan) {
  if (plan.vips.size() == 1) return plan.vips[0].str();
  std::string s = "{ ";
  for (size_t i = 0; i < plan.vips.size(); ++i) s += (i ? ", " : "") + plan.vips[i].str();
  return s + " }";
}

}  // namespace

std::string nft_delete() {
  // Declaring the table first makes the delete succeed when it is absent.
  return std::string("table arp ") + kNftTable + " {}\ndelete table arp " + kNftTable + "\n";
}

std::string nft_ruleset(const Plan& plan) {
  std::string s = nft_delete();
  s += std::string("table arp ") + kNftTable + " {\n";
  s += "  chain in {\n    type filter hook input priority filter; policy accept;\n";
  s += "    arp daddr ip " + vip_set(plan) + " counter drop\n  }\n";
  s += "  chain out {\n    type filter hook output priority filter; policy accept;\n";
  for (const auto& u : plan.uplinks)
    s += "    oifname \"" + u.ifname + "\" arp saddr ip " + vip_set(plan) + " counter arp saddr ip set " +
         u.addr.str() + "\n";
  s += "  }\n}\n";
  return s;
}

std::vector<std::vector<std::string>> arptables_rules(const Plan& plan, bool del) {
  std::vector<std::vector<std::string>> out;
  const std::string op = del ? "-D" : "-A";
  for (const auto& vip : plan.vips) {
    out.push_back({op, "INPUT", "-d", vip.str(), "-j", "DROP"});
    for (const auto& u : plan.uplinks)
      out.push_back({op, "OUTPUT", "-s", vip.str(), "-o", u.ifname, "-j", "mangle", "--mangle-ip-s", u.addr.str()});
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> sysctl_settings(const Plan& plan) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> ifs = {"all"};
  for (const auto& u : plan.uplinks) ifs.push_back(u.ifname);
  for (const auto& i : ifs) {
    out.push_back({"net/ipv4/conf/" + i + "/arp_ignore", "1"});
    out.push_back({"net/ipv4/conf/" + i + "/arp_announce", "2"});
  }
  return out;
}

std::string format_saved(const Plan& plan) {
  std::string s = "# halb-noarp save: read by `halb-noarp start` when no VIP is given\n";
  s += "method " + method_name(plan.method) + "\n";
  for (const auto& v : plan.vips) s += "vip " + v.str() + "\n";
  return s;
}

Plan parse_saved(const std::string& text, const std::string& path) {
  Plan plan;
  std::stringstream ss(text);
  std::string line;
  int n = 0;
  while (std::getline(ss, line)) {
    ++n;
    std::stringstream ls(line);
    std::string key, value, extra;
    ls >> key >> value >> extra;
    if (key.empty() || key[0] == '#') continue;
    if (value.empty() || !extra.empty()) throw config::ConfigError(path, n, "expected 'method NAME' or 'vip ADDRESS'");
    if (key == "method") {
      auto m = parse_method(value);
      if (!m) throw config::ConfigError(path, n, "unknown method '" + value + "' (nft, arptables or sysctl)");
      plan.method = *m;
    } else if (key == "vip") {
      auto v = parse_vip_list(value);
      if (!v) throw config::ConfigError(path, n, v.error());
      plan.vips.insert(plan.vips.end(), v->begin(), v->end());
    } else {
      throw config::ConfigError(path, n, "unknown keyword '" + key + "'");
    }
  }
  return plan;
}

}  // namespace halb::realserver
