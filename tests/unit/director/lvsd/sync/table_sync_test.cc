// tests/unit/director/lvsd/sync/table_sync_test.cc: what halb-lvsd's table
// hands its sync master, and what a backup's table does with received
// entries: templates steer clients after failover, synced connections
// count toward ActiveConn/InActConn and the schedulers, everything expires
// by its timeout.
#include <gtest/gtest.h>

#include <algorithm>

#include "director/lvsd/sync/message.h"
#include "director/lvsd/table/virtual_table.h"

namespace halb::director::lvsd {
namespace {

using backend::Dest;
using backend::Service;
using backend::ServiceKey;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }
const ServiceKey kKey{backend::Protocol::tcp, Family::v4, 0, ip("10.0.0.1"), 80};

Service persistent(const std::string& sched = "rr", uint32_t timeout = 300) {
  Service s;
  s.key = kKey;
  s.scheduler = sched;
  s.flags = backend::kSvcPersistent;
  s.timeout = timeout;
  return s;
}
Dest real(const char* addr, int weight = 1) { return Dest{ip(addr), 80, backend::Forward::masq, weight, 0, 0}; }

void start_master(VirtualTable& t) {
  backend::SyncDaemon d;
  d.role = backend::SyncRole::master;
  d.mcast_ifn = "lo";
  t.start_daemon(d);
}

struct TableSync : ::testing::Test {
  VirtualTable master, backup;
  double now = 1000;

  void fill(VirtualTable& t, const Service& s) {
    t.add_service(s);
    for (const char* a : {"192.168.0.1", "192.168.0.2", "192.168.0.3"}) t.add_dest(kKey, real(a));
  }
  // The master's journal, through the wire format, into the backup.
  size_t ship() {
    auto datagrams = sync::encode(master.take_sync_journal(), 0, 1472);
    size_t n = 0;
    for (const auto& dg : datagrams) {
      auto d = sync::decode(dg.data(), dg.size(), 0);
      EXPECT_EQ(d.refusal, sync::Refusal::none);
      for (const auto& e : d.entries) n += backup.apply_sync(e, now);
    }
    return n;
  }
  backend::DestStatus status_of(VirtualTable& t, const char* addr) {
    for (const auto& s : t.services())
      for (const auto& d : s.dests)
        if (d.dest.addr == ip(addr)) return d;
    return {};
  }
  std::string admit_to(VirtualTable& t, const char* client, uint16_t port = 40000) {
    auto a = t.admit(kKey, ip(client), port, now);
    return a.conn ? a.conn->dest_addr.str() : "";
  }
};

TEST_F(TableSync, NothingIsJournaledWithoutAMaster) {
  fill(master, persistent());
  admit_to(master, "1.2.3.4");
  EXPECT_TRUE(master.take_sync_journal().empty());
}

TEST_F(TableSync, MasterJournalsTemplatesAndStateChangesButNotSynSent) {
  fill(master, persistent("rr", 600));
  start_master(master);
  auto a = master.admit(kKey, ip("1.2.3.4"), 40000, now);
  ASSERT_TRUE(a.conn);
  auto j = master.take_sync_journal();
  ASSERT_EQ(j.size(), 1u);  // the template; the connection is still SYN_SENT
  EXPECT_TRUE(j[0].is_template());
  EXPECT_EQ(j[0].flags, sync::kConnTemplate | 0u);  // MASQ
  EXPECT_EQ(j[0].caddr, ip("1.2.3.4"));
  EXPECT_EQ(j[0].cport, 0);
  EXPECT_EQ(j[0].vport, 80);
  EXPECT_EQ(j[0].daddr, a.conn->dest_addr);
  EXPECT_EQ(j[0].timeout, 600u);

  master.set_state(*a.conn, ConnState::established);
  j = master.take_sync_journal();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].state, sync::kTcpEstablished);
  EXPECT_EQ(j[0].flags & sync::kConnInactive, 0u);
  EXPECT_EQ(j[0].cport, 40000);
  EXPECT_EQ(j[0].timeout, 900u);

  master.set_state(*a.conn, ConnState::close);
  master.release(*a.conn, now);
  j = master.take_sync_journal();
  ASSERT_GE(j.size(), 1u);
  EXPECT_EQ(j[0].state, sync::kTcpClose);
  EXPECT_TRUE(j[0].flags & sync::kConnInactive);
  EXPECT_EQ(j[0].timeout, 10u);

  // A template in use is sent again only once its refresh is due (10 s here).
  admit_to(master, "1.2.3.4", 40001);
  EXPECT_TRUE(master.take_sync_journal().empty());
  now += 11;
  admit_to(master, "1.2.3.4", 40002);
  j = master.take_sync_journal();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_TRUE(j[0].is_template());

  // Stopping keeps what is queued for the last flush, then journals nothing.
  now += 11;
  admit_to(master, "1.2.3.4", 40003);
  master.stop_daemon(backend::SyncRole::master);
  EXPECT_EQ(master.take_sync_journal().size(), 1u);
  now += 11;
  admit_to(master, "1.2.3.4", 40004);
  EXPECT_TRUE(master.take_sync_journal().empty());
}

TEST_F(TableSync, BackupTemplateSteersTheClientAfterFailoverEvenIfFilledInLater) {
  fill(master, persistent());
  start_master(master);
  // Three clients spread over the three reals by rr.
  std::map<std::string, std::string> chosen;
  for (const char* c : {"1.2.3.4", "1.2.3.5", "1.2.3.6"}) chosen[c] = admit_to(master, c);
  EXPECT_EQ(ship(), 3u);

  // The backup had no services while it was backup (the director runs on
  // the active node only); the templates wait unbound.
  auto listed = backup.connections(now);
  ASSERT_EQ(listed.size(), 3u);
  for (const auto& c : listed) {
    EXPECT_TRUE(c.is_template);
    EXPECT_EQ(c.state, "NONE");
    EXPECT_EQ(c.dest_addr.str(), chosen[c.client_addr.str()]);
    EXPECT_EQ(c.expires_s, 300u);
  }
  // Failover: the director fills the table in a different order, so rr
  // alone would pick differently; each client still lands on its real.
  now += 5;
  backup.add_service(persistent());
  for (const char* a : {"192.168.0.3", "192.168.0.1", "192.168.0.2"}) backup.add_dest(kKey, real(a));
  for (int round = 0; round < 3; ++round)
    for (const auto& [client, dest] : chosen) EXPECT_EQ(admit_to(backup, client.c_str()), dest) << client;
  EXPECT_EQ(status_of(backup, "192.168.0.1").persist_conns, 1u);
  // A new client is scheduled as usual.
  EXPECT_NE(admit_to(backup, "9.9.9.9"), "");
}

TEST_F(TableSync, SyncedTemplatesExpireByTheirTimeout) {
  fill(master, persistent("rr", 60));
  start_master(master);
  admit_to(master, "1.2.3.4");
  ship();
  now += 59;
  backup.tick(now);
  EXPECT_EQ(backup.connections(now).size(), 1u);
  now += 2;
  backup.tick(now);
  EXPECT_TRUE(backup.connections(now).empty());
}

TEST_F(TableSync, ReceivedTemplateWinsOverTheSchedulerUntilItExpires) {
  fill(backup, persistent("rr", 60));
  sync::Entry t;
  t.protocol = sync::kProtoTcp;
  t.flags = sync::kConnTemplate | sync::kConnSync;
  t.vport = 80;
  t.dport = 80;
  t.timeout = 60;
  t.caddr = ip("1.2.3.4");
  t.vaddr = ip("10.0.0.1");
  t.daddr = ip("192.168.0.2");
  ASSERT_TRUE(backup.apply_sync(t, now));
  EXPECT_EQ(status_of(backup, "192.168.0.2").persist_conns, 1u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(admit_to(backup, "1.2.3.4", static_cast<uint16_t>(40000 + i)), "192.168.0.2");
  // A template for a dest the backup does not have: the scheduler decides.
  t.caddr = ip("1.2.3.5");
  t.daddr = ip("192.168.0.99");
  ASSERT_TRUE(backup.apply_sync(t, now));
  EXPECT_NE(admit_to(backup, "1.2.3.5"), "192.168.0.99");
  // A template of protocol IP without a mark names nothing.
  t.protocol = sync::kProtoIp;
  EXPECT_FALSE(backup.apply_sync(t, now));
}

TEST_F(TableSync, SyncedConnectionsCountAndSteerLeastConnection) {
  Service s = persistent("lc");
  s.flags = 0;
  fill(backup, s);
  sync::Entry c;
  c.protocol = sync::kProtoTcp;
  c.state = sync::kTcpEstablished;
  c.vport = 80;
  c.dport = 80;
  c.timeout = 900;
  c.vaddr = ip("10.0.0.1");
  for (const char* d : {"192.168.0.1", "192.168.0.3"}) {
    for (uint16_t p = 1; p <= 3; ++p) {
      c.caddr = ip("1.2.3.4");
      c.cport = static_cast<uint16_t>(p + (d[10] - '0') * 100);
      c.daddr = ip(d);
      ASSERT_TRUE(backup.apply_sync(c, now));
    }
  }
  EXPECT_EQ(status_of(backup, "192.168.0.1").active_conns, 3u);
  EXPECT_EQ(status_of(backup, "192.168.0.3").active_conns, 3u);
  // lc sends new clients to the dest the master's load left free.
  EXPECT_EQ(admit_to(backup, "5.5.5.5"), "192.168.0.2");
  // The same connection going inactive moves its count.
  c.caddr = ip("1.2.3.4");
  c.cport = 101;
  c.daddr = ip("192.168.0.1");
  c.state = sync::kTcpFinWait;
  c.flags = sync::kConnInactive;
  c.timeout = 120;
  ASSERT_TRUE(backup.apply_sync(c, now));
  EXPECT_EQ(status_of(backup, "192.168.0.1").active_conns, 2u);
  EXPECT_EQ(status_of(backup, "192.168.0.1").inact_conns, 1u);
  auto listed = backup.connections(now);
  EXPECT_EQ(std::count_if(listed.begin(), listed.end(), [](const auto& e) { return e.state == "FIN_WAIT"; }), 1);
  // Expiry by timeout: the FIN_WAIT one after 120 s, the rest after 900 s.
  now += 121;
  backup.tick(now);
  EXPECT_EQ(status_of(backup, "192.168.0.1").inact_conns, 0u);
  EXPECT_EQ(backup.synced_connections(), 5u);
  now += 800;
  backup.tick(now);
  EXPECT_EQ(backup.synced_connections(), 0u);
  EXPECT_EQ(status_of(backup, "192.168.0.3").active_conns, 0u);
}

TEST_F(TableSync, AbsurdTimeoutsAreCapped) {
  sync::Entry t;
  t.protocol = sync::kProtoTcp;
  t.flags = sync::kConnTemplate;
  t.vport = 80;
  t.timeout = 0xffffffffu;
  t.caddr = ip("1.2.3.4");
  t.vaddr = ip("10.0.0.1");
  t.daddr = ip("192.168.0.2");
  ASSERT_TRUE(backup.apply_sync(t, now));
  t.flags = 0;
  t.cport = 5;
  ASSERT_TRUE(backup.apply_sync(t, now));
  for (const auto& c : backup.connections(now)) EXPECT_EQ(c.expires_s, VirtualTable::kSyncedTimeoutMax);
}

TEST_F(TableSync, SyncedConnectionsBindOnceTheirDestAppearsAndSurviveItsRemoval) {
  sync::Entry c;
  c.protocol = sync::kProtoTcp;
  c.state = sync::kTcpEstablished;
  c.cport = 1234;
  c.vport = 80;
  c.dport = 80;
  c.timeout = 900;
  c.caddr = ip("1.2.3.4");
  c.vaddr = ip("10.0.0.1");
  c.daddr = ip("192.168.0.2");
  ASSERT_TRUE(backup.apply_sync(c, now));
  fill(backup, persistent());
  backup.tick(now);
  EXPECT_EQ(status_of(backup, "192.168.0.2").active_conns, 1u);
  backup.del_dest(kKey, real("192.168.0.2"));
  EXPECT_EQ(backup.synced_connections(), 1u);
  backup.add_dest(kKey, real("192.168.0.2"));
  backup.tick(now);
  EXPECT_EQ(status_of(backup, "192.168.0.2").active_conns, 1u);
}

TEST_F(TableSync, RefreshesLiveConnectionsAfterAQuarterOfTheirTimeout) {
  Service s = persistent();
  s.flags = 0;
  fill(master, s);
  start_master(master);
  auto a = master.admit(kKey, ip("1.2.3.4"), 40000, now);
  master.set_state(*a.conn, ConnState::established);
  master.take_sync_journal();
  now += 100;
  a.conn->last_active.store(now);
  master.tick(now);
  EXPECT_TRUE(master.take_sync_journal().empty());
  now += 200;
  a.conn->last_active.store(now);
  master.tick(now);
  EXPECT_EQ(master.take_sync_journal().size(), 1u);
}

}  // namespace
}  // namespace halb::director::lvsd
