// cluster/transport/link.h: one TCP link between two cluster nodes.
//
// A Link owns a connected (or still connecting) non-blocking socket on an
// event loop. Both ends first send HELLO (their node id and the cluster's
// config generation); the receiving end checks the id -- the expected peer,
// or the accept_peer callback for a listener that learns it -- and the link
// is up. After that every frame must come from that peer to this node, be a
// registered message type of a version spoken here, and carry a checksum
// when the link's Checksum is set; anything else is logged (rate-limited)
// and closes the link, never the process.
//
// Sending queues frames up to SendBufferMemory bytes; beyond that send()
// refuses with kFull and on_writable fires once the queue has drained below
// half, so producers slow down instead of growing memory. Heartbeats go out
// every interval; a peer heard from in none of 4 consecutive intervals is
// declared dead (on_dead) and the link closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/transport/frame.h"
#include "cluster/transport/heartbeat.h"
#include "cluster/transport/messages.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::cluster::transport {

struct LinkOptions {
  uint16_t own_id = 0;
  uint16_t peer_id = 0;                     // 0: learn it from HELLO (accepting side)
  uint32_t generation = 0;                  // both ends must agree
  bool checksum = false;                    // [TCP] Checksum
  size_t send_buffer_memory = 256 * 1024;   // [TCP] SendBufferMemory
  double heartbeat_interval_s = 1.5;        // HeartbeatIntervalDbDb / DbApi
  int missed_heartbeats_dead = 4;
  // Frames sent during one event-loop iteration leave together just before
  // the loop sleeps, instead of one send() each. Only for links whose every
  // send() happens on the loop's own thread inside its callbacks (a data
  // node's): a frame sent from outside the loop would wait for its next
  // iteration.
  bool batch_sends = false;
  const MessageRegistry* registry = nullptr;  // required
};

struct LinkHandlers {
  // Accepting side: may this node id talk to us? (Unset: anyone.)
  std::function<bool(uint16_t peer)> accept_peer;
  // Accepting side: the settings of the link with `peer` ([TCP] Checksum,
  // SendBufferMemory), applied when its HELLO names it. Our HELLO waits for
  // the peer's, so it already carries a checksum when the pair wants one.
  std::function<std::optional<LinkOptions>(uint16_t peer)> peer_options;
  std::function<void(uint16_t peer)> on_up;
  std::function<void(const Frame& frame)> on_message;
  // The send queue drained after a kFull.
  std::function<void()> on_writable;
  // `missed` heartbeats in a row (1, 2, 3 before dead), for "Node %d missed heartbeat %d".
  std::function<void(int missed)> on_missed;
  // Missed the limit: "declared dead due to missed heartbeat". on_closed follows.
  std::function<void()> on_dead;
  // The link is closed (peer gone, malformed frame, dead, or close()). The
  // Link may be destroyed from here, but only via loop.defer.
  std::function<void(const std::string& why)> on_closed;
};

class Link {
 public:
  enum class SendResult { kOk, kFull, kClosed };

  Link(event::Loop& loop, log::Logger& logger, int fd, LinkOptions options, LinkHandlers handlers);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  SendResult send(uint16_t type, std::string_view payload);
  // Sends CLOSE with the reason, flushes what it can and closes.
  void close(const std::string& why);
  bool up() const { return up_; }
  bool open() const { return fd_ >= 0; }
  uint16_t peer() const { return peer_; }
  size_t queued() const { return out_.size() - out_pos_; }
  unsigned long frames_in() const { return frames_in_; }
  unsigned long frames_out() const { return frames_out_; }

 private:
  void on_io(int events);
  void on_tick();
  void handle(const Frame& f);
  void shut(const std::string& why, bool malformed);
  void flush();
  void enqueue(uint16_t type, uint16_t version, std::string_view payload);

  event::Loop& loop_;
  log::Logger& logger_;
  int fd_;
  LinkOptions opt_;
  LinkHandlers h_;
  FrameDecoder decoder_;
  HeartbeatMonitor monitor_;
  std::unique_ptr<event::Io> io_;
  event::Timer tick_;
  event::BeforeSleep flush_later_;  // batch_sends
  std::string out_;
  size_t out_pos_ = 0;
  bool connecting_ = true;
  bool up_ = false;
  bool hello_sent_ = false;
  bool was_full_ = false;
  uint16_t peer_;
  unsigned long frames_in_ = 0, frames_out_ = 0;
};

// Starts a non-blocking connect to host:port, over the local socket when
// host is a loopback address with a local listener (local_socket.h), else
// TCP; the returned fd (or -1 with `error` set) is handed to a Link, which
// waits for the connect. A host name is looked up by net::Resolver, off the
// caller's loop: -1 ("looking up NAME") until it answers, so callers dial
// again on their next retry.
int connect_nonblocking(const std::string& host, uint16_t port, std::string& error);

}  // namespace halb::cluster::transport
