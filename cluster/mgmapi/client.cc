// cluster/mgmapi/client.cc: blocking protocol client (see client.h).
#include "cluster/mgmapi/client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "cluster/mgmapi/config_codec.h"

namespace halb::cluster::mgmapi {

namespace {
double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Non-blocking connect bounded by a timeout; -1 with `error` on failure.
int connect_to(const std::string& host, uint16_t port, double timeout_s, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) {
    error = host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, static_cast<int>(timeout_s * 1000)) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) break;
        errno = err;
      } else {
        errno = ETIMEDOUT;
      }
    }
    error = host + ":" + std::to_string(port) + ": " + strerror(errno);
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}
}  // namespace

Client::~Client() { close(); }

Client::Client(Client&& o) noexcept { *this = std::move(o); }

Client& Client::operator=(Client&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    o.fd_ = -1;
    server_ = std::move(o.server_);
    error_ = std::move(o.error_);
    reader_ = std::move(o.reader_);
  }
  return *this;
}

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  reader_ = MessageReader();
}

int Client::release_fd() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

bool Client::connect(const MgmServer& server, double timeout_s) {
  close();
  std::string err;
  int fd = connect_to(server.host, server.port, timeout_s, err);
  if (fd < 0) {
    error_ = err;
    return false;
  }
  fd_ = fd;
  server_ = server.to_string();
  return true;
}

bool Client::connect(const ConnectString& cs, double timeout_s) {
  std::string errors;
  for (auto& s : cs.servers) {
    if (connect(s, timeout_s)) return true;
    if (!errors.empty()) errors += "; ";
    errors += error_;
  }
  error_ = errors.empty() ? "no management server in the connectstring" : errors;
  return false;
}

bool Client::write_all(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, 10000) != 1) {
        error_ = "timed out sending to " + server_;
        return false;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    error_ = "lost connection to " + server_ + ": " + strerror(errno);
    close();
    return false;
  }
  return true;
}

bool Client::send(const Message& m) {
  if (fd_ < 0) {
    error_ = "not connected";
    return false;
  }
  return write_all(format(m));
}

bool Client::fill(double timeout_s) {
  pollfd p{fd_, POLLIN, 0};
  int rc = poll(&p, 1, static_cast<int>(timeout_s * 1000));
  if (rc == 0) {
    error_ = "timed out waiting for " + server_;
    return false;
  }
  char buf[16384];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n > 0) {
    reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  error_ = "connection to " + server_ + " closed";
  close();
  return false;
}

std::optional<Message> Client::receive(double timeout_s) {
  double deadline = now_s() + timeout_s;
  Message m;
  while (fd_ >= 0) {
    if (reader_.next(m)) return m;
    if (reader_.failed()) {
      error_ = "bad reply from " + server_ + ": " + reader_.error();
      close();
      return std::nullopt;
    }
    double left = deadline - now_s();
    if (left <= 0) {
      error_ = "timed out waiting for " + server_;
      return std::nullopt;
    }
    if (!fill(left)) return std::nullopt;
  }
  if (error_.empty()) error_ = "not connected";
  return std::nullopt;
}

std::optional<std::string> Client::receive_line(double timeout_s) {
  double deadline = now_s() + timeout_s;
  std::string line;
  while (fd_ >= 0) {
    if (reader_.next_line(line)) return line;
    if (reader_.failed()) {
      error_ = reader_.error();
      close();
      return std::nullopt;
    }
    double left = deadline - now_s();
    if (left <= 0) {
      error_ = "timed out waiting for " + server_;
      return std::nullopt;
    }
    if (!fill(left)) return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Message> Client::call(const Message& request, double timeout_s) {
  if (!send(request)) return std::nullopt;
  return receive(timeout_s);
}

std::optional<uint32_t> Client::get_nodeid(const NodeIdRequest& req) {
  Message m("get nodeid");
  m.add("version", static_cast<long long>(req.version));
  m.add("nodetype", static_cast<long long>(req.type));
  m.add("nodeid", static_cast<long long>(req.node_id));
  m.add("user", "mysqld").add("password", "mysqld").add("public key", "a public key");
  m.add("endian", "little");
  auto r = call(m);
  if (!r) return std::nullopt;
  if (r->get_or("result", "") != "Ok") {
    error_ = r->get_or("result", "unexpected reply '" + r->head + "'");
    return std::nullopt;
  }
  auto id = r->get_int("nodeid");
  if (!id || *id < 1 || *id > static_cast<long long>(kMaxNodeId)) {
    error_ = "bad nodeid in get nodeid reply";
    return std::nullopt;
  }
  return static_cast<uint32_t>(*id);
}

std::optional<ClusterConfig> Client::get_config(uint32_t node_id) {
  Message m("get config");
  m.add("version", static_cast<long long>(kProtocolVersion));
  m.add("node", static_cast<long long>(node_id));
  auto r = call(m);
  if (!r) return std::nullopt;
  if (r->get_or("result", "") != "Ok") {
    error_ = r->get_or("result", "unexpected reply '" + r->head + "'");
    return std::nullopt;
  }
  auto cfg = decode_config(*r, error_);
  if (!cfg) return std::nullopt;
  return cfg;
}

std::optional<std::vector<NodeState>> Client::get_status() {
  auto r = call(Message("get status"));
  if (!r) return std::nullopt;
  return decode_status(*r, error_);
}

std::optional<uint32_t> Client::get_mgmd_nodeid() {
  auto r = call(Message("get mgmd nodeid"));
  if (!r) return std::nullopt;
  auto id = r->get_int("nodeid");
  if (!id) {
    error_ = "no nodeid in reply";
    return std::nullopt;
  }
  return static_cast<uint32_t>(*id);
}

}  // namespace halb::cluster::mgmapi
