// director/lvsd/table/virtual_table.cc: see virtual_table.h. Kernel
// function names in comments point at the code each part follows.
#include "director/lvsd/table/virtual_table.h"

#include <algorithm>
#include <cerrno>
#include <functional>

#include "director/lvsd/sched/registry.h"

namespace halb::director::lvsd {

using backend::BackendError;

std::string_view conn_state_name(ConnState s) {
  switch (s) {
    case ConnState::syn_sent: return "SYN_SENT";
    case ConnState::established: return "ESTABLISHED";
    case ConnState::fin_wait: return "FIN_WAIT";
    case ConnState::close: return "CLOSE";
    case ConnState::udp: return "UDP";
  }
  return "NONE";
}

namespace {

void check_service(const backend::Service& s) {
  const auto& k = s.key;
  if (k.protocol == backend::Protocol::fwmark) {
    if (k.fwmark == 0) throw BackendError(EINVAL, "fwmark service needs a mark > 0");
  } else if (k.addr.family != k.family) {
    throw BackendError(EINVAL, "service address family differs from the service family");
  }
  if (!make_scheduler(s.scheduler)) throw BackendError(ENOENT, "Scheduler not found: " + s.scheduler);
  if (k.family == Family::v6 && (s.flags & backend::kSvcPersistent) && (s.netmask < 1 || s.netmask > 128))
    throw BackendError(EINVAL, "IPv6 persistence netmask must be a prefix length 1..128");
}

void check_dest(const ServiceEntry& s, const backend::Dest& d) {
  if (d.weight < 0) throw BackendError(EINVAL, "dest weight must be >= 0");
  // ip_vs_add_dest / ip_vs_edit_dest: a lower threshold above the upper one.
  if (d.l_threshold > d.u_threshold) throw BackendError(EINVAL, "lower threshold above upper threshold");
  if (d.addr.family != s.conf.key.family && d.forward != backend::Forward::tunnel)
    throw BackendError(EINVAL, "dest address family differs from the service (only tunnel may mix)");
}

auto find_dest(ServiceEntry& s, const backend::Dest& d) {
  return std::find_if(s.dests.begin(), s.dests.end(),
                      [&](const auto& e) { return backend::same_dest(e->conf, d); });
}

}  // namespace

IpAddress persistence_group(const IpAddress& client, uint32_t netmask) {
  IpAddress out = client;
  if (client.is_v4()) {
    uint32_t a = client.v4_host_order() & netmask;
    return IpAddress::v4(a);
  }
  int keep = static_cast<int>(std::min<uint32_t>(netmask, 128));
  for (int i = 0; i < 16; ++i) {
    int bits = std::clamp(keep - i * 8, 0, 8);
    out.bytes[i] &= static_cast<uint8_t>(bits == 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
  }
  return out;
}

// ---- control ----------------------------------------------------------

std::shared_ptr<ServiceEntry> VirtualTable::find(const backend::ServiceKey& key) const {
  auto it = services_.find(key);
  if (it == services_.end()) throw BackendError(ESRCH, "No such service");
  return it->second;
}

std::vector<SchedDest> VirtualTable::sched_view(const ServiceEntry& s) const {
  std::vector<SchedDest> v;
  v.reserve(s.dests.size());
  for (const auto& d : s.dests) v.push_back({d->conf.weight, d->overloaded, d->active, d->inactive});
  return v;
}

void VirtualTable::add_service(const backend::Service& svc) {
  check_service(svc);
  if (services_.count(svc.key)) throw BackendError(EEXIST, "Service already exists");
  auto e = std::make_shared<ServiceEntry>();
  e->conf = svc;
  e->conf.dests.clear();
  e->conf.flags &= ~backend::kSvcHashed;
  e->scheduler = make_scheduler(svc.scheduler, {}, svc.flags);
  // Dests given with the service are added as separate NEW_DEST commands
  // would be, but checked first so that a bad one leaves nothing behind.
  for (size_t i = 0; i < svc.dests.size(); ++i) {
    check_dest(*e, svc.dests[i]);
    for (size_t j = 0; j < i; ++j)
      if (backend::same_dest(svc.dests[i], svc.dests[j])) throw BackendError(EEXIST, "Destination already exists");
  }
  services_.emplace(svc.key, std::move(e));
  for (const auto& d : svc.dests) add_dest(svc.key, d);
}

void VirtualTable::edit_service(const backend::Service& svc) {
  auto s = find(svc.key);
  check_service(svc);
  bool new_sched = svc.scheduler != s->conf.scheduler;
  auto dests = std::move(s->conf.dests);
  s->conf = svc;
  s->conf.dests = std::move(dests);
  s->conf.flags &= ~backend::kSvcHashed;
  // ip_vs_edit_service: a different scheduler is bound afresh over the
  // current dest list; the same one keeps its position.
  if (new_sched) s->scheduler = make_scheduler(svc.scheduler, sched_view(*s), svc.flags);
  else s->scheduler->set_flags(svc.flags);
}

void VirtualTable::del_service(const backend::ServiceKey& key) {
  auto s = find(key);
  for (auto& d : s->dests) d->removed = true;
  drop_templates([&](const TemplateKey& k, const Template&) { return k.first == key; }, true);
  unbind_synced_of([](const DestEntry& d) { return d.removed; });
  services_.erase(key);
}

void VirtualTable::add_dest(const backend::ServiceKey& key, const backend::Dest& d) {
  auto s = find(key);
  check_dest(*s, d);
  if (find_dest(*s, d) != s->dests.end()) throw BackendError(EEXIST, "Destination already exists");
  auto e = std::make_shared<DestEntry>();
  e->conf = d;
  // __ip_vs_update_dest(add): list_add_rcu puts the new dest at the head.
  s->dests.insert(s->dests.begin(), std::move(e));
  s->scheduler->dest_added(sched_view(*s), 0);
}

void VirtualTable::edit_dest(const backend::ServiceKey& key, const backend::Dest& d) {
  auto s = find(key);
  check_dest(*s, d);
  auto it = find_dest(*s, d);
  if (it == s->dests.end()) throw BackendError(ENOENT, "No such destination");
  DestEntry& e = **it;
  // __ip_vs_update_dest: raising or removing the upper threshold clears OVERLOAD.
  if (d.u_threshold == 0 || d.u_threshold > e.conf.u_threshold) e.overloaded = false;
  e.conf = d;
  s->scheduler->dest_updated(sched_view(*s), static_cast<size_t>(it - s->dests.begin()));
}

void VirtualTable::del_dest(const backend::ServiceKey& key, const backend::Dest& d) {
  auto s = find(key);
  auto it = find_dest(*s, d);
  if (it == s->dests.end()) throw BackendError(ENOENT, "No such destination");
  auto gone = *it;
  size_t index = static_cast<size_t>(it - s->dests.begin());
  gone->removed = true;
  s->dests.erase(it);
  s->scheduler->dest_removed(sched_view(*s), index);
  drop_templates([&](const TemplateKey&, const Template& t) { return t.dest == gone; }, true);
  unbind_synced_of([&](const DestEntry& d) { return &d == gone.get(); });
}

void VirtualTable::flush() {
  for (auto& [k, s] : services_)
    for (auto& d : s->dests) d->removed = true;
  services_.clear();
  drop_templates([](const TemplateKey&, const Template&) { return true; }, true);
  unbind_synced_of([](const DestEntry&) { return true; });
}

void VirtualTable::zero(const std::optional<backend::ServiceKey>& key) {
  auto zero_one = [](ServiceEntry& s) {
    s.counters.zero();
    s.estimator.reset({});
    for (auto& d : s.dests) {
      d->counters.zero();
      d->estimator.reset({});
    }
  };
  if (key) {
    zero_one(*find(*key));
    return;
  }
  for (auto& [k, s] : services_) zero_one(*s);
}

void VirtualTable::set_timeouts(const backend::Timeouts& t) {
  if (t.tcp) timeouts_.tcp = t.tcp;
  if (t.tcp_fin) timeouts_.tcp_fin = t.tcp_fin;
  if (t.udp) timeouts_.udp = t.udp;
}

std::vector<backend::SyncDaemon> VirtualTable::daemons() const {
  auto out = daemons_;
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.role < b.role; });
  return out;
}

void VirtualTable::start_daemon(backend::SyncDaemon d, uint16_t default_maxlen) {
  for (const auto& r : daemons_)
    if (r.role == d.role) throw BackendError(EEXIST, "Sync daemon already running");
  if (d.mcast_ifn.empty() || d.mcast_ifn.size() > 15) throw BackendError(EINVAL, "bad multicast interface name");
  if (d.syncid > 255) throw BackendError(EINVAL, "syncid must be 0..255");
  if (d.group) {
    bool multicast = d.group->is_v4() ? (d.group->bytes[0] & 0xf0) == 0xe0 : d.group->bytes[0] == 0xff;
    if (!multicast) throw BackendError(EINVAL, "sync group must be a multicast address");
  } else {
    d.group = IpAddress::v4(0xe0000051);  // 224.0.0.81
  }
  if (!d.port) d.port = 8848;
  if (!d.ttl) d.ttl = 1;
  if (!d.maxlen) d.maxlen = default_maxlen;
  if (d.role == backend::SyncRole::master) set_sync_master(true);
  daemons_.push_back(std::move(d));
}

void VirtualTable::stop_daemon(backend::SyncRole role) {
  auto it = std::find_if(daemons_.begin(), daemons_.end(), [&](const auto& d) { return d.role == role; });
  if (it == daemons_.end()) throw BackendError(ESRCH, "Sync daemon not running");
  daemons_.erase(it);
  if (role == backend::SyncRole::master) set_sync_master(false);
}

std::vector<backend::ServiceStatus> VirtualTable::services() const {
  std::vector<backend::ServiceStatus> out;
  for (const auto& [k, s] : services_) {
    backend::ServiceStatus st;
    st.service = s->conf;
    st.service.flags |= backend::kSvcHashed;  // as the kernel reports a listed service
    st.stats = s->counters.totals();
    s->estimator.rates(st.stats);
    for (const auto& d : s->dests) {
      backend::DestStatus ds;
      ds.dest = d->conf;
      ds.active_conns = d->active;
      ds.inact_conns = d->inactive;
      ds.persist_conns = d->persist;
      ds.stats = d->counters.totals();
      d->estimator.rates(ds.stats);
      st.dests.push_back(std::move(ds));
    }
    out.push_back(std::move(st));
  }
  return out;
}

std::vector<backend::ServiceKey> VirtualTable::service_keys() const {
  std::vector<backend::ServiceKey> out;
  for (const auto& [k, s] : services_) out.push_back(k);
  return out;
}

std::vector<backend::Connection> VirtualTable::connections(double now) const {
  std::vector<backend::Connection> out;
  auto left = [&](double expires) { return static_cast<uint32_t>(std::max(0.0, expires - now)); };
  for (const auto& [id, c] : conns_) {
    backend::Connection e;
    e.protocol = c->service.protocol;
    e.client_addr = c->client_addr;
    e.client_port = c->client_port;
    e.virtual_addr = c->service.addr;
    e.virtual_port = c->service.port;
    e.dest_addr = c->dest->conf.addr;
    e.dest_port = c->dest->conf.port;
    e.state = std::string(conn_state_name(c->state));
    e.expires_s = left(c->last_active.load(std::memory_order_relaxed) + idle_timeout(c->state));
    out.push_back(std::move(e));
  }
  for (const auto& [k, t] : templates_) {
    backend::Connection e;
    e.protocol = k.first.protocol;
    e.is_template = true;
    e.client_addr = k.second;
    e.virtual_addr = k.first.addr;
    e.virtual_port = k.first.port;
    e.dest_addr = t.dest_addr;
    e.dest_port = t.dest_port;
    e.state = std::string(sync::state_name(0, t.state, true));
    e.expires_s = left(t.expires);
    out.push_back(std::move(e));
  }
  for (const auto& [k, c] : synced_) {
    backend::Connection e;
    e.protocol = c.key.protocol;
    e.client_addr = c.entry.caddr;
    e.client_port = c.entry.cport;
    e.virtual_addr = c.entry.vaddr;
    e.virtual_port = c.entry.vport;
    e.dest_addr = c.entry.daddr;
    e.dest_port = c.entry.dport;
    e.state = std::string(sync::state_name(c.entry.protocol, c.entry.state, false));
    e.expires_s = left(c.expires);
    out.push_back(std::move(e));
  }
  return out;
}

// ---- data path --------------------------------------------------------

uint32_t VirtualTable::idle_timeout(ConnState s) const {
  switch (s) {
    case ConnState::udp: return timeouts_.udp;
    case ConnState::fin_wait:
    case ConnState::close: return timeouts_.tcp_fin;
    default: return timeouts_.tcp;
  }
}

// ip_vs_bind_dest: count the connection, then set OVERLOAD at u_threshold.
void VirtualTable::bind(DestEntry& d, ConnState s) { bind_as(d, counts_active(s)); }

void VirtualTable::bind_as(DestEntry& d, bool active) {
  (active ? d.active : d.inactive)++;
  if (d.conf.u_threshold != 0 && d.active + d.inactive >= d.conf.u_threshold) d.overloaded = true;
}

// ip_vs_unbind_dest: uncount, then clear OVERLOAD below l_threshold (or
// below 3/4 of u_threshold when l_threshold is 0).
void VirtualTable::unbind(DestEntry& d, ConnState s) { unbind_as(d, counts_active(s)); }

void VirtualTable::unbind_as(DestEntry& d, bool active) {
  uint32_t& n = active ? d.active : d.inactive;
  if (n) --n;
  uint64_t total = d.active + d.inactive;
  if (d.conf.l_threshold != 0) {
    if (total < d.conf.l_threshold) d.overloaded = false;
  } else if (d.conf.u_threshold != 0) {
    if (total * 4 < uint64_t{d.conf.u_threshold} * 3) d.overloaded = false;
  } else {
    d.overloaded = false;
  }
}

void VirtualTable::drop_templates(const std::function<bool(const TemplateKey&, const Template&)>& which,
                                  bool keep_synced) {
  for (auto it = templates_.begin(); it != templates_.end();) {
    Template& t = it->second;
    if (!which(it->first, t)) {
      ++it;
      continue;
    }
    if (t.dest && t.dest->persist) --t.dest->persist;
    if (keep_synced && t.from_sync) {
      t.dest.reset();
      ++it;
    } else {
      it = templates_.erase(it);
    }
  }
}

// ip_vs_sched_persist: a live template sends the client group back to its
// dest even when that dest is now quiescent or overloaded; otherwise the
// scheduler picks and a template is made.
std::shared_ptr<DestEntry> VirtualTable::persistent_dest(ServiceEntry& s, const IpAddress& client, double now) {
  TemplateKey key{s.conf.key, persistence_group(client, s.conf.netmask)};
  auto it = templates_.find(key);
  if (it == templates_.end()) return nullptr;
  Template& t = it->second;
  if (t.expires > now) {
    // A synced template binds to its dest on first use: the master chose
    // it, the backup's table may have been filled in only after failover.
    if (!t.dest || t.dest->removed) {
      if (t.dest && t.dest->persist) --t.dest->persist;
      t.dest.reset();
      if (auto d = find_bound_dest(s.conf.key, t.dest_addr, t.dest_port)) {
        t.dest = d;
        d->persist++;
      }
    }
    if (t.dest) {
      t.expires = std::max(t.expires, now + s.conf.timeout);
      journal_template(key, t, s, now);
      return t.dest;
    }
  }
  if (t.dest && t.dest->persist) --t.dest->persist;
  templates_.erase(it);
  return nullptr;
}

Admission VirtualTable::admit(const backend::ServiceKey& key, const IpAddress& client, uint16_t client_port,
                              double now) {
  Admission a;
  auto it = services_.find(key);
  if (it == services_.end()) {
    a.refusal = Refusal::no_service;
    return a;
  }
  ServiceEntry& s = *it->second;
  if (key.protocol == backend::Protocol::fwmark) {
    a.refusal = Refusal::not_forwarded;
    return a;
  }
  if (max_conns_ && conns_.size() >= max_conns_) {
    a.refusal = Refusal::table_full;
    if (!full_logged_) {
      full_logged_ = true;
      a.message = "connection table full (" + std::to_string(max_conns_) +
                  " connections, --max-connections): refusing new connections";
    }
    return a;
  }
  bool persistent = s.conf.flags & backend::kSvcPersistent;
  std::shared_ptr<DestEntry> dest = persistent ? persistent_dest(s, client, now) : nullptr;
  if (!dest) {
    auto view = sched_view(s);
    Pick p = s.scheduler->pick(view, Flow{client, client_port});
    if (!p.index || *p.index >= s.dests.size()) {
      a.refusal = Refusal::no_dest;
      a.message = "IPVS: " + s.conf.scheduler + ": " + backend::describe(key) + " - " +
                  std::string(no_dest_message(p.why));
      return a;
    }
    dest = s.dests[*p.index];
    if (persistent) {
      TemplateKey tk{key, persistence_group(client, s.conf.netmask)};
      Template& t = templates_[tk];
      t = Template{};
      t.dest = dest;
      t.dest_addr = dest->conf.addr;
      t.dest_port = dest->conf.port;
      t.expires = now + s.conf.timeout;
      dest->persist++;
      journal_template(tk, t, s, now);
    }
  }
  auto c = std::make_shared<ConnEntry>();
  c->id = next_id_++;
  c->service = key;
  c->client_addr = client;
  c->client_port = client_port;
  c->svc = it->second;
  c->dest = dest;
  c->dest_addr = dest->conf.addr;
  c->dest_port = dest->conf.port;
  c->state = key.protocol == backend::Protocol::udp ? ConnState::udp : ConnState::syn_sent;
  c->last_active.store(now, std::memory_order_relaxed);
  bind(*dest, c->state);
  s.counters.add_conn();
  dest->counters.add_conn();
  conns_.emplace(c->id, c);
  if (c->state == ConnState::udp) journal_conn(*c, now);
  a.conn = std::move(c);
  return a;
}

void VirtualTable::set_state(ConnEntry& c, ConnState s) {
  if (c.state == s) return;
  bool was = counts_active(c.state), is = counts_active(s);
  if (was != is && conns_.count(c.id)) {
    uint32_t& from = was ? c.dest->active : c.dest->inactive;
    if (from) --from;
    (is ? c.dest->active : c.dest->inactive)++;
  }
  c.state = s;
  if (conns_.count(c.id)) journal_conn(c, c.last_active.load(std::memory_order_relaxed));
}

void VirtualTable::release(ConnEntry& c, double now) {
  auto it = conns_.find(c.id);
  if (it == conns_.end()) return;
  unbind(*c.dest, c.state);
  // The template outlives its last connection by the persistence timeout.
  if (c.svc->conf.flags & backend::kSvcPersistent) {
    auto t = templates_.find({c.service, persistence_group(c.client_addr, c.svc->conf.netmask)});
    if (t != templates_.end() && t->second.dest == c.dest) {
      t->second.expires = std::max(t->second.expires, now + c.svc->conf.timeout);
      journal_template(t->first, t->second, *c.svc, now);
    }
  }
  conns_.erase(it);
  if (max_conns_ && conns_.size() < max_conns_) full_logged_ = false;
}

void VirtualTable::tick(double now) {
  for (auto& [k, s] : services_) {
    s->estimator.sample(s->counters.totals());
    for (auto& d : s->dests) d->estimator.sample(d->counters.totals());
  }
  // A template that still steers open connections stays (the kernel's n_control).
  std::map<TemplateKey, bool> in_use;
  for (const auto& [id, c] : conns_)
    if (c->svc->conf.flags & backend::kSvcPersistent)
      in_use[{c->service, persistence_group(c->client_addr, c->svc->conf.netmask)}] = true;
  drop_templates([&](const TemplateKey& k, const Template& t) { return t.expires <= now && !in_use.count(k); });
  sync_tick(now);
}

}  // namespace halb::director::lvsd
