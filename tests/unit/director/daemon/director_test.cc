// tests/unit/director/daemon/director_test.cc: the director between a fake
// set of checks and an in-memory backend: startup trust, quiescent and
// removal with ldirectord's log words, fallback in and out with
// fallbackcommand, reload keeping untouched reals, cleanstop, foreign
// services left alone, readdquiescent, and a backend that fails.
#include "director/daemon/director.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "director/config/ldirectord_cf.h"
#include "tests/unit/director/daemon/memory_backend.h"

namespace halb::director::daemon {
namespace {

config::Config parse(const std::string& text) {
  config::ReadOptions o;
  o.hostname = "ndb1";
  o.resolver.hosts_path = "/dev/null";
  return config::parse_ldirectord_cf(text, "test.cf", o);
}

class FakeChecks : public RealChecks {
 public:
  Report report;
  int configured = 0;
  bool stopped = false;
  std::map<RealId, CheckState> assumed;
  void set_report(Report r) override { report = std::move(r); }
  void assume(const RealId& id, CheckState s) override { assumed[id] = s; }
  void configure(const config::Config&) override { ++configured; }
  void stop() override { stopped = true; }
};

struct Mail {
  std::vector<std::string> subjects;
};

class DirectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/halb-director-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    log_path_ = dir_ + "/log";
    log::Sinks s;
    s.ident = "halb-director";
    s.style = log::Style::ldirectord;
    s.file = log_path_;
    logger_.configure(s);
    commands_ = std::make_unique<CommandRunner>(loop_, logger_);
    director_ = std::make_unique<Director>(loop_, logger_, backend_, checks_, *commands_,
                                           [this](const std::vector<std::string>&, const std::string&,
                                                  const std::string& subject,
                                                  const std::string&) { mail_.subjects.push_back(subject); });
  }
  void TearDown() override {
    director_.reset();
    commands_.reset();
    std::string cmd = "rm -rf " + dir_;
    (void)!system(cmd.c_str());
  }
  std::string log_text() {
    std::ifstream f(log_path_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  bool logged(const std::string& needle) { return log_text().find(needle) != std::string::npos; }
  RealId id(size_t v, size_t r) {
    const auto& c = director_->config();
    return reconcile::real_id(c.virtuals[v], c.virtuals[v].reals[r]);
  }
  std::vector<std::pair<std::string, int>> dests(size_t s = 0) {
    std::vector<std::pair<std::string, int>> out;
    backend::Table t = backend_.table();
    for (const auto& d : t.services.at(s).dests) out.emplace_back(backend::describe(d), d.weight);
    return out;
  }
  // Let children (fallbackcommand) run and be reaped.
  void run_loop_for(double seconds) {
    event::Timer stop(loop_, [this] { loop_.stop(); });
    stop.start(seconds);
    loop_.run();
  }

  std::string dir_, log_path_;
  event::Loop loop_;
  log::Logger logger_;
  testing::MemoryBackend backend_;
  FakeChecks checks_;
  Mail mail_;
  std::unique_ptr<CommandRunner> commands_;
  std::unique_ptr<Director> director_;
};

using Dests = std::vector<std::pair<std::string, int>>;

const char* kSeed =
    "quiescent=yes\n"
    "virtual=192.168.131.105:3306\n"
    "\treal=192.168.131.77:3306 gate 3\n"
    "\treal=192.168.131.101:3306 gate 2\n"
    "\tservice=mysql\n"
    "\tscheduler=wrr\n"
    "\tchecktype=negotiate\n"
    "\tlogin=\"ldirector\"\n"
    "\tpasswd=\"secret\"\n"
    "\tdatabase=\"ldirectordb\"\n"
    "\trequest=\"SELECT * FROM connectioncheck\"\n";

TEST_F(DirectorTest, StartAddsTheServiceWithEveryRealQuiescent) {
  director_->start(parse(kSeed));
  EXPECT_EQ(dests(), (Dests{{"192.168.131.77:3306", 0}, {"192.168.131.101:3306", 0}}));
  EXPECT_TRUE(logged("Added virtual server: 192.168.131.105:3306"));
  EXPECT_TRUE(logged("Quiescent real server: 192.168.131.77:3306 (192.168.131.105:3306) (Weight set to 0)"));
  EXPECT_EQ(checks_.configured, 1);
  // ldirectord's file format: [localtime|name|pid] message
  EXPECT_EQ(log_text().rfind("[", 0), 0u);
  EXPECT_NE(log_text().find("|halb-director|" + std::to_string(getpid()) + "] Added virtual server"),
            std::string::npos);
}

TEST_F(DirectorTest, UpRestoresWeightDownQuiescesAgain) {
  director_->start(parse(kSeed));
  checks_.report(id(0, 0), CheckState::up, "");
  EXPECT_EQ(dests(), (Dests{{"192.168.131.77:3306", 3}, {"192.168.131.101:3306", 0}}));
  EXPECT_TRUE(logged("Restored real server: 192.168.131.77:3306 (192.168.131.105:3306) (Weight set to 3)"));
  checks_.report(id(0, 0), CheckState::down, "connect refused");
  EXPECT_EQ(dests(), (Dests{{"192.168.131.77:3306", 0}, {"192.168.131.101:3306", 0}}));
  // Reports that change nothing touch nothing.
  size_t calls = backend_.calls.size();
  checks_.report(id(0, 0), CheckState::down, "still refused");
  EXPECT_EQ(backend_.calls.size(), calls);
}

TEST_F(DirectorTest, VerdictsDiffAgainstTheKnownTableWithoutReadingIt) {
  // A thousand reals' verdicts must not each read and parse the whole table.
  director_->start(parse(kSeed));
  int reads = backend_.reads;
  checks_.report(id(0, 0), CheckState::up, "");
  checks_.report(id(0, 1), CheckState::up, "");
  checks_.report(id(0, 0), CheckState::down, "");
  EXPECT_EQ(backend_.reads, reads);
  EXPECT_EQ(dests(), (Dests{{"192.168.131.77:3306", 0}, {"192.168.131.101:3306", 2}}));
  // The resync reads it, and puts right what someone changed behind our back.
  backend_.t.services[0].dests[1].weight = 7;
  director_->resync();
  EXPECT_GT(backend_.reads, reads);
  EXPECT_EQ(dests(), (Dests{{"192.168.131.77:3306", 0}, {"192.168.131.101:3306", 2}}));
}

TEST_F(DirectorTest, QuiescentNoRemovesAndAddsBack) {
  std::string cf = kSeed;
  cf.replace(0, std::string("quiescent=yes").size(), "quiescent=no");
  director_->start(parse(cf));
  EXPECT_TRUE(backend_.table().services.at(0).dests.empty());
  checks_.report(id(0, 1), CheckState::up, "");
  EXPECT_EQ(dests(), (Dests{{"192.168.131.101:3306", 2}}));
  EXPECT_TRUE(logged("Added real server: 192.168.131.101:3306 (192.168.131.105:3306) (Weight set to 2)"));
  checks_.report(id(0, 1), CheckState::down, "");
  EXPECT_TRUE(backend_.table().services.at(0).dests.empty());
  EXPECT_TRUE(logged("Deleted real server: 192.168.131.101:3306 (192.168.131.105:3306)"));
}

TEST_F(DirectorTest, StartupTrustsRealsAlreadyServing) {
  backend::Service s;
  s.key.addr = *IpAddress::parse("192.168.131.105");
  s.key.port = 3306;
  s.scheduler = "wrr";
  backend::Dest d;
  d.addr = *IpAddress::parse("192.168.131.77");
  d.port = 3306;
  d.weight = 3;
  s.dests.push_back(d);
  backend_.t.services.push_back(s);
  director_->start(parse(kSeed));
  EXPECT_EQ(dests(), (Dests{{"192.168.131.77:3306", 3}, {"192.168.131.101:3306", 0}}));
  EXPECT_EQ(director_->states().at(id(0, 0)), CheckState::up);
  // The checks learn it too, so failurecount applies before it goes down.
  EXPECT_EQ(checks_.assumed, (std::map<RealId, CheckState>{{id(0, 0), CheckState::up}}));
  EXPECT_FALSE(logged("Added virtual server"));
}

TEST_F(DirectorTest, FallbackComesWhenAllDownAndGoesWhenOneIsBack) {
  std::string flag = dir_ + "/fallback-ran";
  std::string cf = std::string(kSeed) + "\tfallback=127.0.0.1:3306\n\tfallbackcommand=\"echo >>" + flag + "\"\n";
  director_->start(parse(cf));
  EXPECT_TRUE(logged("Added fallback server: 127.0.0.1:3306 (192.168.131.105:3306) (Weight set to 1)"));
  run_loop_for(0.3);  // the start command is written before the stop one runs
  checks_.report(id(0, 0), CheckState::up, "");
  EXPECT_TRUE(logged("Deleted fallback server: 127.0.0.1:3306 (192.168.131.105:3306)"));
  EXPECT_EQ(dests(), (Dests{{"192.168.131.77:3306", 3}, {"192.168.131.101:3306", 0}}));
  run_loop_for(0.5);
  std::ifstream f(flag);
  std::string l1, l2;
  std::getline(f, l1);
  std::getline(f, l2);
  EXPECT_EQ(l1, "start 192.168.131.105:3306 tcp");
  EXPECT_EQ(l2, "stop 192.168.131.105:3306 tcp");
}

TEST_F(DirectorTest, ReloadKeepsUntouchedRealsAndDropsRemovedVirtuals) {
  std::string two = std::string(kSeed) +
                    "virtual=192.168.131.106:80\n"
                    "\treal=192.168.131.77:80 masq\n"
                    "\tservice=http\n";
  director_->start(parse(two));
  checks_.report(id(0, 0), CheckState::up, "");
  ASSERT_EQ(backend_.table().services.size(), 2u);
  backend_.calls.clear();
  director_->reload(parse(kSeed));
  EXPECT_EQ(backend_.table().services.size(), 1u);
  EXPECT_EQ(dests(), (Dests{{"192.168.131.77:3306", 3}, {"192.168.131.101:3306", 0}}));
  EXPECT_TRUE(logged("Purged virtual server (start): 192.168.131.106:80"));
  for (const auto& c : backend_.calls) EXPECT_EQ(c.find("192.168.131.105"), std::string::npos) << c;
  EXPECT_EQ(checks_.configured, 2);
}

TEST_F(DirectorTest, ForeignServicesAreLeftAlone) {
  backend::Service foreign;
  foreign.key.addr = *IpAddress::parse("10.0.0.1");
  foreign.key.port = 80;
  backend_.t.services.push_back(foreign);
  director_->start(parse(kSeed));
  director_->stop();
  ASSERT_EQ(backend_.table().services.size(), 1u);
  EXPECT_EQ(backend::describe(backend_.table().services[0].key), "TCP 10.0.0.1:80");
}

TEST_F(DirectorTest, CleanstopPurgesAndCleanstopNoKeeps) {
  director_->start(parse(kSeed));
  director_->stop();
  EXPECT_TRUE(backend_.table().services.empty());
  EXPECT_TRUE(logged("Purged real server (stop): 192.168.131.77:3306 (192.168.131.105:3306)"));
  EXPECT_TRUE(logged("Purged virtual server (stop): 192.168.131.105:3306"));
  EXPECT_TRUE(checks_.stopped);

  testing::MemoryBackend other;
  FakeChecks checks2;
  Director d2(loop_, logger_, other, checks2, *commands_, nullptr);
  d2.start(parse(std::string("cleanstop=no\n") + kSeed));
  d2.stop();
  EXPECT_EQ(other.table().services.size(), 1u);
}

TEST_F(DirectorTest, ReaddquiescentDecidesWhetherARemovedDownRealComesBack) {
  director_->start(parse(kSeed));
  backend_.t.services[0].dests.erase(backend_.t.services[0].dests.begin());  // operator ran halb-adm -d
  director_->resync();
  EXPECT_EQ(dests().size(), 1u);
  director_->reload(parse(std::string("readdquiescent=yes\n") + kSeed));
  director_->resync();
  EXPECT_EQ(dests().size(), 2u);
}

TEST_F(DirectorTest, FailingBackendIsLoggedAndRetriedOnResync) {
  director_->start(parse(kSeed));
  backend_.fail_reads = true;
  checks_.report(id(0, 0), CheckState::up, "");
  // A verdict needs no table read; the resync that follows does.
  size_t reads_needed = backend_.calls.size();
  EXPECT_GT(reads_needed, 0u);
  director_->resync();
  EXPECT_TRUE(logged("cannot read the virtual server table: backend gone"));
  backend_.fail_reads = false;
  director_->resync();
  EXPECT_EQ(dests(), (Dests{{"192.168.131.77:3306", 3}, {"192.168.131.101:3306", 0}}));
}

TEST_F(DirectorTest, EmailAlertsOnRealChanges) {
  director_->start(parse(std::string("emailalert=\"ops@example.org\"\n") + kSeed));
  checks_.report(id(0, 0), CheckState::up, "");
  ASSERT_FALSE(mail_.subjects.empty());
  EXPECT_EQ(mail_.subjects.back(), "Restored real server: 192.168.131.77:3306 (192.168.131.105:3306) (Weight set to 3)");
}

}  // namespace
}  // namespace halb::director::daemon
