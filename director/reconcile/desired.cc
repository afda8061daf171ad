// director/reconcile/desired.cc: see desired.h.
#include "director/reconcile/desired.h"

#include <algorithm>

namespace halb::director::reconcile {

using backend::Dest;
using backend::Service;

backend::ServiceKey service_key(const config::Virtual& v) {
  backend::ServiceKey k;
  k.family = v.v6 ? Family::v6 : Family::v4;
  if (v.fwmark) {
    k.protocol = backend::Protocol::fwmark;
    k.fwmark = *v.fwmark;
    k.addr.family = k.family;
    return k;
  }
  k.protocol = v.protocol == config::Protocol::udp ? backend::Protocol::udp : backend::Protocol::tcp;
  k.addr = v.addr;
  k.port = v.port;
  return k;
}

RealId real_id(const config::Virtual& v, const config::Real& r) { return RealId{service_key(v), r.addr, r.port}; }

backend::Forward to_forward(config::Forward f) {
  switch (f) {
    case config::Forward::masq: return backend::Forward::masq;
    case config::Forward::ipip: return backend::Forward::tunnel;
    case config::Forward::gate: break;
  }
  return backend::Forward::route;
}

uint16_t dest_port(const config::Virtual& v, config::Forward forward, uint16_t port) {
  if (v.fwmark) return port;
  if (forward != config::Forward::masq || port == 0) return v.port;
  return port;
}

bool any_real_up(const config::Virtual& v, const CheckStates& states) {
  if (v.checktype == config::CheckType::on) return !v.reals.empty();
  for (const auto& r : v.reals) {
    auto it = states.find(real_id(v, r));
    if (it != states.end() && it->second == CheckState::up) return true;
  }
  return false;
}

namespace {

uint32_t service_flags(const config::Virtual& v) {
  uint32_t flags = 0;
  if (v.persistent) flags |= backend::kSvcPersistent;
  if (v.ops) flags |= backend::kSvcOnePacket;
  for (const auto& f : v.schedflags) {
    if (f == "flag-1" || f == "sh-fallback" || f == "mh-fallback") flags |= backend::kSvcSched1;
    if (f == "flag-2" || f == "sh-port" || f == "mh-port") flags |= backend::kSvcSched2;
    if (f == "flag-3") flags |= backend::kSvcSched3;
  }
  return flags;
}

Service service_for(const config::Virtual& v) {
  Service s;
  s.key = service_key(v);
  s.scheduler = v.scheduler;
  s.flags = service_flags(v);
  s.timeout = v.persistent ? static_cast<uint32_t>(*v.persistent) : 0;
  uint32_t full = v.v6 ? 128 : 0xffffffff;
  s.netmask = v.persistent && v.netmask ? *v.netmask : full;
  return s;
}

// Adds `d` unless a dest with its address and port is already there; with
// `replace`, overwrites that dest instead (the fallback wins over a
// quiesced real at the same address).
void put(std::vector<Dest>& dests, const Dest& d, bool replace) {
  auto it = std::find_if(dests.begin(), dests.end(), [&](const Dest& x) { return backend::same_dest(x, d); });
  if (it == dests.end()) dests.push_back(d);
  else if (replace) *it = d;
}

}  // namespace

backend::Table desired_table(const config::Config& config, const CheckStates& states) {
  backend::Table table;
  for (const auto& v : config.virtuals) {
    Service s = service_for(v);
    if (v.checktype != config::CheckType::off) {
      bool always_up = v.checktype == config::CheckType::on;
      for (const auto& r : v.reals) {
        auto it = states.find(real_id(v, r));
        bool up = always_up || (it != states.end() && it->second == CheckState::up);
        if (!up && !v.effective.quiescent) continue;
        Dest d;
        d.addr = r.addr;
        d.port = dest_port(v, r.forward, r.port);
        d.forward = to_forward(r.forward);
        d.weight = up ? r.weight : 0;
        d.u_threshold = r.upper_threshold;
        d.l_threshold = r.lower_threshold;
        put(s.dests, d, false);
      }
      if (v.effective.fallback && !any_real_up(v, states)) {
        const auto& f = *v.effective.fallback;
        Dest d;
        d.addr = f.addr;
        d.port = dest_port(v, f.forward, f.port.value_or(0));
        d.forward = to_forward(f.forward);
        d.weight = 1;
        put(s.dests, d, true);
      }
    }
    table.services.push_back(std::move(s));
  }
  backend::sort_table(table);
  return table;
}

}  // namespace halb::director::reconcile
