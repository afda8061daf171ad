// director/lvsd/control_handler.h: halb-lvsd's control socket commands.
//
// Turns one JSON request (protocol.h) into calls on the shared table and
// returns the reply. Commands that add or remove services also call
// `services_changed` so the workers open or close their listening sockets
// before the reply goes out. Errors come back as {"ok": false, "errno",
// "error"}; nothing a client sends can throw out of handle().
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "director/lvsd/shared_table.h"

namespace halb::director::lvsd {

namespace sync {
class SyncService;
}
class Forwarder;

class ControlHandler {
 public:
  using Clock = std::function<double()>;
  ControlHandler(SharedTable& shared, Clock now, std::function<void()> services_changed)
      : shared_(shared), now_(std::move(now)), services_changed_(std::move(services_changed)) {}

  nlohmann::json handle(const nlohmann::json& request);
  // The sync daemons start-daemon/stop-daemon start and stop; without one
  // (unit tests) the commands only record the settings.
  void set_sync(sync::SyncService* s) { sync_ = s; }
  // The worker threads get-workers reports on; without them (unit tests)
  // it reports none.
  void set_forwarder(const Forwarder* f) { forwarder_ = f; }

 private:
  nlohmann::json dispatch(const std::string& cmd, const nlohmann::json& req);

  SharedTable& shared_;
  Clock now_;
  std::function<void()> services_changed_;
  sync::SyncService* sync_ = nullptr;
  const Forwarder* forwarder_ = nullptr;
};

// The MTU-derived maxlen the kernel gives a backup sync daemon on `ifname`
// (device MTU clamped to 1500..65535, minus 28); 1472 when unknown.
uint16_t backup_maxlen(const std::string& ifname);

}  // namespace halb::director::lvsd
