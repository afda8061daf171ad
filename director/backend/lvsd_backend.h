// director/backend/lvsd_backend.h: the Backend over halb-lvsd's control
// socket.
//
// Each call is one JSON request (director/lvsd/protocol.h) on the socket
// (<run-dir>/halb-lvsd.sock by default). An error reply becomes the
// BackendError with the errno halb-lvsd sent, exactly as the kernel's would
// be. An unreachable daemon becomes BackendError(ECONNREFUSED), a silent
// one ETIMEDOUT and a reply that does not parse EPROTO, so callers can
// tell "halb-lvsd is down" from a refused command.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "director/backend/backend.h"

namespace halb::director::backend {

class LvsdBackend : public Backend {
 public:
  explicit LvsdBackend(std::string socket_path, double timeout_s = 5.0)
      : path_(std::move(socket_path)), timeout_s_(timeout_s) {}

  std::string_view name() const override { return "halb-lvsd"; }
  const std::string& socket_path() const { return path_; }

  Info info() override;
  std::vector<ServiceStatus> services() override;
  void add_service(const Service& service) override;
  void edit_service(const Service& service) override;
  void del_service(const ServiceKey& key) override;
  void add_dest(const ServiceKey& key, const Dest& dest) override;
  void edit_dest(const ServiceKey& key, const Dest& dest) override;
  void del_dest(const ServiceKey& key, const Dest& dest) override;
  void flush() override;
  void zero(const std::optional<ServiceKey>& key) override;
  Timeouts timeouts() override;
  void set_timeouts(const Timeouts& t) override;
  std::vector<SyncDaemon> daemons() override;
  void start_daemon(const SyncDaemon& d) override;
  void stop_daemon(SyncRole role) override;
  std::vector<Connection> connections() override;

 private:
  // Sends the request, returns the reply when "ok" is true, throws otherwise.
  nlohmann::json call(const nlohmann::json& request);

  std::string path_;
  double timeout_s_;
};

}  // namespace halb::director::backend
