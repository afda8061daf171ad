// director/lvsd/forward/udp_service.cc: see udp_service.h.
#include "director/lvsd/forward/udp_service.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace halb::director::lvsd {
namespace {
constexpr size_t kMaxDatagram = 65535;
constexpr int kBatch = 64;  // datagrams per wakeup before yielding to other watchers
constexpr double kSweepSeconds = 1;  // how often idle flows are looked for
}  // namespace

struct UdpService::Flow {
  Flow(UdpService& svc, FlowKey key, SockAddr client, std::shared_ptr<ConnEntry> conn, int fd)
      : key(std::move(key)),
        client(client),
        conn(std::move(conn)),
        fd(fd),
        io(svc.ctx_.loop, fd, EV_READ, [&svc, this](int) { svc.on_reply(*this); }) {}
  ~Flow() {
    io.stop();
    close(fd);
  }
  FlowKey key;
  SockAddr client;
  std::shared_ptr<ConnEntry> conn;
  int fd;
  event::Io io;
};

UdpService::UdpService(WorkerContext& ctx, const backend::ServiceKey& key, int fd)
    : ctx_(ctx),
      key_(key),
      fd_(fd),
      io_(ctx.loop, fd, EV_READ, [this](int) { on_datagram(); }),
      sweep_(ctx.loop, [this] { expire_idle(); }),
      buf_(kMaxDatagram) {
  io_.start();
  sweep_.start(kSweepSeconds, kSweepSeconds);
}

UdpService::~UdpService() {
  io_.stop();
  double now = mono_now();
  {
    std::lock_guard lock(ctx_.shared.mu);
    for (auto& [k, f] : flows_) ctx_.shared.table.release(*f->conn, now);
  }
  flows_.clear();
  close(fd_);
}

UdpService::Flow* UdpService::flow_for(const FlowKey& key, const SockAddr& from) {
  auto it = flows_.find(key);
  if (it != flows_.end()) return it->second.get();
  Admission a;
  {
    std::lock_guard lock(ctx_.shared.mu);
    a = ctx_.shared.table.admit(key_, key.first, key.second, mono_now());
  }
  if (!a.conn) {
    if (a.refusal == Refusal::no_dest)
      ctx_.logger.limited("nodest " + backend::describe(key_), log::Level::warn, a.message);
    else if (!a.message.empty())
      ctx_.logger.error(a.message);
    return nullptr;
  }
  int fd = start_connect(a.conn->dest_addr, a.conn->dest_port, true);
  if (fd < 0) {
    ctx_.logger.limited("udp-connect", log::Level::warn,
                        "cannot reach real server " + a.conn->dest_name() + ": " + strerror(errno));
    std::lock_guard lock(ctx_.shared.mu);
    ctx_.shared.table.release(*a.conn, mono_now());
    return nullptr;
  }
  auto f = std::make_unique<Flow>(*this, key, from, a.conn, fd);
  f->io.start();
  return flows_.emplace(key, std::move(f)).first->second.get();
}

void UdpService::on_datagram() {
  std::vector<char>& buf = buf_;
  for (int i = 0; i < kBatch; ++i) {
    SockAddr from;
    from.len = sizeof from.ss;
    ssize_t n = recvfrom(fd_, buf.data(), buf.size(), 0, from.get(), &from.len);
    if (n < 0) return;  // EAGAIN, or an ICMP error queued for an earlier reply
    auto peer = from_sockaddr(from);
    if (!peer) continue;
    Flow* f = flow_for(*peer, from);
    if (!f) continue;
    f->conn->account_in(static_cast<uint64_t>(n));
    f->conn->last_active.store(mono_now(), std::memory_order_relaxed);
    send(f->fd, buf.data(), static_cast<size_t>(n), 0);
  }
}

void UdpService::on_reply(Flow& f) {
  std::vector<char>& buf = buf_;
  for (int i = 0; i < kBatch; ++i) {
    ssize_t n = recv(f.fd, buf.data(), buf.size(), 0);
    if (n < 0) return;
    f.conn->account_out(static_cast<uint64_t>(n));
    f.conn->last_active.store(mono_now(), std::memory_order_relaxed);
    sendto(fd_, buf.data(), static_cast<size_t>(n), 0, f.client.get(), f.client.len);
  }
}

// One sweep per service rather than a timer per flow: UDP timeouts are
// whole seconds, and a flow is then never freed from inside its own
// callback.
void UdpService::expire_idle() {
  if (flows_.empty()) return;
  double now = mono_now();
  std::lock_guard lock(ctx_.shared.mu);
  uint32_t timeout = ctx_.shared.table.idle_timeout(ConnState::udp);
  for (auto it = flows_.begin(); it != flows_.end();) {
    if (it->second->conn->last_active.load(std::memory_order_relaxed) + timeout <= now) {
      ctx_.shared.table.release(*it->second->conn, now);
      it = flows_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace halb::director::lvsd
