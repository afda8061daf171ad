// tests/unit/director/lvsd/virtual_table_test.cc: halb-lvsd's table on the
// kernel's rules: errors, list order and scheduler notifications,
// thresholds and OVERLOAD, quiescent dests, persistence, counts and limits.
#include "director/lvsd/table/virtual_table.h"

#include "director/lvsd/sched/registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace halb::director::lvsd {
namespace {

using backend::BackendError;
using backend::Dest;
using backend::Service;
using backend::ServiceKey;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }
ServiceKey tcp_key(uint16_t port = 80) { return {backend::Protocol::tcp, Family::v4, 0, ip("10.0.0.1"), port}; }
Service service(const std::string& sched = "wrr", uint16_t port = 80) {
  Service s;
  s.key = tcp_key(port);
  s.scheduler = sched;
  return s;
}
Dest dest(uint16_t port, int weight = 1, uint32_t u = 0, uint32_t l = 0) {
  return Dest{ip("192.168.0.1"), port, backend::Forward::masq, weight, u, l};
}

int err_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const BackendError& e) {
    return e.err();
  }
  return 0;
}

struct VirtualTableTest : ::testing::Test {
  VirtualTable t;
  double now = 1000;
  // Admit one connection from 1.2.3.<host>; returns the dest port, 0 if refused.
  std::shared_ptr<ConnEntry> last;
  uint16_t admit(int host = 1, uint16_t cport = 40000) {
    auto a = t.admit(tcp_key(), IpAddress::v4(0x01020300u + static_cast<uint32_t>(host)), cport, now);
    last = a.conn;
    return a.conn ? a.conn->dest->conf.port : 0;
  }
  backend::DestStatus status_of(uint16_t port) {
    for (const auto& s : t.services())
      for (const auto& d : s.dests)
        if (d.dest.port == port) return d;
    return {};
  }
};

TEST_F(VirtualTableTest, ErrorsCarryIpvsErrno) {
  t.add_service(service());
  EXPECT_EQ(err_of([&] { t.add_service(service()); }), EEXIST);
  EXPECT_EQ(err_of([&] { t.edit_service(service("wrr", 81)); }), ESRCH);
  EXPECT_EQ(err_of([&] { t.del_service(tcp_key(81)); }), ESRCH);
  EXPECT_EQ(err_of([&] { t.add_service(service("nope", 82)); }), ENOENT);
  EXPECT_EQ(err_of([&] { t.add_dest(tcp_key(81), dest(1)); }), ESRCH);
  t.add_dest(tcp_key(), dest(1));
  EXPECT_EQ(err_of([&] { t.add_dest(tcp_key(), dest(1)); }), EEXIST);
  EXPECT_EQ(err_of([&] { t.edit_dest(tcp_key(), dest(2)); }), ENOENT);
  EXPECT_EQ(err_of([&] { t.del_dest(tcp_key(), dest(2)); }), ENOENT);
  EXPECT_EQ(err_of([&] { t.add_dest(tcp_key(), dest(3, -1)); }), EINVAL);
  EXPECT_EQ(err_of([&] { t.add_dest(tcp_key(), dest(3, 1, 5, 6)); }), EINVAL);
  Dest v6 = dest(4);
  v6.addr = ip("2001:db8::1");
  EXPECT_EQ(err_of([&] { t.add_dest(tcp_key(), v6); }), EINVAL);
  v6.forward = backend::Forward::tunnel;  // only tunnel may mix families
  EXPECT_EQ(err_of([&] { t.add_dest(tcp_key(), v6); }), 0);
  EXPECT_EQ(err_of([&] { t.stop_daemon(backend::SyncRole::master); }), ESRCH);
}

TEST_F(VirtualTableTest, ServiceWithABadDestIsNotAddedAtAll) {
  Service s = service();
  s.dests = {dest(1), dest(2, -1)};
  EXPECT_EQ(err_of([&] { t.add_service(s); }), EINVAL);
  s.dests = {dest(1), dest(1)};
  EXPECT_EQ(err_of([&] { t.add_service(s); }), EEXIST);
  EXPECT_TRUE(t.services().empty());
  s.dests = {dest(1), dest(2)};
  t.add_service(s);
  EXPECT_EQ(t.services()[0].dests.size(), 2u);
}

TEST_F(VirtualTableTest, NewDestsGoToTheListHeadAndWrrFollowsTheKernel) {
  t.add_service(service("wrr"));
  t.add_dest(tcp_key(), dest(1, 3));  // A
  t.add_dest(tcp_key(), dest(2, 2));  // B
  t.add_dest(tcp_key(), dest(3, 1));  // C
  auto listed = t.services()[0].dests;
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].dest.port, 3);  // the last added is first
  std::string seq;
  for (int i = 0; i < 12; ++i) seq += static_cast<char>('A' + admit() - 1);
  // List C(1), B(2), A(3). Adding A(3) first left cw at 0/3*3+1 = 1
  // (ip_vs_wrr_dest_changed with di 3), so the first pass runs at cw 1:
  // C B A, then cw wraps to 3: A, cw 2: B A. 3:2:1 over every 6 picks.
  EXPECT_EQ(seq, "CBAABACBAABA");
  // An edit (dest_updated) puts the position back at the head with cw
  // kept at 2: C (now 3) and B qualify before A.
  t.edit_dest(tcp_key(), dest(3, 3));
  std::string after;
  for (int i = 0; i < 3; ++i) after += static_cast<char>('A' + admit() - 1);
  EXPECT_EQ(after, "CBA");
}

TEST_F(VirtualTableTest, OverloadSetAtUpperClearedBelowLower) {
  t.add_service(service("rr"));
  t.add_dest(tcp_key(), dest(1, 1, 4, 2));
  std::vector<std::shared_ptr<ConnEntry>> held;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(admit(), 1);
    held.push_back(last);
  }
  auto a = t.admit(tcp_key(), ip("1.2.3.4"), 1, now);
  EXPECT_FALSE(a.conn);
  EXPECT_EQ(a.refusal, Refusal::no_dest);
  EXPECT_EQ(a.message, "IPVS: rr: TCP 10.0.0.1:80 - no destination available");
  t.release(*held.back(), now);  // 3 left: not below l=2
  held.pop_back();
  EXPECT_EQ(admit(), 0);
  t.release(*held.back(), now);  // 2: still not below 2
  held.pop_back();
  EXPECT_EQ(admit(), 0);
  t.release(*held.back(), now);  // 1 < 2: cleared
  held.pop_back();
  EXPECT_EQ(admit(), 1);
}

TEST_F(VirtualTableTest, OverloadWithoutLowerClearsBelowThreeQuarters) {
  t.add_service(service("wlc"));
  t.add_dest(tcp_key(), dest(1, 1, 4, 0));
  std::vector<std::shared_ptr<ConnEntry>> held;
  for (int i = 0; i < 4; ++i) {
    admit();
    held.push_back(last);
  }
  EXPECT_EQ(admit(), 0);
  t.release(*held[0], now);  // 3: 3*4 = 12, not < 12
  EXPECT_EQ(admit(), 0);
  t.release(*held[1], now);  // 2: 8 < 12, cleared
  EXPECT_EQ(admit(), 1);
  // Raising the threshold clears OVERLOAD at once (__ip_vs_update_dest).
  admit();
  EXPECT_EQ(admit(), 0);
  t.edit_dest(tcp_key(), dest(1, 1, 10, 0));
  EXPECT_EQ(admit(), 1);
}

TEST_F(VirtualTableTest, WeightZeroTakesNoNewConnectionsButKeepsOpenOnes) {
  t.add_service(service("wrr"));
  t.add_dest(tcp_key(), dest(1, 1));
  t.add_dest(tcp_key(), dest(2, 1));
  std::shared_ptr<ConnEntry> on1;
  for (int i = 0; i < 2; ++i)
    if (admit() == 1) on1 = last;
  ASSERT_TRUE(on1);
  t.set_state(*on1, ConnState::established);
  t.edit_dest(tcp_key(), dest(1, 0));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(admit(), 2);
  EXPECT_EQ(status_of(1).active_conns, 1u);
  t.set_state(*on1, ConnState::fin_wait);
  EXPECT_EQ(status_of(1).active_conns, 0u);
  EXPECT_EQ(status_of(1).inact_conns, 1u);
  t.release(*on1, now);
  EXPECT_EQ(status_of(1).inact_conns, 0u);
  t.edit_dest(tcp_key(), dest(2, 0));
  auto a = t.admit(tcp_key(), ip("1.2.3.4"), 1, now);
  EXPECT_EQ(a.message, "IPVS: wrr: TCP 10.0.0.1:80 - no destination available");
}

TEST_F(VirtualTableTest, PersistenceTemplateByNetmaskAndExpiry) {
  Service s = service("rr");
  s.flags = backend::kSvcPersistent;
  s.timeout = 300;
  s.netmask = 0xffffff00;
  t.add_service(s);
  t.add_dest(tcp_key(), dest(1));
  t.add_dest(tcp_key(), dest(2));
  t.add_dest(tcp_key(), dest(3));
  uint16_t first = admit(5);
  t.release(*last, now);
  for (int host = 1; host < 200; host += 37) {  // same /24
    EXPECT_EQ(admit(host), first);
    t.release(*last, now);
  }
  EXPECT_EQ(status_of(first).persist_conns, 1u);
  // The template sends the group to its dest even when quiescent.
  t.edit_dest(tcp_key(), dest(first, 0));
  EXPECT_EQ(admit(9), first);
  t.release(*last, now);
  // Listed as a template with client port 0 and state NONE.
  auto conns = t.connections(now);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_TRUE(conns[0].is_template);
  EXPECT_EQ(conns[0].client_addr.str(), "1.2.3.0");
  EXPECT_EQ(conns[0].state, "NONE");
  EXPECT_EQ(conns[0].expires_s, 300u);
  // Expired: the scheduler decides again, and the quiescent dest is skipped.
  now += 301;
  t.tick(now);
  EXPECT_EQ(status_of(first).persist_conns, 0u);
  EXPECT_NE(admit(9), first);
}

TEST_F(VirtualTableTest, DeletingADestDropsItsTemplates) {
  Service s = service("rr");
  s.flags = backend::kSvcPersistent;
  s.timeout = 300;
  t.add_service(s);
  t.add_dest(tcp_key(), dest(1));
  t.add_dest(tcp_key(), dest(2));
  uint16_t first = admit();
  t.del_dest(tcp_key(), dest(first));
  EXPECT_NE(admit(), first);
  // The open connection keeps its (removed) dest until it ends.
  EXPECT_EQ(t.open_connections(), 2u);
}

TEST_F(VirtualTableTest, ConnectionLimitRefusesAndSaysSoOnce) {
  t.add_service(service("rr"));
  t.add_dest(tcp_key(), dest(1));
  t.set_max_connections(2);
  admit();
  auto keep = last;
  admit();
  auto a1 = t.admit(tcp_key(), ip("1.2.3.4"), 1, now);
  auto a2 = t.admit(tcp_key(), ip("1.2.3.4"), 2, now);
  EXPECT_EQ(a1.refusal, Refusal::table_full);
  EXPECT_NE(a1.message.find("connection table full"), std::string::npos);
  EXPECT_EQ(a2.refusal, Refusal::table_full);
  EXPECT_TRUE(a2.message.empty());
  t.release(*keep, now);
  EXPECT_EQ(admit(), 1);
  EXPECT_FALSE(t.admit(tcp_key(), ip("1.2.3.4"), 3, now).message.empty());  // full again: said again
}

TEST_F(VirtualTableTest, FwmarkServicesAreKeptButNotForwarded) {
  Service s;
  s.key = {backend::Protocol::fwmark, Family::v4, 7, IpAddress{}, 0};
  s.scheduler = "rr";
  t.add_service(s);
  t.add_dest(s.key, dest(1));
  EXPECT_EQ(t.services().size(), 1u);
  EXPECT_EQ(t.admit(s.key, ip("1.2.3.4"), 1, now).refusal, Refusal::not_forwarded);
  s.key.fwmark = 0;
  EXPECT_EQ(err_of([&] { t.add_service(s); }), EINVAL);
}

TEST_F(VirtualTableTest, CountersZeroAndConnectionListing) {
  t.add_service(service("rr"));
  t.add_dest(tcp_key(), dest(1));
  admit(1, 5555);
  last->account_in(100);
  last->account_out(300);
  t.set_state(*last, ConnState::established);
  auto st = t.services()[0];
  EXPECT_EQ(st.stats.conns, 1u);
  EXPECT_EQ(st.stats.inbytes, 100u);
  EXPECT_EQ(st.stats.outpkts, 1u);
  EXPECT_EQ(st.dests[0].stats.outbytes, 300u);
  EXPECT_EQ(st.service.flags & backend::kSvcHashed, backend::kSvcHashed);
  auto conns = t.connections(now + 100);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].state, "ESTABLISHED");
  EXPECT_EQ(conns[0].client_port, 5555);
  EXPECT_EQ(conns[0].expires_s, 800u);
  t.zero(tcp_key());
  EXPECT_EQ(t.services()[0].stats, backend::Stats{});
  EXPECT_EQ(err_of([&] { t.zero(tcp_key(99)); }), ESRCH);
}

TEST_F(VirtualTableTest, TimeoutsZeroKeepsAndIdleTimeoutsFollowState) {
  EXPECT_EQ(t.timeouts(), (backend::Timeouts{900, 120, 300}));
  t.set_timeouts({0, 60, 0});
  EXPECT_EQ(t.timeouts(), (backend::Timeouts{900, 60, 300}));
  EXPECT_EQ(t.idle_timeout(ConnState::established), 900u);
  EXPECT_EQ(t.idle_timeout(ConnState::fin_wait), 60u);
  EXPECT_EQ(t.idle_timeout(ConnState::udp), 300u);
}

TEST_F(VirtualTableTest, SyncDaemonsGetTheKernelDefaults) {
  backend::SyncDaemon b;
  b.role = backend::SyncRole::backup;
  t.start_daemon(b, 8972);
  backend::SyncDaemon m;
  t.start_daemon(m);
  auto ds = t.daemons();
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].role, backend::SyncRole::master);
  EXPECT_EQ(ds[0].maxlen, 1472);
  EXPECT_EQ(ds[0].port, 8848);
  EXPECT_EQ(ds[0].ttl, 1);
  EXPECT_EQ(ds[0].group->str(), "224.0.0.81");
  EXPECT_EQ(ds[1].maxlen, 8972);
  EXPECT_EQ(err_of([&] { t.start_daemon(m); }), EEXIST);
  backend::SyncDaemon bad;
  bad.group = ip("10.1.1.1");
  t.stop_daemon(backend::SyncRole::master);
  EXPECT_EQ(err_of([&] { t.start_daemon(bad); }), EINVAL);
}

TEST_F(VirtualTableTest, SchedulerChangeRebindsAndFlushEmpties) {
  t.add_service(service("rr"));
  t.add_dest(tcp_key(), dest(1, 1));
  t.add_dest(tcp_key(), dest(2, 5));
  Service s = service("wlc");
  t.edit_service(s);
  EXPECT_EQ(t.services()[0].service.scheduler, "wlc");
  EXPECT_EQ(t.services()[0].dests.size(), 2u);
  t.flush();
  EXPECT_TRUE(t.services().empty());
  EXPECT_EQ(t.admit(tcp_key(), ip("1.2.3.4"), 1, now).refusal, Refusal::no_service);
}

// The table must tell its scheduler of each change exactly as scheduler.h
// says (new dests at the head, the index of a removed dest, the list after
// the change). A reference list driven by hand with those rules and the
// same scheduler type must pick the same dests through any sequence of
// adds, edits and deletes.
TEST(SchedulerNotifications, TableMatchesAHandDrivenKernelList) {
  for (const char* name : {"rr", "wrr", "wlc", "sh"}) {
    VirtualTable t;
    t.add_service(service(name));
    auto ref = make_scheduler(name);
    std::vector<uint16_t> ports;  // reference list order
    std::vector<SchedDest> view;
    unsigned seed = 12345;
    auto rnd = [&](unsigned n) {
      seed = seed * 1103515245 + 12345;
      return (seed >> 16) % n;
    };
    std::string got, want;
    for (int step = 0; step < 300; ++step) {
      unsigned op = rnd(10);
      if (op < 3 || ports.empty()) {
        uint16_t port = static_cast<uint16_t>(1 + rnd(12));
        if (std::find(ports.begin(), ports.end(), port) != ports.end()) continue;
        int w = static_cast<int>(rnd(4));
        t.add_dest(tcp_key(), dest(port, w));
        ports.insert(ports.begin(), port);
        view.insert(view.begin(), SchedDest{w});
        ref->dest_added(view, 0);
      } else if (op < 5) {
        size_t i = rnd(static_cast<unsigned>(ports.size()));
        int w = static_cast<int>(rnd(4));
        t.edit_dest(tcp_key(), dest(ports[i], w));
        view[i].weight = w;
        ref->dest_updated(view, i);
      } else if (op < 6) {
        size_t i = rnd(static_cast<unsigned>(ports.size()));
        t.del_dest(tcp_key(), dest(ports[i]));
        ports.erase(ports.begin() + static_cast<std::ptrdiff_t>(i));
        view.erase(view.begin() + static_cast<std::ptrdiff_t>(i));
        ref->dest_removed(view, i);
      } else {
        IpAddress client = IpAddress::v4(0x0a000000u + rnd(1000));
        auto a = t.admit(tcp_key(), client, 1, 0);
        got += a.conn ? std::to_string(a.conn->dest_port) + "," : "-,";
        // Keep the reference's connection counts equal (wlc reads them).
        auto p = ref->pick(view, {client, 1});
        want += p.index ? std::to_string(ports[*p.index]) + "," : "-,";
        if (p.index) view[*p.index].active_conns++;
      }
    }
    EXPECT_EQ(got, want) << name;
  }
}

TEST(PersistenceGroup, MasksV4AndV6) {
  EXPECT_EQ(persistence_group(ip("10.1.2.3"), 0xffff0000).str(), "10.1.0.0");
  EXPECT_EQ(persistence_group(ip("2001:db8:1:2::5"), 48).str(), "2001:db8:1::");
  EXPECT_EQ(persistence_group(ip("2001:db8::5"), 128).str(), "2001:db8::5");
}

}  // namespace
}  // namespace halb::director::lvsd
