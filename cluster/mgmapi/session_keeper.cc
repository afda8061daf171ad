// cluster/mgmapi/session_keeper.cc: bootstrap and self-healing sessions (see session_keeper.h).
#include "cluster/mgmapi/session_keeper.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/net/resolver.h"

namespace halb::cluster::mgmapi {

std::optional<Bootstrap> bootstrap(const ConnectString& cs, NodeType type, uint32_t requested, std::string& error,
                                   int attempts, double delay_s) {
  if (cs.servers.empty()) {
    error = "no management server in the connectstring";
    return std::nullopt;
  }
  if (requested == 0) requested = cs.node_id;
  for (int round = 1;; ++round) {
    for (size_t i = 0; i < cs.servers.size(); ++i) {
      Bootstrap b;
      if (!b.client.connect(cs.servers[i], 5)) {
        error = b.client.error();
        continue;
      }
      Client::NodeIdRequest req;
      req.node_id = requested;
      req.type = type;
      auto id = b.client.get_nodeid(req);
      if (!id) {
        error = cs.servers[i].to_string() + ": " + b.client.error();
        continue;
      }
      auto cfg = b.client.get_config(*id);
      if (!cfg) {
        error = cs.servers[i].to_string() + ": " + b.client.error();
        continue;
      }
      b.node_id = *id;
      b.config = std::move(*cfg);
      b.server_index = i;
      return b;
    }
    if (attempts != 0 && round >= attempts) return std::nullopt;
    usleep(static_cast<useconds_t>(delay_s * 1e6));
  }
}

SessionKeeper::SessionKeeper(event::Loop& loop, log::Logger& logger, KeeperOptions options,
                             Session::CommandHandler on_command, int adopt_fd)
    : loop_(loop), logger_(logger), opt_(std::move(options)), on_command_(std::move(on_command)),
      retry_(loop, [this] { attempt(); }) {
  if (adopt_fd >= 0)
    start_session(adopt_fd);
  else
    retry_.start(0.01);
}

SessionKeeper::~SessionKeeper() {
  session_.reset();
  reset_socket();
}

void SessionKeeper::reset_socket() {
  io_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  out_.clear();
  reader_ = MessageReader();
}

void SessionKeeper::fail(const std::string& why) {
  if (!logged_down_)
    logger_.info("management server " + opt_.server.to_string() + ": " + why + "; retrying every " +
                 std::to_string(opt_.retry_s) + "s");
  logged_down_ = true;
  reset_socket();
  retry_.start(opt_.retry_s);
}

void SessionKeeper::attempt() {
  reset_socket();
  // A name is looked up off this loop (net::Resolver): a slow DNS answer
  // must not hold up the sessions and links it also serves.
  net::SocketAddress address;
  std::string why;
  if (net::Resolver::shared().resolve(opt_.server.host, opt_.server.port, address, why) !=
      net::Resolver::Status::kReady) {
    fail(why);
    return;
  }
  fd_ = socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int rc = fd_ < 0 ? -1 : ::connect(fd_, address.get(), address.len);
  if (fd_ < 0 || (rc != 0 && errno != EINPROGRESS)) {
    fail(std::string("connect: ") + strerror(errno));
    return;
  }
  connecting_ = true;
  Message m("get nodeid");
  m.add("version", static_cast<long long>(opt_.version));
  m.add("nodetype", static_cast<long long>(opt_.type));
  m.add("nodeid", static_cast<long long>(opt_.node_id));
  m.add("user", "mysqld").add("password", "mysqld");
  out_ = format(m);
  io_ = std::make_unique<event::Io>(loop_, fd_, EV_READ | EV_WRITE, [this](int ev) { on_io(ev); });
  io_->start();
}

void SessionKeeper::on_io(int events) {
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
  if (!(events & EV_READ)) return;
  char buf[4096];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN)) {
    fail("connection closed");
    return;
  }
  if (n > 0) reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
  Message reply;
  if (reader_.next(reply)) {
    if (reply.get_or("result", "") != "Ok") {
      fail("refused node id " + std::to_string(opt_.node_id) + ": " + reply.get_or("result", reply.head));
      return;
    }
    io_.reset();
    int fd = fd_;
    fd_ = -1;
    start_session(fd);
  } else if (reader_.failed()) {
    fail("bad reply: " + reader_.error());
  }
}

void SessionKeeper::start_session(int fd) {
  logged_down_ = false;
  logger_.info("management session with " + opt_.server.to_string() + " as node " + std::to_string(opt_.node_id));
  session_ = std::make_unique<Session>(loop_, logger_, fd, opt_.node_id, on_command_, [this](const std::string& why) {
    // Freed outside the session's own callback.
    loop_.defer([this, why] {
      session_.reset();
      if (on_change) on_change(false);
      fail(why);
    });
  });
  if (last_state_) session_->report_state(*last_state_);
  if (on_change) on_change(true);
}

void SessionKeeper::report_state(const StateReport& state) {
  last_state_ = state;
  if (up()) session_->report_state(state);
}

void SessionKeeper::report_event(const Event& event) {
  if (up()) session_->report_event(event);
}

void SessionKeeper::arbitrate(uint32_t ticket, std::function<void(bool, const std::string&)> done) {
  if (!up()) {
    done(false, "no session with " + opt_.server.to_string());
    return;
  }
  session_->arbitrate(ticket, std::move(done));
}

void SessionKeeper::get_status(std::function<void(std::optional<std::vector<NodeState>>)> done) {
  if (!up()) {
    done(std::nullopt);
    return;
  }
  session_->get_status(std::move(done));
}

ManagementSessions::ManagementSessions(event::Loop& loop, log::Logger& logger, const ConnectString& cs,
                                       uint32_t node_id, NodeType type, Session::CommandHandler on_command,
                                       Bootstrap* boot, double retry_s) {
  for (size_t i = 0; i < cs.servers.size(); ++i) {
    KeeperOptions o;
    o.server = cs.servers[i];
    o.node_id = node_id;
    o.type = type;
    o.retry_s = retry_s;
    int fd = boot && boot->server_index == i ? boot->client.release_fd() : -1;
    keepers_.push_back(std::make_unique<SessionKeeper>(loop, logger, o, on_command, fd));
  }
}

void ManagementSessions::report_state(const StateReport& state) {
  for (auto& k : keepers_) k->report_state(state);
}

void ManagementSessions::report_event(const Event& event) {
  for (auto& k : keepers_) k->report_event(event);
}

void ManagementSessions::arbitrate(uint32_t ticket, std::function<void(bool, const std::string&)> done) {
  for (auto& k : keepers_)
    if (k->up()) {
      k->arbitrate(ticket, std::move(done));
      return;
    }
  done(false, "no management server reachable");
}

void ManagementSessions::get_status(std::function<void(std::optional<std::vector<NodeState>>)> done) {
  for (auto& k : keepers_)
    if (k->up()) {
      k->get_status(std::move(done));
      return;
    }
  done(std::nullopt);
}

size_t ManagementSessions::up_count() const {
  size_t n = 0;
  for (auto& k : keepers_) n += k->up() ? 1 : 0;
  return n;
}

}  // namespace halb::cluster::mgmapi
