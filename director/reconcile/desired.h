// director/reconcile/desired.h: the virtual server table the checks allow.
//
// A pure function from (parsed ldirectord.cf, what the checks say about each
// real) to the wanted backend::Table. The daemon calls it after every state
// change and on reload, then applies diff(current, wanted); nothing here
// knows about sockets, time or the kernel, so every rule of ldirectord's
// state handling is a unit test:
//
//   real state   quiescent=yes          quiescent=no
//   up           dest, configured weight dest, configured weight
//   down         dest, weight 0         no dest
//
//   no real up (and a fallback configured): the fallback is a dest with
//   weight 1 (its own forwarding method, gate by default); as soon as one
//   real is up it is gone again (deleted, never quiesced, as ldirectord).
//   checktype=on: every real is up; checktype=off: the service has no dests
//   and no fallback.
//
// A real missing from the states map is down: ldirectord brings every real
// down until its first check passes. (Its startup rule, "a real already in
// the table with weight > 0 is trusted as up", is the daemon's to apply by
// seeding the map.)
#pragma once

#include <compare>
#include <cstdint>
#include <map>

#include "director/backend/table.h"
#include "director/config/model.h"

namespace halb::director::reconcile {

enum class CheckState { down, up };

// A real as configured (its port as written, 0 when not given), within one
// virtual service.
struct RealId {
  backend::ServiceKey service;
  IpAddress addr;
  uint16_t port = 0;
  auto operator<=>(const RealId&) const = default;
};

using CheckStates = std::map<RealId, CheckState>;

backend::ServiceKey service_key(const config::Virtual& v);
RealId real_id(const config::Virtual& v, const config::Real& r);
backend::Forward to_forward(config::Forward f);

// The port a dest gets in the table: with gate or ipip the kernel forces
// the virtual's port (ipvsadm does this before asking), and a real written
// without a port takes the virtual's; fwmark services keep the real's port.
uint16_t dest_port(const config::Virtual& v, config::Forward forward, uint16_t port);

// Whether any real of `v` counts as up (checktype=on: all of them).
bool any_real_up(const config::Virtual& v, const CheckStates& states);

// The wanted table, sorted (backend::sort_table). When two reals of one
// virtual land on the same dest (gate forces the port), the first listed
// wins, as the second ipvsadm -a would fail in ldirectord.
backend::Table desired_table(const config::Config& config, const CheckStates& states);

}  // namespace halb::director::reconcile
