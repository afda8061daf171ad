// cluster/mgmd/main.cc: halb-mgmd's command line. Reads config.ini, picks
// this server's node id, opens the cluster log and serves the management
// protocol until SIGTERM or a client's SHUTDOWN/STOP.
#include <ifaddrs.h>
#include <netdb.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cluster/config/config_ini.h"
#include "cluster/mgmd/cluster_log.h"
#include "cluster/mgmd/node_registry.h"
#include "cluster/mgmd/peer_link.h"
#include "cluster/mgmd/server.h"
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
          "usage: halb-mgmd [options]              start the management server\n"
          "       halb-mgmd -k|--stop               stop the running server\n"
          "       halb-mgmd -s|--status             is it running? (exit 0 yes, 3 no)\n"
          "       halb-mgmd -t|--config-test        check config.ini and exit\n"
          "options:\n"
          "  -f, --config-file FILE  config.ini to read (default CONFIG_DIR/config.ini)\n"
          "  --ndb-nodeid N          this server's node id (default: the [NDB_MGMD] on a local address)\n"
          "  --bind-address HOST     listen on this address only (default: all)\n"
          "  --nodaemon              same as --foreground\n"
          "  --initial               accepted for ndb_mgmd compatibility (no configuration cache to drop)\n"
          "%s",
          daemon::common_options_usage().c_str());
}

std::vector<std::string> local_addresses() {
  std::vector<std::string> out;
  ifaddrs* ifa = nullptr;
  if (getifaddrs(&ifa) != 0) return out;
  for (ifaddrs* i = ifa; i; i = i->ifa_next) {
    if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)) continue;
    char buf[NI_MAXHOST];
    socklen_t len = i->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (getnameinfo(i->ifa_addr, len, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) == 0) {
      std::string a = buf;
      auto pct = a.find('%');
      if (pct != std::string::npos) a.erase(pct);
      out.push_back(a);
    }
  }
  freeifaddrs(ifa);
  return out;
}

// The [NDB_MGMD] this process is: the forced id, else the first whose
// HostName is empty or one of this machine's addresses.
const MgmNode* pick_self(const ClusterConfig& cfg, uint32_t forced, const mgmd::HostAddresses& hosts,
                         std::string& error) {
  if (forced) {
    for (auto& m : cfg.mgm_nodes)
      if (m.node_id == forced) return &m;
    error = "--ndb-nodeid " + std::to_string(forced) + ": no [NDB_MGMD] section has that id";
    return nullptr;
  }
  auto local = local_addresses();
  for (auto& m : cfg.mgm_nodes) {
    if (m.host_name.empty()) return &m;
    auto it = hosts.find(m.host_name);
    if (it == hosts.end()) continue;
    for (auto& a : local)
      if (it->second.count(a)) return &m;
  }
  error = "no [NDB_MGMD] section names this host; give --ndb-nodeid";
  return nullptr;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv, halb::version::kShortV)) return halb::version::print("halb-mgmd");
  daemon::CommonOptions opts;
  opts.config_dir = "/var/lib/mysql-cluster";
  opts.run_dir = "/run/halb";
  opts.state_dir = "/var/lib/mysql-cluster";
  std::string config_file, bind_address;
  uint32_t forced_id = 0;
  enum { kNodeId = 0x2000, kBind, kNoDaemon, kInitial };
  std::vector<option> table = {{"stop", no_argument, nullptr, 'k'},
                               {"status", no_argument, nullptr, 's'},
                               {"config-test", no_argument, nullptr, 't'},
                               {"config-file", required_argument, nullptr, 'f'},
                               {"ndb-nodeid", required_argument, nullptr, kNodeId},
                               {"bind-address", required_argument, nullptr, kBind},
                               {"nodaemon", no_argument, nullptr, kNoDaemon},
                               {"initial", no_argument, nullptr, kInitial},
                               {"help", no_argument, nullptr, 'h'}};
  daemon::add_common_long_options(table);
  table.push_back({nullptr, 0, nullptr, 0});
  char mode = 0;
  int c;
  while ((c = getopt_long(argc, argv, "kstf:hd", table.data(), nullptr)) != -1) {
    if (daemon::handle_common_option(c, optarg, opts)) continue;
    switch (c) {
      case 'k': case 's': case 't': mode = static_cast<char>(c); break;
      case 'f': config_file = optarg; break;
      case 'd': opts.debug = true; break;
      case kNodeId: {
        auto n = config::parse_int(optarg);
        if (!n || *n < 1 || *n > static_cast<long long>(kMaxNodeId)) {
          fprintf(stderr, "halb-mgmd: --ndb-nodeid must be a number from 1 to %u\n", kMaxNodeId);
          return 2;
        }
        forced_id = static_cast<uint32_t>(*n);
        break;
      }
      case kBind: bind_address = optarg; break;
      case kNoDaemon: opts.foreground = true; break;
      case kInitial: break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    usage(stderr);
    return 2;
  }
  std::string pidfile = opts.run_dir + (forced_id ? "/halb-mgmd-" + std::to_string(forced_id) + ".pid" : "/halb-mgmd.pid");
  if (mode == 'k') return daemon::stop_by_pidfile(pidfile, SIGTERM, 60) == 1 ? 1 : 0;
  if (mode == 's') {
    auto p = daemon::probe_pidfile(pidfile);
    if (p.status == daemon::PidStatus::running) {
      printf("halb-mgmd (pid %d) is running\n", static_cast<int>(p.pid));
      return 0;
    }
    printf("halb-mgmd is stopped\n");
    return p.status == daemon::PidStatus::stale ? 1 : 3;
  }

  if (config_file.empty()) config_file = opts.config_dir + "/config.ini";
  LoadedConfig loaded;
  try {
    loaded = load_config_ini(config_file);
  } catch (const config::ConfigError& e) {
    fprintf(stderr, "halb-mgmd: %s\n", e.what());
    return config::kExitNotConfigured;
  }
  for (auto& w : loaded.warnings) fprintf(stderr, "halb-mgmd: warning: %s\n", w.c_str());
  const ClusterConfig& cfg = loaded.config;
  mgmd::HostAddresses hosts = mgmd::resolve_hosts(cfg);
  std::string err;
  const MgmNode* self = pick_self(cfg, forced_id, hosts, err);
  if (!self) {
    fprintf(stderr, "halb-mgmd: %s: %s\n", config_file.c_str(), err.c_str());
    return config::kExitNotConfigured;
  }
  std::vector<mgmd::LogDestination> destinations;
  try {
    destinations = mgmd::parse_log_destination(self->log_destination, self->node_id);
  } catch (const mgmd::DestinationError& e) {
    fprintf(stderr, "halb-mgmd: %s:%d: LogDestination: %s\n", config_file.c_str(), self->line, e.what());
    return config::kExitNotConfigured;
  }
  if (mode == 't') {
    printf("%s: configuration OK; this is management node %u, port %u\n", config_file.c_str(), self->node_id,
           self->port_number);
    return 0;
  }

  for (const std::string& dir_name : std::vector<std::string>{opts.run_dir, self->data_dir})
    if (!daemon::make_dirs(dir_name, 0755)) {
      fprintf(stderr, "halb-mgmd: cannot create %s\n", dir_name.c_str());
      return 1;
    }
  daemon::Readiness ready;
  if (!opts.foreground) daemon::daemonize(ready);
  daemon::PidFile pf;
  if (!pf.acquire(pidfile, err)) {
    fprintf(stderr, "halb-mgmd: %s\n", err.c_str());
    ready.report(1);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  std::string id = std::to_string(self->node_id);
  log::Sinks sinks;
  sinks.ident = "halb-mgmd";
  sinks.debug = opts.debug;
  sinks.to_stderr = opts.foreground;
  sinks.file = !opts.log_file.empty() ? opts.log_file : self->data_dir + "/ndb_" + id + "_out.log";
  sinks.syslog_facility = log::facility_from_name("daemon");
  log::Logger logger(sinks);
  for (auto& w : loaded.warnings) logger.warn(w);

  mgmd::ClusterLog cluster_log(destinations, self->data_dir);
  event::Loop loop(true);
  mgmd::ServerSettings settings;
  settings.config = cfg;
  settings.config_text = read_file(config_file);
  settings.own_id = self->node_id;
  settings.bind_host = bind_address;
  settings.port = static_cast<uint16_t>(self->port_number);
  settings.hosts = hosts;
  settings.arbitration_rank = self->arbitration_rank;
  settings.arbitration_delay_ms = self->arbitration_delay;
  mgmd::Server server(loop, logger, cluster_log, settings);
  if (!server.listen(err)) {
    logger.error(err);
    fprintf(stderr, "halb-mgmd: %s\n", err.c_str());
    ready.report(1);
    return 1;
  }
  // The other management servers of the cluster learn about us (and show
  // us in SHOW) through a session each, as a node would hold.
  std::vector<std::unique_ptr<mgmd::PeerLink>> peers;
  std::function<void()> stop;
  for (auto& m : cfg.mgm_nodes) {
    if (m.node_id == self->node_id) continue;
    std::string host = m.host_name.empty() ? "localhost" : m.host_name;
    peers.push_back(std::make_unique<mgmd::PeerLink>(loop, logger, MgmServer{host, static_cast<uint16_t>(m.port_number)},
                                                     self->node_id, [&stop] { stop(); }));
  }
  logger.info("halb-mgmd " PACKAGE_VERSION ": management node " + id + " serving " + config_file + " on port " +
              std::to_string(server.port()));
  mgmapi::Event started;
  started.source_node = self->node_id;
  started.category = mgmapi::Category::kStartup;
  started.threshold = 1;
  started.text = "Management server started (version " + mgmapi::version_string(mgmapi::kProtocolVersion) + ")";
  server.publish(started);

  bool stopping = false;
  stop = [&] {
    if (stopping) return;
    stopping = true;
    logger.info("management node " + id + " shutting down");
    // The peer sessions end with the loop; clearing them here would free
    // the session whose command handler may be running.
    loop.stop();
  };
  server.on_stop_requested = stop;
  event::Signal term(loop, SIGTERM, stop);
  event::Signal intr(loop, SIGINT, stop);
  event::Signal hup(loop, SIGHUP, [&] {
    logger.configure(sinks);
    logger.info("SIGHUP: log file reopened; config.ini changes need a restart, as with ndb_mgmd");
  });
  ready.ready();
  loop.run();
  return 0;
}
