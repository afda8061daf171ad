// lib/daemon/options.cc: see options.h.
#include "lib/daemon/options.h"

#include <sys/stat.h>

#include <cerrno>

namespace halb::daemon {

void add_common_long_options(std::vector<option>& table) {
  table.push_back({"foreground", no_argument, nullptr, kOptForeground});
  table.push_back({"config-dir", required_argument, nullptr, kOptConfigDir});
  table.push_back({"run-dir", required_argument, nullptr, kOptRunDir});
  table.push_back({"state-dir", required_argument, nullptr, kOptStateDir});
  table.push_back({"log-file", required_argument, nullptr, kOptLogFile});
  table.push_back({"debug", no_argument, nullptr, kOptDebug});
}

bool handle_common_option(int code, const char* arg, CommonOptions& out) {
  switch (code) {
    case kOptForeground: out.foreground = true; return true;
    case kOptConfigDir: out.config_dir = arg; return true;
    case kOptRunDir: out.run_dir = arg; return true;
    case kOptStateDir: out.state_dir = arg; return true;
    case kOptLogFile: out.log_file = arg; return true;
    case kOptDebug: out.debug = true; return true;
    default: return false;
  }
}

std::string common_options_usage() {
  return "  --foreground        do not detach; log to stderr as well\n"
         "  --config-dir DIR    read configuration from DIR\n"
         "  --run-dir DIR       pid file and control socket in DIR\n"
         "  --state-dir DIR     persistent state in DIR\n"
         "  --log-file FILE     also log to FILE\n"
         "  --debug             log debug messages\n";
}

bool make_dirs(const std::string& path, unsigned mode) {
  if (path.empty()) return true;
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return false;
  }
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace halb::daemon
