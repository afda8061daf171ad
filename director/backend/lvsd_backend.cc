// director/backend/lvsd_backend.cc: see lvsd_backend.h.
#include "director/backend/lvsd_backend.h"

#include <cerrno>
#include <stdexcept>

#include "director/lvsd/protocol.h"
#include "lib/control/client.h"

namespace halb::director::backend {

namespace protocol = lvsd::protocol;
using Json = nlohmann::json;

Json LvsdBackend::call(const Json& request) {
  Json reply;
  try {
    reply = control::request(path_, request, timeout_s_);
  } catch (const std::runtime_error& e) {
    throw BackendError(ECONNREFUSED, std::string("halb-lvsd: ") + e.what());
  }
  if (!reply.is_object()) throw BackendError(EPROTO, "halb-lvsd: reply is not a JSON object");
  if (reply.value("ok", false)) return reply;
  int err = EINVAL;
  if (reply.contains("errno") && reply.at("errno").is_number_integer()) err = reply.at("errno").get<int>();
  std::string text = reply.contains("error") && reply.at("error").is_string() ? reply.at("error").get<std::string>()
                                                                               : "request failed";
  throw BackendError(err, text);
}

Info LvsdBackend::info() {
  try {
    return protocol::info_from_json(call({{"cmd", "get-info"}}).at("info"));
  } catch (const Json::exception& e) {
    throw BackendError(EPROTO, std::string("halb-lvsd: bad reply: ") + e.what());
  }
}

std::vector<ServiceStatus> LvsdBackend::services() {
  Json r = call({{"cmd", "get-services"}});
  std::vector<ServiceStatus> out;
  try {
    for (const auto& s : r.at("services")) out.push_back(protocol::status_from_json(s));
  } catch (const Json::exception& e) {
    throw BackendError(EPROTO, std::string("halb-lvsd: bad reply: ") + e.what());
  }
  return out;
}

void LvsdBackend::add_service(const Service& s) { call({{"cmd", "add-service"}, {"service", protocol::to_json(s)}}); }
void LvsdBackend::edit_service(const Service& s) {
  Json j = protocol::to_json(s);
  j.erase("dests");  // SET_SERVICE carries no dests
  call({{"cmd", "edit-service"}, {"service", j}});
}
void LvsdBackend::del_service(const ServiceKey& k) { call({{"cmd", "del-service"}, {"service", protocol::to_json(k)}}); }

void LvsdBackend::add_dest(const ServiceKey& k, const Dest& d) {
  call({{"cmd", "add-dest"}, {"service", protocol::to_json(k)}, {"dest", protocol::to_json(d)}});
}
void LvsdBackend::edit_dest(const ServiceKey& k, const Dest& d) {
  call({{"cmd", "edit-dest"}, {"service", protocol::to_json(k)}, {"dest", protocol::to_json(d)}});
}
void LvsdBackend::del_dest(const ServiceKey& k, const Dest& d) {
  call({{"cmd", "del-dest"}, {"service", protocol::to_json(k)}, {"dest", protocol::to_json(d)}});
}

void LvsdBackend::flush() { call({{"cmd", "flush"}}); }

void LvsdBackend::zero(const std::optional<ServiceKey>& key) {
  Json req{{"cmd", "zero"}};
  if (key) req["service"] = protocol::to_json(*key);
  call(req);
}

Timeouts LvsdBackend::timeouts() {
  Json r = call({{"cmd", "get-timeouts"}});
  if (!r.contains("timeouts")) throw BackendError(EPROTO, "halb-lvsd: reply without timeouts");
  return protocol::timeouts_from_json(r.at("timeouts"));
}

void LvsdBackend::set_timeouts(const Timeouts& t) { call({{"cmd", "set-timeouts"}, {"timeouts", protocol::to_json(t)}}); }

std::vector<SyncDaemon> LvsdBackend::daemons() {
  Json r = call({{"cmd", "get-daemons"}});
  std::vector<SyncDaemon> out;
  if (r.contains("daemons") && r.at("daemons").is_array())
    for (const auto& d : r.at("daemons")) out.push_back(protocol::daemon_from_json(d));
  return out;
}

void LvsdBackend::start_daemon(const SyncDaemon& d) {
  Json j = protocol::to_json(d);
  // Zero means "the default" on start; leave those to halb-lvsd.
  for (const char* k : {"maxlen", "port", "ttl"})
    if (j.at(k).get<uint64_t>() == 0) j.erase(k);
  call({{"cmd", "start-daemon"}, {"daemon", j}});
}

void LvsdBackend::stop_daemon(SyncRole role) {
  call({{"cmd", "stop-daemon"}, {"role", role == SyncRole::master ? "master" : "backup"}});
}

std::vector<Connection> LvsdBackend::connections() {
  Json r = call({{"cmd", "get-connections"}});
  std::vector<Connection> out;
  if (r.contains("connections") && r.at("connections").is_array())
    for (const auto& c : r.at("connections")) out.push_back(protocol::connection_from_json(c));
  return out;
}

}  // namespace halb::director::backend
