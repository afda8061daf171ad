// cluster/ndbd/backup/service.cc: see service.h.
#include "cluster/ndbd/backup/service.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>

#include "cluster/ndbd/engine/table_codec.h"
#include "cluster/ndbd/wire/buffer.h"

namespace halb::cluster::backup {

using wire::ControlMsg;

namespace {
// Types 360..366: beside halb-ndbd's node protocol (320..334).
enum : uint16_t {
  kBackupBegin = 360,      // request = id, data = u32 master u64 start_gci u32 n {u32 node}
  kBackupBeginConf = 361,  // request = id, error, text
  kBackupScan = 362,       // request = id
  kBackupScanConf = 363,   // request = id, error, text
  kBackupStop = 364,       // request = id, data = u64 stop_gci + the ctl's tables and fragments
  kBackupStopConf = 365,   // request = id, error, text, data = u64 records u64 log_records u64 data u64 log
  kBackupAbort = 366,      // request = id
};

std::string encode_stats(const BackupStats& s) {
  wire::Writer w;
  w.u64(s.records);
  w.u64(s.log_records);
  w.u64(s.data_bytes);
  w.u64(s.log_bytes);
  return w.take();
}
}  // namespace

bool BackupService::handles(uint16_t type) { return type >= kBackupBegin && type <= kBackupAbort; }

void BackupService::register_messages(transport::MessageRegistry& registry) {
  static const char* const kNames[] = {"BACKUP_BEGIN", "BACKUP_BEGIN_CONF", "BACKUP_SCAN", "BACKUP_SCAN_CONF",
                                       "BACKUP_STOP",  "BACKUP_STOP_CONF",  "BACKUP_ABORT"};
  for (uint16_t t = kBackupBegin; t <= kBackupAbort; ++t) registry.add({t, 1, 1, kNames[t - kBackupBegin], 64 * 1024});
}

BackupService::BackupService(uint32_t self, engine::DataNodeEngine& engine, BackupSettings settings,
                             ServiceHooks hooks, bool diskless)
    : self_(self), engine_(engine), settings_(std::move(settings)), hooks_(std::move(hooks)), diskless_(diskless) {}

BackupService::~BackupService() = default;

void BackupService::send(uint32_t to, uint16_t type, ControlMsg m) {
  if (to == self_) on_message(self_, type, m);
  else hooks_.send(to, type, m);
}

uint32_t BackupService::next_id() const {
  // Ids count up from 1, past every backup this node holds on disk.
  uint32_t max_id = last_id_;
  if (DIR* d = ::opendir((settings_.root + "/BACKUP").c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.rfind("BACKUP-", 0) != 0) continue;
      try {
        size_t used = 0;
        unsigned long v = std::stoul(n.substr(7), &used);
        if (used == n.size() - 7 && v < 0xFFFFFFFFul) max_id = std::max(max_id, static_cast<uint32_t>(v));
      } catch (...) {
      }
    }
    ::closedir(d);
  }
  return max_id + 1;
}

uint32_t BackupService::start(uint32_t id, uint32_t requester, uint32_t& error_code, std::string& error) {
  auto members = hooks_.members();
  if (members.empty() || *std::min_element(members.begin(), members.end()) != self_) {
    error_code = err::kNotMaster;
    error = "this data node is not the master; ask node " +
            (members.empty() ? std::string("?") : std::to_string(*std::min_element(members.begin(), members.end())));
    return 0;
  }
  if (diskless_) {
    error_code = err::kDiskless;
    error = "Diskless is set: there is no file system to back up to";
    return 0;
  }
  if (busy()) {
    error_code = err::kBackupRunning;
    error = "backup " + std::to_string(master_ ? master_->id : part_->id) + " is running; one backup at a time";
    return 0;
  }
  if (std::string why = check_settings(settings_); !why.empty()) {
    error_code = err::kBadConfig;
    error = why;
    return 0;
  }
  if (id == 0) id = next_id();
  if (::access(backup_dir(settings_.root, id).c_str(), F_OK) == 0) {
    error_code = err::kExists;
    error = "backup " + std::to_string(id) + " exists already (" + backup_dir(settings_.root, id) +
            "); choose another id";
    return 0;
  }
  Master m;
  m.id = id;
  m.requester = requester;
  m.nodes.insert(members.begin(), members.end());
  m.waiting = m.nodes;
  m.start_gci = hooks_.gci();
  master_ = m;
  last_id_ = std::max(last_id_, id);
  hooks_.info("backup " + std::to_string(id) + ": started for node " + std::to_string(requester) + " on data nodes " +
              std::to_string(members.size()));
  wire::Writer w;
  w.u32(self_);
  w.u64(m.start_gci);
  w.u32(static_cast<uint32_t>(m.nodes.size()));
  for (uint32_t n : m.nodes) w.u32(n);
  for (uint32_t n : m.nodes) send(n, kBackupBegin, ControlMsg{id, 0, "", w.bytes()});
  return id;
}

bool BackupService::abort(uint32_t id) {
  if (!master_ || master_->id != id) return false;
  master_abort(err::kAbortedByUser, "aborted by the management server");
  return true;
}

void BackupService::master_abort(uint32_t code, const std::string& why) {
  if (!master_) return;
  Master m = *master_;
  master_.reset();
  hooks_.info("backup " + std::to_string(m.id) + " aborted: " + why);
  for (uint32_t n : m.nodes) send(n, kBackupAbort, ControlMsg{m.id, code, why, ""});
  hooks_.event(mgmapi::Severity::kAlert, "Backup " + std::to_string(m.id) + " started from " +
                                             std::to_string(m.requester) + " has been aborted. Error: " +
                                             std::to_string(code));
}

void BackupService::master_advance() {
  if (!master_ || !master_->waiting.empty()) return;
  Master& m = *master_;
  switch (m.stage) {
    case Master::Stage::kBegin:
      hooks_.event(mgmapi::Severity::kInfo,
                   "Backup " + std::to_string(m.id) + " started from node " + std::to_string(m.requester));
      m.stage = Master::Stage::kScan;
      m.waiting = m.nodes;
      for (uint32_t n : m.nodes) send(n, kBackupScan, ControlMsg{m.id, 0, "", ""});
      return;
    case Master::Stage::kScan:
      // Every scan ended: the GCI open now is the first one that can close
      // after them. Wait until it has.
      m.stop_gci = std::max(hooks_.gci(), m.start_gci);
      m.stage = Master::Stage::kWaitGci;
      return;
    case Master::Stage::kWaitGci: {
      if (hooks_.gci() <= m.stop_gci) return;
      m.stage = Master::Stage::kStop;
      m.waiting = m.nodes;
      wire::Writer w;
      w.u64(m.stop_gci);
      for (uint32_t n : m.nodes) send(n, kBackupStop, ControlMsg{m.id, 0, "", w.bytes()});
      return;
    }
    case Master::Stage::kStop: {
      Master done = m;
      master_.reset();
      const BackupStats& t = done.totals;
      hooks_.info("backup " + std::to_string(done.id) + " completed");
      hooks_.event(mgmapi::Severity::kInfo,
                   "Backup " + std::to_string(done.id) + " started from node " + std::to_string(done.requester) +
                       " completed. StartGCP: " + std::to_string(done.start_gci) +
                       " StopGCP: " + std::to_string(done.stop_gci) + " #Records: " + std::to_string(t.records) +
                       " #LogRecords: " + std::to_string(t.log_records) + " Data: " + std::to_string(t.data_bytes) +
                       " bytes Log: " + std::to_string(t.log_bytes) + " bytes");
      return;
    }
  }
}

void BackupService::on_message(uint32_t from, uint16_t type, const ControlMsg& m) {
  switch (type) {
    case kBackupBegin: return part_begin(from, m);
    case kBackupScan:
      if (part_ && part_->id == m.request && from == part_->master) part_->scanning = true;
      return;
    case kBackupStop: {
      if (!part_ || part_->id != m.request || from != part_->master) return;
      wire::Reader r(m.data);
      part_->stop_gci = r.u64();
      if (!r.ok()) {
        send(from, kBackupStopConf, ControlMsg{m.request, err::kFileError, "malformed BACKUP_STOP: " + r.error(), ""});
        part_abort();
        return;
      }
      part_->stopping = true;
      return;
    }
    case kBackupAbort:
      if (part_ && part_->id == m.request && from == part_->master) part_abort();
      return;
    case kBackupBeginConf:
    case kBackupScanConf:
    case kBackupStopConf: {
      if (!master_ || master_->id != m.request || !master_->waiting.count(from)) return;
      if (m.error) {
        master_abort(m.error, "node " + std::to_string(from) + ": " + m.text);
        return;
      }
      if (type == kBackupStopConf) {
        wire::Reader r(m.data);
        BackupStats s;
        s.records = r.u64();
        s.log_records = r.u64();
        s.data_bytes = r.u64();
        s.log_bytes = r.u64();
        if (!r.ok()) {
          master_abort(err::kFileError, "node " + std::to_string(from) + " sent malformed counts");
          return;
        }
        master_->totals.records += s.records;
        master_->totals.log_records += s.log_records;
        master_->totals.data_bytes += s.data_bytes;
        master_->totals.log_bytes += s.log_bytes;
      }
      master_->waiting.erase(from);
      master_advance();
      return;
    }
  }
}

void BackupService::part_begin(uint32_t from, const ControlMsg& m) {
  wire::Reader r(m.data);
  uint32_t master = r.u32();
  uint64_t start_gci = r.u64();
  uint32_t n = r.count(4);
  std::vector<uint32_t> nodes;
  for (uint32_t i = 0; i < n && r.ok(); ++i) nodes.push_back(r.u32());
  if (!r.ok() || master != from) {
    send(from, kBackupBeginConf, ControlMsg{m.request, err::kFileError, "malformed BACKUP_BEGIN", ""});
    return;
  }
  if (part_) {
    send(from, kBackupBeginConf,
         ControlMsg{m.request, err::kBackupRunning, "node " + std::to_string(self_) + " is in backup " +
                                                        std::to_string(part_->id), ""});
    return;
  }
  // This node's share: the fragments it is primary for, tables in id order.
  std::vector<std::pair<std::shared_ptr<const engine::Table>, uint32_t>> frags;
  std::vector<std::string> tables;
  for (auto& t : engine_.dictionary().tables()) {
    if (t->name.find("$unique") != std::string::npos) continue;  // derived from their base tables
    tables.push_back(engine::encode_table(*t));
    for (uint32_t f = 0; f < std::max<uint32_t>(1, t->fragments); ++f)
      if (engine_.distribution().primary(f) == self_ && engine_.lqh().fragment(t->id, f)) frags.emplace_back(t, f);
  }
  auto p = std::make_unique<Part>();
  p->id = m.request;
  p->master = from;
  p->start_gci = start_gci;
  p->nodes = nodes;
  p->tables = std::move(tables);
  p->files = std::make_unique<LocalBackup>(m.request, self_, settings_);
  std::string error;
  if (!p->files->begin(std::move(frags), error)) {
    uint32_t code = error.find("already exists") != std::string::npos ? err::kExists : err::kFileError;
    send(from, kBackupBeginConf, ControlMsg{m.request, code, error, ""});
    return;
  }
  hooks_.info("backup " + std::to_string(m.request) + ": files open, logging changes of " +
              std::to_string(p->files->fragment_refs().size()) + " fragment(s)");
  part_ = std::move(p);
  send(from, kBackupBeginConf, ControlMsg{m.request, 0, "", ""});
}

void BackupService::part_abort() {
  if (!part_) return;
  hooks_.info("backup " + std::to_string(part_->id) + ": aborted, removing this node's files");
  part_->files->remove_files();
  part_.reset();
}

void BackupService::on_change(const engine::RowChange& c) {
  if (part_) part_->files->on_change(c);
}

void BackupService::node_failed(uint32_t node) {
  if (master_ && master_->nodes.count(node))
    master_abort(err::kNodeFailure, "data node " + std::to_string(node) + " failed during the backup");
  if (part_ && part_->master == node) part_abort();
}

void BackupService::tick() {
  if (in_tick_) return;
  in_tick_ = true;
  if (master_ && master_->stage == Master::Stage::kWaitGci) master_advance();
  if (part_ && part_->scanning) {
    std::string error;
    auto step = part_->files->scan_step(engine_.lqh(), error);
    if (step != LocalBackup::Step::kMore) {
      part_->scanning = false;
      uint32_t id = part_->id, master = part_->master;
      if (step == LocalBackup::Step::kFailed) {
        send(master, kBackupScanConf, ControlMsg{id, err::kFileError, error, ""});
      } else {
        hooks_.info("backup " + std::to_string(id) + ": scan done, " +
                    std::to_string(part_->files->stats().records) + " rows");
        send(master, kBackupScanConf, ControlMsg{id, 0, "", ""});
      }
    }
  }
  // Keep logging one GCI past StopGCP, so no commit stamped StopGCP is still
  // on its way when the log closes.
  if (part_ && part_->stopping && hooks_.gci() > part_->stop_gci + 1) {
    part_->stopping = false;
    CtlFile ctl;
    ctl.start_gci = part_->start_gci;
    ctl.stop_gci = part_->stop_gci;
    ctl.nodes = part_->nodes;
    ctl.tables = part_->tables;
    ctl.fragments = part_->files->fragment_refs();
    std::string error;
    uint32_t id = part_->id, master = part_->master;
    if (!part_->files->finish(std::move(ctl), error)) {
      send(master, kBackupStopConf, ControlMsg{id, err::kFileError, error, ""});
      if (part_) part_abort();
    } else {
      std::string counts = encode_stats(part_->files->stats());
      part_.reset();
      send(master, kBackupStopConf, ControlMsg{id, 0, "", counts});
    }
  }
  in_tick_ = false;
}

}  // namespace halb::cluster::backup
