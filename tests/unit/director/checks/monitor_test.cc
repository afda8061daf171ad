// tests/unit/director/checks/monitor_test.cc: the monitor on a real loop
// with checkinterval scaled down (Options::time_scale), against local
// servers that come and go.
#include "director/checks/monitor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "director/config/ldirectord_cf.h"
#include "tests/unit/director/checks/test_servers.h"

namespace halb::director::checks {
namespace {

using namespace testing;

struct Event {
  RealId id;
  CheckState state;
  std::string reason;
};

class MonitorTest : public ::testing::Test {
 protected:
  MonitorTest() {
    monitor.set_report([this](const RealId& id, CheckState s, const std::string& why) {
      events.push_back({id, s, why});
    });
  }

  config::Config parse(const std::string& text) { return config::parse_ldirectord_cf(text, "test.cf"); }

  RealId id_of(const config::Config& c, size_t v = 0, size_t r = 0) {
    return reconcile::real_id(c.virtuals[v], c.virtuals[v].reals[r]);
  }

  int count(CheckState s) const {
    int n = 0;
    for (auto& e : events) n += e.state == s;
    return n;
  }

  event::Loop loop{true};
  log::Logger logger;
  // checkinterval=1 becomes 50 ms.
  Monitor monitor{loop, logger, Monitor::Options{0.05, 0.2}};
  std::vector<Event> events;
};

std::string cf(const std::string& body) { return "checkinterval=1\nchecktimeout=1\n" + body; }

TEST_F(MonitorTest, ReportsUpThenDownThenUpAgain) {
  auto server = std::make_unique<TcpServer>(loop);
  uint16_t port = server->port();
  auto c = parse(cf("virtual=127.0.0.100:80\n\treal=127.0.0.1:" + std::to_string(port) +
                    " gate\n\tchecktype=connect\n"));
  monitor.configure(c);
  EXPECT_EQ(monitor.watched(), 1u);
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 1; }, 3));
  EXPECT_EQ(events[0].id, id_of(c));
  EXPECT_EQ(events[0].state, CheckState::up);
  EXPECT_EQ(monitor.state(id_of(c)), CheckState::up);
  server.reset();
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 2; }, 3));
  EXPECT_EQ(events[1].state, CheckState::down);
  EXPECT_NE(events[1].reason.find("refused"), std::string::npos) << events[1].reason;
  // Stays down without repeating itself.
  run_for(loop, 0.3);
  EXPECT_EQ(events.size(), 2u);
}

TEST_F(MonitorTest, FailurecountNeedsConsecutiveFailures) {
  TcpServer server(loop);
  auto c = parse(cf("failurecount=3\nvirtual=127.0.0.100:80\n\treal=127.0.0.1:" + std::to_string(server.port()) +
                    " gate\n\tchecktype=connect\n"));
  monitor.configure(c);
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 1; }, 3));
  // Close the port; time how many checks pass before the down report.
  server.shut();
  auto t0 = loop.now();
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 2; }, 5));
  EXPECT_EQ(events[1].state, CheckState::down);
  // Three failed checks, two intervals (~50 ms each) apart at least.
  EXPECT_GE(loop.now() - t0, 0.08);
}

TEST_F(MonitorTest, CheckcountRetriesWithinOneCheck) {
  // A server that refuses the first connection of every pair: with
  // checkcount=2 every check passes on its second attempt.
  int accepted = 0;
  TcpServer server(loop, nullptr, [&](TcpServer::Conn& c) {
    if (accepted++ % 2 == 0)
      c.close_now();
    else
      c.send("200 news ready\r\n");
  });
  auto c = parse(cf("checkcount=2\nvirtual=127.0.0.100:80\n\treal=127.0.0.1:" + std::to_string(server.port()) +
                    " gate\n\tservice=nntp\n"));
  monitor.configure(c);
  ASSERT_TRUE(run_until(loop, [&] { return !events.empty(); }, 3));
  EXPECT_EQ(events[0].state, CheckState::up);
  run_for(loop, 0.3);
  EXPECT_EQ(count(CheckState::down), 0);
  EXPECT_GE(accepted, 4);
}

TEST_F(MonitorTest, CombinedNegotiatesEveryNthPass) {
  int requests = 0;
  TcpServer server(loop, [&](TcpServer::Conn& c) {
    if (c.in.find("\r\n\r\n") == std::string::npos) return;
    requests++;
    c.send("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
    c.close_now();
  });
  auto c = parse(cf("virtual=127.0.0.100:80\n\treal=127.0.0.1:" + std::to_string(server.port()) +
                    " gate\n\tchecktype=3\n\tservice=http\n"));
  monitor.configure(c);
  ASSERT_TRUE(run_until(loop, [&] { return server.accepted() >= 9; }, 5));
  // N C C C N C C C N: 9 connections, 3 of them HTTP requests.
  EXPECT_GE(requests, 2);
  EXPECT_LE(requests, 4);
  EXPECT_LT(requests * 2, server.accepted());
  EXPECT_EQ(count(CheckState::down), 0);
}

TEST_F(MonitorTest, OneHangingRealDoesNotDelayAnother) {
  // 127.0.0.1 port with a full accept queue hangs; the other real answers.
  uint16_t hole_port = 0;
  int hole = listen_tcp(hole_port, 0);
  std::vector<int> fillers;
  for (int i = 0; i < 8; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(hole_port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    fillers.push_back(fd);
  }
  TcpServer server(loop);
  auto c = parse("checkinterval=1\nchecktimeout=5\nvirtual=127.0.0.100:80\n\treal=127.0.0.1:" +
                 std::to_string(hole_port) + " gate\n\treal=127.0.0.1:" + std::to_string(server.port()) +
                 " gate\n\tchecktype=connect\n");
  monitor.configure(c);
  ASSERT_TRUE(run_until(loop, [&] { return !events.empty(); }, 2));
  EXPECT_EQ(events[0].id, id_of(c, 0, 1));
  EXPECT_EQ(events[0].state, CheckState::up);
  // Several passes of the good real while the other still hangs.
  run_for(loop, 0.5);
  EXPECT_GE(server.accepted(), 4);
  EXPECT_EQ(events.size(), 1u);
  for (int fd : fillers) close(fd);
  close(hole);
}

TEST_F(MonitorTest, ReloadKeepsUnchangedRealsAndDropsRemovedOnes) {
  TcpServer a(loop), b(loop);
  std::string ra = "\treal=127.0.0.1:" + std::to_string(a.port()) + " gate\n";
  std::string rb = "\treal=127.0.0.1:" + std::to_string(b.port()) + " gate\n";
  auto c1 = parse(cf("virtual=127.0.0.100:80\n" + ra + rb + "\tchecktype=connect\n"));
  monitor.configure(c1);
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 2; }, 3));
  // Reload: a stays, b goes, a new virtual appears; a is not re-reported.
  auto c2 = parse(cf("virtual=127.0.0.100:80\n" + ra + "\tchecktype=connect\nvirtual=127.0.0.101:80\n" + rb +
                     "\tchecktype=connect\n"));
  monitor.configure(c2);
  EXPECT_EQ(monitor.watched(), 2u);
  EXPECT_EQ(monitor.state(id_of(c2, 0)), CheckState::up);  // kept at once
  EXPECT_FALSE(monitor.state(id_of(c2, 1)));               // new: not checked yet
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 3; }, 3));
  EXPECT_EQ(events[2].id, id_of(c2, 1));
  run_for(loop, 0.3);
  EXPECT_EQ(events.size(), 3u);
}

TEST_F(MonitorTest, ReloadWithAChangedCheckKeepsTheState) {
  TcpServer a(loop);
  std::string ra = "\treal=127.0.0.1:" + std::to_string(a.port()) + " gate\n";
  monitor.configure(parse(cf("virtual=127.0.0.100:80\n" + ra + "\tchecktype=connect\n")));
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 1; }, 3));
  auto c2 = parse(cf("virtual=127.0.0.100:80\n" + ra + "\tchecktype=connect\n\tchecktimeout=2\n"));
  monitor.configure(c2);
  EXPECT_EQ(monitor.state(id_of(c2)), CheckState::up);
  run_for(loop, 0.3);
  EXPECT_EQ(events.size(), 1u);  // no flap
}

TEST_F(MonitorTest, CheckInFlightIsCancelledByReloadAndStop) {
  TcpServer silent(loop);
  auto c = parse("checkinterval=1\nnegotiatetimeout=1\nvirtual=127.0.0.100:25\n\treal=127.0.0.1:" +
                 std::to_string(silent.port()) + " gate\n\tservice=smtp\n");
  monitor.configure(c);
  run_for(loop, 0.3);  // the smtp check waits for a greeting
  monitor.configure(parse(cf("")));
  EXPECT_EQ(monitor.watched(), 0u);
  run_for(loop, 1.3);
  EXPECT_TRUE(events.empty());
  monitor.configure(c);
  run_for(loop, 0.3);
  monitor.stop();
  run_for(loop, 1.3);
  EXPECT_TRUE(events.empty());
}

TEST_F(MonitorTest, OffIsNotCheckedAndOnIsUp) {
  auto c = parse(cf("virtual=127.0.0.100:80\n\treal=127.0.0.1:1 gate\n\tchecktype=off\n"
                    "virtual=127.0.0.101:80\n\treal=127.0.0.1:1 gate\n\tchecktype=on\n"));
  monitor.configure(c);
  EXPECT_EQ(monitor.watched(), 1u);
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 1; }, 3));
  EXPECT_EQ(events[0].id, id_of(c, 1));
  EXPECT_EQ(events[0].state, CheckState::up);
}

TEST_F(MonitorTest, AssumedUpRealGetsFailurecount) {
  auto c = parse(cf("failurecount=2\nvirtual=127.0.0.100:80\n\treal=127.0.0.1:" + std::to_string(closed_port()) +
                    " gate\n\tchecktype=connect\n"));
  monitor.assume(id_of(c), CheckState::up);
  monitor.configure(c);
  EXPECT_EQ(monitor.state(id_of(c)), CheckState::up);
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 1; }, 3));
  EXPECT_EQ(events[0].state, CheckState::down);
}

TEST_F(MonitorTest, ReportHandlerMayReconfigure) {
  TcpServer a(loop);
  auto c = parse(cf("virtual=127.0.0.100:80\n\treal=127.0.0.1:" + std::to_string(a.port()) +
                    " gate\n\tchecktype=connect\n"));
  monitor.set_report([&](const RealId&, CheckState, const std::string&) {
    events.push_back({});
    monitor.configure(parse(cf("")));  // drops the reporting real
  });
  monitor.configure(c);
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 1; }, 3));
  run_for(loop, 0.2);
  EXPECT_EQ(monitor.watched(), 0u);
}

TEST_F(MonitorTest, MonitorfileGetsEveryVerdict) {
  char tmpl[] = "/tmp/halb-monitorfile-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  std::string path = tmpl;
  TcpServer server(loop);
  auto c = parse(cf("virtual=127.0.0.100:80\n\treal=127.0.0.1:" + std::to_string(server.port()) +
                    " gate\n\tchecktype=connect\n\tmonitorfile=\"" + path + "\"\n"));
  monitor.configure(c);
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 1; }, 3));
  run_for(loop, 0.2);
  monitor.stop();
  FILE* f = fopen(path.c_str(), "r");
  ASSERT_TRUE(f);
  char line[512];
  int lines = 0;
  std::string first;
  while (fgets(line, sizeof line, f)) {
    if (lines++ == 0) first = line;
  }
  fclose(f);
  unlink(path.c_str());
  EXPECT_GE(lines, 2);  // one per check, not per change
  std::string id = "tcp 127.0.0.100 80 127.0.0.1 " + std::to_string(server.port()) + " [up] connected";
  EXPECT_NE(first.find(id), std::string::npos) << first;
  EXPECT_EQ(first[0], '[');
}

TEST(MonitorWarnings, UnnegotiatedServiceIsWarnedOnceAndConnectChecked) {
  char tmpl[] = "/tmp/halb-monitorlog-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  event::Loop loop(true);
  log::Sinks sinks;
  sinks.file = tmpl;
  log::Logger logger(sinks);
  Monitor monitor(loop, logger, Monitor::Options{0.05, 0.2});
  std::vector<CheckState> states;
  monitor.set_report([&](const RealId&, CheckState s, const std::string&) { states.push_back(s); });
  TcpServer server(loop);
  auto c = config::parse_ldirectord_cf("checkinterval=1\nvirtual=127.0.0.100:1521\n\treal=127.0.0.1:" +
                                           std::to_string(server.port()) + " gate\n\treal=127.0.0.2:" +
                                           std::to_string(server.port()) + " gate\n\tservice=oracle\n",
                                       "t.cf");
  monitor.configure(c);
  monitor.configure(c);  // a reload does not repeat it
  ASSERT_TRUE(run_until(loop, [&] { return states.size() == 2; }, 3));
  // A plain connect: 127.0.0.1 is served, 127.0.0.2 refuses.
  EXPECT_GE(server.accepted(), 1);
  EXPECT_EQ(std::count(states.begin(), states.end(), CheckState::up), 1);
  EXPECT_EQ(std::count(states.begin(), states.end(), CheckState::down), 1);
  monitor.stop();
  FILE* f = fopen(tmpl, "r");
  ASSERT_TRUE(f);
  char line[512];
  int warnings = 0;
  while (fgets(line, sizeof line, f)) warnings += strstr(line, "service=oracle") != nullptr;
  fclose(f);
  unlink(tmpl);
  EXPECT_EQ(warnings, 1);
}

TEST_F(MonitorTest, ManyRealsAreSpreadAndAllChecked) {
  TcpServer server(loop);
  std::string body = "virtual=127.0.0.100:80\n\tchecktype=connect\n";
  // 200 reals on 127.0.1.x: nothing listens there, each is refused and
  // reported down once.
  for (int i = 1; i <= 200; i++) body += "\treal=127.0.1." + std::to_string(i) + ":" + std::to_string(server.port()) + " gate\n";
  auto c = parse(cf(body));
  monitor.configure(c);
  EXPECT_EQ(monitor.watched(), 200u);
  ASSERT_TRUE(run_until(loop, [&] { return events.size() == 200; }, 5));
}

}  // namespace
}  // namespace halb::director::checks
