// tests/unit/director/adm/run_test.cc: commands carried out on a backend
// that keeps IPVS's rules: the error texts per call, -S output restored by
// -R into an empty table, -R's comments, -L -c, -Z and --set.
#include <gtest/gtest.h>

#include <sstream>

#include "director/adm/run.h"
#include "tests/unit/director/adm/fake_backend.h"
#include "tests/unit/director/adm/fake_names.h"

namespace halb::director::adm {
namespace {

using namespace halb::director::backend;

struct Result {
  int status;
  std::string out, err;
};

class Run : public ::testing::Test {
 protected:
  testing::FakeBackend backend;
  testing::FakeNames names;

  Result run(const std::string& line, const std::string& input = "", Backend* b = nullptr) {
    std::ostringstream out, err;
    std::istringstream in(input);
    Io io{out, err, in};
    std::vector<std::string> args{"halb-adm"};
    std::istringstream words(line);
    for (std::string w; words >> w;) args.push_back(w);
    int status = run_args(args, b ? *b : backend, names, io);
    return {status, out.str(), err.str()};
  }
};

// A table with every kind of service and dest that -S can express.
const char* kTable =
    "svc tcp 10.0.0.1 80 0 wrr 0x1 300 255.255.255.0 0 0 0 0 0 0 0 0 0 0\n"
    "dst 10.0.0.2 80 3 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "dst 10.0.0.3 8080 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "dst 10.0.0.4 80 2 5 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "svc udp 10.0.0.1 53 0 sh 0x1c 0 255.255.255.255 0 0 0 0 0 0 0 0 0 0\n"
    "dst 10.0.0.5 53 0 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "svc fwm 0.0.0.0 0 7 mh 0x9 60 255.255.0.0 0 0 0 0 0 0 0 0 0 0\n"
    "dst 10.0.0.6 0 3 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "svc6 tcp 2001:db8::1 443 0 rr 0x1 100 64 0 0 0 0 0 0 0 0 0 0\n"
    "pe sip\n"
    "dst 2001:db8::2 443 3 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "dst 10.0.0.9 443 2 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "svc6 fwm :: 0 8 wlc 0 0 128 0 0 0 0 0 0 0 0 0 0\n"
    "dst 2001:db8::3 0 0 4 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "svc tcp 127.0.0.1 80 0 lc 0 0 255.255.255.255 0 0 0 0 0 0 0 0 0 0\n"
    "dst 127.0.0.1 8080 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

TEST_F(Run, SaveThenRestoreReproducesTheTable) {
  backend.load(kTable);
  for (const char* save : {"-S -n", "-S"}) {
    Result saved = run(save);
    ASSERT_EQ(saved.status, 0) << saved.err;
    testing::FakeBackend fresh;
    Result restored = run("-R", saved.out, &fresh);
    EXPECT_EQ(restored.status, 0) << restored.err;
    EXPECT_EQ(restored.err, "");
    EXPECT_EQ(run("-S -n", "", &fresh).out, run("-S -n").out) << save;
    EXPECT_EQ(run("-L -n", "", &fresh).out, run("-L -n").out) << save;
    ASSERT_EQ(fresh.table.size(), backend.table.size());
    for (auto& s : backend.table) {
      auto* t = fresh.find(s.service.key);
      ASSERT_TRUE(t) << describe(s.service.key);
      EXPECT_TRUE(same_attributes(t->service, s.service)) << describe(s.service.key);
      EXPECT_EQ(t->dests.size(), s.dests.size());
    }
  }
}

TEST_F(Run, RestoreSkipsCommentsBlankLinesAndTheProgramName) {
  Result r = run("-R",
                 "# saved by hand\n"
                 "\n"
                 "-A -t 10.0.0.1:80 -s rr   # the web service\n"
                 "ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2\n"
                 "halb-adm -a\t-t 10.0.0.1:80 -r 10.0.0.3:80 -w 0\r\n"
                 "   #\n");
  EXPECT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(backend.table.size(), 1u);
  EXPECT_EQ(backend.table[0].service.scheduler, "rr");
  EXPECT_EQ(backend.table[0].dests.size(), 2u);
}

TEST_F(Run, RestoreGoesOnAfterABackendErrorAndReportsTheLastLine) {
  Result r = run("-R", "-a -t 10.0.0.1:80 -r 10.0.0.2\n-A -t 10.0.0.1:80\n");
  EXPECT_EQ(r.err, "Service not defined\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(backend.table.size(), 1u);
}

TEST_F(Run, ErrorTextsFollowTheCall) {
  EXPECT_EQ(run("-A -t 10.0.0.1:80").status, 0);
  Result r = run("-A -t 10.0.0.1:80");
  EXPECT_EQ(r.err, "Service already exists\n");
  EXPECT_EQ(r.status, 255);
  EXPECT_EQ(run("-E -t 10.0.0.9:80").err, "No such service\n");
  EXPECT_EQ(run("-D -t 10.0.0.9:80").err, "No such service\n");
  EXPECT_EQ(run("-Z -t 10.0.0.9:80").err, "No such service\n");
  EXPECT_EQ(run("-a -t 10.0.0.9:80 -r 10.0.0.2").err, "Service not defined\n");
  EXPECT_EQ(run("-e -t 10.0.0.9:80 -r 10.0.0.2").err, "Service not defined\n");
  EXPECT_EQ(run("-d -t 10.0.0.9:80 -r 10.0.0.2").err, "Service not defined\n");
  EXPECT_EQ(run("-a -t 10.0.0.1:80 -r 10.0.0.2").status, 0);
  EXPECT_EQ(run("-a -t 10.0.0.1:80 -r 10.0.0.2").err, "Destination already exists\n");
  EXPECT_EQ(run("-e -t 10.0.0.1:80 -r 10.0.0.3").err, "No such destination\n");
  EXPECT_EQ(run("-d -t 10.0.0.1:80 -r 10.0.0.3").err, "No such destination\n");
  EXPECT_EQ(run("--start-daemon master").status, 0);
  EXPECT_EQ(run("--start-daemon master").err, "Daemon has already run\n");
  EXPECT_EQ(run("--stop-daemon backup").err, "No daemon is running\n");
  Result missing = run("-L -n -t 10.0.0.9:80");
  EXPECT_EQ(missing.err, "No such service\n");
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.out, "");
}

// A backend whose every call fails the way an unreachable halb-lvsd does.
class DeadBackend : public testing::FakeBackend {
 public:
  std::vector<ServiceStatus> services() override { throw BackendError(ECONNREFUSED, "halb-lvsd: connection refused"); }
  void flush() override { throw BackendError(EPERM, "not allowed"); }
  void add_service(const Service&) override { throw std::runtime_error("halb-lvsd: bad reply"); }
};

TEST_F(Run, UnknownErrnosPrintTheBackendsMessage) {
  DeadBackend dead;
  Result r = run("-L -n", "", &dead);
  EXPECT_EQ(r.err, "halb-lvsd: connection refused\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(run("-C", "", &dead).err, "Permission denied (you must be root)\n");
  Result add = run("-A -t 10.0.0.1:80", "", &dead);
  EXPECT_EQ(add.err, "halb-lvsd: bad reply\n");
  EXPECT_EQ(add.status, 255);
}

TEST_F(Run, ChangesReachTheBackend) {
  EXPECT_EQ(run("-A -t 10.0.0.1:80 -s wrr -p 120 -M 255.255.255.0").status, 0);
  EXPECT_EQ(run("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 4 -x 100 -y 10").status, 0);
  auto* s = backend.find(backend.table.at(0).service.key);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->service.scheduler, "wrr");
  EXPECT_EQ(s->service.flags, kSvcPersistent);
  EXPECT_EQ(s->service.timeout, 120u);
  EXPECT_EQ(s->service.netmask, 0xffffff00u);
  ASSERT_EQ(s->dests.size(), 1u);
  EXPECT_EQ(s->dests[0].dest.port, 8080);
  EXPECT_EQ(s->dests[0].dest.weight, 4);
  EXPECT_EQ(s->dests[0].dest.u_threshold, 100u);
  EXPECT_EQ(s->dests[0].dest.l_threshold, 10u);
  EXPECT_EQ(run("-e -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 0").status, 0);
  EXPECT_EQ(s->dests[0].dest.weight, 0);
  EXPECT_EQ(run("-E -t 10.0.0.1:80 -s rr").status, 0);  // -E replaces: no longer persistent
  EXPECT_EQ(backend.table[0].service.flags, 0u);
  EXPECT_EQ(run("-d -t 10.0.0.1:80 -r 10.0.0.2:8080").status, 0);
  EXPECT_TRUE(backend.table[0].dests.empty());
  EXPECT_EQ(run("-D -t 10.0.0.1:80").status, 0);
  EXPECT_TRUE(backend.table.empty());
}

TEST_F(Run, ZeroOneOrAll) {
  backend.load(kTable);
  EXPECT_EQ(run("-Z").status, 0);
  EXPECT_EQ(run("-Z -f 7").status, 0);
  EXPECT_EQ(run("-Z -f 8 -6").status, 0);  // found: an IPv6 fwmark key has the IPv6 zero address
  ASSERT_EQ(backend.zeroed.size(), 3u);
  EXPECT_FALSE(backend.zeroed[0]);
  ASSERT_TRUE(backend.zeroed[1]);
  EXPECT_EQ(backend.zeroed[1]->fwmark, 7u);
}

TEST_F(Run, SetAndListTimeouts) {
  EXPECT_EQ(run("--set 0 0 45").status, 0);
  EXPECT_EQ(run("-L --timeout").out, "Timeout (tcp tcpfin udp): 900 120 45\n");
}

TEST_F(Run, ListConnections) {
  Connection c;
  c.client_addr = *IpAddress::parse("10.0.0.100");
  c.client_port = 40000;
  c.virtual_addr = *IpAddress::parse("10.0.0.1");
  c.virtual_port = 80;
  c.dest_addr = *IpAddress::parse("10.0.0.2");
  c.dest_port = 80;
  c.state = "FIN_WAIT";
  c.expires_s = 61;
  backend.conns = {c};
  EXPECT_EQ(run("-L -n -c").out,
            "IPVS connection entries\n"
            "pro expire state       source             virtual            destination\n"
            "TCP 01:01  FIN_WAIT    10.0.0.100:40000   10.0.0.1:80        10.0.0.2:80\n");
}

TEST_F(Run, BareProgramNameListsTheTable) {
  backend.load("svc tcp 10.0.0.1 22 0 rr 0 0 255.255.255.255 0 0 0 0 0 0 0 0 0 0\n");
  Result r = run("");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out,
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  10.0.0.1:ssh rr\n");
}

TEST(RestoreWords, SplitsOnBlanksAndStopsAtHash) {
  EXPECT_EQ(restore_words("ipvsadm -A\t-t 1.2.3.4:80 -s rr # x y"),
            (std::vector<std::string>{"-A", "-t", "1.2.3.4:80", "-s", "rr"}));
  EXPECT_TRUE(restore_words("   \r").empty());
  EXPECT_TRUE(restore_words("#-C").empty());
}

}  // namespace
}  // namespace halb::director::adm
