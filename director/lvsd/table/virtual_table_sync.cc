// director/lvsd/table/virtual_table_sync.cc: the parts of VirtualTable that
// feed the sync master and take in what a master sent (see
// virtual_table.h, sync/message.h). What is sent follows the kernel's
// ip_vs_sync_conn(): templates, and TCP connections once they reach
// ESTABLISHED, FIN_WAIT or CLOSE (never SYN_SENT); UDP flows when they
// start. What a backup does with an entry follows ip_vs_proc_conn().
#include <algorithm>

#include "director/lvsd/table/virtual_table.h"

namespace halb::director::lvsd {

namespace {

// The kernel's timeout for a TCP connection in CLOSE (tcp_timeouts[]).
constexpr uint32_t kCloseTimeout = 10;
// A template that stays in use is sent again once this much of its timeout
// has passed since it was last sent (at most 10 s), so a backup's copy
// expires at most that much earlier than the master's.
double template_refresh(uint32_t timeout) { return std::min(timeout / 4.0, 10.0); }
// Connections the master keeps open are sent again after a quarter of their
// idle timeout, so the backup does not expire them while they live.
double conn_refresh(uint32_t timeout) { return std::max(timeout / 4.0, 1.0); }

uint8_t proto_number(backend::Protocol p) {
  switch (p) {
    case backend::Protocol::tcp: return sync::kProtoTcp;
    case backend::Protocol::udp: return sync::kProtoUdp;
    case backend::Protocol::fwmark: return sync::kProtoIp;
  }
  return sync::kProtoIp;
}

uint16_t kernel_state(ConnState s) {
  switch (s) {
    case ConnState::syn_sent: return sync::kTcpSynSent;
    case ConnState::established: return sync::kTcpEstablished;
    case ConnState::fin_wait: return sync::kTcpFinWait;
    case ConnState::close: return sync::kTcpClose;
    case ConnState::udp: return sync::kUdpNormal;
  }
  return sync::kTcpNone;
}

// A fwmark service's template carries the mark as its virtual address
// (ip_vs_sched_persist: vaddr.ip = htonl(fwmark)).
IpAddress mark_address(uint32_t mark, Family f) {
  IpAddress a;
  a.family = f;
  a.bytes[0] = static_cast<uint8_t>(mark >> 24);
  a.bytes[1] = static_cast<uint8_t>(mark >> 16);
  a.bytes[2] = static_cast<uint8_t>(mark >> 8);
  a.bytes[3] = static_cast<uint8_t>(mark);
  return a;
}

}  // namespace

void VirtualTable::set_sync_master(bool on) {
  // What was journaled before a stop is still taken (and sent) by the
  // stopping master's last flush; a new master starts from nothing.
  if (on && !sync_master_) journal_.clear();
  sync_master_ = on;
}

std::vector<sync::Entry> VirtualTable::take_sync_journal() {
  std::vector<sync::Entry> out;
  out.swap(journal_);
  return out;
}

void VirtualTable::journal(sync::Entry e) {
  if (journal_.size() >= kJournalMax) {
    ++journal_dropped_;
    return;
  }
  journal_.push_back(std::move(e));
}

void VirtualTable::journal_conn(ConnEntry& c, double now) {
  if (!sync_master_ || c.state == ConnState::syn_sent) return;
  const auto& k = c.service;
  if (c.dest_addr.family != k.family) return;  // the kernel does not sync mixed-family dests either
  sync::Entry e;
  e.family = k.family;
  e.protocol = proto_number(k.protocol);
  e.flags = static_cast<uint32_t>(c.dest->conf.forward);
  if (!counts_active(c.state)) e.flags |= sync::kConnInactive;
  e.state = kernel_state(c.state);
  e.cport = c.client_port;
  e.vport = k.port;
  e.dport = c.dest_port;
  e.timeout = c.state == ConnState::close ? kCloseTimeout : idle_timeout(c.state);
  e.caddr = c.client_addr;
  e.vaddr = k.addr;
  e.daddr = c.dest_addr;
  c.synced_at = now;
  journal(std::move(e));
}

void VirtualTable::journal_template(const TemplateKey& k, Template& t, const ServiceEntry& s, double now) {
  if (!sync_master_ || !t.dest) return;
  // A fresh template goes out at once; one in use again once its refresh is due.
  if (now - t.synced_at < template_refresh(s.conf.timeout)) return;
  const auto& key = k.first;
  if (t.dest_addr.family != key.family) return;
  sync::Entry e;
  e.family = key.family;
  e.protocol = proto_number(key.protocol);
  e.flags = sync::kConnTemplate | static_cast<uint32_t>(t.dest->conf.forward);
  e.state = t.state;
  e.vport = key.port;
  e.dport = t.dest_port;
  e.fwmark = key.protocol == backend::Protocol::fwmark ? key.fwmark : 0;
  e.timeout = s.conf.timeout;
  e.caddr = k.second;
  e.vaddr = key.protocol == backend::Protocol::fwmark ? mark_address(key.fwmark, key.family) : key.addr;
  e.daddr = t.dest_addr;
  t.synced_at = now;
  journal(std::move(e));
}

std::shared_ptr<DestEntry> VirtualTable::find_bound_dest(const backend::ServiceKey& key, const IpAddress& addr,
                                                         uint16_t port) const {
  auto it = services_.find(key);
  if (it == services_.end()) return nullptr;
  for (const auto& d : it->second->dests)
    if (!d->removed && d->conf.addr == addr && d->conf.port == port) return d;
  return nullptr;
}

void VirtualTable::unbind_synced_of(const std::function<bool(const DestEntry&)>& which) {
  for (auto& [k, c] : synced_) {
    if (!c.dest || !which(*c.dest)) continue;
    unbind_as(*c.dest, c.counted_active);
    c.dest.reset();
  }
}

bool VirtualTable::apply_sync(const sync::Entry& e, double now) {
  // Which service the entry belongs to: a mark when it carries one and we
  // have (or it is a template of) that fwmark service, else protocol,
  // address and port.
  backend::ServiceKey key;
  key.family = e.family;
  backend::ServiceKey mark_key{backend::Protocol::fwmark, e.family, e.fwmark, {}, 0};
  if (e.fwmark && (services_.count(mark_key) || (e.is_template() && e.protocol == sync::kProtoIp))) {
    key = mark_key;
  } else if (e.protocol == sync::kProtoTcp || e.protocol == sync::kProtoUdp) {
    key.protocol = e.protocol == sync::kProtoTcp ? backend::Protocol::tcp : backend::Protocol::udp;
    key.addr = e.vaddr;
    key.port = e.vport;
  } else {
    return false;
  }
  // ip_vs_proc_conn: no timeout (a version 0 master) means 3 minutes for a template.
  const double expires = now + (e.timeout ? std::min(e.timeout, kSyncedTimeoutMax) : 180);
  auto dest = find_bound_dest(key, e.daddr, e.dport);

  if (e.is_template()) {
    const TemplateKey tk{key, e.caddr};
    if (templates_.size() >= kSyncedMax && !templates_.count(tk)) return false;
    Template& t = templates_[tk];
    // The master's choice wins over an older one here.
    if (t.dest != dest) {
      if (t.dest && t.dest->persist) --t.dest->persist;
      t.dest = dest;
      if (dest) dest->persist++;
    }
    t.dest_addr = e.daddr;
    t.dest_port = e.dport;
    t.expires = expires;
    t.from_sync = true;
    t.state = e.state;
    return true;
  }

  SyncedKey sk{e.protocol, e.caddr, e.cport, e.vaddr, e.vport};
  const bool active = !(e.flags & sync::kConnInactive);
  auto it = synced_.find(sk);
  if (it != synced_.end()) {
    SyncedConn& c = it->second;
    if (c.entry.daddr != e.daddr || c.entry.dport != e.dport) {
      // Another dest: a live entry replaces the old one, an inactive one is
      // the late end of a connection already replaced.
      if (!active) return true;
      if (c.dest) unbind_as(*c.dest, c.counted_active);
      synced_.erase(it);
      it = synced_.end();
    } else {
      if (c.dest && c.counted_active != active) {
        unbind_as(*c.dest, c.counted_active);
        bind_as(*c.dest, active);
      }
      c.counted_active = active;
      c.entry = e;
      c.key = key;
      c.expires = expires;
      return true;
    }
  }
  if (synced_.size() >= kSyncedMax) return false;
  SyncedConn c;
  c.entry = e;
  c.key = key;
  c.dest = dest;
  c.counted_active = active;
  c.expires = expires;
  if (dest) bind_as(*dest, active);
  synced_.emplace(sk, std::move(c));
  return true;
}

void VirtualTable::sync_tick(double now) {
  for (auto it = synced_.begin(); it != synced_.end();) {
    SyncedConn& c = it->second;
    if (c.expires <= now) {
      if (c.dest) unbind_as(*c.dest, c.counted_active);
      it = synced_.erase(it);
      continue;
    }
    if (!c.dest) {
      // The service or dest may have been added since (the director starts
      // on the new master after failover).
      if ((c.dest = find_bound_dest(c.key, c.entry.daddr, c.entry.dport))) bind_as(*c.dest, c.counted_active);
    }
    ++it;
  }
  if (!sync_master_) return;
  for (auto& [id, c] : conns_) {
    if (c->state != ConnState::established && c->state != ConnState::udp) continue;
    const double active = c->last_active.load(std::memory_order_relaxed);
    if (active > c->synced_at && now - c->synced_at >= conn_refresh(idle_timeout(c->state))) journal_conn(*c, now);
  }
}

}  // namespace halb::director::lvsd
