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

constexpr size_t kChunk = 1 << 18;

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
      idle_timer_(ctx.loop, [this] { on_idle_timer(); }) {
  c2d_.inbound = true;  // counted as InBytes, from the first read on (start() may read before connecting)
}

TcpSession::TcpSession(WorkerContext& ctx, Moved moved, std::function<void(TcpSession*)> done)
    : TcpSession(ctx, moved.client_fd, std::move(moved.conn), std::move(done)) {
  dest_fd_ = moved.dest_fd;
  connected_ = true;
  c2d_.eof = moved.c2d_eof;
  c2d_.shut = moved.c2d_shut;
  d2c_.eof = moved.d2c_eof;
  d2c_.shut = moved.d2c_shut;
  watch_dest();
  attach();
}

bool TcpSession::movable() const {
  // An empty buffer or pipe a half still holds goes back to this worker's
  // pools in move_out().
  return connected_ && !finished_ && c2d_.pending() == 0 && d2c_.pending() == 0;
}

TcpSession::Moved TcpSession::move_out() {
  Moved m{client_fd_, dest_fd_, conn_, c2d_.eof, c2d_.shut, d2c_.eof, d2c_.shut};
  finished_ = true;
  connect_timer_.stop();
  idle_timer_.stop();
  client_io_.reset();
  dest_io_.reset();
  client_fd_ = dest_fd_ = -1;
  release_buffers();
  return m;
}

void TcpSession::watch_dest() {
  // One watcher per socket for the whole session: replacing it would cost
  // epoll_ctl calls per connection.
  dest_io_ = std::make_unique<event::Io>(ctx_.loop, dest_fd_, 0, [this](int ev) {
    if (!connected_) return on_connect_ready();
    if (ev & EV_READ) d2c_.drained = false;
    on_io();
  });
}

TcpSession::~TcpSession() {
  client_io_.reset();
  dest_io_.reset();
  close_fd(client_fd_);
  close_fd(dest_fd_);
  release_buffers();
}

void TcpSession::start() {
  // A client that speaks first has usually sent its request by the time it
  // is accepted: read it now, so the connect can carry it (data_first).
  // One recv that fails with EAGAIN otherwise (a server-first protocol);
  // the client's watcher then waits for readiness as usual.
  c2d_.from = client_fd_;
  if (auto o = fill(c2d_); o && *o != Outcome::open) {
    finish(*o == Outcome::to_reset, false);
    return;
  }
  ack_with_data_ = c2d_.buffered > 0;
  dest_fd_ = start_connect(conn_->dest_addr, conn_->dest_port, false, ack_with_data_);
  if (dest_fd_ < 0) return connect_failed(errno);
  watch_dest();
  if (ack_with_data_) {
    // The client's bytes in hand test the connect themselves: sent means
    // established (on loopback or a LAN the handshake is usually done by
    // the time connect() returns), EAGAIN still in progress, an error
    // refused -- one system call instead of TCP_INFO's and then the send.
    const size_t before = c2d_.buffered;
    c2d_.to = dest_fd_;
    auto o = flush_buffer(c2d_);
    if (!o || c2d_.buffered < before) {
      on_connected();
      return;
    }
    if (*o != Outcome::open) return connect_failed(errno);
  } else if (connect_established(dest_fd_)) {
    on_connected();
    return;
  }
  want(*dest_io_, dest_events_, EV_WRITE);
  connect_timer_.start(ctx_.settings.connect_timeout);
}

void TcpSession::on_connect_ready() {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(dest_fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == EINPROGRESS || err == EALREADY) return;
  connect_timer_.stop();
  if (err) return connect_failed(err);
  on_connected();
}

void TcpSession::connect_failed(int err) {
  ctx_.logger.limited("connect-fail", log::Level::warn,
                      "cannot connect to real server " + conn_->dest_name() + ": " + strerror(err));
  finish(true, false);
}

void TcpSession::on_connected() {
  connected_ = true;
  {
    std::lock_guard lock(ctx_.shared.mu);
    ctx_.shared.table.set_state(*conn_, ConnState::established);
  }
  conn_->last_active.store(mono_now(), std::memory_order_relaxed);
  // A dest that just accepted has rarely sent anything yet (a MySQL greeting
  // comes a moment later): wait for readiness instead of a read bound to fail.
  d2c_.drained = true;
  attach();
}

void TcpSession::attach() {
  c2d_.from = client_fd_;
  c2d_.to = dest_fd_;
  d2c_.from = dest_fd_;
  d2c_.to = client_fd_;
  uint32_t idle;
  {
    std::lock_guard lock(ctx_.shared.mu);
    idle = ctx_.shared.table.idle_timeout(conn_->state);
  }
  client_io_ = std::make_unique<event::Io>(ctx_.loop, client_fd_, 0, [this](int ev) {
    if (ev & EV_READ) c2d_.drained = false;
    on_io();
  });
  idle_timer_.start(idle);
  on_io();
}

void TcpSession::account(Half& h, size_t n) {
  if (h.inbound) conn_->account_in(n);
  else conn_->account_out(n);
  conn_->last_active.store(mono_now(), std::memory_order_relaxed);
}

// Send what waits in the buffer; the buffer goes back to the pool once empty.
std::optional<TcpSession::Outcome> TcpSession::flush_buffer(Half& h) {
  while (h.buffered > 0) {
    ssize_t n = send(h.to, h.buf.get() + h.buf_off, h.buffered, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      h.buf_off += static_cast<size_t>(n);
      h.buffered -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return Outcome::open;
    return Outcome::to_reset;
  }
  h.buf_off = 0;
  ctx_.buffers.give_back(std::move(h.buf));
  return std::nullopt;
}

std::optional<TcpSession::Outcome> TcpSession::flush_pipe(Half& h) {
  while (h.in_pipe > 0) {
    ssize_t n = splice(h.pipe_r, nullptr, h.to, nullptr, h.in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      h.in_pipe -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return Outcome::open;
    return Outcome::to_reset;
  }
  return std::nullopt;
}

// Read once from `from`: into the buffer, or into the pipe when bulk.
// A short read means the socket is most likely empty; rather than pay a
// read that fails with EAGAIN, wait until the loop says it is readable.
std::optional<TcpSession::Outcome> TcpSession::fill(Half& h) {
  if (h.bulk && h.pipe_r < 0) {
    auto p = ctx_.pipes.take();
    if (p.first >= 0) {
      h.pipe_r = p.first;
      h.pipe_w = p.second;
    } else {
      // Out of descriptors: stay on the buffer, which needs none.
      ctx_.logger.limited("pipe", log::Level::error, std::string("pipe: ") + strerror(errno));
      h.bulk = false;
    }
  }
  ssize_t n;
  size_t want;
  if (h.bulk) {
    want = kChunk;
    n = splice(h.from, nullptr, h.pipe_w, nullptr, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  } else {
    if (!h.buf) h.buf = ctx_.buffers.take();
    want = BufferPool::kSize;
    n = recv(h.from, h.buf.get(), want, MSG_DONTWAIT);
  }
  if (n > 0) {
    size_t got = static_cast<size_t>(n);
    if (h.bulk) h.in_pipe = got;
    else h.buffered = got;
    account(h, got);
    if (got < want) h.drained = true;
    else h.bulk = true;
    return std::nullopt;
  }
  if (n == 0) {
    h.eof = true;
    return std::nullopt;
  }
  if (errno == EINTR) return std::nullopt;
  if (errno == EAGAIN) {
    h.drained = true;
    return Outcome::open;
  }
  return peer_reset(errno) ? Outcome::from_reset : Outcome::to_reset;
}

// Move what can be moved now in one direction. Reads only once what was
// read before has been sent, so a slow receiver stops the reads from its
// sender (backpressure).
TcpSession::Outcome TcpSession::pump(Half& h) {
  for (;;) {
    if (auto o = flush_buffer(h)) return *o;
    if (auto o = flush_pipe(h)) return *o;
    if (h.eof) {
      if (!h.shut) {
        shutdown(h.to, SHUT_WR);
        h.shut = true;
      }
      return Outcome::open;
    }
    if (h.drained) return Outcome::open;
    if (auto o = fill(h)) return *o;
  }
}

void TcpSession::on_io() {
  if (finished_) return;
  bool was_half_closed = c2d_.eof || d2c_.eof;
  for (Half* h : {&c2d_, &d2c_}) {
    Outcome o = pump(*h);
    if (h == &c2d_ && ack_with_data_ && connected_ && c2d_.buffered == 0) {
      // The first bytes carried the handshake's ACK. Back to the kernel's
      // usual quick ACKs, or a real server that writes its reply in small
      // pieces with Nagle on would wait for our delayed ACK (40 ms).
      ack_with_data_ = false;
      int one = 1;
      setsockopt(dest_fd_, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    }
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
  if (!c2d_.eof && c2d_.pending() == 0) client_ev |= EV_READ;
  if (d2c_.pending() > 0) client_ev |= EV_WRITE;
  if (!d2c_.eof && d2c_.pending() == 0) dest_ev |= EV_READ;
  if (c2d_.pending() > 0) dest_ev |= EV_WRITE;
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

void TcpSession::release_buffers() {
  for (Half* h : {&c2d_, &d2c_}) {
    ctx_.pipes.give_back(h->pipe_r, h->pipe_w, h->in_pipe == 0);
    h->pipe_r = h->pipe_w = -1;
    ctx_.buffers.give_back(std::move(h->buf));
    h->buffered = 0;
  }
}

void TcpSession::finish(bool reset_client, bool reset_dest) {
  if (finished_) return;
  finished_ = true;
  connect_timer_.stop();
  idle_timer_.stop();
  // Stopped, not destroyed: finish() is mostly called from one of these
  // watchers' own callbacks, which must not be freed while they run (the
  // destructor frees them).
  if (client_io_) client_io_->stop();
  if (dest_io_) dest_io_->stop();
  if (reset_client) close_with_reset(client_fd_);
  else close_fd(client_fd_);
  client_fd_ = -1;
  if (reset_dest) close_with_reset(dest_fd_);
  else close_fd(dest_fd_);
  dest_fd_ = -1;
  release_buffers();
  {
    std::lock_guard lock(ctx_.shared.mu);
    ctx_.shared.table.set_state(*conn_, ConnState::close);
    ctx_.shared.table.release(*conn_, mono_now());
  }
  // `done` frees this session, and with it done_: call a copy that lives
  // on the stack, or the callable would run on from freed memory.
  ctx_.loop.defer([this] {
    auto done = std::move(done_);
    done(this);
  });
}

}  // namespace halb::director::lvsd
