// halb-mgm's side of backups: START BACKUP [id] [NOWAIT|WAIT STARTED|WAIT
// COMPLETED] and ABORT BACKUP parse as ndb_mgm's; a completed backup's
// one-line event prints as ndb_mgm's four lines; halb-restore finds the
// files where a data node leaves them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cluster/mgm/command.h"
#include "cluster/mgm/texts.h"
#include "cluster/restore/restorer.h"

using namespace halb::cluster;

namespace {
mgm::Command parse_ok(const std::string& line) {
  auto p = mgm::parse_command(line);
  EXPECT_TRUE(p.command) << line;
  return p.command.value_or(mgm::Command{});
}
std::vector<std::string> parse_err(const std::string& line) {
  auto p = mgm::parse_command(line);
  EXPECT_FALSE(p.command) << line;
  return p.error;
}
}  // namespace

TEST(MgmBackup, StartBackupForms) {
  auto c = parse_ok("start backup");
  EXPECT_EQ(c.verb, mgm::Verb::kStartBackup);
  EXPECT_EQ(c.backup_id, 0u);
  EXPECT_EQ(c.backup_wait, 2);
  EXPECT_EQ(parse_ok("START BACKUP NOWAIT").backup_wait, 0);
  EXPECT_EQ(parse_ok("start backup wait started").backup_wait, 1);
  EXPECT_EQ(parse_ok("start backup Wait Completed;").backup_wait, 2);
  c = parse_ok("start backup 12 nowait");
  EXPECT_EQ(c.backup_id, 12u);
  EXPECT_EQ(c.backup_wait, 0);
  EXPECT_EQ(parse_ok("start backup 5").backup_id, 5u);
  EXPECT_EQ(parse_err("start backup wait"),
            (std::vector<std::string>{"Invalid arguments: expected [<BackupId>] [NOWAIT | WAIT STARTED | WAIT COMPLETED]"}));
  EXPECT_FALSE(parse_err("start backup 0").empty());
  EXPECT_FALSE(parse_err("start backup nowait 3").empty());
  EXPECT_EQ(parse_ok("abort backup 7").argument, "7");
  EXPECT_EQ(parse_err("abort backup x"), (std::vector<std::string>{"Invalid arguments: expected <BackupId>"}));
}

TEST(MgmBackup, CompletedEventPrintsAsFourLines) {
  EXPECT_EQ(mgm::event_lines("Node 2: Backup 1 started from node 1 completed. StartGCP: 177 StopGCP: 180 "
                             "#Records: 7362 #LogRecords: 0 Data: 453648 bytes Log: 0 bytes"),
            (std::vector<std::string>{"Node 2: Backup 1 started from node 1 completed", " StartGCP: 177 StopGCP: 180",
                                      " #Records: 7362 #LogRecords: 0", " Data: 453648 bytes Log: 0 bytes"}));
  EXPECT_EQ(mgm::event_lines("Node 2: Backup 1 started from node 1"),
            (std::vector<std::string>{"Node 2: Backup 1 started from node 1"}));
  EXPECT_EQ(mgm::event_lines("Node 3: Started (version 5.0.67)"),
            (std::vector<std::string>{"Node 3: Started (version 5.0.67)"}));
}

TEST(Restore, FindsTheFilesInAnyOfTheirUsualPlaces) {
  char tmpl[] = "/tmp/halb-restore-test-XXXXXX";
  std::string root = ::mkdtemp(tmpl);
  std::string error;
  EXPECT_EQ(restore::find_backup_dir(root, 3, 2, error), "");
  EXPECT_NE(error.find("no BACKUP-3.2.ctl in " + root), std::string::npos) << error;
  std::filesystem::create_directories(root + "/BACKUP/BACKUP-3");
  std::ofstream(root + "/BACKUP/BACKUP-3/BACKUP-3.2.ctl") << "x";
  EXPECT_EQ(restore::find_backup_dir(root, 3, 2, error), root + "/BACKUP/BACKUP-3");
  EXPECT_EQ(restore::find_backup_dir(root + "/BACKUP", 3, 2, error), root + "/BACKUP/BACKUP-3");
  EXPECT_EQ(restore::find_backup_dir(root + "/BACKUP/BACKUP-3", 3, 2, error), root + "/BACKUP/BACKUP-3");
  EXPECT_EQ(restore::find_backup_dir(root, 3, 4, error), "");
  std::filesystem::remove_all(root);
}
