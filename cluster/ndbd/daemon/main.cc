// cluster/ndbd/daemon/main.cc: halb-ndbd's command line. Finds the
// management servers, gets a node id and the configuration from them, and
// runs one data node until it is stopped, loses arbitration or restarts.
#include <glob.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cluster/config/connectstring.h"
#include "cluster/config/my_cnf.h"
#include "cluster/ndbd/daemon/data_node.h"
#include "lib/config/reader.h"
#include "lib/daemon/daemonize.h"
#include "lib/daemon/options.h"
#include "lib/daemon/pidfile.h"
#include "lib/log/log.h"
#include "lib/version/version.h"

using namespace halb;
using namespace halb::cluster;

namespace {

void usage(FILE* out) {
  fprintf(out,
          "usage: halb-ndbd [options]          start a data node\n"
          "       halb-ndbd -k|--stop [--ndb-nodeid N]    stop the data node(s) running here\n"
          "       halb-ndbd -s|--status [--ndb-nodeid N]  are they running? (exit 0 yes, 3 no)\n"
          "options:\n"
          "  -c, --ndb-connectstring CS, --connect-string CS\n"
          "                          management servers, e.g. \"nodeid=2,host=127.0.0.1:1186\"\n"
          "  --ndb-nodeid N          ask for this node id\n"
          "  -n, --nostart           connect to the management server and wait for START\n"
          "  --initial               wipe this node's file system (redo log, checkpoints, schema) and start empty\n"
          "  --nodaemon              same as --foreground\n"
          "  --bind-address HOST     accept transporter links on this address (default: the node's HostName)\n"
          "  --defaults-file FILE    my.cnf to read [ndbd] and [mysql_cluster] from (default /etc/my.cnf)\n"
          "%s",
          daemon::common_options_usage().c_str());
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// How many times this node id has started in this state directory: the
// base of its transaction ids, so they never repeat across restarts.
uint64_t next_start_count(const std::string& path) {
  uint64_t n = 0;
  if (auto text = read_text(path)) n = strtoull(text->c_str(), nullptr, 10);
  ++n;
  std::ofstream out(path, std::ios::trunc);
  out << n << "\n";
  return n;
}

// The pid files of this host's data nodes: one id, or all of them.
std::vector<std::string> pid_files(const std::string& run_dir, uint32_t id) {
  if (id) return {run_dir + "/halb-ndbd-" + std::to_string(id) + ".pid"};
  std::vector<std::string> out;
  glob_t g{};
  if (glob((run_dir + "/halb-ndbd-*.pid").c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.push_back(g.gl_pathv[i]);
  globfree(&g);
  return out;
}

int stop_or_status(char mode, const std::string& run_dir, uint32_t id) {
  auto files = pid_files(run_dir, id);
  int result = mode == 'k' ? 0 : 3;
  bool any_running = false;
  for (auto& f : files) {
    if (mode == 'k') {
      if (daemon::stop_by_pidfile(f, SIGTERM, 60) == 1) result = 1;
      continue;
    }
    auto p = daemon::probe_pidfile(f);
    if (p.status == daemon::PidStatus::running) {
      printf("halb-ndbd (pid %d, %s) is running\n", static_cast<int>(p.pid), f.c_str());
      any_running = true;
    } else if (p.status == daemon::PidStatus::stale && result == 3) {
      result = 1;
    }
  }
  if (mode == 's') {
    if (any_running) return 0;
    printf("halb-ndbd is stopped\n");
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv, halb::version::kShortV)) return halb::version::print("halb-ndbd");
  std::vector<std::string> original_args(argv, argv + argc);
  daemon::CommonOptions opts;
  opts.config_dir = "/etc/mysql-cluster";
  opts.run_dir = "/run/halb";
  opts.state_dir = "/var/lib/mysql-cluster";
  std::optional<std::string> connect;
  std::string defaults_file = "/etc/my.cnf", bind_address;
  uint32_t forced_id = 0;
  bool no_start = false, initial = false;
  enum { kNodeId = 0x2000, kInitial, kNoDaemon, kBind, kDefaults };
  std::vector<option> table = {{"stop", no_argument, nullptr, 'k'},
                               {"status", no_argument, nullptr, 's'},
                               {"ndb-connectstring", required_argument, nullptr, 'c'},
                               {"connect-string", required_argument, nullptr, 'c'},
                               {"ndb-nodeid", required_argument, nullptr, kNodeId},
                               {"nostart", no_argument, nullptr, 'n'},
                               {"initial", no_argument, nullptr, kInitial},
                               {"nodaemon", no_argument, nullptr, kNoDaemon},
                               {"bind-address", required_argument, nullptr, kBind},
                               {"defaults-file", required_argument, nullptr, kDefaults},
                               {"help", no_argument, nullptr, 'h'}};
  daemon::add_common_long_options(table);
  table.push_back({nullptr, 0, nullptr, 0});
  char mode = 0;
  int c;
  while ((c = getopt_long(argc, argv, "c:nhdks", table.data(), nullptr)) != -1) {
    if (daemon::handle_common_option(c, optarg, opts)) continue;
    switch (c) {
      case 'c': connect = optarg; break;
      case 'n': no_start = true; break;
      case 'k': case 's': mode = static_cast<char>(c); break;
      case 'd': opts.debug = true; break;
      case kInitial: initial = true; break;
      case kNoDaemon: opts.foreground = true; break;
      case kBind: bind_address = optarg; break;
      case kDefaults: defaults_file = optarg; break;
      case kNodeId: {
        auto n = config::parse_int(optarg);
        if (!n || *n < 1 || *n > static_cast<long long>(kMaxNodeId)) {
          fprintf(stderr, "halb-ndbd: --ndb-nodeid must be a number from 1 to %u\n", kMaxNodeId);
          return 2;
        }
        forced_id = static_cast<uint32_t>(*n);
        break;
      }
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    usage(stderr);
    return 2;
  }
  if (mode) return stop_or_status(mode, opts.run_dir, forced_id);

  ConnectStringSources sources;
  sources.command_line = connect;
  sources.forced_node_id = forced_id;
  if (access(defaults_file.c_str(), R_OK) == 0) {
    try {
      sources.my_cnf = cluster_options(load_my_cnf(defaults_file), ClusterProgram::kNdbd).connectstring;
    } catch (const config::ConfigError& e) {
      fprintf(stderr, "halb-ndbd: %s\n", e.what());
      return config::kExitNotConfigured;
    }
  }
  if (const char* env = getenv("NDB_CONNECTSTRING")) sources.environment = env;
  if (const char* home = getenv("NDB_HOME")) sources.ndb_home_cfg = read_text(std::string(home) + "/Ndb.cfg");
  sources.cwd_cfg = read_text("Ndb.cfg");
  ConnectString cs;
  try {
    cs = resolve_connectstring(sources).connect;
  } catch (const ConnectStringError& e) {
    fprintf(stderr, "halb-ndbd: %s\n", e.what());
    return 2;
  }
  if (forced_id) cs.node_id = forced_id;

  std::string err;
  auto boot = mgmapi::bootstrap(cs, NodeType::kData, cs.node_id, err);
  if (!boot) {
    fprintf(stderr, "halb-ndbd: Unable to connect with connect string: %s: %s\n", cs.to_string().c_str(),
            err.c_str());
    return 1;
  }
  const cluster::DataNode* own = nullptr;
  for (auto& d : boot->config.data_nodes)
    if (d.node_id == boot->node_id) own = &d;
  if (!own) {
    fprintf(stderr, "halb-ndbd: node id %u is not a data node\n", boot->node_id);
    return 1;
  }
  std::string id = std::to_string(boot->node_id);
  std::string data_dir = own->data_dir;
  std::string fs_dir = (own->file_system_path.empty() ? data_dir : own->file_system_path) + "/ndb_" + id + "_fs";
  for (const std::string& d : {opts.run_dir, data_dir, fs_dir})
    if (!daemon::make_dirs(d, 0755)) {
      fprintf(stderr, "halb-ndbd: cannot create %s\n", d.c_str());
      return 1;
    }

  daemon::Readiness ready;
  if (!opts.foreground) daemon::daemonize(ready);
  daemon::PidFile pf;
  if (!pf.acquire(opts.run_dir + "/halb-ndbd-" + id + ".pid", err)) {
    fprintf(stderr, "halb-ndbd: %s\n", err.c_str());
    ready.report(1);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  log::Sinks sinks;
  sinks.ident = "halb-ndbd";
  sinks.debug = opts.debug;
  sinks.to_stderr = opts.foreground;
  sinks.file = !opts.log_file.empty() ? opts.log_file : data_dir + "/ndb_" + id + "_out.log";
  sinks.syslog_facility = log::facility_from_name("daemon");
  log::Logger logger(sinks);

  ndbd::DataNodeOptions dopts;
  dopts.connectstring = cs;
  dopts.no_start = no_start;
  dopts.initial = initial;
  dopts.bind_host = bind_address;
  dopts.start_count = next_start_count(fs_dir + "/start_count");
  dopts.fs_dir = fs_dir;
  int status = 0;
  bool restart = false, restart_initial = false, restart_no_start = false;
  {
    event::Loop loop(true);
    std::unique_ptr<ndbd::DataNode> node;
    try {
      node = std::make_unique<ndbd::DataNode>(loop, logger, *boot, dopts);
    } catch (const std::exception& e) {
      logger.error(e.what());
      ready.report(1);
      return 1;
    }
    if (!node->start(err)) {
      logger.error("cannot listen for transporter links: " + err);
      ready.report(1);
      return 1;
    }
    logger.info("halb-ndbd " PACKAGE_VERSION ": data node " + id + " (start " + std::to_string(dopts.start_count) +
                (initial ? ", initial" : "") + ")");
    ready.ready();
    event::Signal term(loop, SIGTERM, [&] { node->shutdown("data node " + id + " stopping on SIGTERM"); });
    event::Signal intr(loop, SIGINT, [&] { node->shutdown("data node " + id + " stopping on SIGINT"); });
    // logrotate's SIGHUP must not end a data node (the default action would).
    event::Signal hup(loop, SIGHUP, [&] {
      logger.configure(sinks);
      logger.info("SIGHUP: log file reopened; configuration changes need a node restart, as with ndbd");
    });
    loop.run();
    status = node->exit_status();
    restart = node->restart_requested();
    restart_initial = node->restart_initial();
    restart_no_start = node->restart_no_start();
    node.reset();
  }
  logger.info("data node " + id + " exits with status " + std::to_string(status));
  if (!restart) return status;
  // RESTART from halb-mgmd: run again in this process's place with the
  // same id, in the foreground (we are already detached).
  pf.release();
  boot.reset();
  std::vector<std::string> args = {original_args[0], "--foreground", "--ndb-nodeid=" + id};
  for (size_t i = 1; i < original_args.size(); ++i) {
    const std::string& a = original_args[i];
    if (a == "--initial" || a == "--nostart" || a == "-n" || a == "--foreground" || a == "--nodaemon") continue;
    args.push_back(a);
  }
  if (restart_initial) args.push_back("--initial");
  if (restart_no_start) args.push_back("--nostart");
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  execv("/proc/self/exe", cargs.data());
  logger.error(std::string("restart: cannot exec: ") + strerror(errno));
  return 1;
}
