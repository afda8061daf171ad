// cluster/ndbd/fs/files.cc: see files.h.
#include "cluster/ndbd/fs/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace halb::cluster::fs {

namespace {

std::string why(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

bool fsync_dir(const std::string& dir, std::string& error) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    error = why("cannot open directory", dir);
    return false;
  }
  bool ok = ::fsync(fd) == 0;
  if (!ok) error = why("cannot fsync directory", dir);
  ::close(fd);
  return ok;
}

bool write_atomic(const std::string& path, const std::string& bytes, std::string& error) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = why("cannot create", tmp);
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = why("cannot write", tmp);
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    error = why("cannot fsync", tmp);
    ::close(fd);
    return false;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = why("cannot rename over", path);
    return false;
  }
  auto slash = path.rfind('/');
  return fsync_dir(slash == std::string::npos ? "." : path.substr(0, slash), error);
}

std::optional<std::string> read_all(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = why("cannot open", path);
    return std::nullopt;
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = why("cannot read", path);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  return out;
}

bool make_dir(const std::string& dir, std::string& error) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return true;
  error = why("cannot create directory", dir);
  return false;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool remove_tree(const std::string& path, std::string& error) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? true : (error = why("cannot stat", path), false);
  if (S_ISDIR(st.st_mode)) {
    for (const auto& n : list_dir(path))
      if (!remove_tree(path + "/" + n, error)) return false;
    if (::rmdir(path.c_str()) != 0) {
      error = why("cannot remove", path);
      return false;
    }
    return true;
  }
  if (::unlink(path.c_str()) != 0) {
    error = why("cannot remove", path);
    return false;
  }
  return true;
}

}  // namespace halb::cluster::fs
