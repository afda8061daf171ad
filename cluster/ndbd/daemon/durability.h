// cluster/ndbd/daemon/durability.h: one data node's files in
// DataDir/ndb_<id>_fs/ -- the redo log the change stream feeds, local
// checkpoints, the schema file -- and putting a node back from them.
//
//   schema        the user tables with the GCIs of their CREATE and DROP
//                 (fs/schema_file.h), rewritten on each change
//   redo/         the redo log (fs/redo_log.h)
//   lcp/<id>/     local checkpoints (fs/lcp_files.h); the newest two are kept
//
// GCP: save(n) appends "every change of GCI <= n is before this" and
// fdatasyncs; complete(n) says the whole cluster saved n. The mark also
// names the last GCI each data node took part in (NDB's sysfile node
// states): a system restart then knows which node went on after which.
//
// LCP: begins when 4 x 2^TimeBetweenLocalCheckpoints bytes of redo were
// written since the last one began (NDB's meaning: log2 of 4-byte words
// written) or the redo is half full, and writes a bounded number of rows
// per step() so writes never stall, at most MaxDiskWriteSpeed bytes per
// second on average (a redo log too small for that rate fills up: new
// writes then get 410 until the LCP ends and the redo is trimmed). A finished LCP is the restore base once
// the cluster completed a GCI at or above its max_gci; the redo before the
// base's start is then trimmed and older checkpoints are deleted.
//
// Node restart: the copy from the live nodes is not logged (NDB's way:
// the redo is sized for the write rate, not the data). begin_copy() stops
// the redo taking changes; end_copy() asks for a checkpoint of every
// fragment, begun after the last copied row arrived, so it holds the copy
// and every write forwarded during it (a row changed again while it is
// written comes back from the redo after its start). Until that LCP is
// complete no GCI end mark is written past the ones the files had (none
// after create_for_copy()): GCIs from the LCP's max_gci on are the first
// restorable again (copy_on_disk()). create_for_copy() also leaves a note
// that the files are incomplete, which the first such end mark removes:
// a restart in between finds the note and copies everything again.
//
// Restore to GCI r: the newest checkpoint whose max_gci <= r and whose
// files all check out, then every redo record from its start_lsn with
// GCI <= r (and not undone by a later restart mark). A node whose files
// cannot give GCI r says why (restore() returns false).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/config/model.h"
#include "cluster/ndbd/engine/node.h"
#include "cluster/ndbd/fs/lcp_files.h"
#include "cluster/ndbd/fs/redo_log.h"
#include "cluster/ndbd/fs/schema_file.h"
#include "lib/log/log.h"

namespace halb::cluster::ndbd {

struct DurabilityOptions {
  std::string fs_dir;                   // DataDir/ndb_<id>_fs
  uint32_t fragment_log_files = 8;      // NoOfFragmentLogFiles (x4 segments)
  uint64_t fragment_log_file_size = 16ull << 20;
  uint32_t lcp_log2_words = 20;         // TimeBetweenLocalCheckpoints
  uint64_t max_disk_write_speed = 20ull << 20;  // MaxDiskWriteSpeed: LCP bytes per second
  uint64_t max_disk_write_speed_own_restart = 50ull << 20;  // MaxDiskWriteSpeedOwnRestart
};
DurabilityOptions durability_options(const std::string& fs_dir, const DataNode& node);

// What a node's files hold, found before the cluster agrees on a GCI.
struct FsState {
  bool has_files = false;      // files this node can restart from (a schema, a checkpoint and redo that check out)
  bool damaged = false;        // files exist but cannot be used (see note)
  uint64_t restorable_gci = 0; // the last GCI the redo proves complete here
  uint64_t highest_gci = 0;    // the highest GCI the files name: after a restart GCIs go on above it
  std::string note;            // damage found on the way, in words ("" = none)
  // Per data node, the last GCI it took part in as the last end mark says
  // (empty: files of an older version). A value above restorable_gci: the
  // node went on after this one left, so it may hold newer commits.
  std::map<uint32_t, uint64_t> node_gcis;
};

class Durability : public engine::ChangeSink {
 public:
  Durability(DurabilityOptions options, log::Logger& logger, uint32_t node_id);
  ~Durability() override;

  // --initial: removes every file but start_count and starts empty.
  bool create(std::string& error);
  // An initial node restart (or one that falls back to a full copy): as
  // create(), but the files say they are incomplete until the LCP after
  // the copy is on disk, and the redo starts past lsn 0, so it never
  // claims to hold every change from the beginning.
  bool create_for_copy(std::string& error);
  // See the node restart paragraph above.
  void begin_copy();
  void end_copy();
  bool copy_on_disk() const { return copy_lcp_done_; }
  // The GCI from which end marks are written again (0: always).
  uint64_t marks_from_gci() const { return marks_from_gci_; }
  // Looks at the files without changing them.
  FsState inspect();
  // Puts tables and rows back into `eng` as of GCI `gci` and continues the
  // redo log after a restart mark. False with `error` when the files cannot
  // prove that state. `summary` tells what was used.
  bool restore(engine::DataNodeEngine& eng, uint64_t gci, std::string& summary, std::string& error);

  // engine::ChangeSink
  void on_commit(const engine::RowChange& c) override;

  // Every GCI end mark carries the node GCIs (fs::RedoRecord::nodes):
  // `alive` took part in GCI `gci` (called before save_gci(gci)).
  void note_alive(const std::set<uint32_t>& alive, uint64_t gci);
  // A system restart's verdict on who took part up to which GCI.
  void set_node_gcis(std::map<uint32_t, uint64_t> gcis) { node_gcis_ = std::move(gcis); }
  const std::map<uint32_t, uint64_t>& node_gcis() const { return node_gcis_; }
  // Appends the end mark of `gci` and syncs; while a node restart's copy
  // is not on disk yet (gci below marks_from_gci()), only syncs.
  bool save_gci(uint64_t gci, std::string& error);
  // This node leaves while `going_on` keep running: a last end mark (of
  // the last saved GCI) says they went on past it, so a restart of this
  // node alone waits for them instead of starting from older files.
  bool save_leaving(const std::set<uint32_t>& going_on, std::string& error);
  // Writes and syncs what is buffered, without a GCI mark.
  bool flush(std::string& error) { return !redo_ || redo_->sync(error); }
  void complete_gci(uint64_t gci);
  // Rewrites the schema file from the engine's tables: a table new since
  // the last call was created in GCI `gci`, one gone since was dropped in
  // it (0: before any GCI this node can restore to -- a node restart).
  bool write_schema(const engine::DataNodeEngine& eng, uint64_t gci, std::string& error);
  // One bounded piece of LCP work; the LCP starts when due. Log lines go to the logger.
  void step(engine::DataNodeEngine& eng, uint64_t current_gci);
  // 410 while the redo is nearly full, else 0: what new writes get.
  uint32_t write_refusal() const;
  // The log failed to take a change: this node's durability is broken.
  bool broken() const { return !broken_.empty(); }
  const std::string& broken_reason() const { return broken_; }

  uint64_t last_saved_gci() const { return saved_gci_; }
  uint64_t last_complete_gci() const { return complete_gci_; }
  const fs::RedoLog* redo() const { return redo_.get(); }
  uint64_t lcps_completed() const { return lcps_done_; }
  bool lcp_running() const { return lcp_.active(); }
  // Bytes per second the running LCP may write: MaxDiskWriteSpeedOwnRestart
  // for the one that ends this node's restart, else MaxDiskWriteSpeed.
  uint64_t lcp_write_speed() const;
  // The next LCP begins now, whatever its trigger says (tests, benchmarks).
  void request_lcp() { lcp_requested_ = true; }

 private:
  std::string redo_dir() const { return opt_.fs_dir + "/redo"; }
  std::string lcp_root() const { return opt_.fs_dir + "/lcp"; }
  std::string schema_path() const { return opt_.fs_dir + "/schema"; }
  std::string incomplete_path() const { return opt_.fs_dir + "/incomplete"; }
  fs::RedoOptions redo_options() const;
  bool wipe(uint64_t redo_first_lsn, const std::string& incomplete_note, std::string& error);
  void begin_lcp(engine::DataNodeEngine& eng);
  void finish_lcp(uint64_t current_gci);
  void retire_lcps();

  DurabilityOptions opt_;
  log::Logger& logger_;
  uint32_t node_id_;
  std::unique_ptr<fs::RedoLog> redo_;
  // The schema file's entries: tables alive, and tables dropped in a GCI
  // not yet complete (a system restart below it puts them back).
  std::vector<fs::SchemaEntry> schema_;
  uint64_t saved_gci_ = 0;
  uint64_t complete_gci_ = 0;
  std::map<uint32_t, uint64_t> node_gcis_;  // written with every GCI end mark
  std::string broken_;

  // LCPs.
  struct Done {
    uint64_t id, start_lsn, max_gci;
  };
  std::vector<Done> done_;  // finished, oldest first
  fs::LcpWriter lcp_;
  struct Pending {
    uint32_t table, version, fragment;
  };
  std::vector<Pending> lcp_queue_;  // fragments the running LCP has still to write
  bool in_fragment_ = false;
  std::string lcp_cursor_;
  uint64_t lcp_started_lsn_ = 0;  // redo head when the last LCP began
  std::chrono::steady_clock::time_point lcp_began_{};  // MaxDiskWriteSpeed counts from here
  uint64_t next_lcp_id_ = 1;
  uint64_t lcps_done_ = 0;
  bool lcp_requested_ = false;

  // Node restart copy (see above).
  bool copying_ = false;           // the redo takes no changes
  bool copy_lcp_due_ = false;      // the next LCP to begin is the one after the copy
  uint64_t copy_lcp_id_ = 0;       // that LCP, once begun
  bool copy_lcp_done_ = false;
  uint64_t marks_from_gci_ = 0;    // GCIs below: flushed, no end mark (a restart could not restore them)
  bool incomplete_ = false;        // the incomplete note is on disk
};

}  // namespace halb::cluster::ndbd
