// cluster/ndbd/fs/redo_log.cc: see redo_log.h.
#include "cluster/ndbd/fs/redo_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "cluster/ndbd/fs/files.h"

namespace halb::cluster::fs {

namespace {

constexpr char kPrefix[] = "redo.";

std::map<uint64_t, std::string> list_segments(const std::string& dir) {
  std::map<uint64_t, std::string> out;
  for (const auto& n : list_dir(dir)) {
    if (n.size() != 5 + 16 || n.compare(0, 5, kPrefix) != 0) continue;
    char* end = nullptr;
    uint64_t start = std::strtoull(n.c_str() + 5, &end, 16);
    if (end && *end == '\0') out[start] = dir + "/" + n;
  }
  return out;
}

}  // namespace

RedoLog::~RedoLog() {
  std::string ignored;
  sync(ignored);
  if (fd_ >= 0) ::close(fd_);
}

std::string RedoLog::segment_path(uint64_t start) const {
  char name[32];
  std::snprintf(name, sizeof name, "%s%016" PRIx64, kPrefix, start);
  return opt_.dir + "/" + name;
}

RedoScan RedoLog::scan(const RedoOptions& opt, const std::function<void(const RedoRecord&, uint64_t)>& each) {
  RedoScan out;
  auto segments = list_segments(opt.dir);
  if (segments.empty()) return out;
  out.tail_lsn = out.end_lsn = segments.begin()->first;
  uint64_t expected = out.tail_lsn;
  for (auto& [start, path] : segments) {
    if (start != expected && start != out.tail_lsn) {
      out.damage = "segment " + path + " does not follow the one before it (a segment is missing)";
      return out;
    }
    std::string error;
    auto bytes = read_all(path, error);
    if (!bytes) {
      out.error = error;
      return out;
    }
    size_t pos = 0;
    for (;;) {
      std::string_view body;
      size_t at = pos;
      FrameResult fr = read_frame(*bytes, pos, body, opt.file_size);
      if (fr == FrameResult::kEnd) break;
      if (fr != FrameResult::kOk) {
        out.damage = std::string(frame_result_text(fr)) + " at lsn " + std::to_string(start + at) + " (" + path + ")";
        return out;
      }
      std::string derr;
      auto rec = decode_redo(body, derr);
      if (!rec) {
        out.damage = "a record cannot be read at lsn " + std::to_string(start + at) + ": " + derr;
        return out;
      }
      if (rec->kind == RedoKind::kGciEnd) out.last_gci_end = rec->gci;
      if (rec->kind == RedoKind::kGciEnd && !rec->nodes.empty()) out.node_gcis = rec->nodes;
      out.max_gci = std::max(out.max_gci, rec->gci);
      ++out.records;
      if (each) each(*rec, start + at);
      out.end_lsn = start + pos;
    }
    // The next segment starts where a record no longer fitted this one.
    expected = start + opt.file_size;
  }
  return out;
}

bool RedoLog::open_segment(uint64_t start, bool truncate_to_zero, std::string& error) {
  if (fd_ >= 0) ::close(fd_);
  std::string path = segment_path(start);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (truncate_to_zero ? O_TRUNC : 0), 0644);
  if (fd_ < 0) {
    error = "cannot open redo segment " + path + ": " + std::strerror(errno);
    failed_ = true;
    return false;
  }
  segments_[start] = path;
  head_start_ = start;
  return fsync_dir(opt_.dir, error);
}

bool RedoLog::create(std::string& error, uint64_t first_lsn) {
  for (auto& [start, path] : list_segments(opt_.dir))
    if (!remove_tree(path, error)) return false;
  segments_.clear();
  head_lsn_ = synced_lsn_ = first_lsn;
  pending_.clear();
  failed_ = false;
  return open_segment(first_lsn, true, error);
}

bool RedoLog::reopen(const RedoScan& scan, std::string& error) {
  segments_ = list_segments(opt_.dir);
  pending_.clear();
  failed_ = false;
  if (segments_.empty()) return create(error);
  // The segment holding end_lsn (the last one whose start is <= end_lsn).
  auto head = segments_.upper_bound(scan.end_lsn);
  --head;
  for (auto it = std::next(head); it != segments_.end();) {
    if (!remove_tree(it->second, error)) return false;
    it = segments_.erase(it);
  }
  if (!open_segment(head->first, false, error)) return false;
  if (::ftruncate(fd_, static_cast<off_t>(scan.end_lsn - head->first)) != 0 ||
      ::lseek(fd_, 0, SEEK_END) < 0 || ::fdatasync(fd_) != 0) {
    error = "cannot cut the redo log at lsn " + std::to_string(scan.end_lsn) + ": " + std::strerror(errno);
    failed_ = true;
    return false;
  }
  head_lsn_ = synced_lsn_ = scan.end_lsn;
  return true;
}

bool RedoLog::append_body(const std::string& body) {
  if (failed_ || fd_ < 0) return false;
  const uint64_t size = kFrameHeader + body.size();
  if (size > opt_.file_size) return false;
  if (head_lsn_ + size > head_start_ + opt_.file_size) {
    // Roll to the next segment, if one more is allowed.
    if (segments_.size() + 1 > opt_.files) return false;
    std::string error;
    if (!write_pending(error) || ::fdatasync(fd_) != 0) {
      failed_ = true;
      return false;
    }
    if (!open_segment(head_start_ + opt_.file_size, true, error)) return false;
    head_lsn_ = head_start_;
    synced_lsn_ = head_lsn_;
  }
  pending_ += frame(body);
  head_lsn_ += size;
  return true;
}

bool RedoLog::write_pending(std::string& error) {
  size_t done = 0;
  while (done < pending_.size()) {
    ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = std::string("cannot write the redo log: ") + std::strerror(errno);
      failed_ = true;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  pending_.clear();
  return true;
}

bool RedoLog::sync(std::string& error) {
  if (fd_ < 0) return true;
  if (failed_) {
    error = "the redo log failed earlier";
    return false;
  }
  if (synced_lsn_ == head_lsn_) return true;
  if (!write_pending(error)) return false;
  if (::fdatasync(fd_) != 0) {
    error = std::string("cannot fdatasync the redo log: ") + std::strerror(errno);
    failed_ = true;
    return false;
  }
  synced_lsn_ = head_lsn_;
  return true;
}

void RedoLog::trim(uint64_t lsn) {
  std::string ignored;
  for (auto it = segments_.begin(); it != segments_.end() && it->first != head_start_;) {
    if (it->first + opt_.file_size > lsn) break;
    remove_tree(it->second, ignored);
    it = segments_.erase(it);
  }
}

bool RedoLog::nearly_full() const {
  if (failed_) return true;
  // The head segment is more than half used and no further one is allowed.
  return segments_.size() >= opt_.files && head_lsn_ - head_start_ > opt_.file_size / 2;
}

}  // namespace halb::cluster::fs
