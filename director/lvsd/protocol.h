// director/lvsd/protocol.h: the JSON shapes of halb-lvsd's control socket.
//
// One request per line, {"cmd": "...", ...}; one reply per line, {"ok":
// true, ...} or {"ok": false, "errno": N, "error": "text"} where N is the
// errno IPVS would return. The commands are IPVS's generic netlink ones
// (man/halb-lvsd.8 lists them). The daemon (control_handler.cc) and the
// client (backend/lvsd_backend.cc) both use these conversions, so the two
// ends cannot drift apart. Parsers throw backend::BackendError(EINVAL, ...)
// on a missing or ill-typed field.
#pragma once

#include <nlohmann/json.hpp>

#include "director/backend/backend.h"

namespace halb::director::lvsd::protocol {

using Json = nlohmann::json;

Json to_json(const backend::ServiceKey& k);
Json to_json(const backend::Service& s);  // key fields, attributes, and "dests"
Json to_json(const backend::Dest& d);
Json to_json(const backend::Stats& s);
Json to_json(const backend::ServiceStatus& s);
Json to_json(const backend::Timeouts& t);
Json to_json(const backend::SyncDaemon& d);
Json to_json(const backend::Info& i);
Json to_json(const backend::Connection& c);

backend::ServiceKey key_from_json(const Json& j);
backend::Service service_from_json(const Json& j);
backend::Dest dest_from_json(const Json& j);
backend::Stats stats_from_json(const Json& j);
backend::ServiceStatus status_from_json(const Json& j);
backend::Timeouts timeouts_from_json(const Json& j);
backend::SyncDaemon daemon_from_json(const Json& j);
backend::SyncRole role_from_json(const Json& j);  // "master" / "backup"
backend::Info info_from_json(const Json& j);
backend::Connection connection_from_json(const Json& j);

// {"ok": false, "errno": err, "error": text}.
Json error_reply(int err, const std::string& text);

}  // namespace halb::director::lvsd::protocol
