// director/lvsd/forward/tcp_session.h: one proxied TCP connection.
//
// The client's connection was accepted and admitted to a dest; the session
// connects to the dest (non-blocking, under the connect timeout), then
// moves bytes in both directions. Each direction starts with recv()/send()
// through a pooled 16 KiB buffer (cheapest for requests and replies); once
// a read fills the buffer the direction is bulk and switches to splice()
// through a pipe, so a large transfer never enters user space (HAProxy's
// splice-auto makes the same choice). It keeps TCP's semantics
// end to end as far as a full proxy can:
//   - half-close: when one side sends FIN, the other side gets
//     shutdown(SHUT_WR) once the pipe is drained; the reverse direction
//     keeps flowing (state FIN_WAIT, counted as InActConn);
//   - reset: when one side resets (ECONNRESET, EPIPE), the other side is
//     closed with SO_LINGER 0 so it sees a reset too;
//   - idle timeout: tcp (900 s) while established, tcpfin (120 s) after a
//     half-close, from the table's timeouts.
// When it ends it releases its table entry and calls `done` from a
// deferred callback, so the owner can free it. An established session with
// nothing in flight can move to another worker (move_out(), then a new
// TcpSession on the other worker's loop built from what it returned).
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "director/lvsd/forward/context.h"

namespace halb::director::lvsd {

class TcpSession {
 public:
  TcpSession(WorkerContext& ctx, int client_fd, std::shared_ptr<ConnEntry> conn,
             std::function<void(TcpSession*)> done);
  ~TcpSession();
  TcpSession(const TcpSession&) = delete;
  TcpSession& operator=(const TcpSession&) = delete;

  // Start connecting to the dest.
  void start();

  // A session between two workers: its sockets, its table entry and which
  // sides have sent FIN.
  struct Moved {
    int client_fd = -1, dest_fd = -1;
    std::shared_ptr<ConnEntry> conn;
    bool c2d_eof = false, c2d_shut = false, d2c_eof = false, d2c_shut = false;
  };
  // Connected, not ending, and no byte waiting in a buffer or pipe.
  bool movable() const;
  // Detach from this worker (only when movable()): watchers and timers stop,
  // buffers go back to the pool, the sockets stay open and belong to the
  // result. The session is then inert; `done` is not called.
  Moved move_out();
  // Continue a moved session on this context's loop.
  TcpSession(WorkerContext& ctx, Moved moved, std::function<void(TcpSession*)> done);

 private:
  // One direction: bytes read from `from` wait in the buffer or, once the
  // direction is bulk, in the pipe, until `to` takes them.
  struct Half {
    int from = -1, to = -1;
    std::unique_ptr<char[]> buf;  // held only while bytes wait in it
    size_t buf_off = 0, buffered = 0;
    int pipe_r = -1, pipe_w = -1;
    size_t in_pipe = 0;
    bool bulk = false;      // a read filled the buffer: splice from now on
    bool drained = false;   // the last read came back short: wait for readiness
    bool eof = false;       // `from` sent FIN
    bool shut = false;      // `to` got shutdown(SHUT_WR)
    bool inbound = false;   // client -> dest
    size_t pending() const { return buffered + in_pipe; }
    bool done() const { return eof && shut; }
  };
  enum class Outcome { open, closed, from_reset, to_reset };

  void on_connect_ready();
  // Logs why the real server could not be reached and resets the client.
  void connect_failed(int err);
  void on_connected();
  // Watch both sockets and move what is waiting (after on_connected or a move).
  void attach();
  void watch_dest();
  void on_io();
  Outcome pump(Half& h);
  // pump()'s steps; each returns nullopt to go on pumping.
  std::optional<Outcome> flush_buffer(Half& h);
  std::optional<Outcome> flush_pipe(Half& h);
  std::optional<Outcome> fill(Half& h);
  void account(Half& h, size_t n);
  void update_watchers();
  void on_idle_timer();
  // Hand buffers and pipes back to the worker's pools (pipes kept only
  // when empty).
  void release_buffers();
  // End the session; `reset_client`/`reset_dest` close that side with RST.
  void finish(bool reset_client, bool reset_dest);

  WorkerContext& ctx_;
  int client_fd_;
  int dest_fd_ = -1;
  std::shared_ptr<ConnEntry> conn_;
  std::function<void(TcpSession*)> done_;
  Half c2d_, d2c_;
  std::unique_ptr<event::Io> client_io_, dest_io_;
  event::Timer connect_timer_;
  event::Timer idle_timer_;
  int client_events_ = 0, dest_events_ = 0;
  bool connected_ = false;
  bool finished_ = false;
  // The dest's connect held its last handshake ACK back for the client's
  // first bytes (start_connect's data_first); cleared once they are sent.
  bool ack_with_data_ = false;
};

}  // namespace halb::director::lvsd
