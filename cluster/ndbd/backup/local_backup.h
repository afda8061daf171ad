// cluster/ndbd/backup/local_backup.h: one data node's part of one backup --
// the fragments it is primary for, scanned into its Data file without
// locks while every change committed to them meanwhile goes to its log
// file, then the ctl file.
//
// Why this is consistent: the log is open before the scan starts and stays
// open until a GCI past the backup's StopGCP, and each entry carries the
// full row (or the key of a delete). A scanned row therefore reflects some
// prefix of its changes, the log holds every change from before that
// prefix ended up to StopGCP, and applying the log's entries up to StopGCP
// over the scanned rows in order lands every row exactly where it was at
// the end of StopGCP, however the scan and the writes interleaved.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cluster/ndbd/backup/chunked_file.h"
#include "cluster/ndbd/backup/format.h"
#include "cluster/ndbd/engine/change_sink.h"
#include "cluster/ndbd/engine/lqh.h"
#include "cluster/ndbd/engine/table.h"

namespace halb::cluster::backup {

// From the data node's [NDBD] section.
struct BackupSettings {
  std::string root;                   // BackupDataDir: files go under <root>/BACKUP/BACKUP-<id>/
  uint64_t data_buffer = 2ull << 20;  // BackupDataBufferSize
  uint64_t log_buffer = 2ull << 20;   // BackupLogBufferSize
  uint64_t memory = 4ull << 20;       // BackupMemory
  uint64_t write_size = 32ull << 10;  // BackupWriteSize
};
// "" when the settings can work, else why not (buffers larger than
// BackupMemory, a write size larger than a buffer, no directory).
std::string check_settings(const BackupSettings& s);

// The directory of backup `id` under `root`.
std::string backup_dir(const std::string& root, uint32_t id);

struct BackupStats {
  uint64_t records = 0;      // rows in the Data file
  uint64_t log_records = 0;  // log entries up to StopGCP
  uint64_t data_bytes = 0;
  uint64_t log_bytes = 0;
};

class LocalBackup {
 public:
  LocalBackup(uint32_t backup_id, uint32_t node_id, BackupSettings settings);
  ~LocalBackup();  // removes the files unless finish() succeeded

  // Creates the directory and opens the Data and log files; from now on
  // on_change() records changes of `fragments` (table, fragment). False
  // with `error` (the directory or a file already exists, no space...).
  bool begin(std::vector<std::pair<std::shared_ptr<const engine::Table>, uint32_t>> fragments, std::string& error);

  enum class Step { kMore, kDone, kFailed };
  // Scans up to BackupDataBufferSize of rows. kFailed with `error` when a
  // write fails or a fragment vanished (its table was dropped).
  Step scan_step(engine::Lqh& lqh, std::string& error);

  // A committed change of any fragment on this node (engine/change_sink.h);
  // kept when it is one of ours and the log is still open: the row after
  // an insert or update, the key values of a delete.
  void on_change(const engine::RowChange& c);
  bool log_failed() const { return !log_error_.empty(); }
  const std::string& log_error() const { return log_error_; }

  // Closes the Data and log files and writes the ctl file (stop_gci and
  // the tables/fragments of `ctl` as given). Entries with a GCI past
  // stop_gci stay in the log; restore skips them.
  bool finish(CtlFile ctl, std::string& error);
  // Removes every file of this backup that this node wrote, and the
  // directory when it is then empty.
  void remove_files();

  BackupStats stats() const;
  uint32_t id() const { return id_; }
  const std::vector<FragmentRef>& fragment_refs() const { return refs_; }

 private:
  uint32_t id_, node_;
  BackupSettings s_;
  std::string dir_;
  ChunkedFile data_, log_;
  struct Scan {
    std::shared_ptr<const engine::Table> table;
    uint32_t fragment = 0;
  };
  std::vector<Scan> scans_;
  std::vector<FragmentRef> refs_;
  std::map<std::pair<uint32_t, uint32_t>, std::shared_ptr<const engine::Table>> logged_;
  size_t scan_index_ = 0;
  bool in_fragment_ = false;
  std::string cursor_;
  uint64_t fragment_rows_ = 0;
  uint32_t fragment_crc_ = 0;
  uint64_t rows_ = 0;
  uint64_t fragments_done_ = 0;
  std::map<uint64_t, uint64_t> log_by_gci_;
  uint64_t log_entries_ = 0;
  uint64_t stop_gci_ = 0;
  bool log_open_ = false;
  bool finished_ = false;
  bool began_ = false;
  std::string log_error_;
};

}  // namespace halb::cluster::backup
