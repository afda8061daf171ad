// director/lvsd/sync/service.h: halb-lvsd's connection-sync daemons.
//
// The master and backup roles the start-daemon/stop-daemon control commands
// name (ipvsadm --start-daemon, halb-syncswap), run on halb-lvsd's main
// loop in place of the kernel's ipvs-m/ipvs-b threads:
//   master  every kFlushSeconds takes the table's sync journal (templates
//           and connection state changes, see virtual_table_sync.cc), packs
//           it into version-1 datagrams of at most maxlen bytes and sends
//           them to the group;
//   backup  receives datagrams from the group, drops what is malformed,
//           another syncid's or longer than maxlen (counted, logged at a
//           rate limit), and installs the entries in the table.
// Both roles may run at once, as in the kernel.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "director/lvsd/shared_table.h"
#include "director/lvsd/sync/channel.h"
#include "director/lvsd/sync/message.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::director::lvsd::sync {

struct Stats {
  // master
  uint64_t sent_messages = 0, sent_entries = 0, send_errors = 0, oversized = 0;
  // backup
  uint64_t received_messages = 0, received_entries = 0, ignored_entries = 0, own_messages = 0;
  uint64_t too_long = 0;
  std::map<Refusal, uint64_t> refused;  // by reason
};

class SyncService {
 public:
  static constexpr double kFlushSeconds = 0.2;
  using Clock = std::function<double()>;

  SyncService(event::Loop& loop, SharedTable& shared, log::Logger& logger, Clock now);
  ~SyncService();
  SyncService(const SyncService&) = delete;
  SyncService& operator=(const SyncService&) = delete;

  // Opens the role's socket and starts it; `d` has the table's defaults
  // filled in. Throws backend::BackendError (ENODEV, EEXIST, ...).
  void start(const backend::SyncDaemon& d);
  void stop(backend::SyncRole role);  // no-op when not running
  bool running(backend::SyncRole role) const;

  // Sends what the journal holds now (also run by the flush timer).
  void flush();

  const Stats& stats() const { return stats_; }
  nlohmann::json stats_json() const;

  // One received datagram from `from` (the backup's read path; public for tests).
  void receive(const uint8_t* data, size_t len, bool truncated, const sockaddr_storage& from, socklen_t from_len);

 private:
  struct Role {
    backend::SyncDaemon conf;
    Channel channel;
    std::unique_ptr<event::Io> io;
  };
  void on_readable();
  void refuse(Refusal why, const std::string& detail);

  event::Loop& loop_;
  SharedTable& shared_;
  log::Logger& logger_;
  Clock now_;
  std::optional<Role> master_, backup_;
  event::Timer flush_timer_;
  std::vector<uint8_t> buf_;
  Stats stats_;
  uint64_t dropped_seen_ = 0;
};

}  // namespace halb::director::lvsd::sync
