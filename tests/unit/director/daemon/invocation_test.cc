// tests/unit/director/daemon/invocation_test.cc: ldirectord's command line
// and configuration lookup.
#include "director/daemon/invocation.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>

namespace halb::director::daemon {
namespace {

std::map<std::string, std::string> g_env;
std::string fake_env(const char* k) {
  auto it = g_env.find(k);
  return it == g_env.end() ? "" : it->second;
}

ParseResult parse(std::vector<std::string> argv) { return parse_invocation(argv, fake_env); }

class InvocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/halb-inv-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    mkdir((dir_ + "/conf").c_str(), 0755);
    std::ofstream(dir_ + "/ldirectord.cf") << "\n";
    std::ofstream(dir_ + "/conf/other.cf") << "\n";
    g_env = {{"HA_D", dir_}};
  }
  void TearDown() override {
    g_env.clear();
    std::string cmd = "rm -rf " + dir_;
    (void)!system(cmd.c_str());
  }
  std::string dir_;
};

TEST_F(InvocationTest, HeartbeatsWayFindsTheConfigInHaD) {
  auto r = parse({"/usr/sbin/halb-director", "ldirectord.cf", "start"});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.inv.command, Command::start);
  EXPECT_EQ(r.inv.config_path, dir_ + "/ldirectord.cf");
  EXPECT_TRUE(r.inv.config_found);
  EXPECT_EQ(r.inv.name, "halb-director");
  EXPECT_EQ(r.inv.pid_file(), "/run/halb/halb-director.ldirectord.cf.pid");
}

TEST_F(InvocationTest, NoConfigMeansLdirectordCf) {
  auto r = parse({"ldirectord", "status"});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.inv.command, Command::status);
  EXPECT_EQ(r.inv.config_path, dir_ + "/ldirectord.cf");
  EXPECT_EQ(r.inv.name, "ldirectord");
}

TEST_F(InvocationTest, ConfSubdirThenPath) {
  auto r = parse({"halb-director", "other.cf", "reload"});
  EXPECT_EQ(r.inv.config_path, dir_ + "/conf/other.cf");
  EXPECT_EQ(r.inv.command, Command::reload);
  auto p = parse({"halb-director", dir_ + "/conf/other.cf", "stop"});
  EXPECT_EQ(p.inv.config_path, dir_ + "/conf/other.cf");
  EXPECT_EQ(p.inv.pid_file(), "/run/halb/halb-director.other.cf.pid");
  auto missing = parse({"halb-director", "nothere.cf", "start"});
  EXPECT_FALSE(missing.inv.config_found);
}

TEST_F(InvocationTest, EveryCommand) {
  std::map<std::string, Command> want = {
      {"start", Command::start},         {"stop", Command::stop},     {"restart", Command::restart},
      {"try-restart", Command::try_restart}, {"reload", Command::reload}, {"force-reload", Command::force_reload},
      {"status", Command::status}};
  for (auto& [word, cmd] : want) EXPECT_EQ(parse({"halb-director", word}).inv.command, cmd) << word;
}

TEST_F(InvocationTest, OptionsAndEnvironment) {
  g_env["HALB_RUN_DIR"] = "/tmp/r";
  auto r = parse({"halb-director", "-d", "--backend", "lvsd", "--lvsd-socket=/tmp/s", "start"});
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.inv.debug);
  EXPECT_EQ(r.inv.backend, "lvsd");
  EXPECT_EQ(r.inv.lvsd_socket, "/tmp/s");
  EXPECT_EQ(r.inv.run_dir, "/tmp/r");
  auto d = parse({"halb-director", "--run-dir", "/x", "start"});
  EXPECT_EQ(d.inv.lvsd_socket, "/x/halb-lvsd.sock");
}

TEST_F(InvocationTest, UsageErrors) {
  EXPECT_EQ(parse({"halb-director"}).error, "no command given");
  EXPECT_EQ(parse({"halb-director", "ldirectord.cf"}).error, "unknown command ldirectord.cf");
  EXPECT_EQ(parse({"halb-director", "a", "b", "start"}).error, "too many arguments");
  EXPECT_EQ(parse({"halb-director", "--bogus", "start"}).error, "unknown option --bogus");
  EXPECT_EQ(parse({"halb-director", "--backend", "x", "start"}).error, "--backend must be auto, lvsd or kernel");
  EXPECT_EQ(parse({"halb-director", "start", "--run-dir"}).error, "option --run-dir needs a value");
  EXPECT_EQ(parse({"halb-director", "-h"}).inv.command, Command::help);
}

}  // namespace
}  // namespace halb::director::daemon
