// The resource manager against real scripts in a temporary resource.d:
// start order left to right, stop right to left, skip what already runs,
// roll a group back when one resource fails, kill a hung agent.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "heartbeat/agents/registry.h"
#include "heartbeat/resources/resource_manager.h"

using namespace halb;
using namespace halb::heartbeat;

namespace {

struct Fixture : ::testing::Test {
  std::string dir, journal;
  event::Loop loop{true};  // the default loop: only it reaps children
  log::Logger logger;
  void SetUp() override {
    char tmpl[] = "/tmp/halb-rm-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << "mkdtemp: " << strerror(errno);
    dir = tmpl;
    ASSERT_EQ(mkdir((dir + "/resource.d").c_str(), 0755), 0) << strerror(errno);
    journal = dir + "/journal";
  }
  // No shell (and no unchecked system() result): a temp dir left behind is a failure.
  void TearDown() override {
    if (dir.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    EXPECT_FALSE(ec) << "removing " << dir << ": " << ec.message();
  }
  // A script recording "<name> <args> <op>" and keeping state in a file.
  void script(const std::string& name, const std::string& start_body = "") {
    std::string path = dir + "/resource.d/" + name;
    std::ofstream f(path);
    f << "#!/bin/sh\n"
      << "eval op=\\${$#}\n"
      << "echo \"" << name << " $*\" >> " << journal << "\n"
      << "state=" << dir << "/" << name << ".running\n"
      << "case $op in\n"
      << "  start) " << (start_body.empty() ? ":" : start_body) << "; touch $state ;;\n"
      << "  stop) rm -f $state ;;\n"
      << "  status) if [ -e $state ]; then echo running; else echo stopped; fi ;;\n"
      << "esac\n";
    f.close();
    chmod(path.c_str(), 0755);
  }
  std::string read_journal() {
    std::ifstream f(journal);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  std::vector<std::string> run(ResourceManager& rm, bool acquire, std::vector<std::string> keys) {
    std::vector<std::string> failed{"<not done>"};
    auto done = [&](std::vector<std::string> f) {
      failed = std::move(f);
      loop.stop();
    };
    if (acquire) rm.acquire(keys, done);
    else rm.release(keys, done);
    event::Timer guard(loop, [&] { loop.stop(); });
    guard.start(20);
    loop.run();
    return failed;
  }
  HaResources group(std::vector<std::string> names) {
    HaResources hr;
    ResourceGroup g;
    g.node = "ndb1";
    for (auto& n : names) g.resources.push_back({n, {"arg"}, n + "::arg"});
    hr.groups.push_back(g);
    return hr;
  }
};

}  // namespace

TEST_F(Fixture, StartsLeftToRightStopsRightToLeft) {
  script("A");
  script("B");
  script("C");
  HaResources hr = group({"A", "B", "C"});
  AgentRegistry reg(loop, logger, {dir, dir + "/none", "", 10});
  ResourceManager rm(loop, logger, reg, hr);
  EXPECT_TRUE(run(rm, true, {"A::arg"}).empty());
  EXPECT_EQ(read_journal(), "A arg status\nA arg start\nB arg status\nB arg start\nC arg status\nC arg start\n");
  std::remove(journal.c_str());
  EXPECT_TRUE(run(rm, false, {"A::arg"}).empty());
  EXPECT_EQ(read_journal(), "C arg stop\nB arg stop\nA arg stop\n");
}

TEST_F(Fixture, SkipsWhatAlreadyRuns) {
  script("A");
  HaResources hr = group({"A"});
  std::ofstream(dir + "/A.running").close();
  AgentRegistry reg(loop, logger, {dir, dir + "/none", "", 10});
  ResourceManager rm(loop, logger, reg, hr);
  EXPECT_TRUE(run(rm, true, {"A::arg"}).empty());
  EXPECT_EQ(read_journal(), "A arg status\n");
}

TEST_F(Fixture, FailedStartRollsTheGroupBack) {
  script("A");
  script("B", "exit 1");
  script("C");
  HaResources hr = group({"A", "B", "C"});
  AgentRegistry reg(loop, logger, {dir, dir + "/none", "", 10});
  ResourceManager rm(loop, logger, reg, hr);
  auto failed = run(rm, true, {"A::arg"});
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0], "A::arg");
  EXPECT_EQ(read_journal(), "A arg status\nA arg start\nB arg status\nB arg start\nA arg stop\n");
}

TEST_F(Fixture, MissingScriptFailsTheGroup) {
  HaResources hr = group({"Nowhere"});
  AgentRegistry reg(loop, logger, {dir, dir + "/none", "", 10});
  ResourceManager rm(loop, logger, reg, hr);
  EXPECT_EQ(run(rm, true, {"Nowhere::arg"}).size(), 1u);
  std::string err;
  EXPECT_EQ(reg.resolve({"Nowhere", {}, "Nowhere"}, err).agent, nullptr);
  EXPECT_EQ(err, "Cannot locate resource script Nowhere");
}

TEST_F(Fixture, HungAgentIsKilledAtTheTimeout) {
  script("Slow", "sleep 30");
  HaResources hr = group({"Slow"});
  AgentRegistry reg(loop, logger, {dir, dir + "/none", "", 0.5});
  ResourceManager rm(loop, logger, reg, hr);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run(rm, true, {"Slow::arg"}).size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(Fixture, ClassicNamesMatchWithoutCase) {
  AgentRegistry reg(loop, logger, {dir, dir + "/none", "", 10});
  struct Null : Agent {
    void run(AgentOp, const std::vector<std::string>&, AgentDone d) override { d({0, "OK", false}); }
  };
  reg.add_builtin("IPaddr2", [] { return std::make_unique<Null>(); });
  std::string err;
  EXPECT_NE(reg.resolve({"IPAddr2", {"1.2.3.4"}, "IPAddr2::1.2.3.4"}, err).agent, nullptr);
  EXPECT_NE(reg.resolve({"ipaddr2", {}, "ipaddr2"}, err).agent, nullptr);
}
