// cluster/mgm/main.cc: halb-mgm, the management client. Interactive
// `ndb_mgm> ` prompt, or one command with -e.
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "cluster/config/connectstring.h"
#include "cluster/config/my_cnf.h"
#include "cluster/mgm/event_printer.h"
#include "cluster/mgm/interpreter.h"
#include "cluster/mgm/texts.h"
#include "lib/config/reader.h"
#include "lib/version/version.h"

using namespace halb;
using namespace halb::cluster;

namespace {

void usage(FILE* out) {
  fprintf(out,
          "usage: halb-mgm [options] [host [port]]\n"
          "options:\n"
          "  -c, --connect-string, --ndb-connectstring CS  management servers, e.g. \"host=10.0.0.1,host=10.0.0.2\"\n"
          "  -e, --execute CMD        run one command and exit\n"
          "  -t, --try-reconnect N    connection attempts (0 = until one answers; default 3)\n"
          "  --connect-retry-delay S  seconds between attempts (default 5)\n"
          "  --defaults-file FILE     my.cnf to read [mysql_cluster] and [ndb_mgm] from (default /etc/my.cnf)\n"
          "  --ndb-nodeid N           accepted; a client takes no node id\n");
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv, halb::version::kShortV)) return halb::version::print("halb-mgm");
  std::optional<std::string> connect, execute;
  std::string defaults_file = "/etc/my.cnf";
  mgm::InterpreterOptions options;
  enum { kRetryDelay = 0x2000, kDefaults, kNodeId };
  option table[] = {{"connect-string", required_argument, nullptr, 'c'},
                    {"ndb-connectstring", required_argument, nullptr, 'c'},
                    {"execute", required_argument, nullptr, 'e'},
                    {"try-reconnect", required_argument, nullptr, 't'},
                    {"connect-retry-delay", required_argument, nullptr, kRetryDelay},
                    {"defaults-file", required_argument, nullptr, kDefaults},
                    {"ndb-nodeid", required_argument, nullptr, kNodeId},
                    {"help", no_argument, nullptr, 'h'},
                    {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "c:e:t:h?", table, nullptr)) != -1) {
    switch (c) {
      case 'c': connect = optarg; break;
      case 'e': execute = optarg; break;
      case 't': {
        auto n = config::parse_int(optarg);
        if (!n || *n < 0) {
          fprintf(stderr, "halb-mgm: --try-reconnect needs a number >= 0\n");
          return 2;
        }
        options.try_reconnect = static_cast<int>(*n);
        break;
      }
      case kRetryDelay: {
        auto n = config::parse_int(optarg);
        if (!n || *n < 0) {
          fprintf(stderr, "halb-mgm: --connect-retry-delay needs a number of seconds\n");
          return 2;
        }
        options.retry_delay_s = static_cast<double>(*n);
        break;
      }
      case kDefaults: defaults_file = optarg; break;
      case kNodeId: break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  // ndb_mgm also takes "host [port]" as arguments.
  if (optind < argc) {
    std::string cs = argv[optind];
    if (optind + 1 < argc) cs += std::string(":") + argv[optind + 1];
    if (optind + 2 < argc) {
      usage(stderr);
      return 2;
    }
    connect = cs;
  }

  ConnectStringSources sources;
  sources.command_line = connect;
  if (access(defaults_file.c_str(), R_OK) == 0) {
    try {
      auto opts = cluster_options(load_my_cnf(defaults_file), ClusterProgram::kNdbMgm);
      sources.my_cnf = opts.connectstring;
    } catch (const config::ConfigError& e) {
      fprintf(stderr, "halb-mgm: %s\n", e.what());
      return config::kExitNotConfigured;
    }
  }
  if (const char* env = getenv("NDB_CONNECTSTRING")) sources.environment = env;
  if (const char* home = getenv("NDB_HOME")) sources.ndb_home_cfg = read_text(std::string(home) + "/Ndb.cfg");
  sources.cwd_cfg = read_text("Ndb.cfg");
  try {
    options.connect = resolve_connectstring(sources).connect;
  } catch (const ConnectStringError& e) {
    fprintf(stderr, "halb-mgm: %s\n", e.what());
    return 2;
  }

  options.events_printed_elsewhere = !execute;
  mgm::Interpreter interp(options, std::cout);
  if (execute) {
    interp.execute(*execute);
    return interp.status();
  }
  std::cout << "-- NDB Cluster -- Management Client --" << std::endl;
  // Events arrive between prompts, as with ndb_mgm.
  mgm::EventPrinter events(options.connect, [](const std::string& line) {
    for (auto& l : mgm::event_lines(line)) std::cout << l << std::endl;
  });
  std::string line;
  for (;;) {
    std::cout << "ndb_mgm> " << std::flush;
    if (!std::getline(std::cin, line)) {
      std::cout << std::endl;
      break;
    }
    if (!interp.execute(line)) break;
  }
  return 0;
}
