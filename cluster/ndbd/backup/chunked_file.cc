// cluster/ndbd/backup/chunked_file.cc: see chunked_file.h.
#include "cluster/ndbd/backup/chunked_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace halb::cluster::backup {

ChunkedFile::~ChunkedFile() { discard(); }

bool ChunkedFile::open(const std::string& path, uint64_t buffer_size, uint64_t write_size, std::string& error) {
  path_ = path;
  write_size_ = std::max<uint64_t>(1, write_size);
  buffer_size_ = std::max(buffer_size, write_size_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  buf_.reserve(static_cast<size_t>(buffer_size_));
  return true;
}

bool ChunkedFile::write_out(size_t n, std::string& error) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::write(fd_, buf_.data() + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      error = path_ + ": write failed: " + (w < 0 ? std::strerror(errno) : "no progress");
      return false;
    }
    done += static_cast<size_t>(w);
  }
  ++writes_;
  buf_.erase(0, n);
  return true;
}

bool ChunkedFile::append(std::string_view bytes, std::string& error) {
  if (fd_ < 0) {
    error = path_ + ": not open";
    return false;
  }
  bytes_ += bytes.size();
  while (!bytes.empty()) {
    // Fill the buffer up to its size, then write whole chunks out of it.
    size_t room = static_cast<size_t>(buffer_size_) - buf_.size();
    size_t take = std::min(room, bytes.size());
    buf_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    max_buffered_ = std::max(max_buffered_, buf_.size());
    while (buf_.size() >= write_size_)
      if (!write_out(static_cast<size_t>(write_size_), error)) return false;
  }
  return true;
}

bool ChunkedFile::finish(std::string& error) {
  if (fd_ < 0) {
    error = path_ + ": not open";
    return false;
  }
  while (!buf_.empty())
    if (!write_out(std::min(buf_.size(), static_cast<size_t>(write_size_)), error)) return false;
  if (::fsync(fd_) != 0) {
    error = path_ + ": fsync failed: " + std::strerror(errno);
    return false;
  }
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    error = path_ + ": close failed: " + std::strerror(errno);
    return false;
  }
  return true;
}

void ChunkedFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

}  // namespace halb::cluster::backup
