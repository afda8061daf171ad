// director/lvsd/protocol.cc: see protocol.h.
#include "director/lvsd/protocol.h"

#include <cerrno>

namespace halb::director::lvsd::protocol {

using backend::BackendError;

namespace {

const Json& field(const Json& j, const char* name) {
  if (!j.is_object() || !j.contains(name)) throw BackendError(EINVAL, std::string("missing field \"") + name + "\"");
  return j.at(name);
}

template <class T>
T number(const Json& j, const char* name, T fallback, bool required = false) {
  if (!j.is_object() || !j.contains(name)) {
    if (required) throw BackendError(EINVAL, std::string("missing field \"") + name + "\"");
    return fallback;
  }
  const Json& v = j.at(name);
  if (!v.is_number_integer()) throw BackendError(EINVAL, std::string("field \"") + name + "\" must be an integer");
  if constexpr (std::is_signed_v<T>) {
    auto x = v.get<int64_t>();
    if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max())
      throw BackendError(EINVAL, std::string("field \"") + name + "\" out of range");
    return static_cast<T>(x);
  } else {
    if (v.is_number_unsigned() || v.get<int64_t>() >= 0) {
      auto x = v.get<uint64_t>();
      if (x > std::numeric_limits<T>::max()) throw BackendError(EINVAL, std::string("field \"") + name + "\" out of range");
      return static_cast<T>(x);
    }
    throw BackendError(EINVAL, std::string("field \"") + name + "\" must not be negative");
  }
}

std::string text(const Json& j, const char* name, const std::string& fallback, bool required = false) {
  if (!j.is_object() || !j.contains(name)) {
    if (required) throw BackendError(EINVAL, std::string("missing field \"") + name + "\"");
    return fallback;
  }
  if (!j.at(name).is_string()) throw BackendError(EINVAL, std::string("field \"") + name + "\" must be a string");
  return j.at(name).get<std::string>();
}

IpAddress address(const Json& j, const char* name) {
  auto s = text(j, name, "", true);
  auto a = IpAddress::parse(s);
  if (!a) throw BackendError(EINVAL, "bad address \"" + s + "\"");
  return *a;
}

const char* protocol_word(backend::Protocol p) {
  switch (p) {
    case backend::Protocol::udp: return "udp";
    case backend::Protocol::fwmark: return "fwmark";
    case backend::Protocol::tcp: break;
  }
  return "tcp";
}

const char* forward_name(backend::Forward f) {
  switch (f) {
    case backend::Forward::masq: return "masq";
    case backend::Forward::local: return "local";
    case backend::Forward::tunnel: return "tunnel";
    case backend::Forward::route: break;
  }
  return "route";
}

}  // namespace

Json to_json(const backend::ServiceKey& k) {
  Json j{{"protocol", protocol_word(k.protocol)}, {"family", k.family == Family::v6 ? "inet6" : "inet"}};
  if (k.protocol == backend::Protocol::fwmark) {
    j["fwmark"] = k.fwmark;
  } else {
    j["addr"] = k.addr.str();
    j["port"] = k.port;
  }
  return j;
}

backend::ServiceKey key_from_json(const Json& j) {
  backend::ServiceKey k;
  auto p = text(j, "protocol", "tcp");
  if (p == "tcp") k.protocol = backend::Protocol::tcp;
  else if (p == "udp") k.protocol = backend::Protocol::udp;
  else if (p == "fwmark") k.protocol = backend::Protocol::fwmark;
  else throw BackendError(EINVAL, "unknown protocol \"" + p + "\" (tcp, udp, fwmark)");
  if (k.protocol == backend::Protocol::fwmark) {
    k.fwmark = number<uint32_t>(j, "fwmark", 0, true);
    auto f = text(j, "family", "inet");
    if (f != "inet" && f != "inet6") throw BackendError(EINVAL, "family must be inet or inet6");
    k.family = f == "inet6" ? Family::v6 : Family::v4;
    k.addr.family = k.family;  // as reconcile::service_key and the kernel backend: keys compare whole
  } else {
    k.addr = address(j, "addr");
    k.family = k.addr.family;
    k.port = number<uint16_t>(j, "port", 0, true);
  }
  return k;
}

Json to_json(const backend::Service& s) {
  Json j = to_json(s.key);
  j["scheduler"] = s.scheduler;
  j["flags"] = s.flags;
  j["timeout"] = s.timeout;
  j["netmask"] = s.netmask;
  j["pe_name"] = s.pe_name;
  Json dests = Json::array();
  for (const auto& d : s.dests) dests.push_back(to_json(d));
  j["dests"] = dests;
  return j;
}

backend::Service service_from_json(const Json& j) {
  backend::Service s;
  s.key = key_from_json(j);
  s.scheduler = text(j, "scheduler", "wlc");
  s.flags = number<uint32_t>(j, "flags", 0);
  s.timeout = number<uint32_t>(j, "timeout", 0);
  s.netmask = number<uint32_t>(j, "netmask", s.key.family == Family::v6 ? 128 : 0xffffffff);
  s.pe_name = text(j, "pe_name", "");
  if (j.contains("dests")) {
    if (!j.at("dests").is_array()) throw BackendError(EINVAL, "field \"dests\" must be an array");
    for (const auto& d : j.at("dests")) s.dests.push_back(dest_from_json(d));
  }
  return s;
}

Json to_json(const backend::Dest& d) {
  return Json{{"addr", d.addr.str()},       {"port", d.port},
              {"forward", forward_name(d.forward)}, {"weight", d.weight},
              {"u_threshold", d.u_threshold}, {"l_threshold", d.l_threshold}};
}

backend::Dest dest_from_json(const Json& j) {
  backend::Dest d;
  d.addr = address(j, "addr");
  d.port = number<uint16_t>(j, "port", 0);
  auto f = text(j, "forward", "route");
  if (f == "masq") d.forward = backend::Forward::masq;
  else if (f == "local") d.forward = backend::Forward::local;
  else if (f == "tunnel") d.forward = backend::Forward::tunnel;
  else if (f == "route") d.forward = backend::Forward::route;
  else throw BackendError(EINVAL, "unknown forwarding method \"" + f + "\" (masq, local, tunnel, route)");
  d.weight = number<int>(j, "weight", 1);
  d.u_threshold = number<uint32_t>(j, "u_threshold", 0);
  d.l_threshold = number<uint32_t>(j, "l_threshold", 0);
  return d;
}

Json to_json(const backend::Stats& s) {
  return Json{{"conns", s.conns}, {"inpkts", s.inpkts}, {"outpkts", s.outpkts}, {"inbytes", s.inbytes},
              {"outbytes", s.outbytes}, {"cps", s.cps}, {"inpps", s.inpps}, {"outpps", s.outpps},
              {"inbps", s.inbps}, {"outbps", s.outbps}};
}

backend::Stats stats_from_json(const Json& j) {
  backend::Stats s;
  s.conns = number<uint64_t>(j, "conns", 0);
  s.inpkts = number<uint64_t>(j, "inpkts", 0);
  s.outpkts = number<uint64_t>(j, "outpkts", 0);
  s.inbytes = number<uint64_t>(j, "inbytes", 0);
  s.outbytes = number<uint64_t>(j, "outbytes", 0);
  s.cps = number<uint64_t>(j, "cps", 0);
  s.inpps = number<uint64_t>(j, "inpps", 0);
  s.outpps = number<uint64_t>(j, "outpps", 0);
  s.inbps = number<uint64_t>(j, "inbps", 0);
  s.outbps = number<uint64_t>(j, "outbps", 0);
  return s;
}

Json to_json(const backend::ServiceStatus& s) {
  Json j = to_json(s.service);
  j["stats"] = to_json(s.stats);
  Json dests = Json::array();
  for (const auto& d : s.dests) {
    Json dj = to_json(d.dest);
    dj["active_conns"] = d.active_conns;
    dj["inact_conns"] = d.inact_conns;
    dj["persist_conns"] = d.persist_conns;
    dj["stats"] = to_json(d.stats);
    dests.push_back(dj);
  }
  j["dests"] = dests;
  return j;
}

backend::ServiceStatus status_from_json(const Json& j) {
  backend::ServiceStatus st;
  st.service = service_from_json(j);
  st.service.dests.clear();
  if (j.contains("stats")) st.stats = stats_from_json(j.at("stats"));
  for (const auto& dj : field(j, "dests")) {
    backend::DestStatus d;
    d.dest = dest_from_json(dj);
    d.active_conns = number<uint32_t>(dj, "active_conns", 0);
    d.inact_conns = number<uint32_t>(dj, "inact_conns", 0);
    d.persist_conns = number<uint32_t>(dj, "persist_conns", 0);
    if (dj.contains("stats")) d.stats = stats_from_json(dj.at("stats"));
    st.dests.push_back(std::move(d));
  }
  return st;
}

Json to_json(const backend::Timeouts& t) { return Json{{"tcp", t.tcp}, {"tcp_fin", t.tcp_fin}, {"udp", t.udp}}; }

backend::Timeouts timeouts_from_json(const Json& j) {
  return {number<uint32_t>(j, "tcp", 0), number<uint32_t>(j, "tcp_fin", 0), number<uint32_t>(j, "udp", 0)};
}

backend::SyncRole role_from_json(const Json& j) {
  auto r = j.is_string() ? j.get<std::string>() : text(j, "role", "", true);
  if (r == "master") return backend::SyncRole::master;
  if (r == "backup") return backend::SyncRole::backup;
  throw BackendError(EINVAL, "sync daemon role must be master or backup");
}

Json to_json(const backend::SyncDaemon& d) {
  Json j{{"role", d.role == backend::SyncRole::master ? "master" : "backup"},
         {"mcast_ifn", d.mcast_ifn}, {"syncid", d.syncid}, {"maxlen", d.maxlen},
         {"port", d.port}, {"ttl", d.ttl}};
  if (d.group) j["group"] = d.group->str();
  return j;
}

backend::SyncDaemon daemon_from_json(const Json& j) {
  backend::SyncDaemon d;
  d.role = role_from_json(field(j, "role"));
  d.mcast_ifn = text(j, "mcast_ifn", "eth0");
  d.syncid = number<uint32_t>(j, "syncid", 0);
  d.maxlen = number<uint16_t>(j, "maxlen", 0);
  if (j.contains("group")) d.group = address(j, "group");
  d.port = number<uint16_t>(j, "port", 0);
  d.ttl = number<uint8_t>(j, "ttl", 0);
  return d;
}

Json to_json(const backend::Info& i) { return Json{{"version", i.version}, {"conn_tab_size", i.conn_tab_size}}; }

backend::Info info_from_json(const Json& j) {
  return {number<uint32_t>(j, "version", 0, true), number<uint32_t>(j, "conn_tab_size", 0, true)};
}

Json to_json(const backend::Connection& c) {
  return Json{{"protocol", protocol_word(c.protocol)}, {"template", c.is_template},
              {"client_addr", c.client_addr.str()},    {"client_port", c.client_port},
              {"virtual_addr", c.virtual_addr.str()},  {"virtual_port", c.virtual_port},
              {"dest_addr", c.dest_addr.str()},        {"dest_port", c.dest_port},
              {"state", c.state},                      {"expires", c.expires_s}};
}

backend::Connection connection_from_json(const Json& j) {
  backend::Connection c;
  auto p = text(j, "protocol", "tcp");
  c.protocol = p == "udp" ? backend::Protocol::udp : p == "fwmark" ? backend::Protocol::fwmark : backend::Protocol::tcp;
  c.is_template = j.value("template", false);
  c.client_addr = address(j, "client_addr");
  c.client_port = number<uint16_t>(j, "client_port", 0);
  c.virtual_addr = address(j, "virtual_addr");
  c.virtual_port = number<uint16_t>(j, "virtual_port", 0);
  c.dest_addr = address(j, "dest_addr");
  c.dest_port = number<uint16_t>(j, "dest_port", 0);
  c.state = text(j, "state", "");
  c.expires_s = number<uint32_t>(j, "expires", 0);
  return c;
}

Json error_reply(int err, const std::string& text) {
  return Json{{"ok", false}, {"errno", err}, {"error", text}};
}

}  // namespace halb::director::lvsd::protocol
