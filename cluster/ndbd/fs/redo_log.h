// cluster/ndbd/fs/redo_log.h: one data node's redo log -- the committed row
// changes of its fragment replicas, in commit order, with GCI end marks.
//
// The log is a chain of segment files redo.<start lsn, 16 hex digits> in
// its directory; an lsn is a byte position in the endless log. A record
// never spans two segments: one that does not fit starts the next segment
// at start + file_size. At most `files` segments exist; an LCP lets trim()
// delete the segments wholly before its start. When a new segment would be
// one too many the log is full: append() refuses, and nearly_full() warns
// early enough (one segment ahead) for the node to refuse new writes
// (410) while the changes already prepared still fit.
//
// Appends go to a buffer; sync() writes it and fdatasyncs. A crash loses
// only what was not synced, and leaves at most a torn last record, which
// scan() detects by its checksum and length.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "cluster/ndbd/fs/records.h"

namespace halb::cluster::fs {

struct RedoOptions {
  std::string dir;
  uint32_t files = 32;               // NoOfFragmentLogFiles x 4 parts
  uint64_t file_size = 16ull << 20;  // FragmentLogFileSize
};

// What a scan found.
struct RedoScan {
  uint64_t tail_lsn = 0;                 // first lsn still on disk
  uint64_t end_lsn = 0;                  // just past the last good record
  uint64_t records = 0;                  // good records
  std::optional<uint64_t> last_gci_end;  // the last kGciEnd mark, in log order
  uint64_t max_gci = 0;                  // the highest GCI any good record names
  std::map<uint32_t, uint64_t> node_gcis;  // the last end mark's node GCIs (RedoRecord::nodes)
  std::string damage;                    // "" or what was wrong where the good records end
  std::string error;                     // "" or why the log cannot be read at all
};

class RedoLog {
 public:
  explicit RedoLog(RedoOptions options) : opt_(std::move(options)) {}
  ~RedoLog();
  RedoLog(const RedoLog&) = delete;
  RedoLog& operator=(const RedoLog&) = delete;

  // Reads every good record in order (record, its lsn). Stops at the first
  // damaged one; what follows is reported, never returned.
  static RedoScan scan(const RedoOptions& options,
                       const std::function<void(const RedoRecord&, uint64_t lsn)>& each);

  // Empties the directory of segments and starts at lsn `first_lsn` (a
  // multiple of file_size). A log that does not start at 0 never holds
  // every change from the beginning: a restore needs a checkpoint with it.
  bool create(std::string& error, uint64_t first_lsn = 0);
  // Continues the log a scan found: cuts a torn tail off at `scan.end_lsn`
  // and drops any segment after it.
  bool reopen(const RedoScan& scan, std::string& error);

  bool append(const RedoRecord& r) { return append_body(encode_redo(r)); }
  bool append_body(const std::string& body);
  bool sync(std::string& error);
  // Deletes the segments that end at or before `lsn`.
  void trim(uint64_t lsn);

  bool nearly_full() const;
  uint64_t head_lsn() const { return head_lsn_; }
  uint64_t tail_lsn() const { return segments_.empty() ? head_lsn_ : segments_.begin()->first; }
  uint64_t synced_lsn() const { return synced_lsn_; }
  uint64_t capacity() const { return opt_.file_size * opt_.files; }
  uint64_t used() const { return head_lsn_ - tail_lsn(); }
  const RedoOptions& options() const { return opt_; }

 private:
  std::string segment_path(uint64_t start) const;
  bool open_segment(uint64_t start, bool truncate_to_zero, std::string& error);
  bool write_pending(std::string& error);

  RedoOptions opt_;
  std::map<uint64_t, std::string> segments_;  // start lsn -> path
  uint64_t head_start_ = 0;                   // start lsn of the segment written now
  uint64_t head_lsn_ = 0;
  uint64_t synced_lsn_ = 0;
  int fd_ = -1;
  std::string pending_;  // appended to the head segment, not yet written
  bool failed_ = false;  // a write failed: nothing more is accepted
};

}  // namespace halb::cluster::fs
