// cluster/sqld/server/listener.cc
#include "cluster/sqld/server/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "cluster/sqld/server/socket_stream.h"

namespace halb::cluster::sqld::server {

Listener::Listener(Engine& engine, Registry& registry, const ConnectionSettings& settings, log::Logger& logger)
    : engine_(engine), registry_(registry), settings_(settings), logger_(logger) {}

Listener::~Listener() { stop(); }

bool Listener::open_tcp(const ListenerOptions& o, std::string& error) {
  std::string host = o.bind_address == "*" ? "" : o.bind_address;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(o.port);
  if (host.empty()) host = "::";
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 && o.bind_address.empty()) {
    host = "0.0.0.0";  // no IPv6 on this machine
    rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  }
  if (rc != 0) {
    error = "bind-address " + host + ": " + gai_strerror(rc);
    return false;
  }
  int fd = -1;
  std::string last;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) {
      int zero = 0;  // "::" takes IPv4 clients too, as mysqld's default
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, o.backlog) == 0) break;
    last = strerror(errno);
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    error = "cannot listen on " + host + " port " + port + ": " + last;
    return false;
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  bound_port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  listen_fds_.push_back(fd);
  return true;
}

bool Listener::open_unix(const std::string& path, std::string& error) {
  sockaddr_un sa{};
  if (path.size() >= sizeof sa.sun_path) {
    error = "socket path too long: " + path;
    return false;
  }
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + strerror(errno);
    return false;
  }
  // A socket left by a crashed instance is removed; a live one refuses us.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    ::close(fd);
    error = "another server is listening on " + path;
    return false;
  }
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 128) != 0) {
    error = "cannot listen on " + path + ": " + strerror(errno);
    ::close(fd);
    return false;
  }
  chmod(path.c_str(), 0777);  // as mysqld: access is decided by accounts, not file modes
  socket_path_ = path;
  listen_fds_.push_back(fd);
  return true;
}

bool Listener::start(const ListenerOptions& options, std::string& error) {
  if (options.tcp && !open_tcp(options, error)) return false;
  if (!options.socket.empty() && !open_unix(options.socket, error)) return false;
  if (listen_fds_.empty()) {
    error = "neither a TCP port nor a socket to listen on";
    return false;
  }
  if (pipe2(wake_, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + strerror(errno);
    return false;
  }
  accept_thread_ = std::thread([this] { accept_loop(); });
  return true;
}

void Listener::accept_loop() {
  std::vector<pollfd> fds;
  for (int fd : listen_fds_) fds.push_back({fd, POLLIN, 0});
  fds.push_back({wake_[0], POLLIN, 0});
  for (;;) {
    int r = ::poll(fds.data(), fds.size(), -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      logger_.error(std::string("poll on the MySQL listeners: ") + strerror(errno));
      return;
    }
    if (fds.back().revents) return;
    for (size_t i = 0; i + 1 < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      int fd = ::accept4(fds[i].fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
          logger_.limited("sqld-accept", log::Level::error, std::string("accept: ") + strerror(errno));
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        continue;
      }
      Peer peer;
      peer.fd = fd;
      if (ss.ss_family == AF_UNIX) {
        peer.address = peer.shown = "localhost";
      } else {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        char host[NI_MAXHOST], serv[NI_MAXSERV];
        if (getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, serv, sizeof serv,
                        NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
          peer.address = host;
          if (peer.address.rfind("::ffff:", 0) == 0) peer.address.erase(0, 7);  // IPv4 on a dual-stack socket
          peer.shown = peer.address + ":" + serv;
        }
      }
      spawn(fd, std::move(peer));
    }
  }
}

void Listener::spawn(int fd, Peer peer) {
  {
    std::lock_guard lock(mu_);
    ++threads_;
  }
  try {
    std::thread([this, fd, peer = std::move(peer)] {
      {
        SocketStream stream(fd);
        serve_connection(engine_, registry_, settings_, logger_, peer, stream);
      }
      ::close(fd);
      std::lock_guard lock(mu_);
      if (--threads_ == 0) idle_.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    logger_.limited("sqld-thread", log::Level::error, std::string("cannot start a connection thread: ") + e.what());
    ::close(fd);
    std::lock_guard lock(mu_);
    --threads_;
  }
}

void Listener::stop() {
  if (accept_thread_.joinable()) {
    char c = 1;
    (void)!::write(wake_[1], &c, 1);
    accept_thread_.join();
  }
  for (int fd : listen_fds_) ::close(fd);
  listen_fds_.clear();
  if (!socket_path_.empty()) {
    ::unlink(socket_path_.c_str());
    socket_path_.clear();
  }
  registry_.close_all(std::chrono::seconds(10));
  {
    std::unique_lock lock(mu_);
    idle_.wait_for(lock, std::chrono::seconds(10), [&] { return threads_ == 0; });
  }
  for (int& fd : wake_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

}  // namespace halb::cluster::sqld::server
