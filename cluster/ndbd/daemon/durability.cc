// cluster/ndbd/daemon/durability.cc: see durability.h.
#include "cluster/ndbd/daemon/durability.h"

#include <chrono>
#include <map>
#include <set>

#include "cluster/ndbd/engine/error.h"
#include "cluster/ndbd/engine/table_codec.h"
#include "cluster/ndbd/fs/files.h"
#include "cluster/ndbd/fs/schema_file.h"

namespace halb::cluster::ndbd {

namespace {

constexpr uint32_t kLcpRowsPerBatch = 512;
constexpr auto kLcpStepBudget = std::chrono::milliseconds(4);

bool is_hidden(const engine::Table& t) { return t.name.find("$unique") != std::string::npos; }

}  // namespace

DurabilityOptions durability_options(const std::string& fs_dir, const DataNode& node) {
  DurabilityOptions o;
  o.fs_dir = fs_dir;
  o.fragment_log_files = node.no_of_fragment_log_files;
  o.fragment_log_file_size = node.fragment_log_file_size;
  o.lcp_log2_words = node.time_between_local_checkpoints;
  o.max_disk_write_speed = node.max_disk_write_speed;
  o.max_disk_write_speed_own_restart = node.max_disk_write_speed_own_restart;
  return o;
}

Durability::Durability(DurabilityOptions options, log::Logger& logger, uint32_t node_id)
    : opt_(std::move(options)), logger_(logger), node_id_(node_id) {}

Durability::~Durability() = default;

uint64_t Durability::lcp_write_speed() const {
  const bool restart_lcp = copy_lcp_id_ != 0 && lcp_.active() && lcp_.info().id == copy_lcp_id_ && !copy_lcp_done_;
  return restart_lcp ? opt_.max_disk_write_speed_own_restart : opt_.max_disk_write_speed;
}

fs::RedoOptions Durability::redo_options() const {
  // NDB's redo is four parts of NoOfFragmentLogFiles files each.
  return fs::RedoOptions{redo_dir(), opt_.fragment_log_files * 4, opt_.fragment_log_file_size};
}

bool Durability::create(std::string& error) { return wipe(0, "", error); }

bool Durability::create_for_copy(std::string& error) {
  // The redo of a node restart starts one segment in: it holds only the
  // changes after the copy's checkpoint began, never the whole history.
  return wipe(opt_.fragment_log_file_size,
              "an initial node restart did not complete: the rows copied from the live nodes are not in the redo "
              "log, and the local checkpoint after the copy did not complete",
              error);
}

bool Durability::wipe(uint64_t redo_first_lsn, const std::string& incomplete_note, std::string& error) {
  for (const auto& n : fs::list_dir(opt_.fs_dir))
    if (n != "start_count" && !fs::remove_tree(opt_.fs_dir + "/" + n, error)) return false;
  // The note first: whatever a crash leaves of the rest, it is not taken for a file set.
  incomplete_ = !incomplete_note.empty();
  if (incomplete_ && (!fs::write_atomic(incomplete_path(), incomplete_note + "\n", error) ||
                      !fs::fsync_dir(opt_.fs_dir, error)))
    return false;
  if (!fs::make_dir(redo_dir(), error) || !fs::make_dir(lcp_root(), error)) return false;
  redo_ = std::make_unique<fs::RedoLog>(redo_options());
  if (!redo_->create(error, redo_first_lsn)) return false;
  schema_.clear();
  if (!fs::write_schema(schema_path(), schema_, error)) return false;
  done_.clear();
  saved_gci_ = complete_gci_ = 0;
  lcp_started_lsn_ = redo_->head_lsn();
  return true;
}

FsState Durability::inspect() {
  FsState s;
  s.has_files = fs::exists(schema_path());
  if (!s.has_files) return s;
  if (fs::exists(incomplete_path())) {
    std::string ignored;
    auto note = fs::read_all(incomplete_path(), ignored);
    while (note && !note->empty() && note->back() == '\n') note->pop_back();
    s.has_files = false;
    s.damaged = true;
    s.note = (note && !note->empty() ? *note : std::string("the files are marked incomplete")) +
             "; the files cannot prove any state";
    return s;
  }
  auto scan = fs::RedoLog::scan(redo_options(), nullptr);
  if (!scan.error.empty()) {
    s.note = "the redo log cannot be read: " + scan.error;
    return s;
  }
  if (!scan.damage.empty())
    s.note = "redo log damaged (" + scan.damage + "): ignored from there on, back to the last good GCI " +
             std::to_string(scan.last_gci_end.value_or(0));
  s.restorable_gci = scan.last_gci_end.value_or(0);
  s.highest_gci = scan.max_gci;
  s.node_gcis = scan.node_gcis;
  node_gcis_ = scan.node_gcis;
  if (scan.tail_lsn == 0) return s;  // the redo alone holds everything
  // Otherwise some checkpoint must check out completely and fit.
  std::string why;
  for (uint64_t id : fs::list_lcps(lcp_root())) {
    auto info = fs::read_lcp_ctl(lcp_root(), id, why);
    if (!info) continue;
    if (info->max_gci > s.restorable_gci || info->start_lsn < scan.tail_lsn) {
      why = "local checkpoint " + std::to_string(id) + " does not fit the redo log";
      continue;
    }
    bool ok = true;
    for (const auto& f : info->fragments)
      if (!fs::read_lcp_fragment(*info, f, [](engine::Row&&, uint64_t) { return true; }, why)) {
        ok = false;
        break;
      }
    if (ok) return s;
    why = "local checkpoint " + std::to_string(id) + " is damaged: " + why;
  }
  s.has_files = false;
  s.damaged = true;
  s.note = (why.empty() ? std::string("no local checkpoint and the redo log was trimmed") : why) +
           "; the files cannot prove any state";
  return s;
}

bool Durability::restore(engine::DataNodeEngine& eng, uint64_t gci, std::string& summary, std::string& error) {
  // 1. Tables: those whose CREATE is at or below gci and whose DROP (if
  //    any) is above it. The file is rewritten to that state before the
  //    restart mark voids the later GCIs.
  auto entries = fs::read_schema(schema_path(), error);
  if (!entries) return false;
  std::vector<fs::SchemaEntry> kept;
  uint32_t left_out = 0, put_back = 0;
  for (auto& e : *entries) {
    if (!e.present_at(gci)) {
      left_out += e.create_gci > gci;
      continue;
    }
    auto r = eng.install_table(e.table);
    if (r.error && r.error != engine::err::kTableExists) {
      error = "the schema file holds a table the engine refuses: " + r.detail;
      return false;
    }
    put_back += e.drop_gci != 0;
    e.drop_gci = 0;
    kept.push_back(std::move(e));
  }
  if (!fs::write_schema(schema_path(), kept, error)) return false;
  schema_ = std::move(kept);
  auto fragment_for = [&](uint32_t table, uint32_t version, uint32_t fragment) -> engine::Fragment* {
    engine::Fragment* f = eng.lqh().fragment(table, fragment);
    return f && f->table().version == version ? f : nullptr;
  };

  // 2. The redo: restart marks, the damage point, where it starts.
  fs::RedoOptions ro = redo_options();
  std::vector<std::pair<uint64_t, uint64_t>> restarts;  // (lsn, gci)
  auto scan = fs::RedoLog::scan(ro, [&](const fs::RedoRecord& r, uint64_t lsn) {
    if (r.kind == fs::RedoKind::kRestart) restarts.emplace_back(lsn, r.gci);
  });
  if (!scan.error.empty()) {
    error = "the redo log cannot be read: " + scan.error;
    return false;
  }
  if (scan.last_gci_end.value_or(0) < gci) {
    error = "the redo log proves GCI " + std::to_string(scan.last_gci_end.value_or(0)) + " at most, not " +
            std::to_string(gci);
    return false;
  }

  // 3. The newest checkpoint that fits and checks out (or none, when the
  //    redo still starts at lsn 0 and so holds every change ever made).
  std::optional<fs::LcpInfo> base;
  std::string skipped;
  for (uint64_t id : fs::list_lcps(lcp_root())) {
    std::string why;
    auto info = fs::read_lcp_ctl(lcp_root(), id, why);
    if (info && info->max_gci > gci) why = "it reaches GCI " + std::to_string(info->max_gci) + ", past " + std::to_string(gci);
    else if (info && info->start_lsn < scan.tail_lsn) why = "the redo it needs was trimmed";
    if (info && why.empty()) {
      for (const auto& f : info->fragments) {
        if (!fragment_for(f.table_id, f.table_version, f.fragment)) continue;  // table dropped since
        if (!fs::read_lcp_fragment(*info, f, [](engine::Row&&, uint64_t) { return true; }, why)) break;
      }
    }
    if (why.empty()) {
      base = info;
      break;
    }
    skipped += (skipped.empty() ? "" : "; ") + std::string("local checkpoint ") + std::to_string(id) + " not used: " + why;
    logger_.warn("node " + std::to_string(node_id_) + ": local checkpoint " + std::to_string(id) + " not used: " + why);
  }
  if (!base && scan.tail_lsn != 0) {
    error = "no usable local checkpoint and the redo log no longer starts at the beginning" +
            (skipped.empty() ? std::string() : " (" + skipped + ")");
    return false;
  }

  uint64_t lcp_rows = 0;
  if (base) {
    for (const auto& f : base->fragments) {
      engine::Fragment* frag = fragment_for(f.table_id, f.table_version, f.fragment);
      if (!frag) continue;
      uint32_t failed = 0;
      if (!fs::read_lcp_fragment(*base, f, [&](engine::Row&& row, uint64_t g) {
            failed = frag->restore_row(row, g);
            ++lcp_rows;
            return failed == 0;
          }, error)) {
        if (failed) error += " (error " + std::to_string(failed) + ": " + std::string(engine::error_text(failed)) + ")";
        return false;
      }
    }
  }

  // 4. Replay. A record counts when its GCI is <= gci and no later restart
  //    mark went back below it.
  const uint64_t from = base ? base->start_lsn : 0;
  uint64_t applied = 0, skipped_records = 0;
  uint32_t failed = 0;
  size_t next_restart = 0;
  fs::RedoLog::scan(ro, [&](const fs::RedoRecord& r, uint64_t lsn) {
    if (failed || r.kind != fs::RedoKind::kChange || lsn < from) return;
    while (next_restart < restarts.size() && restarts[next_restart].first < lsn) ++next_restart;
    uint64_t limit = gci;
    for (size_t i = next_restart; i < restarts.size(); ++i) limit = std::min(limit, restarts[i].second);
    engine::Fragment* frag = fragment_for(r.table_id, r.table_version, r.fragment);
    if (r.gci > limit || !frag) {
      ++skipped_records;
      return;
    }
    if (r.op == engine::ChangeOp::kDelete) frag->restore_delete(r.key);
    else failed = frag->restore_row(*r.row, r.gci);
    ++applied;
  });
  if (failed) {
    error = "replaying the redo log failed with error " + std::to_string(failed) + ": " +
            std::string(engine::error_text(failed));
    return false;
  }

  // 5. Continue the log after a mark that voids whatever lies above gci.
  redo_ = std::make_unique<fs::RedoLog>(ro);
  if (!redo_->reopen(scan, error)) return false;
  redo_->append(fs::RedoRecord{fs::RedoKind::kRestart, gci, 0, 0, 0, engine::ChangeOp::kInsert, {}, std::nullopt, {}});
  redo_->append(fs::RedoRecord{fs::RedoKind::kGciEnd, gci, 0, 0, 0, engine::ChangeOp::kInsert, {}, std::nullopt,
                               node_gcis_});
  if (!redo_->sync(error)) return false;
  saved_gci_ = complete_gci_ = gci;

  // Checkpoints: the base stays; a newer one that reaches past gci is gone
  // for good (its rows may hold voided changes).
  done_.clear();
  for (uint64_t id : fs::list_lcps(lcp_root())) {
    std::string why;
    auto info = fs::read_lcp_ctl(lcp_root(), id, why);
    if (base && id == base->id) continue;
    if (!base || id > base->id || !info) fs::remove_tree(fs::lcp_dir(lcp_root(), id), why);
  }
  if (base) done_.push_back(Done{base->id, base->start_lsn, base->max_gci});
  auto ids = fs::list_lcps(lcp_root());
  next_lcp_id_ = (ids.empty() ? 0 : ids.front()) + 1;
  lcp_started_lsn_ = redo_->head_lsn();

  summary = (base ? "local checkpoint " + std::to_string(base->id) + " (" + std::to_string(lcp_rows) + " rows)"
                  : std::string("no local checkpoint")) +
            " + redo log (" + std::to_string(applied) + " changes replayed, " + std::to_string(skipped_records) +
            " past GCI " + std::to_string(gci) + " or of dropped tables ignored) to GCI " + std::to_string(gci);
  if (!scan.damage.empty()) summary += "; redo log damaged (" + scan.damage + "), ignored from there on";
  summary += "; " + std::to_string(schema_.size()) + " tables";
  if (left_out) summary += ", " + std::to_string(left_out) + " created after GCI " + std::to_string(gci) + " left out";
  if (put_back) summary += ", " + std::to_string(put_back) + " dropped after GCI " + std::to_string(gci) + " put back";
  return true;
}

void Durability::begin_copy() {
  copying_ = true;
  copy_lcp_due_ = copy_lcp_done_ = false;
  copy_lcp_id_ = 0;
  marks_from_gci_ = UINT64_MAX;
}

void Durability::end_copy() {
  copying_ = false;
  copy_lcp_due_ = true;
  // A checkpoint running now began before the copy ended: not the one.
  if (lcp_.active()) {
    std::string ignored;
    fs::remove_tree(lcp_.info().dir, ignored);
    lcp_.reset();
  }
}

void Durability::on_commit(const engine::RowChange& c) {
  // During a node restart's copy nothing is logged: the checkpoint after
  // the copy holds it all (see durability.h).
  if (!redo_ || !broken_.empty() || copying_) return;
  if (!redo_->append_body(fs::encode_change(c))) {
    broken_ = "the redo log cannot take a committed change (log full beyond its reserve, or a write failed)";
    logger_.error("node " + std::to_string(node_id_) + ": " + broken_);
  }
}

bool Durability::save_gci(uint64_t gci, std::string& error) {
  if (!redo_) {
    error = "no redo log";
    return false;
  }
  if (!broken_.empty()) {
    error = broken_;
    return false;
  }
  // A node restart's copy is not on disk yet: a restart could not give
  // this GCI back, so no end mark may say it could. (The same GCI again,
  // from save_leaving, only names who went on.)
  if (gci < marks_from_gci_ && gci > saved_gci_) {
    if (!redo_->sync(error)) {
      broken_ = error;
      return false;
    }
    return true;
  }
  if (!redo_->append(
          fs::RedoRecord{fs::RedoKind::kGciEnd, gci, 0, 0, 0, engine::ChangeOp::kInsert, {}, std::nullopt, node_gcis_})) {
    broken_ = "the redo log cannot take the end mark of GCI " + std::to_string(gci);
    error = broken_;
    return false;
  }
  if (!redo_->sync(error)) {
    broken_ = error;
    return false;
  }
  saved_gci_ = std::max(saved_gci_, gci);
  if (incomplete_ && copy_lcp_done_) {
    // The files prove GCI `gci` now: no longer incomplete.
    if (!fs::remove_tree(incomplete_path(), error) || !fs::fsync_dir(opt_.fs_dir, error)) {
      broken_ = "cannot remove " + incomplete_path() + ": " + error;
      error = broken_;
      return false;
    }
    incomplete_ = false;
    logger_.info("Node " + std::to_string(node_id_) + ": GCI " + std::to_string(gci) +
                 " saved after the node restart's local checkpoint: this node restarts from its own files from now on");
  }
  return true;
}

void Durability::note_alive(const std::set<uint32_t>& alive, uint64_t gci) {
  for (uint32_t id : alive) node_gcis_[id] = std::max(node_gcis_[id], gci);
}

bool Durability::save_leaving(const std::set<uint32_t>& going_on, std::string& error) {
  if (!redo_ || saved_gci_ == 0 || going_on.empty()) return true;
  for (uint32_t id : going_on) node_gcis_[id] = std::max(node_gcis_[id], saved_gci_ + 1);
  // The same GCI again: restorable_gci stays; only the node GCIs are new.
  return save_gci(saved_gci_, error);
}

void Durability::complete_gci(uint64_t gci) {
  complete_gci_ = std::max(complete_gci_, gci);
  retire_lcps();
}

bool Durability::write_schema(const engine::DataNodeEngine& eng, uint64_t gci, std::string& error) {
  std::set<std::string> live;  // definitions the engine has now
  for (const auto& t : const_cast<engine::DataNodeEngine&>(eng).dictionary().tables())
    if (!is_hidden(*t)) live.insert(engine::encode_table(*t));
  std::vector<fs::SchemaEntry> next;
  for (auto& e : schema_) {
    const bool alive = live.erase(e.table) > 0;
    if (!alive && e.drop_gci == 0) {
      if (gci == 0) continue;  // dropped before anything this node can restore to
      e.drop_gci = gci;
    }
    // A DROP in a GCI the whole cluster completed is final.
    if (e.drop_gci != 0 && e.drop_gci <= complete_gci_) continue;
    next.push_back(e);
  }
  for (const auto& bytes : live) next.push_back(fs::SchemaEntry{bytes, gci, 0});
  if (!fs::write_schema(schema_path(), next, error)) return false;
  schema_ = std::move(next);
  return true;
}

uint32_t Durability::write_refusal() const {
  return redo_ && redo_->nearly_full() ? engine::err::kRedoLogFull : 0;
}

void Durability::begin_lcp(engine::DataNodeEngine& eng) {
  std::string error;
  const uint64_t id = next_lcp_id_++;
  if (!lcp_.begin(lcp_root(), id, redo_->head_lsn(), error)) {
    logger_.warn("node " + std::to_string(node_id_) + ": local checkpoint " + std::to_string(id) +
                 " cannot start: " + error);
    return;
  }
  lcp_started_lsn_ = redo_->head_lsn();
  lcp_began_ = std::chrono::steady_clock::now();
  if (copy_lcp_due_) {
    copy_lcp_due_ = false;
    copy_lcp_id_ = id;
  }
  lcp_queue_.clear();
  for (const auto& [key, f] : eng.lqh().fragments())
    lcp_queue_.push_back(Pending{key.first, f->table().version, key.second});
  in_fragment_ = false;
  lcp_cursor_.clear();
  const uint64_t keep = done_.empty() ? 0 : done_.back().start_lsn;
  logger_.info("Node " + std::to_string(node_id_) + ": Local checkpoint " + std::to_string(id) +
               " started. Keep GCI = " + std::to_string(complete_gci_) + " oldest restorable GCI = " +
               std::to_string(saved_gci_) + " (redo from lsn " + std::to_string(keep) + ", " +
               std::to_string(lcp_queue_.size()) + " fragments" +
               (copy_lcp_id_ == id ? std::string(", after the node restart's copy") : std::string()) + ")");
}

void Durability::step(engine::DataNodeEngine& eng, uint64_t current_gci) {
  if (!redo_ || !broken_.empty()) return;
  if (!lcp_.active()) {
    const uint64_t written = redo_->head_lsn() - lcp_started_lsn_;
    const uint64_t due = 4ull << std::min<uint32_t>(opt_.lcp_log2_words, 40);
    if (copy_lcp_due_ || lcp_requested_ || written >= due || redo_->used() * 2 >= redo_->capacity()) {
      // Nothing changed since the last one and nothing asked: no point.
      if (!copy_lcp_due_ && !lcp_requested_ && written == 0) return;
      lcp_requested_ = false;
      begin_lcp(eng);
    }
    return;
  }
  std::string error;
  const auto now = std::chrono::steady_clock::now();
  const auto deadline = now + kLcpStepBudget;
  // MaxDiskWriteSpeed: the bytes this LCP may have written by now (with a
  // first 100 ms worth at once, so a small checkpoint is not held back).
  const double seconds = std::chrono::duration<double>(now - lcp_began_).count() + 0.1;
  const double allowed = static_cast<double>(lcp_write_speed()) * seconds;
  while (std::chrono::steady_clock::now() < deadline && static_cast<double>(lcp_.bytes_written()) <= allowed) {
    if (lcp_queue_.empty()) {
      finish_lcp(current_gci);
      return;
    }
    const Pending p = lcp_queue_.back();
    engine::Fragment* f = eng.lqh().fragment(p.table, p.fragment);
    if (!f || f->table().version != p.version) {
      // Dropped meanwhile: its file (if begun) stays out of the control file.
      if (in_fragment_) lcp_.end_fragment(error);
      in_fragment_ = false;
      lcp_queue_.pop_back();
      continue;
    }
    if (!in_fragment_) {
      if (!lcp_.begin_fragment(p.table, p.version, p.fragment, error)) break;
      in_fragment_ = true;
      lcp_cursor_.clear();
    }
    auto batch = f->copy_rows(lcp_cursor_, kLcpRowsPerBatch);
    bool ok = true;
    for (const auto& r : batch.rows)
      if (!(ok = lcp_.add_row(r.row, r.gci, error))) break;
    if (!ok) break;
    lcp_cursor_ = batch.cursor;
    if (batch.done) {
      if (!lcp_.end_fragment(error)) break;
      in_fragment_ = false;
      lcp_queue_.pop_back();
    }
  }
  if (!error.empty()) {
    logger_.warn("node " + std::to_string(node_id_) + ": local checkpoint " + std::to_string(lcp_.info().id) +
                 " abandoned: " + error);
    std::string ignored;
    fs::remove_tree(lcp_.info().dir, ignored);
    if (lcp_.info().id == copy_lcp_id_) copy_lcp_due_ = true;  // the copy still needs one
    lcp_.reset();
  }
}

void Durability::finish_lcp(uint64_t current_gci) {
  std::string error;
  // Every row the checkpoint holds carries a GCI at or below the one now
  // current (commit stamps never run ahead of the coordinator's GCI).
  const uint64_t max_gci = std::max(current_gci, saved_gci_);
  const fs::LcpInfo info = lcp_.info();
  if (!lcp_.finish(max_gci, error)) {
    logger_.warn("node " + std::to_string(node_id_) + ": local checkpoint " + std::to_string(info.id) +
                 " cannot be completed: " + error);
    fs::remove_tree(info.dir, error);
    if (info.id == copy_lcp_id_) copy_lcp_due_ = true;
  } else {
    done_.push_back(Done{info.id, info.start_lsn, max_gci});
    ++lcps_done_;
    logger_.info("Node " + std::to_string(node_id_) + ": Local checkpoint " + std::to_string(info.id) +
                 " completed (" + std::to_string(lcp_.bytes_written()) + " bytes, usable once GCI " +
                 std::to_string(max_gci) + " is complete)");
    if (info.id == copy_lcp_id_) {
      // Every row the copy brought is on disk: end marks from here on.
      copy_lcp_done_ = true;
      marks_from_gci_ = max_gci;
    }
  }
  lcp_.reset();
  retire_lcps();
}

void Durability::retire_lcps() {
  // The newest checkpoint a restart to the complete GCI could use (one
  // this node saved too: during a node restart the cluster completes GCIs
  // this node only flushes).
  const uint64_t usable = std::min(complete_gci_, saved_gci_);
  size_t base = done_.size();
  for (size_t i = done_.size(); i-- > 0;)
    if (done_[i].max_gci <= usable) {
      base = i;
      break;
    }
  if (base == done_.size()) return;
  std::string ignored;
  for (size_t i = 0; i < base; ++i) fs::remove_tree(fs::lcp_dir(lcp_root(), done_[i].id), ignored);
  done_.erase(done_.begin(), done_.begin() + static_cast<long>(base));
  if (redo_) redo_->trim(done_.front().start_lsn);
}

}  // namespace halb::cluster::ndbd
