// lib/daemon/options.h: the command-line options every halb daemon shares.
//
//   --foreground        stay attached, log to stderr too
//   --config-dir DIR    where the config files are read from
//   --run-dir DIR       pid file and control socket
//   --state-dir DIR     persistent state (generation counters, data)
//   --log-file FILE     log to this file as well (overrides the config)
//   --debug             log debug lines
//
// Defaults come from the program (e.g. /etc/ha.d, /run/halb, /var/lib/halb),
// so several instances run side by side when each gets its own directories.
#pragma once

#include <getopt.h>

#include <string>
#include <vector>

namespace halb::daemon {

struct CommonOptions {
  std::string config_dir;
  std::string run_dir;
  std::string state_dir;
  std::string log_file;
  bool foreground = false;
  bool debug = false;
};

// Codes >= 0x1000 are reserved for these options.
enum : int { kOptForeground = 0x1000, kOptConfigDir, kOptRunDir, kOptStateDir, kOptLogFile, kOptDebug };

// Append the common long options to a program's own table (terminator not included).
void add_common_long_options(std::vector<option>& table);
// Returns true when `code` was one of the common options and was stored.
bool handle_common_option(int code, const char* arg, CommonOptions& out);
// Usage text for the common options, one per line, indented two spaces.
std::string common_options_usage();
// mkdir -p with the given mode; false with errno set on failure.
bool make_dirs(const std::string& path, unsigned mode = 0755);

}  // namespace halb::daemon
