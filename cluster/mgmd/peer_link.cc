// cluster/mgmd/peer_link.cc: session with another management server (see peer_link.h).
#include "cluster/mgmd/peer_link.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace halb::cluster::mgmd {

PeerLink::PeerLink(event::Loop& loop, log::Logger& logger, MgmServer peer, uint32_t own_id, uint32_t peer_id,
                   double retry_s)
    : loop_(loop), logger_(logger), peer_(std::move(peer)), own_id_(own_id), peer_id_(peer_id), retry_s_(retry_s),
      retry_(loop, [this] { attempt(); }) {
  retry_.start(0.05);
}

PeerLink::~PeerLink() {
  session_.reset();
  reset_socket();
}

void PeerLink::reset_socket() {
  io_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  out_.clear();
  reader_ = mgmapi::MessageReader();
}

void PeerLink::fail(const std::string& why) {
  if (!logged_down_)
    logger_.info("management node " + std::to_string(peer_id_) + " at " + peer_.to_string() + ": " + why +
                 "; retrying every " + std::to_string(static_cast<int>(retry_s_)) + "s");
  logged_down_ = true;
  reset_socket();
  retry_.start(retry_s_);
}

void PeerLink::attempt() {
  reset_socket();
  // Peers are named by address in config.ini; a name that needs DNS is
  // looked up here (numeric names never block).
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(peer_.host.c_str(), std::to_string(peer_.port).c_str(), &hints, &res) != 0 || !res) {
    fail("cannot resolve " + peer_.host);
    return;
  }
  fd_ = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int rc = fd_ < 0 ? -1 : ::connect(fd_, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (fd_ < 0 || (rc != 0 && errno != EINPROGRESS)) {
    fail(std::string("connect: ") + strerror(errno));
    return;
  }
  connecting_ = true;
  mgmapi::Message m("get nodeid");
  m.add("version", static_cast<long long>(mgmapi::kProtocolVersion));
  m.add("nodetype", static_cast<long long>(NodeType::kMgm));
  m.add("nodeid", static_cast<long long>(own_id_));
  m.add("user", "mysqld").add("password", "mysqld");
  out_ = mgmapi::format(m);
  io_ = std::make_unique<event::Io>(loop_, fd_, EV_READ | EV_WRITE, [this](int ev) { on_io(ev); });
  io_->start();
}

void PeerLink::on_io(int events) {
  if (connecting_ && (events & EV_WRITE)) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      fail(std::string("connect: ") + strerror(err));
      return;
    }
    connecting_ = false;
  }
  if (!out_.empty() && (events & EV_WRITE)) {
    ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) {
      fail(std::string("send: ") + strerror(errno));
      return;
    }
    if (n > 0) out_.erase(0, static_cast<size_t>(n));
    if (out_.empty()) io_->set_events(EV_READ);
  }
  if (events & EV_READ) {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
      fail("connection closed");
      return;
    }
    if (n > 0) reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
    mgmapi::Message reply;
    if (reader_.next(reply)) {
      if (reply.get_or("result", "") != "Ok") {
        fail("refused our node id: " + reply.get_or("result", reply.head));
        return;
      }
      io_.reset();
      int fd = fd_;
      fd_ = -1;
      logged_down_ = false;
      logger_.info("connected to management node " + std::to_string(peer_id_) + " at " + peer_.to_string());
      session_ = std::make_unique<mgmapi::Session>(
          loop_, logger_, fd, own_id_,
          [](const std::string& cmd, const mgmapi::Message&) {
            mgmapi::Message r;
            r.add("result", "Command '" + cmd + "' is not served over a management server's peer session");
            return r;
          },
          [this](const std::string& why) {
            loop_.defer([this, why] {
              session_.reset();
              fail(why);
            });
          });
      mgmapi::StateReport st;
      st.status = mgmapi::NodeStatus::kStarted;
      session_->report_state(st);
    } else if (reader_.failed()) {
      fail("bad reply: " + reader_.error());
    }
  }
}

}  // namespace halb::cluster::mgmd
