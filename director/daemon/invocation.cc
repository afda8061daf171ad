// director/daemon/invocation.cc: see invocation.h.
#include "director/daemon/invocation.h"

#include <sys/stat.h>

#include <map>

namespace halb::director::daemon {

namespace {

bool is_file(const std::string& p) {
  struct stat st{};
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string basename_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> table = {
      {"start", Command::start},   {"stop", Command::stop},     {"restart", Command::restart},
      {"try-restart", Command::try_restart}, {"reload", Command::reload},
      {"force-reload", Command::force_reload}, {"status", Command::status},
  };
  return table;
}

// "--opt=value" or "--opt value"; advances i when the value is the next word.
bool take_value(const std::vector<std::string>& argv, size_t& i, const std::string& opt, std::string& out,
                std::string& error) {
  const std::string& a = argv[i];
  if (a.rfind(opt + "=", 0) == 0) {
    out = a.substr(opt.size() + 1);
    return true;
  }
  if (a != opt) return false;
  if (i + 1 >= argv.size()) {
    error = "option " + opt + " needs a value";
    return true;
  }
  out = argv[++i];
  return true;
}

}  // namespace

std::string Invocation::pid_file() const {
  return run_dir + "/halb-director." + basename_of(cfg_arg.empty() ? "ldirectord.cf" : cfg_arg) + ".pid";
}

ParseResult parse_invocation(const std::vector<std::string>& argv, std::string (*env)(const char*)) {
  ParseResult r;
  Invocation& inv = r.inv;
  if (!argv.empty()) inv.name = basename_of(argv[0]);
  if (std::string v = env("HA_D"); !v.empty()) inv.config_dir = v;
  if (std::string v = env("HALB_RUN_DIR"); !v.empty()) inv.run_dir = v;
  inv.lvsd_socket = env("HALB_LVSD_SOCKET");

  std::vector<std::string> words;
  bool have_command = false;
  for (size_t i = 1; i < argv.size() && r.error.empty(); ++i) {
    const std::string& a = argv[i];
    if (a == "-d" || a == "--debug") {
      inv.debug = true;
    } else if (a == "-h" || a == "--help") {
      inv.command = Command::help;
      return r;
    } else if (a == "-v" || a == "--version") {
      inv.command = Command::version;
      return r;
    } else if (a == "--foreground") {
      inv.foreground = true;
    } else if (take_value(argv, i, "--config-dir", inv.config_dir, r.error) ||
               take_value(argv, i, "--run-dir", inv.run_dir, r.error) ||
               take_value(argv, i, "--log-file", inv.log_file, r.error) ||
               take_value(argv, i, "--backend", inv.backend, r.error) ||
               take_value(argv, i, "--lvsd-socket", inv.lvsd_socket, r.error)) {
    } else if (a.size() > 1 && a[0] == '-') {
      r.error = "unknown option " + a;
    } else {
      words.push_back(a);
    }
  }
  if (!r.error.empty()) return r;
  if (inv.backend != "auto" && inv.backend != "lvsd" && inv.backend != "kernel") {
    r.error = "--backend must be auto, lvsd or kernel";
    return r;
  }
  // The last word is the command; one before it is the configuration.
  if (!words.empty()) {
    if (auto c = commands().find(words.back()); c != commands().end()) {
      inv.command = c->second;
      have_command = true;
      words.pop_back();
    }
  }
  if (!have_command) {
    r.error = words.empty() ? "no command given" : "unknown command " + words.back();
    return r;
  }
  if (words.size() > 1) {
    r.error = "too many arguments";
    return r;
  }
  inv.cfg_arg = words.empty() ? "" : words[0];
  const std::string cfg = inv.cfg_arg.empty() ? "ldirectord.cf" : inv.cfg_arg;
  inv.config_path = cfg[0] == '/' ? cfg : inv.config_dir + "/" + cfg;
  for (const std::string& candidate : {inv.config_dir + "/" + cfg, inv.config_dir + "/conf/" + cfg, cfg}) {
    if (cfg[0] == '/' && candidate != cfg) continue;
    if (is_file(candidate)) {
      inv.config_path = candidate;
      inv.config_found = true;
      break;
    }
  }
  if (inv.lvsd_socket.empty()) inv.lvsd_socket = inv.run_dir + "/halb-lvsd.sock";
  return r;
}

std::string usage_text(const std::string& name) {
  return "Usage: " + name +
         " [options] [configuration] start|stop|restart|try-restart|reload|force-reload|status\n"
         "  -d, --debug          stay in the foreground, log to stderr, with debug lines\n"
         "  -h, --help           this text\n"
         "  -v, --version        version\n"
         "  --foreground         stay in the foreground (as supervised=yes)\n"
         "  --config-dir DIR     where configurations are looked up (default $HA_D or /etc/ha.d)\n"
         "  --run-dir DIR        pid files (default $HALB_RUN_DIR or /run/halb)\n"
         "  --log-file FILE      log here instead of the configuration's logfile\n"
         "  --backend B          auto (kernel IPVS when present, else halb-lvsd), lvsd or kernel\n"
         "  --lvsd-socket PATH   halb-lvsd's control socket (default <run-dir>/halb-lvsd.sock)\n";
}

}  // namespace halb::director::daemon
