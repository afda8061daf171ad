// lib/control/server.cc: see server.h.
#include "lib/control/server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace halb::control {

struct Server::Conn {
  int fd = -1;
  Peer peer;
  std::string in;
  std::string out;
  std::unique_ptr<event::Io> io;
  bool closing = false;
};

Server::Server(event::Loop& loop, log::Logger& logger, Handler handler)
    : loop_(loop), logger_(logger), handler_(std::move(handler)) {}

Server::~Server() { close(); }

void Server::listen(const std::string& path, std::optional<gid_t> group) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("control socket path too long: " + path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("control socket: ") + strerror(errno));
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  unlink(path.c_str());
  // Create with a restrictive umask so there is no window with a wider mode.
  mode_t old = umask(group ? 0117 : 0177);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (rc != 0 || ::listen(fd, 32) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error("control socket " + path + ": " + strerror(e));
  }
  if (group && chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0)
    logger_.warn("control socket " + path + ": cannot set group: " + strerror(errno));
  fd_ = fd;
  path_ = path;
  group_ = group;
  accept_io_ = std::make_unique<event::Io>(loop_, fd_, EV_READ, [this](int) { on_accept(); });
  accept_io_->start();
}

void Server::close() {
  conns_.clear();
  accept_io_.reset();
  if (fd_ >= 0) {
    ::close(fd_);
    unlink(path_.c_str());
    fd_ = -1;
  }
}

bool Server::allowed(const Peer& p) const {
  if (p.uid == 0 || p.uid == geteuid()) return true;
  return group_ && p.gid == *group_;
}

void Server::on_accept() {
  for (;;) {
    int cfd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) return;
    ucred cred{};
    socklen_t len = sizeof cred;
    Peer peer;
    if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) peer = Peer{cred.pid, cred.uid, cred.gid};
    if (!allowed(peer)) {
      ++rejected_;
      logger_.limited("control-peer", log::Level::warn,
                      "control socket: refused uid " + std::to_string(peer.uid) + " pid " + std::to_string(peer.pid));
      ::close(cfd);
      continue;
    }
    auto c = std::make_unique<Conn>();
    c->fd = cfd;
    c->peer = peer;
    Conn* raw = c.get();
    c->io = std::make_unique<event::Io>(loop_, cfd, EV_READ, [this, raw](int revents) {
      if (revents & EV_WRITE) {
        while (!raw->out.empty()) {
          ssize_t n = send(raw->fd, raw->out.data(), raw->out.size(), MSG_NOSIGNAL);
          if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
            drop(*raw);
            return;
          }
          raw->out.erase(0, static_cast<size_t>(n));
        }
        if (raw->out.empty()) {
          if (raw->closing) {
            drop(*raw);
            return;
          }
          raw->io->set_events(EV_READ);
        }
      }
      if (revents & EV_READ) on_readable(*raw);
    });
    c->io->start();
    conns_.push_back(std::move(c));
  }
}

void Server::on_readable(Conn& c) {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n == 0) {
      c.closing = true;
      break;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      drop(c);
      return;
    }
    c.in.append(buf, static_cast<size_t>(n));
    if (c.in.size() > kMaxLine && c.in.find('\n') == std::string::npos) {
      logger_.limited("control-long", log::Level::warn, "control socket: request line too long, closing");
      drop(c);
      return;
    }
  }
  size_t nl;
  while ((nl = c.in.find('\n')) != std::string::npos) {
    std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    Json reply;
    try {
      Json req = Json::parse(line);
      if (!req.is_object()) throw std::invalid_argument("request must be a JSON object");
      reply = handler_(req, c.peer);
    } catch (const std::exception& e) {
      reply = Json{{"ok", false}, {"error", std::string("bad request: ") + e.what()}};
    }
    c.out += reply.dump(-1, ' ', false, Json::error_handler_t::replace);
    c.out += '\n';
  }
  if (!c.out.empty()) {
    c.io->set_events(EV_READ | EV_WRITE);
  } else if (c.closing) {
    drop(c);
  }
}

void Server::drop(Conn& c) {
  Conn* target = &c;
  // Closing from inside the connection's own callback: free it on the next pass.
  loop_.defer([this, target] {
    for (auto it = conns_.begin(); it != conns_.end(); ++it)
      if (it->get() == target) {
        ::close((*it)->fd);
        conns_.erase(it);
        return;
      }
  });
  c.io->stop();
}

}  // namespace halb::control
