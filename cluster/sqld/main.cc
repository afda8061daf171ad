// cluster/sqld/main.cc: halb-sqld, the cluster's SQL node. Reads [mysqld]
// and [mysql_cluster] of my.cnf (command-line options of the same names
// win), connects to the cluster, then serves MySQL clients on a TCP port and
// a Unix socket until SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cluster/config/connectstring.h"
#include "cluster/config/my_cnf.h"
#include "cluster/sqld/server/listener.h"
#include "cluster/sqld/server/registry.h"
#include "cluster/sqld/server/socket_stream.h"
#include "cluster/sqld/sql/cluster_engine.h"
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
          "usage: halb-sqld [options]            start the SQL node\n"
          "       halb-sqld -k|--stop            stop the running SQL node\n"
          "       halb-sqld -s|--status          is it running? (exit 0 yes, 3 no)\n"
          "options (also read from [mysqld] and [mysql_cluster] of my.cnf):\n"
          "  --defaults-file FILE        my.cnf to read (default /etc/my.cnf)\n"
          "  -c, --ndb-connectstring CS  management servers, e.g. \"host=10.0.0.1,host=10.0.0.2\"\n"
          "  --ndb-wait-connected S      seconds to wait for the cluster at start (default 30)\n"
          "  --ndb-cluster-connection-pool N\n"
          "                              API node ids (cluster connections) to spread sessions over (default 1)\n"
          "  --ndb-cluster-connection-pool-nodeids ID,ID...\n"
          "                              the pool members' node ids, in order (default: any free API slot)\n"
          "  -P, --port N                MySQL TCP port (default 3306)\n"
          "  -S, --socket PATH           Unix socket (default /run/mysqld/mysqld.sock)\n"
          "  --bind-address ADDR         address to listen on (default: all)\n"
          "  --skip-networking           the Unix socket only\n"
          "  --pid-file FILE             pid file (default RUN_DIR/halb-sqld.pid)\n"
          "  --initial-root-password-file FILE\n"
          "                              password for root@localhost on the cluster's first start\n"
          "  --max-connections N         (default 151)\n"
          "  --max-allowed-packet SIZE   (default 64M)\n"
          "  --connect-timeout S, --wait-timeout S, --interactive-timeout S,\n"
          "  --net-read-timeout S, --net-write-timeout S\n"
          "  --ssl-cert FILE, --ssl-key FILE   offer TLS to clients that ask for it\n"
          "  --sql-fast-path on|off      primary-key point reads without SQLite (default on)\n"
          "  --sql-statement-cache N     SQLite plans kept per connection for repeated text queries (default 64)\n"
          "%s",
          daemon::common_options_usage().c_str());
}

std::optional<std::string> read_first_line(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  return line;
}

// The server's settings: command line first, then my.cnf, then defaults.
struct Settings {
  std::map<std::string, std::string> given;  // option name → value, from the command line
  std::map<std::string, std::pair<std::string, int>> from_cnf;  // name → value, line
  std::string cnf_file;

  std::optional<std::string> get(const std::string& name) const {
    if (auto it = given.find(name); it != given.end()) return it->second;
    if (auto it = from_cnf.find(name); it != from_cnf.end()) return it->second.first;
    return std::nullopt;
  }
  std::string where(const std::string& name) const {
    if (given.count(name)) return "--" + name;
    auto it = from_cnf.find(name);
    return it == from_cnf.end() ? name : cnf_file + ":" + std::to_string(it->second.second) + ": " + name;
  }
};

bool number(const Settings& s, const std::string& name, uint64_t min, uint64_t max, uint64_t& out,
            bool size = false) {
  auto v = s.get(name);
  if (!v) return true;
  std::optional<uint64_t> n;
  if (size) {
    n = config::parse_size(*v);
  } else if (auto i = config::parse_int(*v); i && *i >= 0) {
    n = static_cast<uint64_t>(*i);
  }
  if (!n || *n < min || *n > max) {
    fprintf(stderr, "halb-sqld: %s: '%s' is not a %s from %llu to %llu\n", s.where(name).c_str(), v->c_str(),
            size ? "size" : "number", static_cast<unsigned long long>(min), static_cast<unsigned long long>(max));
    return false;
  }
  out = *n;
  return true;
}

// ndb-cluster-connection-pool-nodeids: node ids separated by commas or
// spaces, each once. False after saying what is wrong.
bool node_id_list(const Settings& s, const std::string& name, std::vector<uint32_t>& out) {
  auto v = s.get(name);
  if (!v) return true;
  for (const auto& item : config::split_words(*v, ", \t")) {
    auto n = config::parse_int(item);
    if (!n || *n < 1 || *n > 255) {
      fprintf(stderr, "halb-sqld: %s: '%s' is not a node id from 1 to 255\n", s.where(name).c_str(), item.c_str());
      return false;
    }
    const auto id = static_cast<uint32_t>(*n);
    if (std::find(out.begin(), out.end(), id) != out.end()) {
      fprintf(stderr, "halb-sqld: %s: node id %u is named twice\n", s.where(name).c_str(), id);
      return false;
    }
    out.push_back(id);
  }
  if (out.empty() || out.size() > 63) {
    fprintf(stderr, "halb-sqld: %s: '%s' is not a list of 1 to 63 node ids\n", s.where(name).c_str(), v->c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv, halb::version::kShortV)) return halb::version::print("halb-sqld");
  daemon::CommonOptions opts;
  opts.config_dir = "/etc";
  opts.run_dir = "/run/halb";
  opts.state_dir = "/var/lib/halb";
  std::string defaults_file = "/etc/my.cnf";
  bool defaults_given = false;
  Settings s;
  enum { kBase = 0x2000 };
  // Options that take a value and may also come from my.cnf.
  static const char* kValueOptions[] = {"ndb-connectstring", "port", "socket", "bind-address", "pid-file",
                                        "initial-root-password-file", "max-connections", "max-allowed-packet",
                                        "connect-timeout", "wait-timeout", "interactive-timeout", "ssl-cert",
                                        "ssl-key", "ndb-wait-connected", "net-read-timeout", "net-write-timeout",
                                        "ndb-cluster-connection-pool", "ndb-cluster-connection-pool-nodeids",
                                        "defaults-file", "sql-fast-path", "sql-statement-cache"};
  constexpr int kValueCount = sizeof kValueOptions / sizeof kValueOptions[0];
  enum { kSkipNetworking = kBase + 100 };
  std::vector<option> table = {{"stop", no_argument, nullptr, 'k'},
                               {"status", no_argument, nullptr, 's'},
                               {"help", no_argument, nullptr, 'h'},
                               {"connect-string", required_argument, nullptr, kBase + 0},
                               {"skip-networking", no_argument, nullptr, kSkipNetworking}};
  for (int i = 0; i < kValueCount; ++i) table.push_back({kValueOptions[i], required_argument, nullptr, kBase + i});
  daemon::add_common_long_options(table);
  table.push_back({nullptr, 0, nullptr, 0});
  char mode = 0;
  int c;
  while ((c = getopt_long(argc, argv, "c:P:S:hksd", table.data(), nullptr)) != -1) {
    if (daemon::handle_common_option(c, optarg, opts)) continue;
    if (c >= kBase && c < kBase + kValueCount) {
      std::string name = kValueOptions[c - kBase];
      if (name == "defaults-file") {
        defaults_file = optarg;
        defaults_given = true;
      } else {
        s.given[name] = optarg;
      }
      continue;
    }
    switch (c) {
      case 'c': s.given["ndb-connectstring"] = optarg; break;
      case 'P': s.given["port"] = optarg; break;
      case 'S': s.given["socket"] = optarg; break;
      case kSkipNetworking: s.given["skip-networking"] = "1"; break;
      case 'k': case 's': mode = static_cast<char>(c); break;
      case 'd': opts.debug = true; break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    usage(stderr);
    return 2;
  }
  // my.cnf: [mysql_cluster] then [mysqld], a later value winning.
  std::optional<std::string> cnf_connectstring;
  if (defaults_given || access(defaults_file.c_str(), R_OK) == 0) {
    try {
      MyCnf cnf = load_my_cnf(defaults_file);
      s.cnf_file = defaults_file;
      for (auto group : groups_for(ClusterProgram::kMysqld))
        for (auto& g : cnf.groups)
          if (g.name == group)
            for (auto& o : g.options) s.from_cnf[o.name] = {o.value.value_or("1"), o.line};
      cnf_connectstring = cluster_options(cnf, ClusterProgram::kMysqld).connectstring;
    } catch (const config::ConfigError& e) {
      fprintf(stderr, "halb-sqld: %s\n", e.what());
      // A broken my.cnf must not keep -k from stopping the running server.
      if (!mode) return config::kExitNotConfigured;
    }
  }
  if (!s.given.count("skip-networking") && s.from_cnf.count("skip-networking")) s.given["skip-networking"] = "1";
  // After my.cnf: its [mysqld] pid-file names the file -k and -s look at.
  std::string pidfile = s.get("pid-file").value_or(opts.run_dir + "/halb-sqld.pid");
  if (mode == 'k') return daemon::stop_by_pidfile(pidfile, SIGTERM, 60) == 1 ? 1 : 0;
  if (mode == 's') {
    auto p = daemon::probe_pidfile(pidfile);
    if (p.status == daemon::PidStatus::running) {
      printf("halb-sqld is running (pid %d)\n", static_cast<int>(p.pid));
      return 0;
    }
    printf("halb-sqld is stopped\n");
    return p.status == daemon::PidStatus::stale ? 1 : 3;
  }

  sqld::EngineOptions engine_options;
  sqld::server::ConnectionSettings conn;
  sqld::server::ListenerOptions listen;
  uint64_t wait_connected = 30, net_read_timeout = 30, net_write_timeout = 60, pool = 1, statement_cache = 64;
  uint64_t port = 3306, max_conn = 151, packet = 64ull << 20, connect_timeout = 10, wait = 28800,
           interactive = 28800;
  if (!number(s, "port", 0, 65535, port) || !number(s, "max-connections", 1, 100000, max_conn) ||
      !number(s, "max-allowed-packet", 1024, 1ull << 30, packet, true) ||
      !number(s, "connect-timeout", 2, 31536000, connect_timeout) ||
      !number(s, "wait-timeout", 1, 31536000, wait) || !number(s, "interactive-timeout", 1, 31536000, interactive) ||
      !number(s, "ndb-wait-connected", 1, 31536000, wait_connected) ||
      !number(s, "net-read-timeout", 1, 31536000, net_read_timeout) ||
      !number(s, "net-write-timeout", 1, 31536000, net_write_timeout) ||
      !number(s, "ndb-cluster-connection-pool", 1, 63, pool) ||
      !number(s, "sql-statement-cache", 0, 100000, statement_cache))
    return config::kExitNotConfigured;
  std::vector<uint32_t> pool_node_ids;
  if (!node_id_list(s, "ndb-cluster-connection-pool-nodeids", pool_node_ids)) return config::kExitNotConfigured;
  if (!pool_node_ids.empty()) {
    // As in mysqld: the list sets the pool's size, and a size given as
    // well must agree with it.
    if (s.get("ndb-cluster-connection-pool") && pool != pool_node_ids.size()) {
      fprintf(stderr, "halb-sqld: %s names %zu node ids, but %s is %llu\n",
              s.where("ndb-cluster-connection-pool-nodeids").c_str(), pool_node_ids.size(),
              s.where("ndb-cluster-connection-pool").c_str(), static_cast<unsigned long long>(pool));
      return config::kExitNotConfigured;
    }
    pool = pool_node_ids.size();
  }
  if (auto v = s.get("sql-fast-path")) {
    auto on = config::parse_bool(*v);
    if (!on) {
      fprintf(stderr, "halb-sqld: %s: '%s' is not on or off\n", s.where("sql-fast-path").c_str(), v->c_str());
      return config::kExitNotConfigured;
    }
    engine_options.sql_fast_path = *on;
  }
  listen.tcp = !s.given.count("skip-networking");
  listen.port = static_cast<uint16_t>(port);
  listen.socket = s.get("socket").value_or("/run/mysqld/mysqld.sock");
  listen.bind_address = s.get("bind-address").value_or("");

  ConnectStringSources sources;
  if (auto cs = s.given.find("ndb-connectstring"); cs != s.given.end()) sources.command_line = cs->second;
  sources.my_cnf = cnf_connectstring;
  if (const char* env = getenv("NDB_CONNECTSTRING")) sources.environment = env;
  try {
    // Checked here for a clear error; handed on as written (the engine
    // parses it again, and "nodeid=0" of the canonical form is not valid input).
    resolve_connectstring(sources);
    engine_options.connectstring =
        sources.command_line ? *sources.command_line
        : sources.my_cnf     ? *sources.my_cnf
        : sources.environment ? *sources.environment
                              : "localhost:1186";
  } catch (const ConnectStringError& e) {
    fprintf(stderr, "halb-sqld: %s\n", e.what());
    return config::kExitNotConfigured;
  }
  if (auto f = s.get("initial-root-password-file")) {
    auto pw = read_first_line(*f);
    if (!pw) {
      fprintf(stderr, "halb-sqld: cannot read %s\n", s.where("initial-root-password-file").c_str());
      return config::kExitNotConfigured;
    }
    engine_options.initial_root_password = *pw;
  }
  engine_options.connect_timeout_s = static_cast<double>(wait_connected);
  engine_options.connection_pool = static_cast<uint32_t>(pool);
  engine_options.connection_pool_node_ids = pool_node_ids;
  engine_options.statement_cache = static_cast<uint32_t>(statement_cache);
  engine_options.port = listen.port;
  engine_options.socket = listen.socket;
  engine_options.bind_address = listen.bind_address;
  engine_options.max_connections = static_cast<uint32_t>(max_conn);
  engine_options.max_allowed_packet = packet;
  engine_options.wait_timeout_s = static_cast<uint32_t>(wait);
  conn.server_version = sqld::kServerVersion;
  conn.max_allowed_packet = packet;
  conn.max_connections = static_cast<uint32_t>(max_conn);
  conn.connect_timeout_s = static_cast<int>(connect_timeout);
  conn.wait_timeout_s = static_cast<int>(wait);
  conn.interactive_timeout_s = static_cast<int>(interactive);
  conn.net_read_timeout_s = static_cast<int>(net_read_timeout);
  conn.net_write_timeout_s = static_cast<int>(net_write_timeout);

  std::unique_ptr<sqld::server::TlsContext> tls;
  auto cert = s.get("ssl-cert"), key = s.get("ssl-key");
  if (cert || key) {
    std::string err;
    if (!cert || !key) {
      fprintf(stderr, "halb-sqld: ssl-cert and ssl-key go together\n");
      return config::kExitNotConfigured;
    }
    tls = sqld::server::TlsContext::load(*cert, *key, err);
    if (!tls) {
      fprintf(stderr, "halb-sqld: %s\n", err.c_str());
      return config::kExitNotConfigured;
    }
    conn.tls = tls.get();
  }

  if (!daemon::make_dirs(opts.run_dir, 0755)) {
    fprintf(stderr, "halb-sqld: cannot create %s\n", opts.run_dir.c_str());
    return 1;
  }
  if (size_t slash = listen.socket.rfind('/'); slash != std::string::npos && slash > 0)
    daemon::make_dirs(listen.socket.substr(0, slash), 0755);
  daemon::Readiness ready;
  if (!opts.foreground) daemon::daemonize(ready);
  daemon::PidFile pf;
  std::string err;
  if (!pf.acquire(pidfile, err)) {
    fprintf(stderr, "halb-sqld: %s\n", err.c_str());
    ready.report(1);
    return 1;
  }
  // Every thread started from here on (cluster I/O, connections) inherits
  // the blocked set; the main thread takes the signals with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, sig);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  log::Sinks sinks;
  sinks.ident = "halb-sqld";
  sinks.debug = opts.debug;
  sinks.to_stderr = opts.foreground;
  sinks.file = opts.log_file;
  if (!opts.foreground && opts.log_file.empty()) sinks.syslog_facility = log::facility_from_name("daemon");
  log::Logger logger(sinks);

  logger.info("connecting to the cluster at " + engine_options.connectstring);
  auto engine = sqld::make_cluster_engine(engine_options, logger, err);
  if (!engine) {
    logger.error("cannot start: " + err);
    if (opts.foreground) fprintf(stderr, "halb-sqld: %s\n", err.c_str());
    ready.report(1);
    return 1;
  }
  sqld::server::Registry registry;
  engine->set_registry(&registry);
  sqld::server::Listener listener(*engine, registry, conn, logger);
  if (!listener.start(listen, err)) {
    logger.error(err);
    if (opts.foreground) fprintf(stderr, "halb-sqld: %s\n", err.c_str());
    ready.report(1);
    return 1;
  }
  logger.info(std::string("ready for connections. Version: '") + sqld::kServerVersion + "'  socket: '" +
              listen.socket + "'  port: " + (listen.tcp ? std::to_string(listener.port()) : std::string("0")));
  pf.write_pid();
  ready.ready();

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      logger.configure(sinks);  // reopen the log file after rotation
      continue;
    }
    logger.info("shutting down on signal " + std::to_string(sig));
    break;
  }
  listener.stop();
  engine->set_registry(nullptr);
  engine.reset();
  logger.info("shutdown complete");
  return 0;
}
