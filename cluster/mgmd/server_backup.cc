// cluster/mgmd/server_backup.cc: `start backup` and `abort backup` -- the
// management server hands them to the master data node (the lowest
// started id), which runs the backup and reports it as BACKUP events; the
// reply to `start backup` waits for the event its `completed` asks for
// (0 none, 1 started, 2 completed -- the default).
#include <algorithm>
#include <regex>

#include "cluster/mgmd/server.h"
#include "lib/config/reader.h"

namespace halb::cluster::mgmd {

using mgmapi::Event;
using mgmapi::Message;
using mgmapi::NodeStatus;

namespace {
constexpr uint32_t kBackupNotStarted = 1301;  // NDB: "Backup issued to not master", also no master at all
}

uint32_t Server::backup_master() const {
  for (uint32_t id : registry_.ids_of(NodeType::kData)) {
    auto* st = registry_.state(id);
    if (st && st->connected() && st->status == NodeStatus::kStarted) return id;
  }
  return 0;
}

void Server::start_backup(uint64_t conn_id, const Message& m) {
  const std::string head = "start backup reply";
  long long completed = m.get_int("completed").value_or(2);
  long long want = m.get_int("backupid").value_or(0);
  if (completed < 0 || completed > 2 || want < 0 || want > 0xFFFFFFFELL) {
    reply_to(conn_id, Message(head).add("result", "Invalid arguments: completed must be 0, 1 or 2 and backupid a positive id"));
    return;
  }
  uint32_t master = backup_master();
  auto refuse = [this](uint32_t code, const std::string& why) {
    Event e;
    e.source_node = settings_.own_id;
    e.category = mgmapi::Category::kBackup;
    e.severity = mgmapi::Severity::kAlert;
    e.text = "Backup request from " + std::to_string(settings_.own_id) + " failed to start. Error: " +
             std::to_string(code);
    publish(e);
    return "Backup failed: error " + std::to_string(code) + ": " + why;
  };
  if (!master) {
    reply_to(conn_id, Message(head).add("result", refuse(kBackupNotStarted, "no data node is started")));
    return;
  }
  Message cmd;
  cmd.add("command", "start backup");
  cmd.add("backupid", want);
  cmd.add("requester", static_cast<long long>(settings_.own_id));
  bool sent = command_node(master, cmd, [this, conn_id, master, completed, head, refuse](std::optional<Message> r) {
    if (!r) {
      reply_to(conn_id, Message(head).add("result", refuse(kBackupNotStarted, "the master data node " +
                                                                                   std::to_string(master) + " went away")));
      return;
    }
    auto id = r->get_int("id");
    if (r->get_or("result", "") != "Ok" || !id) {
      uint32_t code = static_cast<uint32_t>(r->get_int("error").value_or(kBackupNotStarted));
      reply_to(conn_id, Message(head).add("result", refuse(code, r->get_or("result", "no reason given"))));
      return;
    }
    logger_.info("backup " + std::to_string(*id) + " started by data node " + std::to_string(master));
    if (completed == 0) {
      reply_to(conn_id, Message(head).add("result", "Ok").add("id", *id));
      return;
    }
    // Its events may have come first (they share the session with this reply).
    auto seen = backup_seen_.find(static_cast<uint32_t>(*id));
    if (seen != backup_seen_.end() && (!seen->second.second.empty() || seen->second.first >= completed)) {
      Message done(head);
      if (seen->second.second.empty()) done.add("result", "Ok").add("id", *id);
      else done.add("result", seen->second.second);
      reply_to(conn_id, done);
      return;
    }
    BackupWaiter w;
    w.conn_id = conn_id;
    w.id = static_cast<uint32_t>(*id);
    w.master = master;
    w.completed = static_cast<int>(completed);
    backup_waiters_.push_back(w);
    uint32_t bid = w.id;
    when_gone(master, [this, bid, master] {
      finish_backup_waiters(bid, 0, "Backup " + std::to_string(bid) + " failed: the master data node " +
                                       std::to_string(master) + " went away");
    });
  });
  if (!sent) reply_to(conn_id, Message(head).add("result", refuse(kBackupNotStarted, "no session with data node " +
                                                                             std::to_string(master))));
}

void Server::abort_backup(uint64_t conn_id, const Message& m) {
  const std::string head = "abort backup reply";
  auto id = m.get_int("id");
  if (!id || *id < 1 || *id > 0xFFFFFFFFLL) {
    reply_to(conn_id, Message(head).add("result", "Invalid arguments: expected <BackupId>"));
    return;
  }
  uint32_t master = backup_master();
  if (!master) {
    reply_to(conn_id, Message(head).add("result", "no data node is started"));
    return;
  }
  Message cmd;
  cmd.add("command", "abort backup");
  cmd.add("id", *id);
  bool sent = command_node(master, cmd, [this, conn_id, head](std::optional<Message> r) {
    if (!r || r->get_or("result", "") != "Ok") {
      reply_to(conn_id, Message(head).add("result", r ? r->get_or("result", "refused") : "the master data node went away"));
      return;
    }
    // As NDB: ordered whether or not that backup runs; only a running one
    // is then reported aborted.
    reply_to(conn_id, Message(head).add("result", "Ok"));
  });
  if (!sent) reply_to(conn_id, Message(head).add("result", "no session with data node " + std::to_string(master)));
}

void Server::backup_event(const Event& e) {
  if (e.category != mgmapi::Category::kBackup) return;
  static const std::regex started(R"(^Backup (\d+) started from node \d+$)");
  static const std::regex completed(R"(^Backup (\d+) started from node \d+ completed\b.*)");
  static const std::regex aborted(R"(^Backup (\d+) started from \d+ has been aborted\. Error: (\d+).*)");
  std::smatch mt;
  int reached;
  if (std::regex_match(e.text, mt, started)) reached = 1;
  else if (std::regex_match(e.text, mt, completed)) reached = 2;
  else if (std::regex_match(e.text, mt, aborted)) reached = 0;
  else return;
  // The id is a node's text: one past 32 bits names no backup of ours.
  auto id = config::parse_int(mt.str(1));
  if (!id || *id > 0xFFFFFFFFLL) return;
  finish_backup_waiters(static_cast<uint32_t>(*id), reached,
                        reached == 0 ? "Backup " + mt.str(1) + " has been aborted. Error: " + mt.str(2) : "");
}

void Server::finish_backup_waiters(uint32_t id, int reached, const std::string& error) {
  auto& seen = backup_seen_[id];
  seen.first = std::max(seen.first, reached);
  if (!error.empty()) seen.second = error;
  while (backup_seen_.size() > 64) backup_seen_.erase(backup_seen_.begin());
  for (auto it = backup_waiters_.begin(); it != backup_waiters_.end();) {
    if (it->id != id || (error.empty() && reached < it->completed)) {
      ++it;
      continue;
    }
    Message r("start backup reply");
    if (error.empty()) r.add("result", "Ok").add("id", static_cast<long long>(id));
    else r.add("result", error);
    reply_to(it->conn_id, r);
    it = backup_waiters_.erase(it);
  }
}

}  // namespace halb::cluster::mgmd
