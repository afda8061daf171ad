// heartbeat/hbctl/main.cc: halb-hbctl, cl_status's subcommands plus
// hb_standby/hb_takeover, over halb-heartbeat's control socket.
//
// Output words and exit codes are cl_status's, so scripts written for it
// keep working: e.g. `nodestatus` prints active/up/ping (exit 0) or dead
// (exit 1), `listhblinks` prints each link tab-prefixed.
#include <getopt.h>

#include <cstdio>
#include <string>
#include <vector>

#include "lib/control/client.h"
#include "lib/version/version.h"

namespace {

using Json = nlohmann::json;

void usage(FILE* out) {
  fprintf(out,
          "usage: halb-hbctl [--run-dir DIR] [-m] SUBCOMMAND [ARGS]\n"
          "  hbstatus                      is halb-heartbeat running here\n"
          "  listnodes [-p|-n]             cluster nodes (-p ping nodes only, -n normal only)\n"
          "  nodestatus NODE               init|up|active|ping|dead\n"
          "  nodetype NODE                 normal|ping\n"
          "  listhblinks NODE              the node's heartbeat links\n"
          "  hblinkstatus NODE LINK        up|dead\n"
          "  rscstatus                     none|local|foreign|all|transition\n"
          "  hbparameter -p NAME           a timing parameter (keepalive, deadtime, ...)\n"
          "  standby [all|foreign|local|failback]   give resources to the other node\n"
          "  takeover [all|foreign|local|failback]  take resources from the other node\n"
          "  counters                      message counters (sent, bad_auth, replayed, ...)\n");
}

const Json* find_node(const Json& st, const std::string& name) {
  for (auto& n : st["nodes"])
    if (n["name"] == name) return &n;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv)) return halb::version::print("halb-hbctl");
  std::string run_dir = "/run/halb";
  bool sentences = false;
  static option table[] = {{"run-dir", required_argument, nullptr, 'R'},
                           {"help", no_argument, nullptr, 'h'},
                           {nullptr, 0, nullptr, 0}};
  int c;
  // Stop at the subcommand: its own flags (-p, -n) follow it.
  while ((c = getopt_long(argc, argv, "+mh", table, nullptr)) != -1) {
    switch (c) {
      case 'R': run_dir = optarg; break;
      case 'm': sentences = true; break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  std::string sub = argv[optind];
  std::vector<std::string> args(argv + optind + 1, argv + argc);
  std::string sock = run_dir + "/heartbeat.sock";

  Json st;
  auto ask = [&](const Json& req) -> bool {
    try {
      st = halb::control::request(sock, req);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  };

  if (sub == "hbstatus") {
    bool up = ask({{"cmd", "status"}});
    printf("Heartbeat is %s on this machine.\n", up ? "running" : "stopped");
    return up ? 0 : 1;
  }
  if (sub == "standby" || sub == "takeover") {
    std::string which = args.empty() ? "all" : args[0];
    if (!ask({{"cmd", sub}, {"which", which}})) {
      fprintf(stderr, "Cannot signon with heartbeat\n");
      return 1;
    }
    if (!st.value("ok", false)) {
      fprintf(stderr, "%s request refused: %s\n", sub.c_str(), st.value("error", "").c_str());
      return 1;
    }
    printf("Going %s [%s].\n", sub == "standby" ? "standby" : "to take over", which.c_str());
    return 0;
  }
  static const std::vector<std::string> known = {"listnodes", "nodestatus", "nodetype", "listhblinks",
                                                 "hblinkstatus", "rscstatus", "hbparameter", "counters"};
  bool is_known = false;
  for (auto& k : known) is_known |= k == sub;
  if (!is_known) {
    fprintf(stderr, "%s is an invalid sub-command.\n", sub.c_str());
    return 11;
  }
  if (!ask({{"cmd", "status"}}) || !st.value("ok", false)) {
    fprintf(stderr, "Cannot signon with heartbeat\n");
    return 1;
  }
  auto need = [&](size_t n) {
    if (args.size() < n) {
      usage(stderr);
      exit(2);
    }
  };

  if (sub == "listnodes") {
    std::string filter = args.empty() ? "" : args[0];
    // cl_status lists the nodes in reverse of their configuration order.
    const Json& nodes = st["nodes"];
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      std::string type = (*it)["type"];
      if ((filter == "-p" && type != "ping") || (filter == "-n" && type != "normal")) continue;
      printf("%s\n", (*it)["name"].get<std::string>().c_str());
    }
    return 0;
  }
  if (sub == "nodestatus" || sub == "nodetype" || sub == "listhblinks" || sub == "hblinkstatus") {
    need(sub == "hblinkstatus" ? 2 : 1);
    const Json* n = find_node(st, args[0]);
    if (!n) {
      fprintf(stderr, "Error: node %s is not in the cluster\n", args[0].c_str());
      return 2;
    }
    if (sub == "nodestatus") {
      std::string s = (*n)["status"];
      if (sentences) printf("The cluster node %s is %s\n", args[0].c_str(), s.c_str());
      else printf("%s\n", s.c_str());
      return s == "dead" ? 1 : 0;
    }
    if (sub == "nodetype") {
      printf("%s\n", (*n)["type"].get<std::string>().c_str());
      return 0;
    }
    if (sub == "listhblinks") {
      for (auto& l : (*n)["links"]) printf("\t%s\n", l["name"].get<std::string>().c_str());
      return 0;
    }
    for (auto& l : (*n)["links"])
      if (l["name"] == args[1]) {
        std::string s = l["status"];
        if (sentences) printf("The link %s of node %s is %s\n", args[1].c_str(), args[0].c_str(), s.c_str());
        else printf("%s\n", s.c_str());
        return s == "up" ? 0 : 1;
      }
    fprintf(stderr, "Error: node %s has no link %s\n", args[0].c_str(), args[1].c_str());
    return 2;
  }
  if (sub == "rscstatus") {
    std::string s = st["rscstatus"];
    if (sentences) printf("This node is holding %s resources.\n", s.c_str());
    else printf("%s\n", s.c_str());
    return 0;
  }
  if (sub == "hbparameter") {
    if (args.size() != 2 || args[0] != "-p") {
      usage(stderr);
      return 2;
    }
    auto& p = st["parameters"];
    if (!p.contains(args[1])) {
      fprintf(stderr, "Error: no parameter %s\n", args[1].c_str());
      return 1;
    }
    printf("%s\n", p[args[1]].get<std::string>().c_str());
    return 0;
  }
  // counters
  for (auto& [k, v] : st["counters"].items()) printf("%s %s\n", k.c_str(), v.dump().c_str());
  return 0;
}
