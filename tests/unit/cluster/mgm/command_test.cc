// ndb_mgm's command grammar and error texts.
#include <gtest/gtest.h>

#include "cluster/mgm/command.h"

using namespace halb::cluster::mgm;

namespace {
Command parse_ok(const std::string& line) {
  auto r = parse_command(line);
  EXPECT_TRUE(r.command) << line << ": " << (r.error.empty() ? "" : r.error[0]);
  return r.command.value_or(Command{});
}
std::vector<std::string> parse_err(const std::string& line) {
  auto r = parse_command(line);
  EXPECT_FALSE(r.command) << line;
  return r.error;
}
}  // namespace

TEST(MgmCommand, GlobalCommandsAnyCaseWithTrailingSemicolon) {
  EXPECT_EQ(parse_ok("show").verb, Verb::kShow);
  EXPECT_EQ(parse_ok("SHOW;").verb, Verb::kShow);
  EXPECT_EQ(parse_ok("  Shutdown ").verb, Verb::kShutdown);
  EXPECT_EQ(parse_ok("quit").verb, Verb::kQuit);
  EXPECT_EQ(parse_ok("exit").verb, Verb::kQuit);
  EXPECT_EQ(parse_ok("bye").verb, Verb::kQuit);
  EXPECT_EQ(parse_ok("# a comment").verb, Verb::kNone);
  EXPECT_EQ(parse_ok("").verb, Verb::kNone);
  EXPECT_EQ(parse_ok("help show").argument, "show");
  EXPECT_EQ(parse_ok("purge stale sessions").verb, Verb::kPurgeStaleSessions);
  EXPECT_EQ(parse_ok("connect 10.0.0.1:1186").argument, "10.0.0.1:1186");
}

TEST(MgmCommand, NodeCommands) {
  auto c = parse_ok("3 stop");
  EXPECT_EQ(c.verb, Verb::kStop);
  EXPECT_EQ(c.node_id, 3u);
  EXPECT_FALSE(c.all);
  c = parse_ok("ALL RESTART -n -i");
  EXPECT_EQ(c.verb, Verb::kRestart);
  EXPECT_TRUE(c.all && c.nostart && c.initial && !c.abort);
  c = parse_ok("2 restart -a");
  EXPECT_TRUE(c.abort);
  EXPECT_EQ(parse_ok("all status").verb, Verb::kStatus);
  EXPECT_EQ(parse_ok("4 START").verb, Verb::kStart);
  EXPECT_EQ(parse_ok("all report memoryusage").verb, Verb::kReportMemoryUsage);
  c = parse_ok("2 CLUSTERLOG STARTUP=14 connection=8");
  EXPECT_EQ(c.verb, Verb::kNodeClusterlog);
  ASSERT_EQ(c.levels.size(), 2u);
  EXPECT_EQ(c.levels[0], (std::pair<std::string, int>{"STARTUP", 14}));
  EXPECT_EQ(c.levels[1], (std::pair<std::string, int>{"CONNECTION", 8}));
  EXPECT_EQ(parse_ok("2 clusterlog 255=3").levels[0].first, "CONNECTION");
  EXPECT_EQ(parse_ok("all dump 1000").dump_args, std::vector<uint32_t>{1000});
}

TEST(MgmCommand, SingleUserAndClusterlog) {
  auto c = parse_ok("enter single user mode 5");
  EXPECT_EQ(c.verb, Verb::kEnterSingleUser);
  EXPECT_EQ(c.node_id, 5u);
  EXPECT_EQ(parse_ok("exit single user mode").verb, Verb::kExitSingleUser);
  EXPECT_EQ(parse_ok("clusterlog info").verb, Verb::kClusterlogInfo);
  EXPECT_EQ(parse_ok("clusterlog on").verb, Verb::kClusterlogOn);
  c = parse_ok("clusterlog off warning debug");
  EXPECT_EQ(c.verb, Verb::kClusterlogOff);
  EXPECT_EQ(c.severities, (std::vector<std::string>{"WARNING", "DEBUG"}));
  EXPECT_EQ(parse_ok("clusterlog toggle alert").verb, Verb::kClusterlogToggle);
  EXPECT_EQ(parse_ok("clusterlog filter alert").verb, Verb::kClusterlogToggle);
}

TEST(MgmCommand, BackupCommandsParseSoTheServerCanRefuseThem) {
  EXPECT_EQ(parse_ok("start backup").verb, Verb::kStartBackup);
  EXPECT_EQ(parse_ok("start backup wait started").argument, "wait started");
  EXPECT_EQ(parse_ok("abort backup 3").argument, "3");
  EXPECT_EQ(parse_err("abort backup"), (std::vector<std::string>{"Invalid arguments: expected <BackupId>"}));
}

TEST(MgmCommand, ErrorTexts) {
  EXPECT_EQ(parse_err("frobnicate"), (std::vector<std::string>{"Invalid command: frobnicate", "Type HELP for help."}));
  EXPECT_EQ(parse_err("all"), (std::vector<std::string>{"Expected a command after ALL."}));
  EXPECT_EQ(parse_err("0 status"), (std::vector<std::string>{"Invalid node ID: 0."}));
  EXPECT_EQ(parse_err("99 stop"), (std::vector<std::string>{"Invalid node ID: 99."}));
  EXPECT_EQ(parse_err("2 clusterlog BLAH=3"), (std::vector<std::string>{"Unknown category: \"BLAH\""}));
  EXPECT_EQ(parse_err("2 clusterlog STARTUP=16")[0], "Invalid loglevel specification: STARTUP=16 (levels are 0 to 15)");
  EXPECT_EQ(parse_err("clusterlog on loud"), (std::vector<std::string>{"Invalid severity level: loud"}));
  EXPECT_EQ(parse_err("3 restart -x")[0], "Invalid command: 3 restart -x");
  EXPECT_EQ(parse_err("3 jump")[0], "Invalid command: 3 jump");
}
