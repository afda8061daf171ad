// cluster/ndbd/backup/chunked_file.h: an append-only backup file written in
// BackupWriteSize chunks from a buffer of at most its buffer size
// (BackupDataBufferSize or BackupLogBufferSize): the buffer bounds the
// memory a backup holds, the chunk is the unit each write(2) takes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace halb::cluster::backup {

class ChunkedFile {
 public:
  ChunkedFile() = default;
  ~ChunkedFile();
  ChunkedFile(const ChunkedFile&) = delete;
  ChunkedFile& operator=(const ChunkedFile&) = delete;

  // Creates `path` (it must not exist). False with `error`.
  bool open(const std::string& path, uint64_t buffer_size, uint64_t write_size, std::string& error);
  // Buffers `bytes`, writing whole chunks as the buffer fills. False with
  // `error` on a write error (ENOSPC...).
  bool append(std::string_view bytes, std::string& error);
  // Writes what is left, fsyncs and closes.
  bool finish(std::string& error);
  // Closes without writing what is buffered (abort).
  void discard();

  uint64_t bytes() const { return bytes_; }  // appended so far
  uint64_t writes() const { return writes_; }  // write(2) calls made
  size_t buffered() const { return buf_.size(); }
  size_t max_buffered() const { return max_buffered_; }
  const std::string& path() const { return path_; }

 private:
  bool write_out(size_t n, std::string& error);
  int fd_ = -1;
  std::string path_;
  std::string buf_;
  uint64_t buffer_size_ = 0, write_size_ = 0, bytes_ = 0, writes_ = 0;
  size_t max_buffered_ = 0;
};

}  // namespace halb::cluster::backup
