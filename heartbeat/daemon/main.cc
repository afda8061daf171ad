// heartbeat/daemon/main.cc: halb-heartbeat's command line. Parses options,
// reads the three config files, then hands everything to HeartbeatDaemon.
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "heartbeat/config/authkeys.h"
#include "heartbeat/config/ha_cf.h"
#include "heartbeat/config/haresources.h"
#include "heartbeat/daemon/heartbeat_daemon.h"
#include "lib/config/reader.h"
#include "lib/daemon/daemonize.h"
#include "lib/daemon/options.h"
#include "lib/daemon/pidfile.h"
#include "lib/log/log.h"
#include "lib/version/version.h"

using namespace halb;

namespace {

void usage(FILE* out) {
  fprintf(out,
          "usage: halb-heartbeat [options]            start the daemon\n"
          "       halb-heartbeat -k|--stop             stop the running daemon (gives up resources)\n"
          "       halb-heartbeat -s|--status           is it running? (exit 0 yes, 3 no)\n"
          "       halb-heartbeat -r|--reload           re-read authkeys (SIGHUP)\n"
          "       halb-heartbeat -t|--config-test      check ha.cf, authkeys, haresources and exit\n"
          "options:\n"
          "  --node NAME         this node's name (default: nodeinfo file, else uname -n)\n"
          "%s",
          daemon::common_options_usage().c_str());
}

std::string local_node_name(const std::string& config_dir, const std::string& given) {
  if (!given.empty()) return config::lower(given);
  std::ifstream nodeinfo(config_dir + "/nodeinfo");
  std::string name;
  if (nodeinfo >> name) return config::lower(name);
  utsname u{};
  uname(&u);
  return config::lower(u.nodename);
}

struct Loaded {
  heartbeat::HaCf ha;
  heartbeat::AuthKeys keys;
  heartbeat::HaResources resources;
};

Loaded load(const std::string& dir, const std::string& node) {
  Loaded l;
  l.ha = heartbeat::parse_ha_cf(dir + "/ha.cf", node);
  l.keys = heartbeat::parse_authkeys(dir + "/authkeys");
  std::string hr = dir + "/haresources";
  if (access(hr.c_str(), F_OK) == 0) l.resources = heartbeat::parse_haresources(hr, l.ha.nodes);
  return l;
}

log::Sinks sinks_for(const heartbeat::HaCf& ha, const daemon::CommonOptions& o) {
  log::Sinks s;
  s.ident = "halb-heartbeat";
  s.debug = o.debug || ha.debug > 0;
  s.to_stderr = o.foreground;
  bool any = ha.logfacility || !ha.logfile.empty() || !ha.debugfile.empty();
  if (ha.logfacility && *ha.logfacility != "none") s.syslog_facility = log::facility_from_name(*ha.logfacility);
  if (!any) s.syslog_facility = log::facility_from_name("daemon");  // heartbeat would use logd
  s.file = !o.log_file.empty() ? o.log_file : ha.logfile == "/dev/null" ? "" : ha.logfile;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv, halb::version::kShortV)) return halb::version::print("halb-heartbeat");
  daemon::CommonOptions opts;
  opts.config_dir = "/etc/ha.d";
  opts.run_dir = "/run/halb";
  opts.state_dir = "/var/lib/halb";
  std::string node_opt;
  enum { kNode = 0x2000 };
  std::vector<option> table = {{"stop", no_argument, nullptr, 'k'},
                               {"status", no_argument, nullptr, 's'},
                               {"reload", no_argument, nullptr, 'r'},
                               {"config-test", no_argument, nullptr, 't'},
                               {"node", required_argument, nullptr, kNode},
                               {"help", no_argument, nullptr, 'h'}};
  daemon::add_common_long_options(table);
  table.push_back({nullptr, 0, nullptr, 0});
  char mode = 0;
  int c;
  while ((c = getopt_long(argc, argv, "ksrthd", table.data(), nullptr)) != -1) {
    if (daemon::handle_common_option(c, optarg, opts)) continue;
    switch (c) {
      case 'k': case 's': case 'r': case 't': mode = static_cast<char>(c); break;
      case 'd': opts.debug = true; break;
      case kNode: node_opt = optarg; break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    usage(stderr);
    return 2;
  }
  std::string pidfile = opts.run_dir + "/halb-heartbeat.pid";
  std::string node = local_node_name(opts.config_dir, node_opt);

  if (mode == 'k') return daemon::stop_by_pidfile(pidfile, SIGTERM, 120) == 1 ? 1 : 0;
  if (mode == 'r') {
    auto p = daemon::probe_pidfile(pidfile);
    if (p.status != daemon::PidStatus::running) return 3;
    return kill(p.pid, SIGHUP) == 0 ? 0 : 1;
  }
  if (mode == 's') {
    auto p = daemon::probe_pidfile(pidfile);
    if (p.status == daemon::PidStatus::running) {
      printf("halb-heartbeat OK [pid %d] is running on %s [%s]...\n", static_cast<int>(p.pid), node.c_str(),
             node.c_str());
      return 0;
    }
    printf("halb-heartbeat is stopped. No process\n");
    return p.status == daemon::PidStatus::stale ? 1 : 3;
  }

  Loaded cfg;
  try {
    cfg = load(opts.config_dir, node);
  } catch (const config::ConfigError& e) {
    fprintf(stderr, "halb-heartbeat: ERROR: %s\n", e.what());
    return config::kExitNotConfigured;
  }
  for (auto& w : cfg.ha.warnings) fprintf(stderr, "halb-heartbeat: WARN: %s\n", w.c_str());
  if (mode == 't') {
    printf("%s/ha.cf, authkeys, haresources: configuration OK for node %s\n", opts.config_dir.c_str(), node.c_str());
    return 0;
  }

  for (auto* dir : {&opts.run_dir, &opts.state_dir})
    if (!daemon::make_dirs(*dir, 0755)) {
      fprintf(stderr, "halb-heartbeat: cannot create %s\n", dir->c_str());
      return 1;
    }
  daemon::Readiness ready;
  if (!opts.foreground) daemon::daemonize(ready);
  daemon::PidFile pf;
  std::string err;
  if (!pf.acquire(pidfile, err)) {
    fprintf(stderr, "halb-heartbeat: %s\n", err.c_str());
    ready.report(1);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);

  log::Logger logger(sinks_for(cfg.ha, opts));
  for (auto& w : cfg.ha.warnings) logger.warn(w);
  if (cfg.ha.realtime) {
    // As heartbeat: a busy machine must not delay our heartbeats, or the
    // peer takes over a healthy node. Round-robin realtime at half the
    // range, memory locked against paging; agents are reset when forked.
    sched_param sp{};
    sp.sched_priority = sched_get_priority_max(SCHED_RR) / 2;
    if (sched_setscheduler(0, SCHED_RR, &sp) != 0)
      logger.warn(std::string("realtime: cannot set SCHED_RR: ") + strerror(errno));
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
      logger.warn(std::string("realtime: cannot lock memory: ") + strerror(errno));
  }
  event::Loop loop(true);
  heartbeat::DaemonSettings settings{node,     opts.config_dir,  opts.run_dir, opts.state_dir,
                                     cfg.ha,   cfg.keys,         cfg.resources};
  heartbeat::HeartbeatDaemon hb(loop, logger, settings);
  if (!hb.start(err)) {
    logger.error(err);
    fprintf(stderr, "halb-heartbeat: %s\n", err.c_str());
    ready.report(1);
    return 1;
  }
  bool stopping = false;
  auto stop = [&] {
    if (stopping) return;
    stopping = true;
    hb.shutdown([&] { loop.stop(); });
  };
  event::Signal term(loop, SIGTERM, stop);
  event::Signal intr(loop, SIGINT, stop);
  event::Signal hup(loop, SIGHUP, [&] {
    logger.configure(sinks_for(cfg.ha, opts));  // reopens the log file after rotation
    try {
      hb.reload(heartbeat::parse_authkeys(opts.config_dir + "/authkeys"));
    } catch (const config::ConfigError& e) {
      // heartbeat exits on a bad authkeys at reload; halb keeps the old keys running.
      logger.error(std::string(e.what()) + " (keeping the previous keys)");
    }
  });
  ready.ready();
  loop.run();
  return 0;
}
