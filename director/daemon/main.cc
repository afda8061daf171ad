// director/daemon/main.cc: halb-director, run the way ldirectord is run.
//
//   halb-director [options] [cfg] start|stop|restart|try-restart|reload|force-reload|status
//
// The start/stop/status half follows ldirectord's table (exit codes and
// words); the daemon half wires the config reader, a backend (wiring.h),
// the checks and the Director onto one event loop.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "director/config/ldirectord_cf.h"
#include "director/daemon/commands.h"
#include "director/daemon/director.h"
#include "director/daemon/invocation.h"
#include "director/daemon/wiring.h"
#include "lib/config/reader.h"
#include "lib/daemon/daemonize.h"
#include "lib/daemon/options.h"
#include "lib/daemon/pidfile.h"
#include "lib/log/log.h"
#include "lib/version/version.h"

using namespace halb;
namespace dd = halb::director::daemon;
namespace dcfg = halb::director::config;
using dd::Command;

namespace {

std::string env_or_empty(const char* name) {
  const char* v = getenv(name);
  return v ? v : "";
}

// ldirectord's exit codes.
constexpr int kExitConfig = 2;
constexpr int kExitUsage = 255;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

log::Sinks sinks_for(const dd::Invocation& inv, const dcfg::Config* cfg) {
  log::Sinks s;
  s.ident = inv.name;
  s.style = log::Style::ldirectord;
  s.debug = inv.debug;
  s.to_stderr = inv.debug;
  if (!inv.log_file.empty()) {
    s.file = inv.log_file;
  } else if (cfg) {
    const auto& lt = cfg->global.logfile;
    if (lt.syslog_facility)
      s.syslog_facility = log::facility_from_name(*lt.syslog_facility);
    else
      s.file = lt.file;
  }
  if (cfg && cfg->global.supervised) s.to_stderr = true;
  return s;
}

// Loads the configuration; on error prints ldirectord's line and returns false.
bool load(const dd::Invocation& inv, dcfg::Config& out, std::string& error) {
  try {
    out = dcfg::read_ldirectord_cf(inv.config_path);
    return true;
  } catch (const halb::config::ConfigError& e) {
    error = "Error [" + std::to_string(getpid()) + "] reading file " + e.file() + " at line " +
            std::to_string(e.line()) + ": " + e.message();
    return false;
  }
}

int status(const dd::Invocation& inv) {
  auto p = daemon::probe_pidfile(inv.pid_file());
  if (p.status == daemon::PidStatus::running) {
    fprintf(stderr, "%s for %s is running with pid: %d\n", inv.name.c_str(), inv.config_path.c_str(),
            static_cast<int>(p.pid));
    return 0;
  }
  if (p.status == daemon::PidStatus::stale)
    fprintf(stderr, "%s stale pid file %s for %s\n", inv.name.c_str(), inv.pid_file().c_str(),
            inv.config_path.c_str());
  printf("%s is stopped for %s\n", inv.name.c_str(), inv.config_path.c_str());
  return p.status == daemon::PidStatus::stale ? 1 : 3;
}

int stop(const dd::Invocation& inv) {
  int r = daemon::stop_by_pidfile(inv.pid_file(), SIGTERM, 60);
  return r == 1 ? 1 : 0;
}

int reload(const dd::Invocation& inv) {
  auto p = daemon::probe_pidfile(inv.pid_file());
  if (p.status != daemon::PidStatus::running) {
    fprintf(stderr, "%s is stopped for %s\n", inv.name.c_str(), inv.config_path.c_str());
    return 1;
  }
  return kill(p.pid, SIGHUP) == 0 ? 0 : 1;
}

std::string argv_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += std::string(argv[i]) + " ";
  return s;  // ldirectord's line ends in a space too
}

// sendmail -t, when the machine has one; otherwise the alert is only logged.
dd::MailSender make_mail_sender(log::Logger& logger, dd::CommandRunner& commands) {
  return [&logger, &commands](const std::vector<std::string>& to, const std::string& from, const std::string& subject,
                              const std::string& body) {
    const char* sendmail = nullptr;
    for (const char* p : {"/usr/sbin/sendmail", "/usr/lib/sendmail"})
      if (access(p, X_OK) == 0) sendmail = p;
    if (!sendmail) {
      logger.info("emailalert: no sendmail on this machine; not sent: " + subject);
      return;
    }
    std::string rcpt;
    for (const auto& t : to) rcpt += (rcpt.empty() ? "" : ", ") + t;
    std::string msg = "To: " + rcpt + "\n";
    if (!from.empty()) msg += "From: " + from + "\n";
    msg += "Subject: " + subject + "\n\n" + body;
    commands.run({sendmail, "-t"}, "sendmail", 60, msg);
  };
}

int run_daemon(const dd::Invocation& inv, int argc, char** argv) {
  dcfg::Config cfg;
  std::string error;
  if (!load(inv, cfg, error)) {
    fprintf(stderr, "%s\n", error.c_str());
    return kExitConfig;
  }
  if (!daemon::make_dirs(inv.run_dir, 0755)) {
    fprintf(stderr, "%s: cannot create %s: %s\n", inv.name.c_str(), inv.run_dir.c_str(), strerror(errno));
    return 1;
  }
  bool foreground = inv.debug || inv.foreground || cfg.global.supervised;
  daemon::Readiness ready;
  if (!foreground) daemon::daemonize(ready);
  daemon::PidFile pf;
  if (!pf.acquire(inv.pid_file(), error)) {
    fprintf(stderr, "%s: %s\n", inv.name.c_str(), error.c_str());
    ready.report(1);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  log::Logger logger(sinks_for(inv, &cfg));
  logger.info("Invoking ldirectord invoked as: " + argv_line(argc, argv));
  logger.info(std::string("Starting Linux Director v") + PACKAGE_VERSION + " as daemon");
  for (const auto& w : cfg.warnings) logger.warn(cfg.path + ":" + std::to_string(w.line) + ": " + w.message);

  event::Loop loop(true);
  // Checks run every second or more, with timeouts of seconds: handling the
  // timers and replies of 10 ms together costs them nothing and saves a
  // wakeup per check (bench/checks: 1000 reals = 2000 wakeups a second).
  loop.coalesce_wakeups(0.01, 0.05);
  auto be = dd::make_backend(inv, error);
  if (!be) {
    logger.error("Exiting with exit_status 1: " + error);
    fprintf(stderr, "%s: %s\n", inv.name.c_str(), error.c_str());
    ready.report(1);
    return 1;
  }
  logger.info(std::string("using the ") + std::string(be->name()) + " backend");
  auto checks = dd::make_real_checks(loop, logger);
  dd::CommandRunner commands(loop, logger);
  dd::Director director(loop, logger, *be, *checks, commands, make_mail_sender(logger, commands));
  director.start(cfg);
  // execute=: companion instances for other configurations.
  auto companions = [&](const char* what) {
    for (const auto& other : director.config().global.execute)
      commands.run({"/proc/self/exe", "--config-dir", inv.config_dir, "--run-dir", inv.run_dir, other, what},
                   std::string("execute ") + other);
  };
  companions("start");
  ready.ready();

  // autoreload / callback: mtime first, then the content, as ldirectord.
  struct stat st0{};
  stat(inv.config_path.c_str(), &st0);
  timespec mtime = st0.st_mtim;
  std::string content = read_file(inv.config_path);
  auto reread = [&](const std::string& why) {
    logger.info(why);
    dcfg::Config next;
    std::string err;
    if (!load(inv, next, err)) {
      logger.error(err + " (keeping the running configuration)");
      return;
    }
    logger.configure(sinks_for(inv, &next));
    for (const auto& w : next.warnings) logger.warn(next.path + ":" + std::to_string(w.line) + ": " + w.message);
    director.reload(std::move(next));
  };
  event::Timer watch(loop, [&] {
    struct stat st{};
    if (stat(inv.config_path.c_str(), &st) != 0) return;
    if (st.st_mtim.tv_sec == mtime.tv_sec && st.st_mtim.tv_nsec == mtime.tv_nsec) return;
    mtime = st.st_mtim;
    std::string now = read_file(inv.config_path);
    if (now == content) return;
    content = now;
    const auto& g = director.config().global;
    logger.info("Configuration file '" + inv.config_path + "' has changed on disk");
    if (!g.callback.empty()) commands.run({g.callback, inv.config_path}, "callback");
    if (g.autoreload)
      reread(" - reread new configuration");
    else
      logger.info(" - ignore new configuration");
  });
  watch.start(1, 1);

  std::string ended_by;
  auto on_stop = [&](const char* sig) {
    if (!ended_by.empty()) return;
    ended_by = sig;
    director.stop();
    companions("stop");
    loop.stop();
  };
  event::Signal term(loop, SIGTERM, [&] { on_stop("TERM"); });
  event::Signal intr(loop, SIGINT, [&] { on_stop("INT"); });
  event::Signal hup(loop, SIGHUP, [&] {
    content = read_file(inv.config_path);
    reread("Reloading Linux Director Daemon config on signal");
  });
  loop.run();
  logger.info("Linux Director Daemon terminated on signal: " + ended_by);
  pf.release();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto parsed = dd::parse_invocation(args, +[](const char* n) { return env_or_empty(n); });
  const auto& inv = parsed.inv;
  if (!parsed.error.empty()) {
    fprintf(stderr, "%s: %s\n%s", inv.name.c_str(), parsed.error.c_str(), dd::usage_text(inv.name).c_str());
    return kExitUsage;
  }
  switch (inv.command) {
    case Command::help: fputs(dd::usage_text(inv.name).c_str(), stdout); return 0;
    case Command::version: return version::print(inv.name);
    case Command::status: return status(inv);
    case Command::stop: return stop(inv);
    case Command::reload:
    case Command::force_reload: return reload(inv);
    case Command::try_restart:
      if (daemon::probe_pidfile(inv.pid_file()).status != daemon::PidStatus::running) return 0;
      [[fallthrough]];
    case Command::restart:
      if (stop(inv) != 0) return 1;
      [[fallthrough]];
    case Command::start:
      if (daemon::probe_pidfile(inv.pid_file()).status == daemon::PidStatus::running) return 0;
      if (!inv.config_found) {
        fprintf(stderr, "%s: cannot find configuration %s\n", inv.name.c_str(), inv.config_path.c_str());
        return 1;
      }
      return run_daemon(inv, argc, argv);
  }
  return kExitUsage;
}
