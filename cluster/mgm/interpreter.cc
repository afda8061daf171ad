// cluster/mgm/interpreter.cc: halb-mgm commands (see interpreter.h).
#include "cluster/mgm/interpreter.h"

#include <unistd.h>

#include <cmath>
#include <memory>

#include "cluster/mgm/texts.h"
#include "lib/config/reader.h"

namespace halb::cluster::mgm {

using mgmapi::Message;

namespace {
// ndb_mgm's error codes for the error blocks.
constexpr int kStartFailed = 2001, kStopFailed = 2002, kRestartFailed = 2003, kBackupFailed = 3001,
              kAbortBackupFailed = 3002, kSingleUserFailed = 4001, kLogFailed = 5001, kNoConnection = 1010,
              kIllegalReply = 1004;
}  // namespace

Interpreter::Interpreter(InterpreterOptions options, std::ostream& out) : options_(std::move(options)), out_(out) {}

bool Interpreter::ensure_connected() {
  if (client_.connected()) return true;
  int attempts = options_.try_reconnect;
  for (int attempt = 1;; ++attempt) {
    if (client_.connect(options_.connect, 5)) {
      if (attempt > 1) out_ << std::endl;
      out_ << "Connected to Management Server at: " << client_.server() << std::endl;
      return true;
    }
    if (attempt == 1) {
      out_ << "Unable to connect with connect string: " << options_.connect.to_string() << std::endl;
      if (attempts != 1)
        out_ << "Retrying every " << static_cast<int>(options_.retry_delay_s) << " seconds. Attempts left:"
             << std::flush;
    }
    if (attempts != 0 && attempt >= attempts) {
      if (attempts != 1) out_ << ", failed." << std::endl;
      out_ << "Could not connect to management server: " << client_.error() << std::endl;
      failed();
      return false;
    }
    if (attempts != 0) out_ << " " << (attempts - attempt) << std::flush;
    usleep(static_cast<useconds_t>(options_.retry_delay_s * 1e6));
  }
}

std::optional<Message> Interpreter::call(const Message& m, double timeout_s) {
  if (!ensure_connected()) return std::nullopt;
  auto r = client_.call(m, timeout_s);
  if (!r && !client_.connected()) {
    // The server went away between commands: one reconnect, then report.
    if (ensure_connected()) r = client_.call(m, timeout_s);
  }
  if (!r) {
    out_ << error_block(kNoConnection, "Could not get a reply from the management server", client_.error());
    failed();
  }
  return r;
}

bool Interpreter::execute(const std::string& line) {
  ParseResult p = parse_command(line);
  if (!p.command) {
    for (auto& l : p.error) out_ << l << std::endl;
    failed();
    return true;
  }
  if (p.command->verb == Verb::kQuit) return false;
  run(*p.command);
  out_.flush();
  return true;
}

void Interpreter::run(const Command& c) {
  switch (c.verb) {
    case Verb::kNone: return;
    case Verb::kQuit: return;
    case Verb::kHelp: {
      std::string t = help_text(c.argument);
      if (t.empty()) {
        out_ << "No help for " << c.argument << " available" << std::endl;
        failed();
      } else {
        out_ << t;
      }
      return;
    }
    case Verb::kShow: return show();
    case Verb::kStatus: return status_cmd(c);
    case Verb::kStop: return stop(c);
    case Verb::kRestart: return restart(c);
    case Verb::kStart: return start(c);
    case Verb::kShutdown: return shutdown();
    case Verb::kClusterlogOn:
    case Verb::kClusterlogOff:
    case Verb::kClusterlogToggle: return clusterlog(c);
    case Verb::kClusterlogInfo: return clusterlog_info();
    case Verb::kNodeClusterlog: return node_clusterlog(c);
    case Verb::kEnterSingleUser: return single_user(c, true);
    case Verb::kExitSingleUser: return single_user(c, false);
    case Verb::kReportMemoryUsage: return report_memory(c);
    case Verb::kDump:
      if (c.dump_args.size() == 1 && c.dump_args[0] == 1000) return report_memory(c);
      out_ << "DUMP " << c.dump_args[0] << " is not served by halb-ndbd; DUMP 1000 (memory usage) is" << std::endl;
      failed();
      return;
    case Verb::kStartBackup: return start_backup(c);
    case Verb::kAbortBackup: return abort_backup(c);
    case Verb::kPurgeStaleSessions: return purge();
    case Verb::kConnect: return connect_cmd(c);
  }
}

void Interpreter::start_backup(const Command& c) {
  if (!ensure_connected()) return;
  // As ndb_mgm: listen for BACKUP events first, so none is missed, then
  // ask; the reply comes when the backup reached what WAIT asked for.
  std::unique_ptr<mgmapi::Client> events;
  if (c.backup_wait > 0 && !options_.events_printed_elsewhere) {
    events = std::make_unique<mgmapi::Client>();
    mgmapi::Message listen("listen event");
    listen.add("filter", "BACKUP=15").add("parsable", 0);
    std::optional<mgmapi::Message> lr;
    if (events->connect(options_.connect, 5)) lr = events->call(listen, 5);
    if (!lr || lr->get_int("result").value_or(-1) != 0) events.reset();  // the reply still says how it went
  }
  Message m("start backup");
  m.add("completed", c.backup_wait);
  if (c.backup_id) m.add("backupid", static_cast<long long>(c.backup_id));
  if (c.backup_wait > 0)
    out_ << "Waiting for " << (c.backup_wait == 2 ? "completed" : "started") << ", this may take several minutes"
         << std::endl;
  auto r = call(m, options_.backup_timeout_s);
  if (!r) return;
  std::string res = r->get_or("result", "");
  auto id = r->get_int("id");
  // The events of this backup, up to the one that ends the wait.
  if (events) {
    std::string want = res == "Ok" && id ? std::to_string(*id) : "";
    std::string prefix = ": Backup " + want + " ";
    for (;;) {
      auto line = events->receive_line(want.empty() ? 0.2 : 5);
      if (!line) break;
      if (line->empty() || *line == "<PING>") continue;
      if (!want.empty() && line->find(prefix) == std::string::npos) continue;
      for (auto& l : event_lines(*line)) out_ << l << std::endl;
      bool ended = line->find(" completed. StartGCP: ") != std::string::npos ||
                   line->find("has been aborted") != std::string::npos || line->find("failed to start") != std::string::npos;
      if (ended || (c.backup_wait == 1 && line->find(" started from node ") != std::string::npos)) break;
    }
  }
  if (res == "Ok") return;
  out_ << "Start of backup failed" << std::endl << error_block(kBackupFailed, "Could not start backup", res);
  failed();
}

void Interpreter::abort_backup(const Command& c) {
  Message m("abort backup");
  m.add("id", c.argument);
  auto r = call(m);
  if (!r) return;
  std::string res = r->get_or("result", "");
  if (res == "Ok") {
    out_ << "Abort of backup " << c.argument << " ordered" << std::endl;
    return;
  }
  out_ << "Abort of backup " << c.argument << " failed" << std::endl
       << error_block(kAbortBackupFailed, "Could not abort backup", res);
  failed();
}

void Interpreter::show() {
  if (!ensure_connected()) return;
  auto st = client_.get_status();
  if (!st) {
    out_ << "Could not get status" << std::endl << error_block(kIllegalReply, "Illegal reply from server", client_.error());
    failed();
    return;
  }
  out_ << format_show(*st);
}

std::vector<uint32_t> Interpreter::data_nodes() {
  std::vector<uint32_t> ids;
  auto st = client_.get_status();
  if (!st) return ids;
  for (auto& n : *st)
    if (n.type == NodeType::kData) ids.push_back(n.node_id);
  return ids;
}

void Interpreter::status_cmd(const Command& c) {
  if (!ensure_connected()) return;
  auto st = client_.get_status();
  if (!st) {
    out_ << "Could not get status" << std::endl << error_block(kIllegalReply, "Illegal reply from server", client_.error());
    failed();
    return;
  }
  if (c.all) {
    for (auto& n : *st)
      if (n.type == NodeType::kData) out_ << format_status(n) << std::endl << std::endl;
    return;
  }
  for (auto& n : *st)
    if (n.node_id == c.node_id) {
      out_ << format_status(n) << std::endl << std::endl;
      return;
    }
  out_ << c.node_id << ": Node not found" << std::endl << std::endl;
  failed();
}

void Interpreter::stop(const Command& c) {
  Message m(c.all ? "stop all" : "stop");
  if (!c.all) m.add("node", static_cast<long long>(c.node_id));
  m.add("abort", c.abort ? 1 : 0);
  if (!ensure_connected()) return;
  if (c.all) out_ << "Executing STOP on all nodes." << std::endl;
  auto r = call(m, options_.command_timeout_s);
  if (!r) return;
  std::string res = r->get_or("result", "");
  if (res != "Ok") {
    out_ << "Shutdown failed." << std::endl << error_block(kStopFailed, "Stop failed", res);
    failed();
    return;
  }
  if (c.all) out_ << "NDB Cluster has shutdown." << std::endl;
  else out_ << "Node " << c.node_id << " has shutdown." << std::endl;
  // Stopping the server we talk to ends the connection.
  auto mgmd = client_.get_mgmd_nodeid();
  if (!mgmd) client_.close();
}

void Interpreter::restart(const Command& c) {
  Message m(c.all ? "restart all" : "restart node");
  if (!c.all) m.add("node", static_cast<long long>(c.node_id));
  m.add("initialstart", c.initial ? 1 : 0).add("nostart", c.nostart ? 1 : 0).add("abort", c.abort ? 1 : 0);
  if (!ensure_connected()) return;
  if (c.all) {
    out_ << "Executing RESTART on all nodes." << std::endl;
    out_ << "Starting shutdown. This may take a while. Please wait..." << std::endl;
  }
  auto r = call(m, options_.command_timeout_s);
  if (!r) return;
  std::string res = r->get_or("result", "");
  if (res != "Ok") {
    out_ << "Restart failed." << std::endl << error_block(kRestartFailed, "Restart failed", res);
    failed();
    return;
  }
  if (c.all) {
    out_ << "NDB Cluster is being restarted." << std::endl;
    if (!c.nostart) {
      out_ << "Trying to start all nodes of system." << std::endl;
      out_ << "Use ALL STATUS to see the system start-up phases." << std::endl;
    }
  } else {
    out_ << "Node " << c.node_id << " is being restarted." << std::endl;
  }
}

void Interpreter::start(const Command& c) {
  Message m(c.all ? "start all" : "start");
  if (!c.all) m.add("node", static_cast<long long>(c.node_id));
  auto r = call(m, options_.command_timeout_s);
  if (!r) return;
  std::string res = r->get_or("result", "");
  if (res != "Ok") {
    out_ << "Start failed." << std::endl << error_block(kStartFailed, "Start failed", res);
    failed();
    return;
  }
  if (c.all) out_ << "NDB Cluster is being started." << std::endl;
  else out_ << "Database node " << c.node_id << " is being started." << std::endl;
}

void Interpreter::shutdown() {
  Message all("stop all");
  all.add("abort", 0);
  auto r = call(all, options_.command_timeout_s);
  if (!r) return;
  std::string res = r->get_or("result", "");
  if (res != "Ok") {
    out_ << "Shutdown failed." << std::endl << error_block(kStopFailed, "Stop failed", res);
    failed();
    return;
  }
  long long stopped = r->get_int("stopped").value_or(0);
  auto mgmd = client_.get_mgmd_nodeid();
  if (!mgmd) {
    out_ << "Unable to locate management server, shutdown manually with <id> STOP" << std::endl;
    failed();
    return;
  }
  Message self("stop");
  self.add("node", static_cast<long long>(*mgmd)).add("abort", 0);
  auto r2 = client_.call(self, options_.command_timeout_s);
  if (!r2 || r2->get_or("result", "") != "Ok") {
    out_ << stopped << " NDB Cluster node(s) have shutdown." << std::endl;
    out_ << "Shutdown of NDB Cluster management server failed." << std::endl
         << error_block(kStopFailed, "Stop failed", r2 ? r2->get_or("result", "") : client_.error());
    failed();
    return;
  }
  out_ << stopped + 1 << " NDB Cluster node(s) have shutdown." << std::endl;
  out_ << "Disconnecting to allow management server to shutdown." << std::endl;
  client_.close();
}

void Interpreter::clusterlog(const Command& c) {
  if (c.severities.empty()) {
    // Bare ON/OFF switches the whole cluster log.
    Message m("set logfilter");
    m.add("level", 0).add("enable", c.verb == Verb::kClusterlogOn ? 1 : 0);
    auto r = call(m);
    if (!r) return;
    auto v = r->get_int("result");
    if (!v) {
      out_ << error_block(kLogFailed, "Could not set the cluster log filter", r->get_or("result", ""));
      failed();
      return;
    }
    out_ << (*v ? "Cluster logging is enabled." : "Cluster logging is disabled") << std::endl;
    return;
  }
  for (auto& sev : c.severities) {
    Message m("set logfilter");
    int enable = c.verb == Verb::kClusterlogOn ? 1 : c.verb == Verb::kClusterlogOff ? 0 : -1;
    m.add("level", sev).add("enable", enable);
    auto r = call(m);
    if (!r) return;
    auto v = r->get_int("result");
    if (!v) {
      out_ << error_block(kLogFailed, "Could not set the cluster log filter", r->get_or("result", ""));
      failed();
      return;
    }
    out_ << sev << (*v ? " enabled" : " disabled") << std::endl;
  }
}

void Interpreter::clusterlog_info() {
  auto r = call(Message("get info clusterlog"));
  if (!r) return;
  if (r->get_int("enabled").value_or(0) == 0) {
    out_ << "Cluster logging is disabled." << std::endl;
    return;
  }
  // Upper-case names, each followed by a space, as ndb_mgm prints them.
  std::string upper = "Severities enabled: ";
  for (auto name : {"debug", "info", "warning", "error", "critical", "alert"})
    if (r->get_int(name).value_or(0)) {
      for (const char* p = name; *p; ++p) upper += static_cast<char>(toupper(*p));
      upper += ' ';
    }
  out_ << upper << std::endl;
}

void Interpreter::node_clusterlog(const Command& c) {
  if (!ensure_connected()) return;
  std::vector<uint32_t> nodes = c.all ? data_nodes() : std::vector<uint32_t>{c.node_id};
  for (uint32_t id : nodes) {
    bool ok = true;
    std::string why;
    for (auto& [cat, level] : c.levels) {
      Message m("set cluster loglevel");
      m.add("node", static_cast<long long>(id)).add("category", cat).add("level", level);
      auto r = call(m);
      if (!r) return;
      if (r->get_or("result", "") != "Ok") {
        ok = false;
        why = r->get_or("result", "");
        break;
      }
    }
    if (ok) {
      out_ << "Executing CLUSTERLOG on node " << id << " OK!" << std::endl;
    } else {
      out_ << "Executing CLUSTERLOG on node " << id << " failed." << std::endl
           << error_block(kLogFailed, "Could not set the log level", why);
      failed();
    }
  }
}

void Interpreter::single_user(const Command& c, bool enter) {
  Message m(enter ? "enter single user" : "exit single user");
  if (enter) m.add("nodeId", static_cast<long long>(c.node_id));
  auto r = call(m, options_.command_timeout_s);
  if (!r) return;
  std::string res = r->get_or("result", "");
  if (res != "Ok") {
    out_ << (enter ? "Entering single user mode failed" : "Exiting single user mode failed") << std::endl
         << error_block(kSingleUserFailed, enter ? "Could not enter single user mode" : "Could not exit single user mode",
                        res);
    failed();
    return;
  }
  if (enter) {
    out_ << "Entering single user mode" << std::endl;
    out_ << "Access will be granted for API node " << c.node_id << " only." << std::endl;
    out_ << "Use ALL STATUS to see when single user mode has been entered." << std::endl;
  } else {
    out_ << "Exiting single user mode in progress." << std::endl;
    out_ << "Use ALL STATUS to see when single user mode has been exited." << std::endl;
  }
}

void Interpreter::report_memory(const Command& c) {
  auto r = call(Message("report memoryusage"), options_.command_timeout_s);
  if (!r) return;
  if (r->get_or("result", "") != "Ok") {
    out_ << error_block(kIllegalReply, "Could not get a memory report", r->get_or("result", ""));
    failed();
    return;
  }
  bool any = false;
  for (uint32_t id = 1; id <= kMaxNodeId; ++id) {
    if (!c.all && id != c.node_id) continue;
    std::string p = "node." + std::to_string(id) + ".";
    auto du = r->get_int(p + "data_used");
    if (!du) continue;
    any = true;
    long long dt = r->get_int(p + "data_total").value_or(0), iu = r->get_int(p + "index_used").value_or(0),
              it = r->get_int(p + "index_total").value_or(0);
    auto pct = [](long long u, long long t) { return t > 0 ? u * 100 / t : 0; };
    out_ << "Node " << id << ": Data usage is " << pct(*du, dt) << "%(" << *du << " 32K pages of total " << dt << ")"
         << std::endl;
    out_ << "Node " << id << ": Index usage is " << pct(iu, it) << "%(" << iu << " 8K pages of total " << it << ")"
         << std::endl;
  }
  if (!any) {
    if (c.all) out_ << "No started data node to report memory usage" << std::endl;
    else out_ << "Node " << c.node_id << ": not started, no memory report" << std::endl;
    failed();
  }
}

void Interpreter::purge() {
  auto r = call(Message("purge stale sessions"));
  if (!r) return;
  std::string purged = config::trim(r->get_or("purged", ""));
  if (purged.empty()) out_ << "No sessions purged" << std::endl;
  else out_ << "Purged sessions with node id's: " << purged << std::endl;
}

void Interpreter::connect_cmd(const Command& c) {
  if (!c.argument.empty()) {
    try {
      options_.connect = parse_connectstring(c.argument);
    } catch (const ConnectStringError& e) {
      out_ << "Invalid connect string: " << e.what() << std::endl;
      failed();
      return;
    }
  }
  client_.close();
  ensure_connected();
}

}  // namespace halb::cluster::mgm
