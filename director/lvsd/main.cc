// director/lvsd/main.cc: halb-lvsd's command line. Parses options, then
// wires the shared table, the forwarding workers, the control socket and
// the estimator timer onto the main loop.
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "director/lvsd/control_handler.h"
#include "director/lvsd/forward/forwarder.h"
#include "director/lvsd/forward/sockets.h"
#include "director/lvsd/sync/service.h"
#include "lib/control/server.h"
#include "lib/daemon/daemonize.h"
#include "lib/daemon/options.h"
#include "lib/daemon/pidfile.h"
#include "lib/log/log.h"
#include "lib/version/version.h"

using namespace halb;
using namespace halb::director::lvsd;

namespace {

void usage(FILE* out) {
  fprintf(out,
          "usage: halb-lvsd [options]          start the daemon\n"
          "       halb-lvsd -k|--stop          stop the running daemon\n"
          "       halb-lvsd -s|--status        is it running? (exit 0 yes, 3 no)\n"
          "       halb-lvsd -r|--reload        reopen the log file (SIGHUP)\n"
          "options:\n"
          "  --threads N             forwarding threads (default: number of cores)\n"
          "  --cpu-affinity yes|no   one forwarding thread per CPU, connections kept on\n"
          "                          the CPU that received them (default yes)\n"
          "  --max-connections N     connection table limit (default 0: none)\n"
          "  --connect-timeout S     seconds for a real server to accept (default 5)\n"
          "  --control-socket PATH   control socket (default RUN-DIR/halb-lvsd.sock)\n"
          "  --logfacility NAME      syslog facility, or none (default daemon)\n"
          "%s",
          daemon::common_options_usage().c_str());
}

bool parse_number(const char* text, double min, double max, double& out) {
  char* end = nullptr;
  double v = strtod(text, &end);
  if (!end || *end || end == text || v < min || v > max) return false;
  out = v;
  return true;
}

struct Options {
  daemon::CommonOptions common;
  int threads = 0;
  bool cpu_affinity = true;
  size_t max_connections = 0;
  double connect_timeout = 5.0;
  std::string control_socket;
  std::string facility = "daemon";
};

// One CPU per forwarding thread, from the CPUs this process may run on;
// none (the scheduler places the threads) when there are more threads than
// CPUs, as pinning two loops to one CPU would only make them wait for it.
std::vector<int> forwarding_cpus(int threads) {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return {};
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE && static_cast<int>(cpus.size()) < threads; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  if (static_cast<int>(cpus.size()) < threads) return {};
  return cpus;
}

log::Sinks sinks_for(const Options& o) {
  log::Sinks s;
  s.ident = "halb-lvsd";
  s.debug = o.common.debug;
  s.to_stderr = o.common.foreground;
  if (o.facility != "none") s.syslog_facility = log::facility_from_name(o.facility);
  s.file = o.common.log_file;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv)) return halb::version::print("halb-lvsd");
  Options o;
  o.common.config_dir = "/etc/ha.d";
  o.common.run_dir = "/run/halb";
  o.common.state_dir = "/var/lib/halb";
  enum { kThreads = 0x2000, kCpuAffinity, kMaxConns, kConnectTimeout, kControlSocket, kFacility };
  std::vector<option> table = {{"stop", no_argument, nullptr, 'k'},
                               {"status", no_argument, nullptr, 's'},
                               {"reload", no_argument, nullptr, 'r'},
                               {"threads", required_argument, nullptr, kThreads},
                               {"cpu-affinity", required_argument, nullptr, kCpuAffinity},
                               {"max-connections", required_argument, nullptr, kMaxConns},
                               {"connect-timeout", required_argument, nullptr, kConnectTimeout},
                               {"control-socket", required_argument, nullptr, kControlSocket},
                               {"logfacility", required_argument, nullptr, kFacility},
                               {"help", no_argument, nullptr, 'h'}};
  daemon::add_common_long_options(table);
  table.push_back({nullptr, 0, nullptr, 0});
  char mode = 0;
  int c;
  double v = 0;
  while ((c = getopt_long(argc, argv, "ksrhd", table.data(), nullptr)) != -1) {
    if (daemon::handle_common_option(c, optarg, o.common)) continue;
    switch (c) {
      case 'k': case 's': case 'r': mode = static_cast<char>(c); break;
      case 'd': o.common.debug = true; break;
      case kThreads:
        if (!parse_number(optarg, 1, 1024, v) || v != static_cast<int>(v)) {
          fprintf(stderr, "halb-lvsd: --threads must be 1..1024\n");
          return 2;
        }
        o.threads = static_cast<int>(v);
        break;
      case kCpuAffinity:
        if (strcmp(optarg, "yes") != 0 && strcmp(optarg, "no") != 0) {
          fprintf(stderr, "halb-lvsd: --cpu-affinity must be yes or no\n");
          return 2;
        }
        o.cpu_affinity = strcmp(optarg, "yes") == 0;
        break;
      case kMaxConns:
        if (!parse_number(optarg, 0, 1e9, v) || v != static_cast<double>(static_cast<size_t>(v))) {
          fprintf(stderr, "halb-lvsd: --max-connections must be a whole number >= 0\n");
          return 2;
        }
        o.max_connections = static_cast<size_t>(v);
        break;
      case kConnectTimeout:
        if (!parse_number(optarg, 0.001, 3600, o.connect_timeout)) {
          fprintf(stderr, "halb-lvsd: --connect-timeout must be 0.001..3600 seconds\n");
          return 2;
        }
        break;
      case kControlSocket: o.control_socket = optarg; break;
      case kFacility:
        o.facility = optarg;
        if (o.facility != "none" && !log::facility_from_name(o.facility)) {
          fprintf(stderr, "halb-lvsd: unknown syslog facility %s\n", optarg);
          return 2;
        }
        break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    usage(stderr);
    return 2;
  }
  std::string pidfile = o.common.run_dir + "/halb-lvsd.pid";
  if (o.control_socket.empty()) o.control_socket = o.common.run_dir + "/halb-lvsd.sock";
  if (mode == 'k') return daemon::stop_by_pidfile(pidfile, SIGTERM, 30) == 1 ? 1 : 0;
  if (mode == 'r') {
    auto p = daemon::probe_pidfile(pidfile);
    if (p.status != daemon::PidStatus::running) return 3;
    return kill(p.pid, SIGHUP) == 0 ? 0 : 1;
  }
  if (mode == 's') {
    auto p = daemon::probe_pidfile(pidfile);
    if (p.status == daemon::PidStatus::running) {
      printf("halb-lvsd is running [pid %d]\n", static_cast<int>(p.pid));
      return 0;
    }
    printf("halb-lvsd is stopped\n");
    return p.status == daemon::PidStatus::stale ? 1 : 3;
  }
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());

  if (!daemon::make_dirs(o.common.run_dir, 0755)) {
    fprintf(stderr, "halb-lvsd: cannot create %s\n", o.common.run_dir.c_str());
    return 1;
  }
  daemon::Readiness ready;
  if (!o.common.foreground) daemon::daemonize(ready);
  daemon::PidFile pf;
  std::string err;
  if (!pf.acquire(pidfile, err)) {
    fprintf(stderr, "halb-lvsd: %s\n", err.c_str());
    ready.report(1);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  log::Logger logger(sinks_for(o));

  SharedTable shared;
  shared.table.set_max_connections(o.max_connections);
  event::Loop loop(true);
  ForwardSettings settings{o.connect_timeout, {}};
  if (o.cpu_affinity) settings.cpus = forwarding_cpus(o.threads);
  Forwarder forwarder(o.threads, shared, logger, settings);
  forwarder.start();
  ControlHandler handler(shared, mono_now, [&] {
    if (!forwarder.sync()) logger.warn("a forwarding thread did not update its sockets within 2 s");
  });
  sync::SyncService sync_daemons(loop, shared, logger, mono_now);
  handler.set_sync(&sync_daemons);
  handler.set_forwarder(&forwarder);
  control::Server server(loop, logger, [&](const control::Json& req, const control::Peer&) {
    return handler.handle(req);
  });
  try {
    server.listen(o.control_socket);
  } catch (const std::exception& e) {
    logger.error(std::string("control socket ") + o.control_socket + ": " + e.what());
    fprintf(stderr, "halb-lvsd: control socket %s: %s\n", o.control_socket.c_str(), e.what());
    ready.report(1);
    return 1;
  }
  event::Timer estimator(loop, [&] {
    std::lock_guard lock(shared.mu);
    shared.table.tick(mono_now());
  });
  estimator.start(Estimator::kIntervalSeconds, Estimator::kIntervalSeconds);

  auto stop = [&] {
    logger.info("halb-lvsd: stopping on signal");
    loop.stop();
  };
  event::Signal term(loop, SIGTERM, stop);
  event::Signal intr(loop, SIGINT, stop);
  event::Signal hup(loop, SIGHUP, [&] { logger.configure(sinks_for(o)); });
  std::string cpus;
  for (int cpu : settings.cpus) cpus += (cpus.empty() ? "" : ",") + std::to_string(cpu);
  logger.info("halb-lvsd: started with " + std::to_string(o.threads) + " forwarding threads" +
              (cpus.empty() ? std::string(" (no CPU affinity)") : " on CPUs " + cpus) + ", control socket " +
              o.control_socket);
  ready.ready();
  loop.run();
  server.close();
  return 0;
}
