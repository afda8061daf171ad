// tests/unit/director/syncswap/swap_test.cc: LVSSyncDaemonSwap's rules.
#include "director/syncswap/swap.h"

#include <gtest/gtest.h>

namespace halb::director::syncswap {
namespace {

using Steps = std::vector<Step>;
const SyncRole M = SyncRole::master, B = SyncRole::backup;

TEST(SyncSwap, HoldingMasterStopsBackupThenStartsMaster) {
  EXPECT_EQ(plan(Action::start, M, false, true), (Steps{{false, B}, {true, M}}));
  EXPECT_EQ(plan(Action::start, M, false, false), (Steps{{true, M}}));
  EXPECT_EQ(plan(Action::start, M, true, false), Steps{});  // already held
  EXPECT_EQ(plan(Action::start, M, true, true), (Steps{{false, B}}));
}

TEST(SyncSwap, ReleasingMasterBecomesBackup) {
  EXPECT_EQ(plan(Action::stop, M, true, false), (Steps{{false, M}, {true, B}}));
  EXPECT_EQ(plan(Action::stop, M, false, true), Steps{});
  EXPECT_EQ(plan(Action::stop, M, false, false), (Steps{{true, B}}));
}

TEST(SyncSwap, BackupAsTheHeldRoleMirrors) {
  EXPECT_EQ(plan(Action::start, B, true, false), (Steps{{false, M}, {true, B}}));
  EXPECT_EQ(plan(Action::stop, B, false, true), (Steps{{false, B}, {true, M}}));
}

TEST(SyncSwap, CleanupStopsWhateverRuns) {
  EXPECT_EQ(plan(Action::cleanup, M, true, true), (Steps{{false, M}, {false, B}}));
  EXPECT_EQ(plan(Action::cleanup, B, false, false), Steps{});
}

}  // namespace
}  // namespace halb::director::syncswap
