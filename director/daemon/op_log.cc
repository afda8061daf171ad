// director/daemon/op_log.cc: see op_log.h.
#include "director/daemon/op_log.h"

#include "director/reconcile/desired.h"

namespace halb::director::daemon {

using reconcile::OpKind;

std::string virtual_name(const backend::ServiceKey& key) {
  if (key.protocol == backend::Protocol::fwmark) return std::to_string(key.fwmark);
  return endpoint_str(key.addr, key.port);
}

namespace {

const config::Virtual* find_virtual(const config::Config& config, const backend::ServiceKey& key) {
  for (const auto& v : config.virtuals)
    if (reconcile::service_key(v) == key) return &v;
  return nullptr;
}

// The configured real a dest stands for, if any.
const config::Real* find_real(const config::Virtual* v, const backend::Dest& d) {
  if (!v) return nullptr;
  for (const auto& r : v->reals)
    if (r.addr == d.addr && reconcile::dest_port(*v, r.forward, r.port) == d.port) return &r;
  return nullptr;
}

bool is_fallback(const config::Virtual* v, const backend::Dest& d) {
  if (!v || !v->effective.fallback || find_real(v, d)) return false;
  const auto& f = *v->effective.fallback;
  return f.addr == d.addr;
}

std::string weight_set(int w) { return " (Weight set to " + std::to_string(w) + ")"; }

}  // namespace

std::string op_log_line(const reconcile::Op& op, const config::Config& config, Phase phase) {
  const auto& key = op.service.key;
  const std::string vname = virtual_name(key);
  const config::Virtual* v = find_virtual(config, key);
  const std::string dname = backend::describe(op.dest);
  const std::string where = " (" + vname + ")";
  const char* phase_word = phase == Phase::stop ? " (stop)" : " (start)";
  switch (op.kind) {
    case OpKind::add_service: return "Added virtual server: " + vname;
    case OpKind::edit_service: return "Changed virtual server: " + vname;
    case OpKind::del_service: return std::string("Purged virtual server") + phase_word + ": " + vname;
    case OpKind::add_dest:
      if (is_fallback(v, op.dest)) return "Added fallback server: " + dname + where + weight_set(op.dest.weight);
      if (op.dest.weight == 0) return "Quiescent real server: " + dname + where + weight_set(0);
      return "Added real server: " + dname + where + weight_set(op.dest.weight);
    case OpKind::edit_dest: {
      if (op.dest.weight > 0) return "Restored real server: " + dname + where + weight_set(op.dest.weight);
      const config::Real* r = find_real(v, op.dest);
      if (r && r->port != 0 && r->port != op.dest.port)
        return "Quiescent real server: " + dname + " mapped from " + endpoint_str(r->addr, r->port) + where +
               weight_set(0);
      return "Quiescent real server: " + dname + where + weight_set(0);
    }
    case OpKind::del_dest:
      if (is_fallback(v, op.dest)) return "Deleted fallback server: " + dname + where;
      if (phase != Phase::running) return std::string("Purged real server") + phase_word + ": " + dname + where;
      return "Deleted real server: " + dname + where;
  }
  return reconcile::describe(op);
}

}  // namespace halb::director::daemon
