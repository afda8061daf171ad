// cluster/ndbd/fs/lcp_files.h: a local checkpoint on disk -- every fragment
// replica of one node, row by row with each row's GCI, plus a control file
// written last that makes the checkpoint count.
//
//   <root>/<id, 16 hex>/T<table>V<version>F<fragment>.data
//     frames (records.h): "HLCP" u32 table u32 version u32 fragment,
//     then row blocks: u32 count { u64 gci, row }, then "HEND" u64 rows.
//   <root>/<id>/ctl   (written with write_atomic after every data file is fsynced)
//     one frame: "HLCC" u64 id u64 start_lsn u64 max_gci
//                u32 count { u32 table u32 version u32 fragment u64 rows }
//
// start_lsn: the redo position when the checkpoint began; replaying the redo
// from there over the (fuzzy) rows gives the state at any complete GCI at or
// above max_gci, the highest stamp any row can have in it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cluster/ndbd/engine/value.h"

namespace halb::cluster::fs {

struct LcpFragment {
  uint32_t table_id = 0;
  uint32_t table_version = 0;
  uint32_t fragment = 0;
  uint64_t rows = 0;
};

struct LcpInfo {
  uint64_t id = 0;
  uint64_t start_lsn = 0;
  uint64_t max_gci = 0;
  std::vector<LcpFragment> fragments;
  std::string dir;
};

class LcpWriter {
 public:
  ~LcpWriter();
  bool begin(const std::string& root, uint64_t id, uint64_t start_lsn, std::string& error);
  bool begin_fragment(uint32_t table_id, uint32_t table_version, uint32_t fragment, std::string& error);
  bool add_row(const engine::Row& row, uint64_t gci, std::string& error);
  bool end_fragment(std::string& error);
  // Writes the control file: from here on the checkpoint exists.
  bool finish(uint64_t max_gci, std::string& error);
  bool active() const { return !info_.dir.empty(); }
  // Forgets the checkpoint being written (its files stay as they are).
  void reset();
  const LcpInfo& info() const { return info_; }
  uint64_t bytes_written() const { return bytes_; }

 private:
  bool flush_block(std::string& error);
  bool write(const std::string& bytes, std::string& error);

  LcpInfo info_;
  int fd_ = -1;
  std::string block_;
  uint32_t block_rows_ = 0;
  uint64_t bytes_ = 0;
};

// Checkpoint ids under `root`, newest first.
std::vector<uint64_t> list_lcps(const std::string& root);
std::string lcp_dir(const std::string& root, uint64_t id);
// The control file, checked; nullopt with `error` when it is missing or damaged.
std::optional<LcpInfo> read_lcp_ctl(const std::string& root, uint64_t id, std::string& error);
// Every row of one fragment's file, checked frame by frame; false with
// `error` (nothing trustworthy) when any frame or the row count is wrong.
bool read_lcp_fragment(const LcpInfo& lcp, const LcpFragment& f,
                       const std::function<bool(engine::Row&&, uint64_t gci)>& each, std::string& error);

}  // namespace halb::cluster::fs
