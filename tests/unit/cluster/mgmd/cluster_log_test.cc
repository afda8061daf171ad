// Cluster log: LogDestination parsing, the line format, filters and rotation.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cluster/mgmd/cluster_log.h"
#include "tests/unit/support/temp_dir.h"

using namespace halb::cluster;
using namespace halb::cluster::mgmd;

namespace {
std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
bool exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }
mgmapi::Event event(uint32_t node, mgmapi::Category c, int thr, mgmapi::Severity s, std::string text) {
  mgmapi::Event e;
  e.source_node = node;
  e.category = c;
  e.threshold = thr;
  e.severity = s;
  e.text = std::move(text);
  return e;
}
}  // namespace

TEST(LogDestination, DefaultIsTheNdbFile) {
  auto d = parse_log_destination("", 1);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, LogDestination::Kind::kFile);
  EXPECT_EQ(d[0].filename, "ndb_1_cluster.log");
  EXPECT_EQ(d[0].maxsize, 1000000u);
  EXPECT_EQ(d[0].maxfiles, 6u);
}

TEST(LogDestination, ListOfConsoleSyslogAndFile) {
  auto d = parse_log_destination("CONSOLE;SYSLOG:facility=local0;FILE:filename=/var/log/c.log,maxsize=10k,maxfiles=3", 2);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].kind, LogDestination::Kind::kConsole);
  EXPECT_EQ(d[1].kind, LogDestination::Kind::kSyslog);
  EXPECT_EQ(d[1].syslog_facility, LOG_LOCAL0);
  EXPECT_EQ(d[2].filename, "/var/log/c.log");
  EXPECT_EQ(d[2].maxsize, 10240u);
  EXPECT_EQ(d[2].maxfiles, 3u);
  EXPECT_EQ(parse_log_destination("FILE", 4)[0].filename, "ndb_4_cluster.log");
}

TEST(LogDestination, ErrorsNameTheBadPart) {
  EXPECT_THROW(parse_log_destination("PRINTER", 1), DestinationError);
  EXPECT_THROW(parse_log_destination("SYSLOG:facility=nowhere", 1), DestinationError);
  EXPECT_THROW(parse_log_destination("FILE:maxsize=big", 1), DestinationError);
  EXPECT_THROW(parse_log_destination("FILE:colour=red", 1), DestinationError);
  try {
    parse_log_destination("FILE:maxfiles=0", 1);
    FAIL();
  } catch (const DestinationError& e) {
    EXPECT_STREQ(e.what(), "bad maxfiles '0'");
  }
}

TEST(ClusterLogLine, NdbLayoutWithPaddedSeverity) {
  setenv("TZ", "UTC", 1);
  tzset();
  std::time_t t = 1051175970;  // 2003-04-24 09:19:30 UTC
  EXPECT_EQ(format_log_line(t, event(4, mgmapi::Category::kStartup, 4, mgmapi::Severity::kInfo, "Start phase 4 completed")),
            "2003-04-24 09:19:30 [MgmSrvr] INFO     -- Node 4: Start phase 4 completed");
  EXPECT_EQ(format_log_line(t, event(1, mgmapi::Category::kConnection, 8, mgmapi::Severity::kAlert, "Node 3 Disconnected")),
            "2003-04-24 09:19:30 [MgmSrvr] ALERT    -- Node 1: Node 3 Disconnected");
  EXPECT_EQ(format_log_line(t, event(2, mgmapi::Category::kError, 8, mgmapi::Severity::kWarning, "Node 3 missed heartbeat 2")),
            "2003-04-24 09:19:30 [MgmSrvr] WARNING  -- Node 2: Node 3 missed heartbeat 2");
}

TEST(ClusterLogFilter, DefaultsThresholdsAndSeverities) {
  auto f = mgmapi::EventFilter::cluster_log_defaults();
  EXPECT_TRUE(f.passes(mgmapi::Category::kConnection, 8, mgmapi::Severity::kInfo));   // Connected
  EXPECT_FALSE(f.passes(mgmapi::Category::kCheckpoint, 9, mgmapi::Severity::kInfo));  // GCP started
  EXPECT_TRUE(f.passes(mgmapi::Category::kCheckpoint, 7, mgmapi::Severity::kInfo));   // LCP started
  EXPECT_TRUE(f.passes(mgmapi::Category::kBackup, 7, mgmapi::Severity::kAlert));
  EXPECT_FALSE(f.passes(mgmapi::Category::kStartup, 1, mgmapi::Severity::kDebug));    // DEBUG off
  f.enabled = false;
  EXPECT_FALSE(f.passes(mgmapi::Category::kStartup, 1, mgmapi::Severity::kAlert));
}

TEST(ClusterLog, WritesPassingEventsToTheFileUnderDataDir) {
  halb::testing::TempDir dir("halb-clog");
  ClusterLog log(parse_log_destination("", 1), dir.path());
  EXPECT_TRUE(log.log(event(3, mgmapi::Category::kStartup, 1, mgmapi::Severity::kInfo, "Started (version 5.0.67)")));
  EXPECT_FALSE(log.log(event(3, mgmapi::Category::kCheckpoint, 10, mgmapi::Severity::kInfo, "Global checkpoint 5 completed")));
  log.filter().level[mgmapi::category_index(mgmapi::Category::kCheckpoint)] = 15;
  EXPECT_TRUE(log.log(event(3, mgmapi::Category::kCheckpoint, 10, mgmapi::Severity::kInfo, "Global checkpoint 6 completed")));
  std::string text = slurp(dir.path() + "/ndb_1_cluster.log");
  EXPECT_NE(text.find("[MgmSrvr] INFO     -- Node 3: Started (version 5.0.67)\n"), std::string::npos);
  EXPECT_EQ(text.find("checkpoint 5"), std::string::npos);
  EXPECT_NE(text.find("Global checkpoint 6 completed"), std::string::npos);
}

TEST(RotatingFile, RollsToTheFirstFreeNumberThenWrapsToOne) {
  halb::testing::TempDir dir("halb-clog");
  std::string path = dir.path() + "/c.log";
  RotatingFile f(path, 100, 3);
  std::string line(45, 'a');  // two lines (92 bytes) fit, a third does not
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(f.write(line));
  EXPECT_FALSE(exists(path + ".1"));
  ASSERT_TRUE(f.write(std::string(45, 'b')));  // rolls: c.log -> c.log.1
  EXPECT_TRUE(exists(path + ".1"));
  EXPECT_EQ(slurp(path), std::string(45, 'b') + "\n");
  ASSERT_TRUE(f.write(std::string(45, 'c')));
  ASSERT_TRUE(f.write(std::string(45, 'd')));  // rolls: c.log -> c.log.2
  EXPECT_TRUE(exists(path + ".2"));
  ASSERT_TRUE(f.write(std::string(45, 'e')));
  ASSERT_TRUE(f.write(std::string(45, 'f')));  // .1 and .2 taken, maxfiles 3: back to .1
  EXPECT_FALSE(exists(path + ".3"));
  EXPECT_EQ(slurp(path + ".1"), std::string(45, 'd') + "\n" + std::string(45, 'e') + "\n");
  EXPECT_EQ(slurp(path + ".2"), std::string(45, 'b') + "\n" + std::string(45, 'c') + "\n");
}

TEST(RotatingFile, UnwritablePathIsAnErrorNotACrash) {
  RotatingFile f("/nonexistent-dir/x.log", 100, 2);
  EXPECT_FALSE(f.write("line"));
  EXPECT_NE(f.error().find("/nonexistent-dir/x.log"), std::string::npos);
}
