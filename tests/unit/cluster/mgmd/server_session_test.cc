// halb-mgmd's server and the node side of cluster/mgmapi together, in one
// process on loopback: bootstrap (get nodeid + get config), the adopted
// session, state reports, events into the cluster log, arbitration, and a
// session that comes back after its management server restarts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "cluster/config/config_ini.h"
#include "cluster/mgmapi/session_keeper.h"
#include "cluster/mgmd/server.h"
#include "tests/unit/support/temp_dir.h"

using namespace halb;
using namespace halb::cluster;

namespace {

const char* kConfig =
    "[NDBD DEFAULT]\nNoOfReplicas=2\n"
    "[NDB_MGMD]\nId=1\nHostName=127.0.0.1\n"
    "[NDBD]\nHostName=127.0.0.1\n[NDBD]\nHostName=127.0.0.1\n"
    "[MYSQLD]\n";

struct Rig {
  event::Loop loop{false};
  log::Logger logger;
  halb::testing::TempDir tmp{"halb-mgmd-test"};
  std::string dir = tmp.path();
  std::unique_ptr<mgmd::ClusterLog> clog;
  std::unique_ptr<mgmd::Server> server;
  uint16_t port = 0;
  uint32_t arbitration_delay_ms = 0;

  Rig() {
    clog = std::make_unique<mgmd::ClusterLog>(mgmd::parse_log_destination("", 1), dir);
    start_server(0);
  }
  ~Rig() {
    server.reset();
  }
  void start_server(uint16_t on_port) {
    mgmd::ServerSettings s;
    s.config = parse_config_ini(kConfig, "config.ini").config;
    s.config_text = kConfig;
    s.own_id = 1;
    s.bind_host = "127.0.0.1";
    s.port = on_port;
    s.hosts = {{"127.0.0.1", {"127.0.0.1"}}};
    s.arbitration_delay_ms = arbitration_delay_ms;
    server = std::make_unique<mgmd::Server>(loop, logger, *clog, s);
    std::string err;
    ASSERT_TRUE(server->listen(err)) << err;
    port = server->port();
  }
  ConnectString cs() const {
    ConnectString c;
    c.servers.push_back({"127.0.0.1", port});
    return c;
  }
  template <class P>
  bool run_until(P pred, double limit_s = 5) {
    event::Timer stop(loop, [this] { loop.stop(); });
    event::Timer poll(loop, [&] {
      if (pred()) loop.stop();
    });
    stop.start(limit_s);
    poll.start(0.002, 0.002);
    loop.run();
    return pred();
  }
  std::string cluster_log() {
    std::ifstream in(dir + "/ndb_1_cluster.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

mgmapi::Message no_commands(const std::string&, const mgmapi::Message&) { return mgmapi::Message(); }

}  // namespace

TEST(ServerAndSessions, BootstrapThenAdoptedSessionReportsState) {
  Rig rig;
  // The blocking bootstrap runs while the server's loop turns in another thread.
  event::Async stopper(rig.loop, [&] { rig.loop.stop(); });
  std::thread t([&] { rig.loop.run(); });
  std::string err;
  auto boot = mgmapi::bootstrap(rig.cs(), NodeType::kData, 0, err, 1, 0);
  stopper.notify();
  t.join();
  ASSERT_TRUE(boot) << err;
  EXPECT_EQ(boot->node_id, 2u);
  EXPECT_EQ(boot->config.data_nodes.size(), 2u);

  mgmapi::ManagementSessions sessions(rig.loop, rig.logger, rig.cs(), boot->node_id, NodeType::kData, no_commands,
                                      &*boot);
  mgmapi::StateReport st;
  st.status = mgmapi::NodeStatus::kStarting;
  st.start_phase = 3;
  st.dynamic_id = 1;
  sessions.report_state(st);
  ASSERT_TRUE(rig.run_until([&] { return rig.server->registry().state(2)->start_phase == 3; }));
  auto* s = rig.server->registry().state(2);
  EXPECT_EQ(s->status, mgmapi::NodeStatus::kStarting);
  EXPECT_EQ(s->connect_count, 1u);  // the bootstrap's reservation, not a second one
  EXPECT_EQ(s->node_group, 0);

  mgmapi::Event e;
  e.category = mgmapi::Category::kStartup;
  e.threshold = 4;
  e.text = "Start phase 3 completed (initial start)";
  sessions.report_event(e);
  ASSERT_TRUE(rig.run_until([&] { return rig.cluster_log().find("Start phase 3") != std::string::npos; }));
  EXPECT_NE(rig.cluster_log().find("INFO     -- Node 2: Start phase 3 completed (initial start)"), std::string::npos);
  EXPECT_NE(rig.cluster_log().find("-- Node 1: Node 2 Connected"), std::string::npos);
}

TEST(ServerAndSessions, ArbitrationFirstAskerWins) {
  Rig rig;
  mgmapi::ManagementSessions a(rig.loop, rig.logger, rig.cs(), 2, NodeType::kData, no_commands);
  mgmapi::ManagementSessions b(rig.loop, rig.logger, rig.cs(), 3, NodeType::kData, no_commands);
  ASSERT_TRUE(rig.run_until([&] { return a.up_count() == 1 && b.up_count() == 1; }));
  int ra = -1, rb = -1;
  a.arbitrate(5, [&](bool yes, const std::string&) { ra = yes; });
  ASSERT_TRUE(rig.run_until([&] { return ra != -1; }));
  b.arbitrate(5, [&](bool yes, const std::string&) { rb = yes; });
  ASSERT_TRUE(rig.run_until([&] { return rb != -1; }));
  EXPECT_EQ(ra, 1);
  EXPECT_EQ(rb, 0);
}

// An input of the mgmd fuzz surface (tests/fuzz/fuzz_inputs.cc): a node asks
// for arbitration, and the server goes away while the answer waits out
// ArbitrationDelay.
TEST(ServerAndSessions, ADelayedArbitrationAnswerGoesWithItsServer) {
  Rig rig;
  rig.arbitration_delay_ms = 10000;
  rig.start_server(0);
  {
    mgmapi::ManagementSessions a(rig.loop, rig.logger, rig.cs(), 2, NodeType::kData, no_commands);
    ASSERT_TRUE(rig.run_until([&] { return a.up_count() == 1; }));
    a.arbitrate(5, [](bool, const std::string&) {});
    // The server answers in order: once the status is back, the arbitration
    // answer is waiting on the server's side.
    bool status = false;
    a.get_status([&](std::optional<std::vector<mgmapi::NodeState>>) { status = true; });
    ASSERT_TRUE(rig.run_until([&] { return status; }));
    rig.server.reset();
  }
  // No watcher is left on the loop: nothing can fire into the destroyed server.
  EXPECT_EQ(ev_run(rig.loop.raw(), EVRUN_NOWAIT), 0);
}

// An input of the mgmd fuzz surface (tests/fuzz/fuzz_inputs.cc): a node
// reports a BACKUP event whose backup id overflows an unsigned long.
TEST(ServerAndSessions, ABackupEventWithAnOverlongIdEndsNothing) {
  Rig rig;
  mgmapi::ManagementSessions a(rig.loop, rig.logger, rig.cs(), 2, NodeType::kData, no_commands);
  ASSERT_TRUE(rig.run_until([&] { return a.up_count() == 1; }));
  mgmapi::Event e;
  e.category = mgmapi::Category::kBackup;
  e.text = "Backup 99999999999999999999 started from node 2";
  a.report_event(e);
  bool status = false;
  a.get_status([&](std::optional<std::vector<mgmapi::NodeState>> s) { status = s.has_value(); });
  ASSERT_TRUE(rig.run_until([&] { return status; }));
  EXPECT_NE(rig.cluster_log().find("Node 2: Backup 99999999999999999999 started"), std::string::npos);
}

// An input of the mgmd fuzz surface (tests/fuzz/fuzz_inputs.cc): a refusal
// that quotes a long request value made a line longer than a client reads.
TEST(ServerAndSessions, ARefusalQuotingALongValueStaysReadable) {
  Rig rig;
  mgmapi::Client c;
  event::Async stopper(rig.loop, [&] { rig.loop.stop(); });
  std::thread t([&] { rig.loop.run(); });
  ASSERT_TRUE(c.connect(rig.cs()));
  auto r = c.call(mgmapi::Message("stop").add("node", std::string(1000, '9')));
  stopper.notify();
  t.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_or("result", "").rfind("Invalid node id '999", 0), 0u);
}

TEST(ServerAndSessions, NodesFindEachOthersTransporterPorts) {
  Rig rig;
  mgmapi::ManagementSessions a(rig.loop, rig.logger, rig.cs(), 2, NodeType::kData, no_commands);
  mgmapi::ManagementSessions b(rig.loop, rig.logger, rig.cs(), 3, NodeType::kData, no_commands);
  mgmapi::StateReport st;
  st.status = mgmapi::NodeStatus::kStarting;
  st.start_phase = 1;
  st.transporter_port = 40002;
  a.report_state(st);
  ASSERT_TRUE(rig.run_until([&] { return a.up_count() == 1 && b.up_count() == 1; }));
  // Node 2's report travels on its own connection: ask until it has landed.
  uint16_t port = 0;
  bool answered = true;
  ASSERT_TRUE(rig.run_until([&] {
    if (answered && port == 0) {
      answered = false;
      b.get_status([&](std::optional<std::vector<mgmapi::NodeState>> s) {
        answered = true;
        if (s)
          for (auto& n : *s)
            if (n.node_id == 2) port = n.transporter_port;
      });
    }
    return port != 0;
  }));
  EXPECT_EQ(port, 40002);
}

TEST(ServerAndSessions, SessionReturnsAfterTheServerRestartsAndResendsState) {
  Rig rig;
  mgmapi::ManagementSessions s(rig.loop, rig.logger, rig.cs(), 3, NodeType::kData, no_commands, nullptr, 0.05);
  mgmapi::StateReport st;
  st.status = mgmapi::NodeStatus::kStarted;
  st.dynamic_id = 1;
  s.report_state(st);
  ASSERT_TRUE(rig.run_until([&] { return rig.server->registry().state(3)->status == mgmapi::NodeStatus::kStarted; }));
  uint16_t port = rig.port;
  rig.server.reset();
  ASSERT_TRUE(rig.run_until([&] { return s.up_count() == 0; }));
  rig.start_server(port);
  ASSERT_TRUE(rig.run_until([&] { return rig.server->registry().state(3)->status == mgmapi::NodeStatus::kStarted; }));
  EXPECT_EQ(mgmapi::master_node(rig.server->registry().states()), 3u);
}

TEST(ServerAndSessions, AHostileClientCannotTakeAnotherNodesSession) {
  Rig rig;
  mgmapi::Client c;
  event::Async stopper(rig.loop, [&] { rig.loop.stop(); });
  std::thread t([&] { rig.loop.run(); });
  ASSERT_TRUE(c.connect(rig.cs()));
  // A session for an id this connection never allocated is refused.
  auto r = c.call(mgmapi::Message("node session").add("nodeid", 2));
  auto v = c.call(mgmapi::Message("get version"));
  stopper.notify();
  t.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_or("result", ""), "A session needs the node id this connection allocated with get nodeid");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->get_int("id"), 327747);
}
