// tests/unit/director/adm/fake_backend.h: a Backend in memory for
// halb-adm's tests: IPVS's errors for add/edit/delete, an injectable errno,
// and a log of every change in the same words as the ipvsadm oracle's
// (oracle/fake_ipvs_sockopt.c), so a golden log from the real ipvsadm can
// be compared with what halb-adm asked the backend to do.
#pragma once

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "director/backend/backend.h"

namespace halb::director::adm::testing {

using namespace halb::director::backend;

class FakeBackend : public Backend {
 public:
  Info the_info;
  std::vector<ServiceStatus> table;
  Timeouts the_timeouts{900, 120, 300};
  std::vector<SyncDaemon> the_daemons;
  std::vector<Connection> conns;
  std::vector<std::string> log;
  int fail_errno = 0;  // every change fails with this errno (after being logged)
  bool checks = true;  // false: changes are only logged, as by the oracle's fake IPVS
  std::vector<std::optional<ServiceKey>> zeroed;

  std::string_view name() const override { return "fake"; }
  Info info() override { return the_info; }
  std::vector<ServiceStatus> services() override { return table; }

  // Reads the oracle's table format (see oracle/fake_ipvs_sockopt.c).
  // Lines starting with "svc6"/"dst6" carry IPv6 addresses, which the
  // oracle cannot serve.
  void load(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream w(line);
      std::string kind;
      if (!(w >> kind)) continue;
      if (kind == "info") {
        std::string v;
        w >> v >> the_info.conn_tab_size;
        the_info.version = static_cast<uint32_t>(std::stoul(v, nullptr, 0));
      } else if (kind == "timeout") {
        w >> the_timeouts.tcp >> the_timeouts.tcp_fin >> the_timeouts.udp;
      } else if (kind == "svc" || kind == "svc6") {
        ServiceStatus s;
        std::string proto, addr, flags, mask;
        unsigned port;
        w >> proto >> addr >> port >> s.service.key.fwmark >> s.service.scheduler >> flags >> s.service.timeout >>
            mask;
        read_stats(w, s.stats);
        auto& k = s.service.key;
        k.family = kind == "svc6" ? Family::v6 : Family::v4;
        if (s.service.key.fwmark) {
          k.protocol = Protocol::fwmark;
          k.addr.family = k.family;
        } else {
          k.protocol = proto == "udp" ? Protocol::udp : Protocol::tcp;
          k.addr = *IpAddress::parse(addr);
          k.port = static_cast<uint16_t>(port);
        }
        s.service.flags = static_cast<uint32_t>(std::stoul(flags, nullptr, 0));
        if (k.family == Family::v6)
          s.service.netmask = static_cast<uint32_t>(std::stoul(mask));
        else
          s.service.netmask = IpAddress::parse(mask)->v4_host_order();
        table.push_back(s);
      } else if (kind == "dst" || kind == "dst6") {
        DestStatus d;
        std::string addr, fwd;
        unsigned port;
        w >> addr >> port >> fwd >> d.dest.weight >> d.dest.u_threshold >> d.dest.l_threshold >> d.active_conns >>
            d.inact_conns >> d.persist_conns;
        read_stats(w, d.stats);
        d.dest.addr = *IpAddress::parse(addr);
        d.dest.port = static_cast<uint16_t>(port);
        d.dest.forward = static_cast<Forward>(std::stoul(fwd, nullptr, 0));
        table.back().dests.push_back(d);
      } else if (kind == "daemon") {
        SyncDaemon d;
        int state;
        w >> state >> d.mcast_ifn >> d.syncid;
        d.role = state == 2 ? SyncRole::backup : SyncRole::master;
        the_daemons.push_back(d);
      } else if (kind == "proc") {
        // A line of /proc/net/ip_vs_conn: hex IPv4 (or IPv6) addresses and
        // hex ports, the state, the seconds left.
        Connection c;
        std::string proto, ca, cp, va, vp, da, dp;
        w >> proto >> ca >> cp >> va >> vp >> da >> dp >> c.state >> c.expires_s;
        c.protocol = proto == "TCP" ? Protocol::tcp : proto == "UDP" ? Protocol::udp : Protocol::fwmark;
        auto addr = [](const std::string& t) {
          if (t.find(':') != std::string::npos) return *IpAddress::parse(t);
          return IpAddress::v4(static_cast<uint32_t>(std::stoul(t, nullptr, 16)));
        };
        auto port = [](const std::string& t) { return static_cast<uint16_t>(std::stoul(t, nullptr, 16)); };
        c.client_addr = addr(ca);
        c.client_port = port(cp);
        c.virtual_addr = addr(va);
        c.virtual_port = port(vp);
        c.dest_addr = addr(da);
        c.dest_port = port(dp);
        c.is_template = c.client_port == 0;
        conns.push_back(c);
      } else if (kind == "pe") {
        w >> table.back().service.pe_name;
      }
    }
  }

  void add_service(const Service& s) override {
    change("add_service", s.key, &s);
    if (!checks) return;
    if (find(s.key)) throw BackendError(EEXIST, "exists");
    ServiceStatus st;
    st.service = s;
    st.service.dests.clear();
    table.push_back(st);
  }
  void edit_service(const Service& s) override {
    change("edit_service", s.key, &s);
    if (!checks) return;
    auto* cur = find(s.key);
    if (!cur) throw BackendError(ESRCH, "no service");
    cur->service = s;
    cur->service.dests.clear();
  }
  void del_service(const ServiceKey& k) override {
    change("del_service", k, nullptr);
    if (!checks) return;
    for (auto it = table.begin(); it != table.end(); ++it)
      if (it->service.key == k) {
        table.erase(it);
        return;
      }
    throw BackendError(ESRCH, "no service");
  }
  void add_dest(const ServiceKey& k, const Dest& d) override {
    change("add_dest", k, nullptr, &d);
    if (!checks) return;
    auto* s = find(k);
    if (!s) throw BackendError(ESRCH, "no service");
    for (auto& x : s->dests)
      if (same_dest(x.dest, d)) throw BackendError(EEXIST, "exists");
    DestStatus ds;
    ds.dest = d;
    s->dests.push_back(ds);
  }
  void edit_dest(const ServiceKey& k, const Dest& d) override {
    change("edit_dest", k, nullptr, &d);
    if (!checks) return;
    auto* s = find(k);
    if (!s) throw BackendError(ESRCH, "no service");
    for (auto& x : s->dests)
      if (same_dest(x.dest, d)) {
        x.dest = d;
        return;
      }
    throw BackendError(ENOENT, "no dest");
  }
  void del_dest(const ServiceKey& k, const Dest& d) override {
    change("del_dest", k, nullptr, &d);
    if (!checks) return;
    auto* s = find(k);
    if (!s) throw BackendError(ESRCH, "no service");
    for (auto it = s->dests.begin(); it != s->dests.end(); ++it)
      if (same_dest(it->dest, d)) {
        s->dests.erase(it);
        return;
      }
    throw BackendError(ENOENT, "no dest");
  }
  void flush() override {
    log.push_back("flush");
    fail_if_asked();
    if (!checks) return;
    table.clear();
  }
  void zero(const std::optional<ServiceKey>& k) override {
    if (k) {
      change("zero", *k, nullptr);
      if (!checks) return;
      auto* s = find(*k);
      if (!s) throw BackendError(ESRCH, "no service");
    } else {
      log.push_back("zero svc=0:0.0.0.0:0 fwmark=0 sched= flags=0x0 timeout=0 netmask=255.255.255.255");
      fail_if_asked();
    }
    zeroed.push_back(k);
  }
  Timeouts timeouts() override { return the_timeouts; }
  void set_timeouts(const Timeouts& t) override {
    log.push_back("set_timeouts timeouts=" + std::to_string(t.tcp) + "," + std::to_string(t.tcp_fin) + "," +
                  std::to_string(t.udp));
    fail_if_asked();
    if (t.tcp) the_timeouts.tcp = t.tcp;
    if (t.tcp_fin) the_timeouts.tcp_fin = t.tcp_fin;
    if (t.udp) the_timeouts.udp = t.udp;
  }
  std::vector<SyncDaemon> daemons() override { return the_daemons; }
  void start_daemon(const SyncDaemon& d) override {
    log.push_back("start_daemon state=" + std::to_string(static_cast<int>(d.role)) + " ifn=" + d.mcast_ifn +
                  " syncid=" + std::to_string(d.syncid));
    fail_if_asked();
    if (!checks) return;
    for (auto& x : the_daemons)
      if (x.role == d.role) throw BackendError(EEXIST, "running");
    the_daemons.push_back(d);
  }
  void stop_daemon(SyncRole role) override {
    log.push_back("stop_daemon state=" + std::to_string(static_cast<int>(role)) + " ifn= syncid=0");
    fail_if_asked();
    if (!checks) return;
    for (auto it = the_daemons.begin(); it != the_daemons.end(); ++it)
      if (it->role == role) {
        the_daemons.erase(it);
        return;
      }
    throw BackendError(ESRCH, "not running");
  }
  std::vector<Connection> connections() override { return conns; }

  ServiceStatus* find(const ServiceKey& k) {
    for (auto& s : table)
      if (s.service.key == k) return &s;
    return nullptr;
  }

 private:
  static void read_stats(std::istream& w, Stats& s) {
    w >> s.conns >> s.inpkts >> s.outpkts >> s.inbytes >> s.outbytes >> s.cps >> s.inpps >> s.outpps >> s.inbps >>
        s.outbps;
  }
  // An injected failure.
  void fail_if_asked() {
    if (fail_errno) throw BackendError(fail_errno, std::strerror(fail_errno));
  }
  // The oracle's log line for a service (and dest) call.
  void change(const char* op, const ServiceKey& k, const Service* s, const Dest* d = nullptr) {
    char buf[512];
    bool fw = k.protocol == Protocol::fwmark;
    int proto = fw || k.protocol == Protocol::tcp ? 6 : 17;
    std::string addr = fw ? "0.0.0.0" : k.addr.str();
    Service defaults;
    defaults.scheduler = "";
    const Service& sv = s ? *s : defaults;
    std::string mask = IpAddress::v4(sv.netmask).str();
    snprintf(buf, sizeof buf, "%s svc=%d:%s:%u fwmark=%u sched=%s flags=0x%x timeout=%u netmask=%s", op, proto,
             addr.c_str(), fw ? 0u : unsigned{k.port}, k.fwmark, sv.scheduler.c_str(), sv.flags, sv.timeout,
             mask.c_str());
    std::string line = buf;
    if (d) {
      snprintf(buf, sizeof buf, " dest=%s:%u fwd=%u weight=%d u=%u l=%u", d->addr.str().c_str(), unsigned{d->port},
               static_cast<unsigned>(d->forward), d->weight, d->u_threshold, d->l_threshold);
      line += buf;
    }
    log.push_back(line);
    fail_if_asked();
  }
};

}  // namespace halb::director::adm::testing
