// director/lvsd/sync/service.cc: see service.h.
#include "director/lvsd/sync/service.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace halb::director::lvsd::sync {

namespace {

std::string describe(const backend::SyncDaemon& d) {
  return std::string(d.role == backend::SyncRole::master ? "MASTER" : "BACKUP") + ", mcast_ifn = " + d.mcast_ifn +
         ", syncid = " + std::to_string(d.syncid) + ", maxlen = " + std::to_string(d.maxlen) +
         ", group = " + (d.group ? d.group->str() : "?") + ", port = " + std::to_string(d.port);
}

std::string peer_str(const sockaddr_storage& sa) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&sa)->sin_addr, buf, sizeof buf);
  else if (sa.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

}  // namespace

SyncService::SyncService(event::Loop& loop, SharedTable& shared, log::Logger& logger, Clock now)
    : loop_(loop), shared_(shared), logger_(logger), now_(std::move(now)), flush_timer_(loop, [this] { flush(); }) {
  buf_.resize(65536);
}

SyncService::~SyncService() = default;

bool SyncService::running(backend::SyncRole role) const {
  return role == backend::SyncRole::master ? master_.has_value() : backup_.has_value();
}

void SyncService::start(const backend::SyncDaemon& d) {
  if (running(d.role)) throw backend::BackendError(EEXIST, "Sync daemon already running");
  if (!d.group) throw backend::BackendError(EINVAL, "sync daemon without a group");
  Role r;
  r.conf = d;
  if (d.role == backend::SyncRole::master) {
    r.channel = open_master(d);
    master_ = std::move(r);
    flush_timer_.start(kFlushSeconds, kFlushSeconds);
  } else {
    r.channel = open_backup(d);
    r.io = std::make_unique<event::Io>(loop_, r.channel.sock.fd(), EV_READ, [this](int) { on_readable(); });
    r.io->start();
    backup_ = std::move(r);
  }
  // The kernel's words, so operators grep for the same line.
  logger_.info("sync thread started: state = " + describe(d));
}

void SyncService::stop(backend::SyncRole role) {
  if (role == backend::SyncRole::master && master_) {
    flush();  // what the master had queued still goes out
    flush_timer_.stop();
    logger_.info("sync thread stopped: state = " + describe(master_->conf));
    master_.reset();
  } else if (role == backend::SyncRole::backup && backup_) {
    logger_.info("sync thread stopped: state = " + describe(backup_->conf));
    backup_.reset();
  }
}

void SyncService::flush() {
  if (!master_) return;
  std::vector<Entry> entries;
  uint64_t dropped = 0;
  {
    std::lock_guard lock(shared_.mu);
    entries = shared_.table.take_sync_journal();
    dropped = shared_.table.sync_journal_dropped();
  }
  if (dropped > dropped_seen_) {
    dropped_seen_ = dropped;
    logger_.limited("sync-journal", log::Level::warn,
                    "sync: the send queue was full, " + std::to_string(dropped) + " entries dropped since start");
  }
  if (entries.empty()) return;
  size_t oversized = 0;
  auto datagrams = encode(entries, static_cast<uint8_t>(master_->conf.syncid), master_->conf.maxlen, &oversized);
  stats_.oversized += oversized;
  for (const auto& dg : datagrams) {
    ssize_t n = send(master_->channel.sock.fd(), dg.data(), dg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(dg.size())) {
      ++stats_.sent_messages;
      stats_.sent_entries += dg[4];
    } else {
      ++stats_.send_errors;
      logger_.limited("sync-send", log::Level::warn,
                      std::string("sync: sending to the group failed: ") + (n < 0 ? std::strerror(errno) : "short write"));
    }
  }
}

void SyncService::on_readable() {
  if (!backup_) return;
  // A bounded batch per wakeup, so a flood cannot starve the control socket.
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(backup_->channel.sock.fd(), buf_.data(), buf_.size(), MSG_TRUNC | MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        logger_.limited("sync-recv", log::Level::warn, std::string("sync: receive failed: ") + std::strerror(errno));
      return;
    }
    const size_t len = static_cast<size_t>(n);
    receive(buf_.data(), std::min(len, buf_.size()), len > buf_.size(), from, from_len);
    if (!backup_) return;
  }
}

void SyncService::refuse(Refusal why, const std::string& detail) {
  ++stats_.refused[why];
  logger_.limited(std::string("sync-refused-") + std::string(refusal_name(why)), log::Level::warn,
                  "sync: dropped a message " + detail + ": " + std::string(refusal_name(why)));
}

void SyncService::receive(const uint8_t* data, size_t len, bool truncated, const sockaddr_storage& from,
                          socklen_t from_len) {
  if (!backup_) return;
  // Our own master's datagrams come back through multicast loopback.
  if (master_ && same_endpoint(master_->channel, from, from_len)) {
    ++stats_.own_messages;
    return;
  }
  ++stats_.received_messages;
  const std::string detail = "from " + peer_str(from);
  // The kernel reads at most maxlen bytes, so a longer datagram fails its size check.
  if (truncated || len > backup_->conf.maxlen) {
    ++stats_.too_long;
    logger_.limited("sync-too-long", log::Level::warn,
                    "sync: dropped a message " + detail + ": longer than sync_maxlen " +
                        std::to_string(backup_->conf.maxlen));
    return;
  }
  Decoded d = decode(data, len, static_cast<uint8_t>(backup_->conf.syncid));
  if (d.refusal != Refusal::none) refuse(d.refusal, detail + " (syncid " + std::to_string(d.syncid) + ")");
  stats_.ignored_entries += d.skipped;
  if (d.entries.empty()) return;
  const double now = now_();
  std::lock_guard lock(shared_.mu);
  for (const auto& e : d.entries) {
    if (shared_.table.apply_sync(e, now)) ++stats_.received_entries;
    else ++stats_.ignored_entries;
  }
}

nlohmann::json SyncService::stats_json() const {
  nlohmann::json refused = nlohmann::json::object();
  for (const auto& [why, n] : stats_.refused) refused[std::string(refusal_name(why))] = n;
  uint64_t dropped = 0;
  size_t synced = 0;
  {
    std::lock_guard lock(shared_.mu);
    dropped = shared_.table.sync_journal_dropped();
    synced = shared_.table.synced_connections();
  }
  return {{"master", {{"sent_messages", stats_.sent_messages},
                      {"sent_entries", stats_.sent_entries},
                      {"send_errors", stats_.send_errors},
                      {"oversized_entries", stats_.oversized},
                      {"queue_dropped", dropped}}},
          {"backup", {{"received_messages", stats_.received_messages},
                      {"applied_entries", stats_.received_entries},
                      {"ignored_entries", stats_.ignored_entries},
                      {"own_messages", stats_.own_messages},
                      {"too_long", stats_.too_long},
                      {"refused", refused},
                      {"synced_connections", synced}}}};
}

}  // namespace halb::director::lvsd::sync
