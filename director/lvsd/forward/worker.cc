// director/lvsd/forward/worker.cc: see worker.h.
#include "director/lvsd/forward/worker.h"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "director/lvsd/forward/sockets.h"

namespace halb::director::lvsd {
namespace {
constexpr double kRetrySeconds = 1;  // a service socket that failed to open
constexpr double kFdPause = 0.1;     // out of descriptors: stop accepting this long
// How often a worker holding more sessions than another looks for idle ones
// to move. Balancing at accept time instead (handing each new connection to
// the least busy worker) moved half of all short connections across CPUs
// (a wake-up of the other thread each); sessions that live long enough to
// matter are moved here, at most a tenth of a second after they began.
constexpr double kBalanceSeconds = 0.1;
}

struct Worker::Listener {
  Listener(Worker& w, backend::ServiceKey k, int fd)
      : key(std::move(k)),
        fd(fd),
        io(w.loop_, fd, EV_READ, [&w, this](int) { w.on_accept(*this); }),
        resume(w.loop_, [this] { io.start(); }) {
    io.start();
  }
  ~Listener() {
    io.stop();
    close(fd);
  }
  backend::ServiceKey key;
  int fd;
  event::Io io;
  event::Timer resume;  // restarts accepting after running out of descriptors
};

Worker::Worker(int index, SharedTable& shared, log::Logger& logger, ForwardSettings settings)
    : index_(index),
      loop_(false),
      ctx_{loop_, shared, logger, settings, {}, {}},
      wake_(loop_, [this] {
        if (stopping_.load()) {
          loop_.stop();
          return;
        }
        apply_sync();
      }),
      retry_(loop_, [this] { apply_sync(); }),
      handoff_wake_(loop_, [this] { take_handoffs(); }),
      balance_(loop_, [this] { balance(); }) {
  // Async leaves the loop unreferenced; a worker with no services yet must
  // still wait for its first sync.
  ev_ref(loop_.raw());
}

Worker::~Worker() {
  stop();
  for (auto& h : handoffs_) drop(h);
  handoffs_.clear();
  sessions_.clear();
  tcp_.clear();
  udp_.clear();
}

void Worker::start() {
  thread_ = std::thread([this] {
    counter_slot = static_cast<unsigned>(index_);
    loop_.run();
  });
  // "lvsd-fwd-N" in top -H and /proc/PID/task/*/comm.
  pthread_setname_np(thread_.native_handle(), ("lvsd-fwd-" + std::to_string(index_)).c_str());
  if (int cpu = this->cpu(); cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (int e = pthread_setaffinity_np(thread_.native_handle(), sizeof set, &set))
      ctx_.logger.warn("lvsd-fwd-" + std::to_string(index_) + ": cannot bind to CPU " + std::to_string(cpu) + ": " +
                       strerror(e));
  }
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  wake_.notify();
  thread_.join();
}

void Worker::sync(uint64_t generation) {
  wanted_.store(generation);
  wake_.notify();
}

void Worker::apply_sync() {
  uint64_t gen = wanted_.load();
  std::vector<backend::ServiceKey> keys;
  {
    std::lock_guard lock(ctx_.shared.mu);
    keys = ctx_.shared.table.service_keys();
  }
  std::set<backend::ServiceKey> want;
  // Fwmark services and port-0 ("every port") services have no socket a
  // proxy could listen on; they stay in the table only.
  for (const auto& k : keys)
    if (k.protocol != backend::Protocol::fwmark && k.port != 0) want.insert(k);
  std::erase_if(tcp_, [&](const auto& kv) { return !want.count(kv.first); });
  std::erase_if(udp_, [&](const auto& kv) { return !want.count(kv.first); });
  bool missing = false;
  for (const auto& k : want)
    if (!tcp_.count(k) && !udp_.count(k)) {
      open_service(k);
      missing |= !tcp_.count(k) && !udp_.count(k);
    }
  if (missing && !retry_.active()) retry_.start(kRetrySeconds);
  synced_.store(gen);
}

void Worker::open_service(const backend::ServiceKey& key) {
  bool udp = key.protocol == backend::Protocol::udp;
  // CPU steering for TCP listeners only: a UDP flow lives in the worker
  // whose socket took its first datagram, and SO_INCOMING_CPU would send a
  // later datagram of the same flow to whichever worker's CPU received it
  // (a second flow, maybe another real server); the hash keeps a flow whole.
  int fd = open_service_socket(key.addr, key.port, udp, udp ? -1 : cpu());
  if (fd < 0) {
    ctx_.logger.limited("listen " + backend::describe(key), log::Level::error,
                        "cannot listen on " + backend::describe(key) + ": " + strerror(errno));
    return;
  }
  if (udp) udp_.emplace(key, std::make_unique<UdpService>(ctx_, key, fd));
  else tcp_.emplace(key, std::make_unique<Listener>(*this, key, fd));
}

// One connection per readiness report, as nginx does by default
// (multi_accept off): the listener is level-triggered, so the loop reports
// it again while more are queued, between the other sockets' events.
// Accepting until EAGAIN instead (up to 64) ended most wakeups with a
// failing accept4(): bench/dataplane's connection test, 9 interleaved runs
// each, 19157 conn/s at 48.3 us of CPU per connection, 19458 at 46.8
// accepting one.
void Worker::on_accept(Listener& l) {
  SockAddr peer;
  peer.len = sizeof peer.ss;
  int fd = accept4(l.fd, peer.get(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      // The pending connection stays queued and the socket stays
      // readable; pause rather than spin until descriptors free up.
      ctx_.logger.limited("accept", log::Level::error, std::string("accept: ") + strerror(errno));
      l.io.stop();
      l.resume.start(kFdPause);
    }
    return;
  }
  auto client = from_sockaddr(peer);
  if (!client) {
    close(fd);
    return;
  }
  Admission a;
  {
    std::lock_guard lock(ctx_.shared.mu);
    a = ctx_.shared.table.admit(l.key, client->first, client->second, mono_now());
  }
  if (!a.conn) {
    if (a.refusal == Refusal::no_dest)
      ctx_.logger.limited("nodest " + backend::describe(l.key), log::Level::warn, a.message);
    else if (a.refusal == Refusal::table_full && !a.message.empty())
      ctx_.logger.error(a.message);
    // The kernel answers ICMP port unreachable; a proxy that has
    // accepted can only reset.
    close_with_reset(fd);
    return;
  }
  start_session(fd, std::move(a.conn));
}

void Worker::balance() {
  if (load() < 2) {
    balance_.stop();
    return;
  }
  Worker* least = this;
  for (Worker* w : peers_)
    if (w->load() < least->load()) least = w;
  int excess = (load() - least->load()) / 2;
  for (auto it = sessions_.begin(); it != sessions_.end() && excess > 0;) {
    if (!it->second->movable()) {
      ++it;
      continue;
    }
    TcpSession::Moved m = it->second->move_out();
    it = sessions_.erase(it);
    load_.fetch_sub(1, std::memory_order_relaxed);
    least->load_.fetch_add(1, std::memory_order_relaxed);
    handed_over_.fetch_add(1, std::memory_order_relaxed);
    least->hand_over(std::move(m));
    --excess;
  }
}

void Worker::hand_over(TcpSession::Moved moved) {
  {
    std::lock_guard lock(handoff_mu_);
    handoffs_.push_back(std::move(moved));
  }
  handoff_wake_.notify();
}

void Worker::take_handoffs() {
  std::vector<TcpSession::Moved> batch;
  {
    std::lock_guard lock(handoff_mu_);
    batch.swap(handoffs_);
  }
  taken_over_.fetch_add(batch.size(), std::memory_order_relaxed);
  for (auto& m : batch) adopt(std::make_unique<TcpSession>(ctx_, std::move(m), on_session_end()));
}

std::function<void(TcpSession*)> Worker::on_session_end() {
  return [this](TcpSession* done) {
    sessions_.erase(done);
    load_.fetch_sub(1, std::memory_order_relaxed);
  };
}

void Worker::start_session(int fd, std::shared_ptr<ConnEntry> conn) {
  load_.fetch_add(1, std::memory_order_relaxed);
  auto s = std::make_unique<TcpSession>(ctx_, fd, std::move(conn), on_session_end());
  TcpSession* raw = s.get();
  adopt(std::move(s));
  raw->start();
}

void Worker::adopt(std::unique_ptr<TcpSession> s) {
  TcpSession* raw = s.get();
  sessions_.emplace(raw, std::move(s));
  if (load() >= 2 && !balance_.active()) balance_.start(kBalanceSeconds, kBalanceSeconds);
}

void Worker::drop(TcpSession::Moved& moved) {
  close_with_reset(moved.client_fd);
  close_with_reset(moved.dest_fd);
  std::lock_guard lock(ctx_.shared.mu);
  ctx_.shared.table.set_state(*moved.conn, ConnState::close);
  ctx_.shared.table.release(*moved.conn, mono_now());
}

}  // namespace halb::director::lvsd
