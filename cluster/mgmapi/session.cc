// cluster/mgmapi/session.cc: the node side of a management session (see session.h).
#include "cluster/mgmapi/session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace halb::cluster::mgmapi {

Session::Session(event::Loop& loop, log::Logger& logger, int fd, uint32_t node_id, CommandHandler on_command,
                 ClosedHandler on_closed)
    : loop_(loop), logger_(logger), fd_(fd), node_id_(node_id), on_command_(std::move(on_command)),
      on_closed_(std::move(on_closed)) {
  io_ = std::make_unique<event::Io>(loop_, fd_, EV_READ, [this](int ev) { on_io(ev); });
  io_->start();
  Message hello("node session");
  hello.add("nodeid", static_cast<long long>(node_id_));
  queue(hello);
}

Session::~Session() {
  io_.reset();
  if (fd_ >= 0) ::close(fd_);
}

void Session::close(const std::string& why) {
  if (fd_ < 0) return;
  io_.reset();
  ::close(fd_);
  fd_ = -1;
  auto pending = std::move(pending_arbitration_);
  for (auto& [seq, cb] : pending) cb(false, "session closed");
  auto status = std::move(pending_status_);
  for (auto& cb : status) cb(std::nullopt);
  if (on_closed_) {
    auto cb = on_closed_;
    cb(why);  // may destroy *this; nothing below touches members
  }
}

void Session::queue(const Message& m) {
  if (fd_ < 0) return;
  out_ += format(m);
  on_io(EV_WRITE);
}

void Session::report_state(const StateReport& s) {
  Message m("report state");
  m.add("status", std::string(status_token(s.status)));
  m.add("startphase", static_cast<long long>(s.start_phase));
  m.add("dynamic_id", static_cast<long long>(s.dynamic_id));
  m.add("node_group", static_cast<long long>(s.node_group));
  m.add("transporter_port", static_cast<long long>(s.transporter_port));
  queue(m);
}

void Session::report_event(const Event& e) {
  Message m("report event");
  m.add("category", std::string(category_name(e.category)));
  m.add("threshold", static_cast<long long>(e.threshold));
  m.add("severity", std::string(severity_name(e.severity)));
  m.add("text", e.text);
  queue(m);
}

void Session::arbitrate(uint32_t ticket, std::function<void(bool, const std::string&)> done) {
  if (fd_ < 0) {
    done(false, "session closed");
    return;
  }
  uint64_t seq = next_seq_++;
  pending_arbitration_[seq] = std::move(done);
  Message m("arbitrate");
  m.add("seq", static_cast<long long>(seq));
  m.add("ticket", static_cast<long long>(ticket));
  queue(m);
}

void Session::get_status(std::function<void(std::optional<std::vector<NodeState>>)> done) {
  if (fd_ < 0) {
    done(std::nullopt);
    return;
  }
  pending_status_.push_back(std::move(done));
  queue(Message("get status"));
}

void Session::on_io(int events) {
  if (fd_ < 0) return;
  if (events & EV_READ) {
    char buf[8192];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      close(n == 0 ? "management server closed the session" : std::string("session read: ") + strerror(errno));
      return;
    }
    if (n > 0) {
      reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
      Message m;
      while (fd_ >= 0 && reader_.next(m)) handle(m);
      if (fd_ >= 0 && reader_.failed()) {
        close("bad message from management server: " + reader_.error());
        return;
      }
    }
  }
  if (fd_ < 0) return;
  while (!out_.empty()) {
    ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    close(std::string("session write: ") + strerror(errno));
    return;
  }
  io_->set_events(out_.empty() ? EV_READ : EV_READ | EV_WRITE);
}

void Session::handle(const Message& m) {
  if (m.head == "node session reply") {
    if (m.get_or("result", "") != "Ok") close("session refused: " + m.get_or("result", "no result"));
    return;
  }
  if (m.head == "arbitrate reply") {
    auto seq = m.get_int("seq");
    if (!seq) return;
    auto it = pending_arbitration_.find(static_cast<uint64_t>(*seq));
    if (it == pending_arbitration_.end()) return;
    auto cb = std::move(it->second);
    pending_arbitration_.erase(it);
    cb(m.get_int("granted").value_or(0) == 1, m.get_or("result", ""));
    return;
  }
  if (m.head == "node status") {
    if (pending_status_.empty()) return;
    auto cb = std::move(pending_status_.front());
    pending_status_.pop_front();
    std::string err;
    auto st = decode_status(m, err);
    if (!st) logger_.limited("session-status", log::Level::warn, "management session: " + err);
    cb(std::move(st));
    return;
  }
  if (m.head == "node command") {
    Message reply = on_command_ ? on_command_(m.get_or("command", ""), m) : Message();
    reply.head = "node command reply";
    reply.fields.insert(reply.fields.begin(), {"seq", m.get_or("seq", "0")});
    if (!reply.has("result")) reply.add("result", "Ok");
    queue(reply);
    return;
  }
  logger_.limited("session-unknown", log::Level::warn,
                  "management session: ignoring unexpected message '" + m.head + "'");
}

}  // namespace halb::cluster::mgmapi
