// director/lvsd/control_handler.cc: see control_handler.h.
#include "director/lvsd/control_handler.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <optional>

#include "director/lvsd/forward/forwarder.h"
#include "director/lvsd/protocol.h"
#include "director/lvsd/sync/service.h"

namespace halb::director::lvsd {

using Json = nlohmann::json;
using backend::BackendError;

uint16_t backup_maxlen(const std::string& ifname) {
  if (ifname.find('/') != std::string::npos) return 1472;
  std::ifstream f("/sys/class/net/" + ifname + "/mtu");
  long mtu = 0;
  if (!(f >> mtu)) return 1472;
  return static_cast<uint16_t>(std::clamp(mtu, 1500L, 65535L) - 28);
}

Json ControlHandler::handle(const Json& request) {
  try {
    if (!request.is_object() || !request.contains("cmd") || !request.at("cmd").is_string())
      return protocol::error_reply(EINVAL, "request needs a string field \"cmd\"");
    return dispatch(request.at("cmd").get<std::string>(), request);
  } catch (const BackendError& e) {
    return protocol::error_reply(e.err(), e.what());
  } catch (const nlohmann::json::exception& e) {
    return protocol::error_reply(EINVAL, std::string("bad request: ") + e.what());
  }
}

Json ControlHandler::dispatch(const std::string& cmd, const Json& req) {
  auto service_arg = [&]() -> const Json& {
    if (!req.contains("service")) throw BackendError(EINVAL, "missing field \"service\"");
    return req.at("service");
  };
  auto dest_arg = [&]() -> const Json& {
    if (!req.contains("dest")) throw BackendError(EINVAL, "missing field \"dest\"");
    return req.at("dest");
  };
  Json ok{{"ok", true}};
  bool changed = false;
  std::optional<backend::SyncDaemon> started;
  std::optional<backend::SyncRole> stopped;
  if (cmd == "get-sync-stats") {
    ok["sync"] = sync_ ? sync_->stats_json() : Json::object();
    return ok;
  }
  if (cmd == "get-workers") {
    ok["workers"] = Json::array();
    if (forwarder_)
      for (const auto& w : forwarder_->status())
        ok["workers"].push_back({{"sessions", w.sessions}, {"handed_over", w.handed_over},
                                 {"taken_over", w.taken_over}});
    return ok;
  }
  {
    std::lock_guard lock(shared_.mu);
    VirtualTable& t = shared_.table;
    if (cmd == "add-service") {
      t.add_service(protocol::service_from_json(service_arg()));
      changed = true;
    } else if (cmd == "edit-service") {
      t.edit_service(protocol::service_from_json(service_arg()));
    } else if (cmd == "del-service") {
      t.del_service(protocol::key_from_json(service_arg()));
      changed = true;
    } else if (cmd == "add-dest") {
      t.add_dest(protocol::key_from_json(service_arg()), protocol::dest_from_json(dest_arg()));
    } else if (cmd == "edit-dest") {
      t.edit_dest(protocol::key_from_json(service_arg()), protocol::dest_from_json(dest_arg()));
    } else if (cmd == "del-dest") {
      t.del_dest(protocol::key_from_json(service_arg()), protocol::dest_from_json(dest_arg()));
    } else if (cmd == "get-services") {
      Json list = Json::array();
      std::optional<backend::ServiceKey> only;
      if (req.contains("service")) only = protocol::key_from_json(req.at("service"));
      for (const auto& s : t.services())
        if (!only || s.service.key == *only) list.push_back(protocol::to_json(s));
      if (only && list.empty()) throw BackendError(ESRCH, "No such service");
      ok["services"] = list;
    } else if (cmd == "flush") {
      t.flush();
      changed = true;
    } else if (cmd == "zero") {
      std::optional<backend::ServiceKey> key;
      if (req.contains("service")) key = protocol::key_from_json(req.at("service"));
      t.zero(key);
    } else if (cmd == "get-timeouts") {
      ok["timeouts"] = protocol::to_json(t.timeouts());
    } else if (cmd == "set-timeouts") {
      if (!req.contains("timeouts")) throw BackendError(EINVAL, "missing field \"timeouts\"");
      t.set_timeouts(protocol::timeouts_from_json(req.at("timeouts")));
    } else if (cmd == "get-info") {
      ok["info"] = protocol::to_json(t.info());
    } else if (cmd == "start-daemon") {
      if (!req.contains("daemon")) throw BackendError(EINVAL, "missing field \"daemon\"");
      auto d = protocol::daemon_from_json(req.at("daemon"));
      t.start_daemon(d, d.role == backend::SyncRole::backup ? backup_maxlen(d.mcast_ifn) : 1472);
      for (const auto& r : t.daemons())
        if (r.role == d.role) started = r;
    } else if (cmd == "stop-daemon") {
      if (!req.contains("role")) throw BackendError(EINVAL, "missing field \"role\"");
      stopped = protocol::role_from_json(req.at("role"));
      t.stop_daemon(*stopped);
    } else if (cmd == "get-daemons") {
      Json list = Json::array();
      for (const auto& d : t.daemons()) list.push_back(protocol::to_json(d));
      ok["daemons"] = list;
    } else if (cmd == "get-connections") {
      Json list = Json::array();
      for (const auto& c : t.connections(now_())) list.push_back(protocol::to_json(c));
      ok["connections"] = list;
    } else {
      throw BackendError(EINVAL, "unknown command \"" + cmd + "\"");
    }
  }
  if (changed && services_changed_) services_changed_();
  // The sockets open outside the table lock (the sync timer takes it); a
  // role whose socket cannot open is not left recorded, as the kernel
  // refuses NEW_DAEMON on an unknown interface.
  if (started && sync_) {
    try {
      sync_->start(*started);
    } catch (const BackendError&) {
      std::lock_guard lock(shared_.mu);
      shared_.table.stop_daemon(started->role);
      throw;
    }
  }
  if (stopped && sync_) sync_->stop(*stopped);
  return ok;
}

}  // namespace halb::director::lvsd
