// cluster/ndbd/backup/service.h: backups on one data node -- the master's
// coordination and every node's own part -- over the data node's links.
//
// As NDB: a management server asks the master data node (the lowest
// started id); the master runs the backup on every started data node:
//
//   master -> all  BACKUP_BEGIN   each opens its files and its log       -> BACKUP_BEGIN_CONF
//   master         event "Backup <id> started from node <mgm>"
//   master -> all  BACKUP_SCAN    each scans the fragments it is primary  -> BACKUP_SCAN_CONF
//                                 for, a buffer's worth per loop turn
//   master         StopGCP = the GCI open when the last scan ended; waits for it to close
//   master -> all  BACKUP_STOP    each keeps logging until its own GCI is -> BACKUP_STOP_CONF (counts)
//                                 past StopGCP + 1, then writes its ctl
//   master         event "Backup <id> started from node <mgm> completed ..."
//
// Any refusal or failure (a write error, a participant's death, ABORT
// BACKUP) sends BACKUP_ABORT to all: every node removes its files; the
// master reports "... has been aborted. Error: <code>". A participant whose
// master dies aborts its part by itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/mgmapi/events.h"
#include "cluster/ndbd/backup/local_backup.h"
#include "cluster/ndbd/engine/node.h"
#include "cluster/ndbd/wire/node_protocol.h"
#include "cluster/transport/messages.h"

namespace halb::cluster::backup {

// NDB's backup error codes, as the events and replies carry them.
namespace err {
inline constexpr uint32_t kDropDuringBackup = 761;  // DROP TABLE refused while a backup runs
inline constexpr uint32_t kNotMaster = 1301;        // ask the master data node
inline constexpr uint32_t kBackupRunning = 1302;    // one backup at a time
inline constexpr uint32_t kDiskless = 1306;         // Diskless=1: nothing to back up to
inline constexpr uint32_t kAbortedByUser = 1321;    // ABORT BACKUP
inline constexpr uint32_t kFileError = 1325;        // a file could not be created or written
inline constexpr uint32_t kNodeFailure = 1326;      // a participant died
inline constexpr uint32_t kBadConfig = 1347;        // Backup* sizes do not fit
inline constexpr uint32_t kExists = 1350;           // the backup id is used already
}  // namespace err

struct ServiceHooks {
  std::function<void(uint32_t node, uint16_t type, const wire::ControlMsg& m)> send;
  std::function<void(mgmapi::Severity sev, const std::string& text)> event;
  std::function<uint64_t()> gci;                 // this node's current GCI
  std::function<std::vector<uint32_t>()> members;  // started data nodes, this one included
  std::function<void(const std::string&)> info;  // the node's log
};

class BackupService {
 public:
  BackupService(uint32_t self, engine::DataNodeEngine& engine, BackupSettings settings, ServiceHooks hooks,
                bool diskless = false);
  ~BackupService();

  // The master's entry point (`start backup` from the management server):
  // the id to use (0 = next), the management node asking. Returns the id,
  // or 0 with `error_code`/`error` when refused at once.
  uint32_t start(uint32_t id, uint32_t requester, uint32_t& error_code, std::string& error);
  // `abort backup`: true when that backup was running here (as master).
  bool abort(uint32_t id);

  static bool handles(uint16_t type);
  // The message types above, for the node's transport registry.
  static void register_messages(transport::MessageRegistry& registry);
  void on_message(uint32_t from, uint16_t type, const wire::ControlMsg& m);
  // The change stream: this node's part of a running backup logs it.
  void on_change(const engine::RowChange& c);
  void node_failed(uint32_t node);
  // From the node's timer: scan steps, GCI waits.
  void tick();
  bool busy() const { return master_.has_value() || part_ != nullptr; }

 private:
  struct Master {
    uint32_t id = 0;
    uint32_t requester = 0;
    std::set<uint32_t> nodes;
    std::set<uint32_t> waiting;
    enum class Stage { kBegin, kScan, kWaitGci, kStop } stage = Stage::kBegin;
    uint64_t start_gci = 0, stop_gci = 0;
    BackupStats totals;
  };
  struct Part {
    uint32_t id = 0;
    uint32_t master = 0;
    std::unique_ptr<LocalBackup> files;
    bool scanning = false;
    bool stopping = false;
    uint64_t start_gci = 0, stop_gci = 0;
    std::vector<uint32_t> nodes;
    std::vector<std::string> tables;  // encoded, for the ctl file
  };

  void send(uint32_t to, uint16_t type, wire::ControlMsg m);
  void master_abort(uint32_t code, const std::string& why);
  void master_advance();
  void part_begin(uint32_t from, const wire::ControlMsg& m);
  void part_abort();
  uint32_t next_id() const;

  uint32_t self_;
  engine::DataNodeEngine& engine_;
  BackupSettings settings_;
  ServiceHooks hooks_;
  bool diskless_;
  std::optional<Master> master_;
  std::unique_ptr<Part> part_;
  uint32_t last_id_ = 0;
  bool in_tick_ = false;
};

}  // namespace halb::cluster::backup
