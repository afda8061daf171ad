// cluster/transport/link.cc: node-to-node link (see link.h).
#include "cluster/transport/link.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cluster/transport/local_socket.h"
#include "lib/net/resolver.h"

namespace halb::cluster::transport {

namespace {
std::string hello_payload(uint16_t own, uint32_t generation) {
  std::string p(6, '\0');
  p[0] = static_cast<char>(own >> 8);
  p[1] = static_cast<char>(own);
  for (int i = 0; i < 4; ++i) p[2 + i] = static_cast<char>(generation >> (24 - 8 * i));
  return p;
}
}  // namespace

int connect_nonblocking(const std::string& host, uint16_t port, std::string& error) {
  // Never a blocking name lookup here: callers dial from their event loop.
  net::SocketAddress address;
  if (net::Resolver::shared().resolve(host, port, address, error) != net::Resolver::Status::kReady) return -1;
  const std::string loopback = loopback_numeric(address.get(), address.len);
  if (!loopback.empty()) {
    int local = connect_local(loopback, port);
    if (local >= 0) return local;
  }
  int fd = socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) error = std::string("socket: ") + strerror(errno);
  if (fd >= 0 && ::connect(fd, address.get(), address.len) != 0 && errno != EINPROGRESS) {
    error = host + ":" + std::to_string(port) + ": " + strerror(errno);
    ::close(fd);
    fd = -1;
  }
  return fd;
}

Link::Link(event::Loop& loop, log::Logger& logger, int fd, LinkOptions options, LinkHandlers handlers)
    : loop_(loop), logger_(logger), fd_(fd), opt_(options), h_(std::move(handlers)), decoder_(options.checksum),
      monitor_(options.missed_heartbeats_dead), tick_(loop, [this] { on_tick(); }),
      flush_later_(loop, [this] { flush(); }), peer_(options.peer_id) {
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails, harmlessly, on a local socket
  io_ = std::make_unique<event::Io>(loop_, fd_, EV_READ | EV_WRITE, [this](int ev) { on_io(ev); });
  io_->start();
  tick_.start(opt_.heartbeat_interval_s, opt_.heartbeat_interval_s);
  // HELLO goes first, ahead of anything queued before the link is up.
  enqueue(kMsgHello, 1, hello_payload(opt_.own_id, opt_.generation));
  hello_sent_ = true;
}

Link::~Link() {
  io_.reset();
  if (fd_ >= 0) ::close(fd_);
}

void Link::enqueue(uint16_t type, uint16_t version, std::string_view payload) {
  out_ += encode_frame(type, version, opt_.own_id, peer_, payload, opt_.checksum);
  ++frames_out_;
}

Link::SendResult Link::send(uint16_t type, std::string_view payload) {
  if (fd_ < 0) return SendResult::kClosed;
  const MessageInfo* info = opt_.registry->find(type);
  size_t frame = kHeaderSize + payload.size();
  if (queued() + frame > opt_.send_buffer_memory && queued() > 0) {
    was_full_ = true;
    return SendResult::kFull;
  }
  enqueue(type, info ? info->version : 1, payload);
  if (connecting_ || !up_) return SendResult::kOk;
  if (opt_.batch_sends) flush_later_.arm();
  else flush();
  return fd_ < 0 ? SendResult::kClosed : SendResult::kOk;
}

void Link::flush() {
  // Before the peer's HELLO only our HELLO may leave: the peer id in queued
  // frames is not known yet on an accepting link.
  while (fd_ >= 0 && out_pos_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    shut(std::string("send: ") + strerror(errno), false);
    return;
  }
  if (fd_ < 0) return;
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ > 64 * 1024) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  io_->set_events(queued() ? EV_READ | EV_WRITE : EV_READ);
  if (was_full_ && queued() <= opt_.send_buffer_memory / 2) {
    was_full_ = false;
    if (h_.on_writable) h_.on_writable();
  }
}

void Link::on_io(int events) {
  if (fd_ < 0) return;
  if (connecting_) {
    if (!(events & (EV_WRITE | EV_READ))) return;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      shut(std::string("connect: ") + strerror(err), false);
      return;
    }
    connecting_ = false;
  }
  if (events & EV_READ) {
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) {
      shut("peer closed the connection", false);
      return;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) shut(std::string("recv: ") + strerror(errno), false);
      if (fd_ < 0) return;
    } else {
      monitor_.heard();
      decoder_.feed(std::string_view(buf, static_cast<size_t>(n)));
      Frame f;
      for (;;) {
        auto st = decoder_.next(f);
        if (st == FrameDecoder::Status::kNeedMore) break;
        if (st == FrameDecoder::Status::kError) {
          shut("malformed frame: " + decoder_.error(), true);
          return;
        }
        handle(f);
        if (fd_ < 0) return;
      }
    }
  }
  // Until the peer's HELLO arrived, only our own HELLO is on the wire, and
  // on an accepting link not even that (see LinkHandlers::peer_options).
  if (!up_ && opt_.peer_id == 0) {
    if (fd_ >= 0) io_->set_events(EV_READ);
    return;
  }
  if (!up_) {
    size_t hello = kHeaderSize + 6;
    if (out_pos_ < hello) {
      ssize_t n = ::send(fd_, out_.data() + out_pos_, hello - out_pos_, MSG_NOSIGNAL);
      if (n > 0) out_pos_ += static_cast<size_t>(n);
      else if (n < 0 && errno != EAGAIN && errno != EINTR) shut(std::string("send: ") + strerror(errno), false);
    }
    if (fd_ >= 0) io_->set_events(out_pos_ < hello ? EV_READ | EV_WRITE : EV_READ);
    return;
  }
  flush();
}

void Link::handle(const Frame& f) {
  ++frames_in_;
  auto bad = opt_.registry->check(f.header.type, f.header.type_version, f.header.length);
  if (bad) {
    shut("malformed frame: " + *bad, true);
    return;
  }
  if (!up_) {
    if (f.header.type != kMsgHello || f.payload.size() != 6) {
      shut("malformed frame: expected HELLO first", true);
      return;
    }
    uint16_t id = static_cast<uint16_t>((uint8_t(f.payload[0]) << 8) | uint8_t(f.payload[1]));
    uint32_t gen = 0;
    for (int i = 0; i < 4; ++i) gen = (gen << 8) | uint8_t(f.payload[2 + i]);
    if (id == 0 || id != f.header.sender) {
      shut("malformed frame: HELLO sender id mismatch", true);
      return;
    }
    if (f.header.receiver != 0 && f.header.receiver != opt_.own_id) {
      shut("HELLO addressed to node " + std::to_string(f.header.receiver) + ", we are " + std::to_string(opt_.own_id),
           true);
      return;
    }
    if (gen != opt_.generation) {
      shut("peer has config generation " + std::to_string(gen) + ", ours is " + std::to_string(opt_.generation), true);
      return;
    }
    if (opt_.peer_id != 0 ? id != opt_.peer_id : (h_.accept_peer && !h_.accept_peer(id))) {
      shut("node " + std::to_string(id) + " is not accepted on this link", true);
      return;
    }
    bool accepting = opt_.peer_id == 0;
    if (accepting && h_.peer_options) {
      if (auto o = h_.peer_options(id)) {
        opt_.checksum = o->checksum;
        opt_.send_buffer_memory = o->send_buffer_memory;
        // The peer expects our beats at the interval for this pair of
        // nodes (DbDb or DbApi), not at the longer one we watched with.
        if (o->heartbeat_interval_s != opt_.heartbeat_interval_s) {
          opt_.heartbeat_interval_s = o->heartbeat_interval_s;
          tick_.start(opt_.heartbeat_interval_s, opt_.heartbeat_interval_s);
        }
      }
      decoder_.set_require_checksum(opt_.checksum);
    }
    if (opt_.checksum && !(f.header.flags & kFlagChecksum)) {
      shut("malformed frame: frame without checksum on a checksummed link", true);
      return;
    }
    peer_ = id;
    // Frames queued before we knew the peer carry receiver 0 (and, on an
    // accepting link, our unsent HELLO no checksum yet); rewrite them.
    for (size_t at = accepting ? 0 : kHeaderSize + 6; at + kHeaderSize <= out_.size();) {
      uint32_t len = (uint32_t(uint8_t(out_[at + 16])) << 24) | (uint32_t(uint8_t(out_[at + 17])) << 16) |
                     (uint32_t(uint8_t(out_[at + 18])) << 8) | uint8_t(out_[at + 19]);
      uint16_t type = static_cast<uint16_t>((uint8_t(out_[at + 6]) << 8) | uint8_t(out_[at + 7]));
      uint16_t ver = static_cast<uint16_t>((uint8_t(out_[at + 8]) << 8) | uint8_t(out_[at + 9]));
      std::string redo = encode_frame(type, ver, opt_.own_id, peer_, std::string_view(out_).substr(at + kHeaderSize, len),
                                      opt_.checksum);
      out_.replace(at, redo.size(), redo);
      at += redo.size();
    }
    up_ = true;
    if (h_.on_up) h_.on_up(peer_);
    return;
  }
  if (f.header.sender != peer_ || f.header.receiver != opt_.own_id) {
    shut("malformed frame: from node " + std::to_string(f.header.sender) + " to " + std::to_string(f.header.receiver) +
             " on the link " + std::to_string(peer_) + "->" + std::to_string(opt_.own_id),
         true);
    return;
  }
  switch (f.header.type) {
    case kMsgHello:
      shut("malformed frame: second HELLO", true);
      return;
    case kMsgHeartbeat:
      return;
    case kMsgClose:
      shut("peer closed the link: " + f.payload, false);
      return;
    default:
      if (h_.on_message) h_.on_message(f);
  }
}

void Link::on_tick() {
  if (fd_ < 0) return;
  int missed = monitor_.tick();
  if (monitor_.dead()) {
    logger_.warn("node " + std::to_string(peer_) + " declared dead due to missed heartbeat");
    if (h_.on_dead) h_.on_dead();
    if (fd_ >= 0) shut("missed " + std::to_string(missed) + " heartbeats", false);
    return;
  }
  if (missed > 0 && h_.on_missed) h_.on_missed(missed);
  if (up_) {
    enqueue(kMsgHeartbeat, 1, {});
    flush();
  }
}

void Link::close(const std::string& why) {
  if (fd_ < 0) return;
  if (up_) {
    enqueue(kMsgClose, 1, why.substr(0, 1024));
    flush();
  }
  shut(why, false);
}

void Link::shut(const std::string& why, bool malformed) {
  if (fd_ < 0) return;
  if (malformed)
    logger_.limited("link-malformed-" + std::to_string(peer_), log::Level::warn,
                    "transport link to node " + std::to_string(peer_) + " closed: " + why);
  tick_.stop();
  flush_later_.disarm();
  io_.reset();
  ::close(fd_);
  fd_ = -1;
  up_ = false;
  if (h_.on_closed) h_.on_closed(why);
}

}  // namespace halb::cluster::transport
