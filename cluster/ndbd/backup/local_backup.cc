// cluster/ndbd/backup/local_backup.cc: see local_backup.h.
#include "cluster/ndbd/backup/local_backup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cluster/ndbd/backup/key_codec.h"
#include "cluster/ndbd/wire/buffer.h"
#include "cluster/transport/frame.h"

namespace halb::cluster::backup {

namespace {
bool make_dir(const std::string& path, bool exist_ok, std::string& error) {
  if (::mkdir(path.c_str(), 0750) == 0) return true;
  if (errno == EEXIST && exist_ok) return true;
  error = path + ": " + std::strerror(errno);
  return false;
}
}  // namespace

std::string check_settings(const BackupSettings& s) {
  if (s.root.empty()) return "no BackupDataDir (nor FileSystemPath, DataDir) to write backups to";
  if (s.write_size == 0) return "BackupWriteSize is 0";
  if (s.write_size > s.data_buffer)
    return "BackupWriteSize (" + std::to_string(s.write_size) + ") is larger than BackupDataBufferSize (" +
           std::to_string(s.data_buffer) + ")";
  if (s.write_size > s.log_buffer)
    return "BackupWriteSize (" + std::to_string(s.write_size) + ") is larger than BackupLogBufferSize (" +
           std::to_string(s.log_buffer) + ")";
  if (s.data_buffer + s.log_buffer > s.memory)
    return "BackupDataBufferSize + BackupLogBufferSize (" + std::to_string(s.data_buffer + s.log_buffer) +
           ") is more than BackupMemory (" + std::to_string(s.memory) + ")";
  return "";
}

std::string backup_dir(const std::string& root, uint32_t id) { return root + "/BACKUP/" + backup_dir_name(id); }

LocalBackup::LocalBackup(uint32_t backup_id, uint32_t node_id, BackupSettings settings)
    : id_(backup_id), node_(node_id), s_(std::move(settings)), dir_(backup_dir(s_.root, backup_id)) {}

LocalBackup::~LocalBackup() {
  if (began_ && !finished_) remove_files();
}

bool LocalBackup::begin(std::vector<std::pair<std::shared_ptr<const engine::Table>, uint32_t>> fragments,
                        std::string& error) {
  if (std::string why = check_settings(s_); !why.empty()) {
    error = why;
    return false;
  }
  if (!make_dir(s_.root, true, error) || !make_dir(s_.root + "/BACKUP", true, error) ||
      !make_dir(dir_, true, error))
    return false;
  if (::access((dir_ + "/" + ctl_file_name(id_, node_)).c_str(), F_OK) == 0 ||
      ::access((dir_ + "/" + data_file_name(id_, node_)).c_str(), F_OK) == 0) {
    error = "backup " + std::to_string(id_) + " already exists in " + dir_;
    return false;
  }
  began_ = true;
  if (!data_.open(dir_ + "/" + data_file_name(id_, node_), s_.data_buffer, s_.write_size, error) ||
      !log_.open(dir_ + "/" + log_file_name(id_, node_), s_.log_buffer, s_.write_size, error)) {
    remove_files();
    began_ = false;
    return false;
  }
  for (auto& [t, f] : fragments) {
    scans_.push_back(Scan{t, f});
    refs_.push_back(FragmentRef{t->id, f, node_});
    logged_[{t->id, f}] = t;
  }
  if (!data_.append(encode_header(FileKind::kData, id_, node_), error) ||
      !log_.append(encode_header(FileKind::kLog, id_, node_), error))
    return false;
  log_open_ = true;
  return true;
}

LocalBackup::Step LocalBackup::scan_step(engine::Lqh& lqh, std::string& error) {
  if (!log_error_.empty()) {
    error = log_error_;
    return Step::kFailed;
  }
  uint64_t budget = s_.data_buffer;
  while (scan_index_ < scans_.size()) {
    Scan& sc = scans_[scan_index_];
    engine::Fragment* f = lqh.fragment(sc.table->id, sc.fragment);
    if (!f) {
      error = "table " + sc.table->name + " fragment " + std::to_string(sc.fragment) +
              " went away during the backup (dropped?)";
      return Step::kFailed;
    }
    if (!in_fragment_) {
      if (!data_.append(encode_fragment_begin(sc.table->id, sc.fragment), error)) return Step::kFailed;
      in_fragment_ = true;
      cursor_.clear();
      fragment_rows_ = 0;
      fragment_crc_ = 0;
    }
    // Small batches, so a step stops close to a buffer's worth.
    engine::CopyBatch b = f->copy_rows(cursor_, 32);
    for (auto& r : b.rows) {
      std::string rec = encode_row_record(sc.table->id, r.row);
      // The checksum runs over the payloads, as the reader sums them.
      std::string_view payload(rec.data() + 5, rec.size() - 9);
      fragment_crc_ = transport::crc32(payload, fragment_crc_);
      ++fragment_rows_;
      ++rows_;
      if (!data_.append(rec, error)) return Step::kFailed;
      budget -= std::min<uint64_t>(budget, rec.size());
    }
    cursor_ = b.cursor;
    if (b.done) {
      if (!data_.append(encode_fragment_end(sc.table->id, sc.fragment, fragment_rows_, fragment_crc_), error))
        return Step::kFailed;
      in_fragment_ = false;
      ++fragments_done_;
      ++scan_index_;
    }
    if (budget == 0) return Step::kMore;
  }
  return Step::kDone;
}

void LocalBackup::on_change(const engine::RowChange& c) {
  if (!log_open_ || !log_error_.empty() || c.op == engine::ChangeOp::kRefresh) return;
  auto it = logged_.find({c.table_id, c.fragment});
  if (it == logged_.end() || it->second->version != c.table_version) return;
  LogEntry e{c.gci, c.table_id, c.fragment, LogOp::kWrite, {}};
  if (c.op == engine::ChangeOp::kDelete || !c.row) {
    auto key = decode_primary_key(*it->second, c.key);
    if (!key) {
      log_error_ = "table " + it->second->name + ": a deleted row's key could not be read back";
      return;
    }
    e.op = LogOp::kDelete;
    e.values = std::move(*key);
  } else {
    e.values = *c.row;
  }
  std::string error;
  if (!log_.append(encode_log_entry(e), error)) {
    log_error_ = error;
    return;
  }
  ++log_entries_;
  ++log_by_gci_[c.gci];
}

bool LocalBackup::finish(CtlFile ctl, std::string& error) {
  if (!log_error_.empty()) {
    error = log_error_;
    return false;
  }
  log_open_ = false;
  stop_gci_ = ctl.stop_gci;
  if (!data_.append(encode_data_end(rows_, fragments_done_), error) || !data_.finish(error)) return false;
  if (!log_.append(encode_log_end(log_entries_), error) || !log_.finish(error)) return false;
  ctl.backup_id = id_;
  ctl.node_id = node_;
  ChunkedFile c;
  if (!c.open(dir_ + "/" + ctl_file_name(id_, node_), s_.data_buffer, s_.write_size, error) ||
      !c.append(encode_ctl(ctl), error) || !c.finish(error))
    return false;
  finished_ = true;
  return true;
}

void LocalBackup::remove_files() {
  data_.discard();
  log_.discard();
  log_open_ = false;
  for (auto& name : {ctl_file_name(id_, node_), data_file_name(id_, node_), log_file_name(id_, node_)})
    ::unlink((dir_ + "/" + name).c_str());
  ::rmdir(dir_.c_str());  // only when no other node's files share it
}

BackupStats LocalBackup::stats() const {
  BackupStats s;
  s.records = rows_;
  for (auto& [gci, n] : log_by_gci_)
    if (!stop_gci_ || gci <= stop_gci_) s.log_records += n;
  s.data_bytes = data_.bytes();
  s.log_bytes = log_.bytes();
  return s;
}

}  // namespace halb::cluster::backup
