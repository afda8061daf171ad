// cluster/restore/restorer.h: halb-restore's work -- one data node's backup
// files (ctl, Data, log) put back into a cluster through the client API.
//
// The ctl file names the tables and the StopGCP. -m creates the tables
// (once, on the first run of a restore). -r writes every row of the Data
// file, then applies the log entries up to StopGCP in their order, so the
// restored rows are those of the source at the end of StopGCP. Rows go
// where the new cluster's distribution puts them: a backup of 2 data nodes
// loads into 4 (run once per source node, in any order, in parallel if you
// like -- each node's files touch its own rows only).
//
// Data rows are written in batches of `batch` rows per transaction by up to
// `parallelism` connections at once (each one an API node of its own, so
// it needs that many free [API] slots; fewer are used when fewer are free).
// The log is split by key over the same connections, so every key's changes
// stay in order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "cluster/ndbd/backup/format.h"

namespace halb::cluster::restore {

struct RestoreOptions {
  std::string connectstring;
  uint32_t node_id = 0;    // -n: whose files
  uint32_t backup_id = 0;  // -b
  bool restore_meta = false;
  bool restore_data = false;
  bool print_meta = false, print_data = false, print_log = false;
  std::string backup_path = ".";
  uint32_t parallelism = 4;  // connections writing at once
  uint32_t batch = 64;       // rows per transaction
  double connect_timeout_s = 30;
};

struct RestoreResult {
  bool ok = false;
  std::string error;
  uint64_t tables = 0;
  uint64_t rows = 0;
  uint64_t log_entries = 0;     // applied (up to StopGCP)
  uint64_t log_skipped = 0;     // past StopGCP
  uint64_t data_bytes = 0;      // of the Data file
  uint64_t log_bytes = 0;
  double data_seconds = 0, log_seconds = 0;
};

// Where the files of (backup, node) are: `path` itself, or BACKUP-<id>/ or
// BACKUP/BACKUP-<id>/ under it. "" with `error` when no ctl file is found.
std::string find_backup_dir(const std::string& path, uint32_t backup_id, uint32_t node, std::string& error);

// Runs the restore, printing progress lines to `out`.
RestoreResult run_restore(const RestoreOptions& o, std::ostream& out);

}  // namespace halb::cluster::restore
