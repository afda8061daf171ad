// director/lvsd/forward/tcp_session.cc: see tcp_session.h.
#include "director/lvsd/forward/tcp_session.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "director/lvsd/forward/sockets.h"

namespace halb::director::lvsd {
namespace {

constexpr size_t kChunk = 1 << 16;

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// A peer that went away abruptly, as opposed to a local failure.
bool peer_reset(int err) { return err == ECONNRESET || err == EPIPE || err == ETIMEDOUT || err == EHOSTUNREACH; }

// Set an Io's event mask, touching libev only when it changes.
void want(event::Io& io, int& current, int events) {
  if (events == current) return;
  io.stop();
  if (events) {
    io.set_events(events);
    io.start();
  }
  current = events;
}

}  // namespace

TcpSession::TcpSession(WorkerContext& ctx, int client_fd, std::shared_ptr<ConnEntry> conn,
                       std::function<void(TcpSession*)> done)
    : ctx_(ctx),
      client_fd_(client_fd),
      conn_(std::move(conn)),
      done_(std::move(done)),
      connect_timer_(ctx.loop, [this] {
        ctx_.logger.limited("connect-timeout", log::Level::warn,
                            "connect to real server " + conn_->dest_name() + " timed out");
        finish(true, false);
      }),
      idle_timer_(ctx.loop, [this] { on_idle_timer(); }) {}

TcpSession::~TcpSession() {
  client_io_.reset();
  dest_io_.reset();
  close_fd(client_fd_);
  close_fd(dest_fd_);
  release_pipes();
}

void TcpSession::start() {
  dest_fd_ = start_connect(conn_->dest_addr, conn_->dest_port, false);
  if (dest_fd_ < 0) {
    ctx_.logger.limited("connect-fail", log::Level::warn,
                        "cannot connect to real server " + conn_->dest_name() + ": " +
                            strerror(errno));
    finish(true, false);
    return;
  }
  dest_io_ = std::make_unique<event::Io>(ctx_.loop, dest_fd_, EV_WRITE, [this](int) { on_connect_ready(); });
  dest_io_->start();
  connect_timer_.start(ctx_.settings.connect_timeout);
}

void TcpSession::on_connect_ready() {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(dest_fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == EINPROGRESS || err == EALREADY) return;
  connect_timer_.stop();
  if (err) {
    ctx_.logger.limited("connect-fail", log::Level::warn,
                        "cannot connect to real server " + conn_->dest_name() + ": " +
                            strerror(err));
    finish(true, false);
    return;
  }
  on_connected();
}

void TcpSession::on_connected() {
  connected_ = true;
  int one = 1;
  setsockopt(client_fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto p1 = ctx_.pipes.take();
  auto p2 = p1.first >= 0 ? ctx_.pipes.take() : p1;
  c2d_ = Half{client_fd_, dest_fd_, p1.first, p1.second};
  c2d_.inbound = true;
  d2c_ = Half{dest_fd_, client_fd_, p2.first, p2.second};
  if (p1.first < 0 || p2.first < 0) {
    ctx_.logger.limited("pipe", log::Level::error, std::string("pipe: ") + strerror(errno));
    if (p2.first < 0) d2c_.pipe_r = d2c_.pipe_w = -1;
    finish(true, true);
    return;
  }
  uint32_t idle;
  {
    std::lock_guard lock(ctx_.shared.mu);
    ctx_.shared.table.set_state(*conn_, ConnState::established);
    idle = ctx_.shared.table.idle_timeout(ConnState::established);
  }
  conn_->last_active.store(mono_now(), std::memory_order_relaxed);
  dest_io_ = std::make_unique<event::Io>(ctx_.loop, dest_fd_, 0, [this](int) { on_io(); });
  client_io_ = std::make_unique<event::Io>(ctx_.loop, client_fd_, 0, [this](int) { on_io(); });
  idle_timer_.start(idle);
  on_io();
}

// Move what can be moved now in one direction. Reads only into an empty
// pipe, so a slow receiver stops the reads from its sender (backpressure).
TcpSession::Outcome TcpSession::pump(Half& h) {
  for (;;) {
    if (h.in_pipe > 0) {
      ssize_t n = splice(h.pipe_r, nullptr, h.to, nullptr, h.in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        h.in_pipe -= static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return Outcome::open;
      return Outcome::to_reset;
    }
    if (h.eof) {
      if (!h.shut) {
        shutdown(h.to, SHUT_WR);
        h.shut = true;
      }
      return Outcome::open;
    }
    ssize_t n = splice(h.from, nullptr, h.pipe_w, nullptr, kChunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      h.in_pipe += static_cast<size_t>(n);
      if (h.inbound) conn_->account_in(static_cast<uint64_t>(n));
      else conn_->account_out(static_cast<uint64_t>(n));
      conn_->last_active.store(mono_now(), std::memory_order_relaxed);
      continue;
    }
    if (n == 0) {
      h.eof = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return Outcome::open;
    return peer_reset(errno) ? Outcome::from_reset : Outcome::to_reset;
  }
}

void TcpSession::on_io() {
  if (finished_) return;
  bool was_half_closed = c2d_.eof || d2c_.eof;
  for (Half* h : {&c2d_, &d2c_}) {
    Outcome o = pump(*h);
    if (o == Outcome::from_reset || o == Outcome::to_reset) {
      // Reset whichever side did not fail, so it learns the connection died.
      bool from_is_client = h == &c2d_;
      bool reset_client = o == Outcome::from_reset ? !from_is_client : from_is_client;
      finish(reset_client, !reset_client);
      return;
    }
  }
  if (c2d_.done() && d2c_.done()) {
    finish(false, false);
    return;
  }
  if (!was_half_closed && (c2d_.eof || d2c_.eof)) {
    std::lock_guard lock(ctx_.shared.mu);
    ctx_.shared.table.set_state(*conn_, ConnState::fin_wait);
  }
  update_watchers();
}

void TcpSession::update_watchers() {
  int client_ev = 0, dest_ev = 0;
  if (!c2d_.eof && c2d_.in_pipe == 0) client_ev |= EV_READ;
  if (d2c_.in_pipe > 0) client_ev |= EV_WRITE;
  if (!d2c_.eof && d2c_.in_pipe == 0) dest_ev |= EV_READ;
  if (c2d_.in_pipe > 0) dest_ev |= EV_WRITE;
  want(*client_io_, client_events_, client_ev);
  want(*dest_io_, dest_events_, dest_ev);
}

void TcpSession::on_idle_timer() {
  double now = mono_now();
  ConnState state;
  uint32_t timeout;
  {
    std::lock_guard lock(ctx_.shared.mu);
    state = conn_->state;
    timeout = ctx_.shared.table.idle_timeout(state);
  }
  double left = conn_->last_active.load(std::memory_order_relaxed) + timeout - now;
  if (left > 0.05) {
    idle_timer_.start(left);
    return;
  }
  // The kernel forgets an idle connection silently; a proxy must close both
  // sockets, and a reset tells each side at once rather than on its next send.
  finish(true, true);
}

void TcpSession::release_pipes() {
  for (Half* h : {&c2d_, &d2c_}) {
    ctx_.pipes.give_back(h->pipe_r, h->pipe_w, h->in_pipe == 0);
    h->pipe_r = h->pipe_w = -1;
  }
}

void TcpSession::finish(bool reset_client, bool reset_dest) {
  if (finished_) return;
  finished_ = true;
  connect_timer_.stop();
  idle_timer_.stop();
  client_io_.reset();
  dest_io_.reset();
  if (reset_client) close_with_reset(client_fd_);
  else close_fd(client_fd_);
  client_fd_ = -1;
  if (reset_dest) close_with_reset(dest_fd_);
  else close_fd(dest_fd_);
  dest_fd_ = -1;
  release_pipes();
  {
    std::lock_guard lock(ctx_.shared.mu);
    ctx_.shared.table.set_state(*conn_, ConnState::close);
    ctx_.shared.table.release(*conn_, mono_now());
  }
  ctx_.loop.defer([this] { done_(this); });
}

}  // namespace halb::director::lvsd
