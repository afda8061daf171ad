// cluster/ndbd/fs/lcp_files.cc: see lcp_files.h.
#include "cluster/ndbd/fs/lcp_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "cluster/ndbd/fs/files.h"
#include "cluster/ndbd/fs/records.h"
#include "cluster/ndbd/wire/value_codec.h"

namespace halb::cluster::fs {

namespace {

constexpr size_t kBlockBytes = 256 * 1024;
constexpr size_t kMaxFrame = 64u << 20;

std::string fragment_file(const std::string& dir, uint32_t t, uint32_t v, uint32_t f) {
  return dir + "/T" + std::to_string(t) + "V" + std::to_string(v) + "F" + std::to_string(f) + ".data";
}

}  // namespace

std::string lcp_dir(const std::string& root, uint64_t id) {
  char name[24];
  std::snprintf(name, sizeof name, "%016" PRIx64, id);
  return root + "/" + name;
}

std::vector<uint64_t> list_lcps(const std::string& root) {
  std::vector<uint64_t> out;
  for (const auto& n : list_dir(root)) {
    if (n.size() != 16) continue;
    char* end = nullptr;
    uint64_t id = std::strtoull(n.c_str(), &end, 16);
    if (end && *end == '\0') out.push_back(id);
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

LcpWriter::~LcpWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void LcpWriter::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  info_ = LcpInfo{};
  block_.clear();
  block_rows_ = 0;
  bytes_ = 0;
}

bool LcpWriter::begin(const std::string& root, uint64_t id, uint64_t start_lsn, std::string& error) {
  info_ = LcpInfo{id, start_lsn, 0, {}, lcp_dir(root, id)};
  bytes_ = 0;
  if (!make_dir(root, error) || !remove_tree(info_.dir, error) || !make_dir(info_.dir, error)) {
    info_.dir.clear();
    return false;
  }
  return true;
}

bool LcpWriter::write(const std::string& bytes, std::string& error) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = std::string("cannot write a checkpoint file: ") + std::strerror(errno);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  bytes_ += bytes.size();
  return true;
}

bool LcpWriter::begin_fragment(uint32_t t, uint32_t v, uint32_t f, std::string& error) {
  std::string path = fragment_file(info_.dir, t, v, f);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    error = "cannot create " + path + ": " + std::strerror(errno);
    return false;
  }
  info_.fragments.push_back(LcpFragment{t, v, f, 0});
  wire::Writer w;
  w.u32(0x50434C48);  // "HLCP"
  w.u32(t);
  w.u32(v);
  w.u32(f);
  block_.clear();
  block_rows_ = 0;
  return write(frame(w.bytes()), error);
}

bool LcpWriter::flush_block(std::string& error) {
  if (block_rows_ == 0) return true;
  wire::Writer w;
  w.u32(block_rows_);
  std::string body = w.take() + block_;
  block_.clear();
  block_rows_ = 0;
  return write(frame(body), error);
}

bool LcpWriter::add_row(const engine::Row& row, uint64_t gci, std::string& error) {
  wire::Writer w;
  w.u64(gci);
  wire::put_values(w, row);
  block_ += w.bytes();
  ++block_rows_;
  ++info_.fragments.back().rows;
  return block_.size() < kBlockBytes || flush_block(error);
}

bool LcpWriter::end_fragment(std::string& error) {
  wire::Writer w;
  w.u32(0x444E4548);  // "HEND"
  w.u64(info_.fragments.back().rows);
  bool ok = flush_block(error) && write(frame(w.bytes()), error);
  if (ok && ::fdatasync(fd_) != 0) {
    error = std::string("cannot fdatasync a checkpoint file: ") + std::strerror(errno);
    ok = false;
  }
  ::close(fd_);
  fd_ = -1;
  return ok;
}

bool LcpWriter::finish(uint64_t max_gci, std::string& error) {
  info_.max_gci = max_gci;
  wire::Writer w;
  w.u32(0x43434C48);  // "HLCC"
  w.u64(info_.id);
  w.u64(info_.start_lsn);
  w.u64(info_.max_gci);
  w.u32(static_cast<uint32_t>(info_.fragments.size()));
  for (auto& f : info_.fragments) {
    w.u32(f.table_id);
    w.u32(f.table_version);
    w.u32(f.fragment);
    w.u64(f.rows);
  }
  bool ok = fsync_dir(info_.dir, error) && write_atomic(info_.dir + "/ctl", frame(w.bytes()), error);
  return ok;
}

std::optional<LcpInfo> read_lcp_ctl(const std::string& root, uint64_t id, std::string& error) {
  const std::string dir = lcp_dir(root, id);
  auto bytes = read_all(dir + "/ctl", error);
  if (!bytes) return std::nullopt;
  size_t pos = 0;
  std::string_view body;
  FrameResult fr = read_frame(*bytes, pos, body, kMaxFrame);
  if (fr != FrameResult::kOk || pos != bytes->size()) {
    error = dir + "/ctl: " + (fr == FrameResult::kOk ? "trailing bytes" : frame_result_text(fr));
    return std::nullopt;
  }
  wire::Reader r(body);
  LcpInfo info;
  info.dir = dir;
  if (r.u32() != 0x43434C48) r.fail("not a checkpoint control file");
  info.id = r.u64();
  info.start_lsn = r.u64();
  info.max_gci = r.u64();
  uint32_t n = r.count(20);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    LcpFragment f;
    f.table_id = r.u32();
    f.table_version = r.u32();
    f.fragment = r.u32();
    f.rows = r.u64();
    info.fragments.push_back(f);
  }
  if (r.ok() && !r.at_end()) r.fail("trailing bytes");
  if (r.ok() && info.id != id) r.fail("it names checkpoint " + std::to_string(info.id));
  if (!r.ok()) {
    error = dir + "/ctl: " + r.error();
    return std::nullopt;
  }
  return info;
}

bool read_lcp_fragment(const LcpInfo& lcp, const LcpFragment& f,
                       const std::function<bool(engine::Row&&, uint64_t)>& each, std::string& error) {
  const std::string path = fragment_file(lcp.dir, f.table_id, f.table_version, f.fragment);
  auto bytes = read_all(path, error);
  if (!bytes) return false;
  size_t pos = 0;
  std::string_view body;
  auto bad = [&](const std::string& why) {
    error = path + ": " + why;
    return false;
  };
  FrameResult fr = read_frame(*bytes, pos, body, kMaxFrame);
  if (fr != FrameResult::kOk) return bad(frame_result_text(fr));
  {
    wire::Reader r(body);
    if (r.u32() != 0x50434C48 || r.u32() != f.table_id || r.u32() != f.table_version || r.u32() != f.fragment ||
        !r.at_end())
      return bad("its header does not match the control file");
  }
  uint64_t rows = 0;
  for (;;) {
    fr = read_frame(*bytes, pos, body, kMaxFrame);
    if (fr == FrameResult::kEnd) return bad("it ends without its end mark (cut short)");
    if (fr != FrameResult::kOk) return bad(frame_result_text(fr));
    wire::Reader r(body);
    uint32_t first = r.u32();
    if (first == 0x444E4548 && body.size() == 12) {
      uint64_t total = r.u64();
      if (total != rows || rows != f.rows) return bad("it holds " + std::to_string(rows) + " rows, the control file says " + std::to_string(f.rows));
      if (pos != bytes->size()) return bad("bytes follow its end mark");
      return true;
    }
    for (uint32_t i = 0; i < first && r.ok(); ++i) {
      uint64_t gci = r.u64();
      engine::Row row = wire::get_values(r);
      if (!r.ok()) break;
      if (!each(std::move(row), gci)) return bad("a row does not fit its table");
      ++rows;
    }
    if (!r.ok() || !r.at_end()) return bad("a row block cannot be read: " + (r.ok() ? std::string("trailing bytes") : r.error()));
  }
}

}  // namespace halb::cluster::fs
