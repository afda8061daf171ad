// realserver/noarp/main.cc: halb-noarp, arptables-noarp-addr for halb.
//
//   halb-noarp [options] [VIP[,VIP...]] start|stop|status|save
//
// start puts each VIP on lo (/32, label lo:0) and suppresses ARP for it;
// stop undoes exactly what start did (an address or sysctl value that was
// there before is left as it was); status says whether all of it is in
// place (LSB: 0 yes, 3 no); save writes the VIPs and method so a boot-time
// `halb-noarp start` (the init script) puts them back.
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "lib/config/reader.h"
#include "lib/daemon/options.h"
#include "lib/version/version.h"
#include "realserver/noarp/plan.h"
#include "realserver/noarp/system.h"

using namespace halb;
using namespace halb::realserver;

namespace {

struct Options {
  std::string config_dir = "/etc/halb";
  std::string run_dir = "/run/halb";
  std::string label = "lo:0";
  std::optional<Method> method;
};

// What start did, so stop undoes only that.
struct State {
  Method method = Method::nft;
  std::vector<net::Address> vips;
  std::vector<net::Address> added;  // put on lo by us
  std::vector<Uplink> uplinks;
  std::map<std::string, std::string> sysctl_before;
};

std::string state_path(const Options& o) { return o.run_dir + "/halb-noarp.state"; }
std::string saved_path(const Options& o) { return o.config_dir + "/noarp.conf"; }

std::string slurp(const std::string& path, bool& found) {
  std::ifstream f(path);
  found = static_cast<bool>(f);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_state(const Options& o, const State& s) {
  daemon::make_dirs(o.run_dir, 0755);
  std::ofstream f(state_path(o));
  f << "method " << method_name(s.method) << "\n";
  for (const auto& v : s.vips) f << "vip " << v.str() << "\n";
  for (const auto& v : s.added) f << "added " << v.str() << "\n";
  for (const auto& u : s.uplinks) f << "uplink " << u.ifname << " " << u.addr.str() << "\n";
  for (const auto& [k, v] : s.sysctl_before) f << "sysctl " << k << " " << v << "\n";
}

std::optional<State> read_state(const Options& o) {
  bool found = false;
  std::string text = slurp(state_path(o), found);
  if (!found) return std::nullopt;
  State s;
  std::stringstream ss(text);
  std::string key, a, b;
  for (std::string line; std::getline(ss, line);) {
    std::stringstream ls(line);
    a.clear();
    b.clear();
    ls >> key >> a >> b;
    if (key == "method") {
      s.method = parse_method(a).value_or(Method::nft);
    } else if (key == "vip" || key == "added") {
      if (auto addr = net::Address::parse(a)) (key == "vip" ? s.vips : s.added).push_back(*addr);
    } else if (key == "uplink") {
      if (auto addr = net::Address::parse(b)) s.uplinks.push_back(Uplink{a, *addr});
    } else if (key == "sysctl") {
      s.sysctl_before[a] = b;
    }
  }
  return s;
}

Plan plan_of(const State& s) { return Plan{s.method, s.vips, s.uplinks}; }

bool apply_rules(const Plan& plan, std::string& error) {
  switch (plan.method) {
    case Method::nft: {
      auto r = run_tool({"nft", "-f", "-"}, nft_ruleset(plan));
      if (r.rc != 0) error = "nft: " + r.output;
      return r.rc == 0;
    }
    case Method::arptables:
      for (const auto& argv : arptables_rules(plan, true)) {  // start twice = the rules once
        std::vector<std::string> cmd = {"arptables"};
        cmd.insert(cmd.end(), argv.begin(), argv.end());
        while (run_tool(cmd).rc == 0) {
        }
      }
      for (const auto& argv : arptables_rules(plan, false)) {
        std::vector<std::string> cmd = {"arptables"};
        cmd.insert(cmd.end(), argv.begin(), argv.end());
        auto r = run_tool(cmd);
        if (r.rc != 0) {
          error = "arptables: " + r.output;
          return false;
        }
      }
      return true;
    case Method::sysctl:
      for (const auto& [k, v] : sysctl_settings(plan))
        if (!write_sysctl(k, v, error)) return false;
      return true;
  }
  return false;
}

void remove_rules(const State& s) {
  Plan plan = plan_of(s);
  switch (s.method) {
    case Method::nft: run_tool({"nft", "-f", "-"}, nft_delete()); break;
    case Method::arptables:
      for (const auto& argv : arptables_rules(plan, true)) {
        std::vector<std::string> cmd = {"arptables"};
        cmd.insert(cmd.end(), argv.begin(), argv.end());
        run_tool(cmd);
      }
      break;
    case Method::sysctl: {
      std::string err;
      for (const auto& [k, v] : s.sysctl_before)
        if (!v.empty()) write_sysctl(k, v, err);
      break;
    }
  }
}

// What status shows of the rules; rc 0 when they are in place.
ToolResult show_rules(const State& s) {
  switch (s.method) {
    case Method::nft: return run_tool({"nft", "list", "table", "arp", kNftTable});
    case Method::arptables: {
      auto r = run_tool({"arptables", "-L", "-v", "-n"});
      for (const auto& v : s.vips)
        if (r.output.find(v.str()) == std::string::npos) r.rc = 3;
      return r;
    }
    case Method::sysctl: {
      ToolResult r;
      for (const auto& [k, v] : sysctl_settings(plan_of(s))) {
        std::string now = read_sysctl(k);
        r.output += k + " = " + now + "\n";
        if (now != v) r.rc = 3;
      }
      return r;
    }
  }
  return {3, ""};
}

int start(const Options& o, Plan plan, net::Netlink& nl) {
  State s;
  s.method = plan.method;
  s.vips = plan.vips;
  auto up = find_uplinks(nl, plan.vips);
  if (!up) {
    fprintf(stderr, "halb-noarp: %s\n", up.error().c_str());
    return 1;
  }
  s.uplinks = *up;
  plan.uplinks = *up;
  if (auto old = read_state(o)) {
    s.added = old->added;  // a second start keeps what the first one added
    if (old->method != plan.method)
      remove_rules(*old);
    else
      s.sysctl_before = old->sysctl_before;  // the values from before the first start
  }
  if (plan.method == Method::sysctl)
    for (const auto& [k, v] : sysctl_settings(plan)) s.sysctl_before.emplace(k, read_sysctl(k));
  // Rules first, then the address: the VIP is never on lo unprotected.
  std::string error;
  if (!apply_rules(plan, error)) {
    fprintf(stderr, "halb-noarp: %s\n", error.c_str());
    return 1;
  }
  for (const auto& vip : plan.vips) {
    if (vip_on_lo(nl, vip)) continue;
    auto r = nl.add_address("lo", net::Prefix{vip, 32}, std::nullopt, o.label);
    if (!r) {
      fprintf(stderr, "halb-noarp: cannot add %s/32 to lo: %s\n", vip.str().c_str(), r.error().c_str());
      write_state(o, s);
      return 1;
    }
    s.added.push_back(vip);
  }
  write_state(o, s);
  for (const auto& vip : plan.vips)
    printf("halb-noarp: %s on lo (%s), ARP suppressed by %s\n", vip.str().c_str(), o.label.c_str(),
           method_name(plan.method).c_str());
  return 0;
}

int stop(const Options& o, net::Netlink& nl) {
  auto s = read_state(o);
  if (!s) return 0;  // LSB: stopping a stopped service succeeds
  // Address first, then the rules: the VIP never stays on lo unprotected.
  for (const auto& vip : s->added) nl.del_address("lo", net::Prefix{vip, 32});
  remove_rules(*s);
  unlink(state_path(o).c_str());
  return 0;
}

int status(const Options& o, net::Netlink& nl) {
  auto s = read_state(o);
  if (!s) {
    printf("halb-noarp is stopped\n");
    return 3;
  }
  bool ok = true;
  for (const auto& vip : s->vips) {
    bool on = vip_on_lo(nl, vip);
    ok = ok && on;
    printf("%s: %s\n", vip.str().c_str(), on ? "on lo" : "NOT on lo");
  }
  auto rules = show_rules(*s);
  ok = ok && rules.rc == 0;
  printf("ARP suppression (%s): %s\n%s", method_name(s->method).c_str(), rules.rc == 0 ? "active" : "NOT active",
         rules.output.c_str());
  printf("halb-noarp is %s\n", ok ? "running" : "stopped (partly in place)");
  return ok ? 0 : 3;
}

int save(const Options& o, const Plan& plan) {
  daemon::make_dirs(o.config_dir, 0755);
  std::ofstream f(saved_path(o));
  f << format_saved(plan);
  if (!f) {
    fprintf(stderr, "halb-noarp: cannot write %s\n", saved_path(o).c_str());
    return 1;
  }
  printf("halb-noarp: saved to %s\n", saved_path(o).c_str());
  return 0;
}

void usage(FILE* out) {
  fprintf(out,
          "usage: halb-noarp [options] [VIP[,VIP...]] start|stop|status|save\n"
          "  --method nft|arptables|sysctl   how ARP is suppressed (default nft, or the saved one)\n"
          "  --label LABEL                   label of the lo address (default lo:0)\n"
          "  --config-dir DIR                where `save` writes noarp.conf (default /etc/halb)\n"
          "  --run-dir DIR                   where start records what it did (default /run/halb)\n"
          "Without VIPs, start and save use the VIPs saved in <config-dir>/noarp.conf, or those started.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv)) return halb::version::print("halb-noarp");
  Options o;
  enum { kMethod = 0x3000, kLabel, kConfigDir, kRunDir };
  static option table[] = {{"method", required_argument, nullptr, kMethod},
                           {"label", required_argument, nullptr, kLabel},
                           {"config-dir", required_argument, nullptr, kConfigDir},
                           {"run-dir", required_argument, nullptr, kRunDir},
                           {"help", no_argument, nullptr, 'h'},
                           {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "h", table, nullptr)) != -1) {
    switch (c) {
      case kMethod:
        o.method = parse_method(optarg);
        if (!o.method) {
          fprintf(stderr, "halb-noarp: unknown method '%s' (nft, arptables or sysctl)\n", optarg);
          return 2;
        }
        break;
      case kLabel: o.label = optarg; break;
      case kConfigDir: o.config_dir = optarg; break;
      case kRunDir: o.run_dir = optarg; break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  std::vector<std::string> words(argv + optind, argv + argc);
  if (words.empty() || words.size() > 2) {
    usage(stderr);
    return 2;
  }
  std::string cmd = words.back();
  if (cmd != "start" && cmd != "stop" && cmd != "status" && cmd != "save") {
    fprintf(stderr, "halb-noarp: unknown command '%s'\n", cmd.c_str());
    usage(stderr);
    return 2;
  }
  if (o.label != "lo" && o.label.rfind("lo:", 0) != 0) {
    fprintf(stderr, "halb-noarp: the label must be lo or start with lo: ('%s')\n", o.label.c_str());
    return 2;
  }
  auto nl = net::Netlink::open();
  if (!nl) {
    fprintf(stderr, "halb-noarp: netlink: %s\n", nl.error().c_str());
    return 1;
  }
  if (cmd == "stop") return stop(o, **nl);
  if (cmd == "status") return status(o, **nl);

  // start/save: VIPs from the command line, else the saved file, else (save) what runs.
  Plan plan;
  if (words.size() == 2) {
    auto vips = parse_vip_list(words[0]);
    if (!vips) {
      fprintf(stderr, "halb-noarp: %s\n", vips.error().c_str());
      return 2;
    }
    plan.vips = *vips;
  } else {
    bool found = false;
    std::string text = slurp(saved_path(o), found);
    try {
      if (found) plan = parse_saved(text, saved_path(o));
    } catch (const config::ConfigError& e) {
      fprintf(stderr, "halb-noarp: %s\n", e.what());
      return 6;
    }
    if (plan.vips.empty() && cmd == "save")
      if (auto s = read_state(o)) plan = plan_of(*s);
    if (plan.vips.empty()) {
      fprintf(stderr, "halb-noarp: no VIP given and none saved in %s\n", saved_path(o).c_str());
      return cmd == "start" ? 6 : 2;
    }
  }
  if (o.method) plan.method = *o.method;
  if (cmd == "save") return save(o, plan);
  return start(o, plan, **nl);
}
