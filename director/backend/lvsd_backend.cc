// director/backend/lvsd_backend.cc: see lvsd_backend.h.
#include "director/backend/lvsd_backend.h"

#include <cerrno>
#include <stdexcept>

#include "director/lvsd/protocol.h"
#include "lib/control/client.h"

namespace halb::director::backend {

namespace protocol = lvsd::protocol;
using Json = nlohmann::json;

namespace {

// Parse part of a reply; a reply halb-lvsd should never send (a missing or
// ill-typed field) is a protocol error, not the caller's EINVAL.
template <class Fn>
auto reply_field(Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const BackendError& e) {
    throw BackendError(EPROTO, std::string("halb-lvsd: bad reply: ") + e.what());
  } catch (const Json::exception& e) {
    throw BackendError(EPROTO, std::string("halb-lvsd: bad reply: ") + e.what());
  }
}

}  // namespace

Json LvsdBackend::call(const Json& request) {
  Json reply;
  try {
    reply = control::request(path_, request, timeout_s_);
  } catch (const Json::exception& e) {
    throw BackendError(EPROTO, std::string("halb-lvsd: bad reply: ") + e.what());
  } catch (const std::runtime_error& e) {
    // control::request's words: "no reply from ..." after the timeout,
    // otherwise the socket is missing, refuses, or closed on us.
    bool timed_out = std::string_view(e.what()).starts_with("no reply");
    throw BackendError(timed_out ? ETIMEDOUT : ECONNREFUSED, std::string("halb-lvsd: ") + e.what());
  }
  if (!reply.is_object()) throw BackendError(EPROTO, "halb-lvsd: reply is not a JSON object");
  const auto ok = reply.find("ok");
  if (ok != reply.end() && ok->is_boolean() && ok->get<bool>()) return reply;
  int err = EINVAL;
  if (reply.contains("errno") && reply.at("errno").is_number_integer()) err = reply.at("errno").get<int>();
  std::string text = reply.contains("error") && reply.at("error").is_string() ? reply.at("error").get<std::string>()
                                                                               : "request failed";
  throw BackendError(err, text);
}

Info LvsdBackend::info() {
  Json r = call({{"cmd", "get-info"}});
  return reply_field([&] { return protocol::info_from_json(r.at("info")); });
}

std::vector<ServiceStatus> LvsdBackend::services() {
  Json r = call({{"cmd", "get-services"}});
  return reply_field([&] {
    std::vector<ServiceStatus> out;
    for (const auto& s : r.at("services")) out.push_back(protocol::status_from_json(s));
    return out;
  });
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
  return reply_field([&] { return protocol::timeouts_from_json(r.at("timeouts")); });
}

void LvsdBackend::set_timeouts(const Timeouts& t) { call({{"cmd", "set-timeouts"}, {"timeouts", protocol::to_json(t)}}); }

std::vector<SyncDaemon> LvsdBackend::daemons() {
  Json r = call({{"cmd", "get-daemons"}});
  return reply_field([&] {
    std::vector<SyncDaemon> out;
    for (const auto& d : r.at("daemons")) out.push_back(protocol::daemon_from_json(d));
    return out;
  });
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
  return reply_field([&] {
    std::vector<Connection> out;
    for (const auto& c : r.at("connections")) out.push_back(protocol::connection_from_json(c));
    return out;
  });
}

}  // namespace halb::director::backend
