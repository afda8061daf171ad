// tests/tools/halb-agent-run.cc: runs one built-in resource agent the way
// halb-heartbeat's resource manager does, from the command line, so the
// namespace suites can drive IPaddr2 without a whole daemon:
//
//   halb-agent-run [options] IPaddr2 ARG start|stop|status
//     --arp-interval-ms N   send_arp -i (default 200)
//     --arp-count N         send_arp -r (default 5)
//     --no-lvs-support      do not move a lo copy of the VIP
//     --state-dir DIR       remember a removed lo copy here (for a later stop)
//     --debug               log debug lines too
//
// The agent runs on a real loop; the program prints the agent's output on
// stdout and exits with its code once the loop has nothing left to do,
// i.e. after the background gratuitous ARPs have all gone out. Log lines
// go to stderr.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "heartbeat/agents/ipaddr.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

using namespace halb;

static int usage() {
  fprintf(stderr,
          "usage: halb-agent-run [--arp-interval-ms N] [--arp-count N] [--no-lvs-support] [--state-dir DIR] [--debug]\n"
          "                      IPaddr2|IPaddr ARG start|stop|status\n");
  return 2;
}

int main(int argc, char** argv) {
  heartbeat::IpAddrOptions options;
  bool debug = false;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--arp-interval-ms" || a == "--arp-count") {
      const char* v = value();
      if (!v) return usage();
      (a == "--arp-count" ? options.arp_count : options.arp_interval_ms) = std::atoi(v);
    } else if (a == "--state-dir") {
      const char* v = value();
      if (!v) return usage();
      options.state_dir = v;
    } else if (a == "--no-lvs-support") {
      options.lvs_support = false;
    } else if (a == "--debug") {
      debug = true;
    } else if (a.rfind("--", 0) == 0) {
      return usage();
    } else {
      rest.push_back(a);
    }
  }
  if (rest.size() < 2) return usage();
  std::string agent_name = rest.front();
  std::string op_word = rest.back();
  std::vector<std::string> args(rest.begin() + 1, rest.end() - 1);
  heartbeat::AgentOp op;
  if (op_word == "start") {
    op = heartbeat::AgentOp::start;
  } else if (op_word == "stop") {
    op = heartbeat::AgentOp::stop;
  } else if (op_word == "status" || op_word == "monitor") {
    op = heartbeat::AgentOp::status;
  } else {
    return usage();
  }
  if (agent_name != "IPaddr2" && agent_name != "IPaddr") {
    fprintf(stderr, "halb-agent-run: unknown built-in agent %s\n", agent_name.c_str());
    return 2;
  }

  log::Sinks sinks;
  sinks.ident = "halb-agent-run";
  sinks.to_stderr = true;
  sinks.debug = debug;
  log::Logger logger(sinks);
  event::Loop loop;
  heartbeat::IpAddrAgent agent(loop, logger, agent_name, options);

  heartbeat::AgentResult result;
  bool answered = false;
  agent.run(op, args, [&](heartbeat::AgentResult r) {
    result = std::move(r);
    answered = true;
    // Print at once: the caller sees the answer while ARPs still go out,
    // as heartbeat saw start return before send_arp finished.
    fputs(result.output.c_str(), stdout);
    fflush(stdout);
  });
  // Runs until no watcher is left: the ARP timer is the only one.
  loop.run();
  if (!answered) {
    fprintf(stderr, "halb-agent-run: the agent never answered\n");
    return 1;
  }
  return result.exit_code;
}
