// director/daemon/invocation.h: halb-director's command line, as ldirectord's.
//
//   halb-director [options] [cfg] start|stop|restart|try-restart|reload|force-reload|status
//
// The configuration is looked up the way ldirectord does: <config-dir>/<cfg>,
// then <config-dir>/conf/<cfg>, then cfg as a path; no cfg means
// ldirectord.cf. Each configuration has its own pid file, named after the cfg
// argument's basename, so several directors (ldirectord's `execute=`) run
// side by side. heartbeat runs us as `halb-director ldirectord.cf start`
// with no options, so the directories also come from the environment
// heartbeat sets for its agents (HA_D, HALB_RUN_DIR).
#pragma once

#include <string>
#include <vector>

namespace halb::director::daemon {

enum class Command { start, stop, restart, try_restart, reload, force_reload, status, help, version };

struct Invocation {
  Command command = Command::help;
  std::string cfg_arg;      // as given (empty: none)
  std::string config_path;  // resolved; the given path even when no file exists there
  bool config_found = false;
  std::string name = "halb-director";  // basename of argv[0]: the word used in status lines
  std::string config_dir = "/etc/ha.d";
  std::string run_dir = "/run/halb";
  std::string log_file;  // --log-file: overrides logfile= (tests)
  std::string backend = "auto";  // auto|lvsd|kernel
  std::string lvsd_socket;       // empty: <run-dir>/halb-lvsd.sock
  bool debug = false;       // -d: foreground, log to stderr, debug lines
  bool foreground = false;  // --foreground / supervised

  std::string pid_file() const;
};

struct ParseResult {
  Invocation inv;
  std::string error;  // non-empty: usage error (exit 255)
};

// env: lookup for HA_D / HALB_RUN_DIR / HALB_LVSD_SOCKET (getenv in the program).
ParseResult parse_invocation(const std::vector<std::string>& argv, std::string (*env)(const char*));

std::string usage_text(const std::string& name);

}  // namespace halb::director::daemon
