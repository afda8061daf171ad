// director/syncswap/main.cc: halb-syncswap, heartbeat's LVSSyncDaemonSwap.
//
//   halb-syncswap [options] master|backup [iface] start|stop|status|monitor|cleanup
//
// Behind the `LVSSyncDaemonSwap::master` resource of haresources: the node
// holding the resource runs the named connection-sync role, the other node
// the opposite one, so connections survive a failover. The roles are
// started and stopped through the backend (kernel IPVS or halb-lvsd), never
// by running ipvsadm. status keeps the script's words but answers with LSB
// exit codes (the script had them inverted) and finds modern kernels'
// sync threads (ipvs-m:/ipvs-b:) as well as the old ones.
#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "director/backend/choice.h"
#include "director/syncswap/swap.h"
#include "lib/log/log.h"
#include "lib/version/version.h"

using namespace halb;
using namespace halb::director;
using syncswap::SyncRole;

namespace {

std::string env_or(const char* name, const std::string& dflt) {
  const char* v = getenv(name);
  return v && *v ? v : dflt;
}

// The pid of a kernel sync thread of this role, 0 when none is found.
// Names: ipvs-m:<gen>:<id> / ipvs-b:... (3.x and later), ipvs_master /
// ipvs_backup, ipvs_syncmaster / ipvs_syncbackup (2.6 era).
pid_t sync_thread_pid(SyncRole role) {
  const bool master = role == SyncRole::master;
  DIR* d = opendir("/proc");
  if (!d) return 0;
  pid_t found = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/comm");
    std::string comm;
    std::getline(f, comm);
    bool hit = master ? (comm.rfind("ipvs-m:", 0) == 0 || comm == "ipvs_master" || comm == "ipvs_syncmaster")
                      : (comm.rfind("ipvs-b:", 0) == 0 || comm == "ipvs_backup" || comm == "ipvs_syncbackup");
    if (hit) {
      found = static_cast<pid_t>(atoi(e->d_name));
      break;
    }
  }
  closedir(d);
  return found;
}

// halb-lvsd syncs in its own process: its pid stands for the thread's.
pid_t lvsd_pid(const std::string& run_dir) {
  std::ifstream f(run_dir + "/halb-lvsd.pid");
  long pid = 0;
  f >> pid;
  return static_cast<pid_t>(pid);
}

void usage(FILE* out, const std::string& name) {
  fprintf(out,
          "usage: %s [options] master|backup [iface] start|stop|status|monitor|cleanup\n"
          "  --backend auto|lvsd|kernel   where the sync daemons run (default auto)\n"
          "  --lvsd-socket PATH           halb-lvsd's control socket\n"
          "  --syncid N                   sync id (0..255, default 0: accept every id)\n",
          name.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv)) return halb::version::print("halb-syncswap");
  std::string name = argv[0];
  if (auto s = name.rfind('/'); s != std::string::npos) name = name.substr(s + 1);
  std::string which = env_or("HALB_BACKEND", "auto");
  std::string run_dir = env_or("HALB_RUN_DIR", "/run/halb");
  std::string socket = env_or("HALB_LVSD_SOCKET", "");
  uint32_t syncid = 0;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& opt, std::string& out) {
      if (a.rfind(opt + "=", 0) == 0) {
        out = a.substr(opt.size() + 1);
        return true;
      }
      if (a == opt && i + 1 < argc) {
        out = argv[++i];
        return true;
      }
      return false;
    };
    std::string v;
    if (value("--backend", which) || value("--lvsd-socket", socket)) continue;
    if (value("--syncid", v)) {
      char* end = nullptr;
      unsigned long n = strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end || n > 255) {
        fprintf(stderr, "%s: --syncid must be 0..255\n", name.c_str());
        return 2;
      }
      syncid = static_cast<uint32_t>(n);
      continue;
    }
    if (a == "-h" || a == "--help") {
      usage(stdout, name);
      return 0;
    }
    if (a.size() > 1 && a[0] == '-') {
      fprintf(stderr, "%s: unknown option %s\n", name.c_str(), a.c_str());
      return 2;
    }
    words.push_back(a);
  }
  if (words.size() < 2 || words.size() > 3 || (words[0] != "master" && words[0] != "backup")) {
    usage(stderr, name);
    return 2;
  }
  const SyncRole ying = words[0] == "master" ? SyncRole::master : SyncRole::backup;
  const std::string iface = words.size() == 3 ? words[1] : "eth0";
  const std::string cmd = words.back();
  if (socket.empty()) socket = run_dir + "/halb-lvsd.sock";

  log::Sinks sinks;
  sinks.ident = name;
  sinks.syslog_facility = log::facility_from_name("daemon");
  sinks.to_stderr = isatty(2);
  log::Logger logger(sinks);

  std::string error;
  auto be = backend::make_backend(which, socket, error);
  if (!be) {
    fprintf(stderr, "%s: ERROR: %s\n", name.c_str(), error.c_str());
    logger.error(error);
    return 1;
  }
  bool running[3] = {false, false, false};  // by SyncRole value
  try {
    for (const auto& d : be->daemons()) running[static_cast<int>(d.role)] = true;
  } catch (const backend::BackendError& e) {
    fprintf(stderr, "%s: ERROR: cannot read the sync daemons: %s\n", name.c_str(), e.what());
    return 1;
  }
  const bool master_on = running[1], backup_on = running[2];

  if (cmd == "status" || cmd == "monitor") {
    printf("%s %s\n", syncswap::role_word(ying).c_str(), running[static_cast<int>(ying)] ? "running" : "stopped");
    for (SyncRole r : {SyncRole::master, SyncRole::backup}) {
      if (!running[static_cast<int>(r)]) continue;
      pid_t pid = sync_thread_pid(r);
      if (!pid && be->name() == "halb-lvsd") pid = lvsd_pid(run_dir);
      printf("(ipvs_sync%s pid: %d)\n", syncswap::role_word(r).c_str(), static_cast<int>(pid));
    }
    return running[static_cast<int>(ying)] ? 0 : 3;
  }
  syncswap::Action action;
  if (cmd == "start")
    action = syncswap::Action::start;
  else if (cmd == "stop")
    action = syncswap::Action::stop;
  else if (cmd == "cleanup")
    action = syncswap::Action::cleanup;
  else {
    usage(stderr, name);
    return 2;
  }
  for (const auto& step : syncswap::plan(action, ying, master_on, backup_on)) {
    const std::string role = syncswap::role_word(step.role);
    try {
      if (step.start) {
        backend::SyncDaemon d;
        d.role = step.role;
        d.mcast_ifn = iface;
        d.syncid = syncid;
        be->start_daemon(d);
        logger.info("ipvs_sync" + role + " up");
      } else {
        be->stop_daemon(step.role);
        logger.info("ipvs_sync" + role + " down");
      }
    } catch (const backend::BackendError& e) {
      std::string what = std::string(step.start ? "--start-daemon " : "--stop-daemon ") + role +
                         (step.start ? " --mcast-interface=" + iface : "");
      logger.error("ERROR: " + what + " failed. (" + e.what() + ")");
      fprintf(stderr, "%s: ERROR: %s failed: %s\n", name.c_str(), what.c_str(), e.what());
      return 1;
    }
  }
  if (action == syncswap::Action::start) logger.info("ipvs_sync" + syncswap::role_word(ying) + " obtained");
  if (action == syncswap::Action::stop) logger.info("ipvs_sync" + syncswap::role_word(ying) + " released");
  return 0;
}
