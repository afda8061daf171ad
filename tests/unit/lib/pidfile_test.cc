// Unit tests for lib/daemon/pidfile.
#include "lib/daemon/pidfile.h"
#include "tests/unit/support/temp_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

using namespace halb::daemon;

namespace {
using halb::testing::TempDir;
}  // namespace

TEST(PidFile, AcquireProbeRelease) {
  TempDir dir("halb-pid");
  auto path = dir.file("d.pid");
  EXPECT_EQ(probe_pidfile(path).status, PidStatus::stopped);
  PidFile pf;
  std::string err;
  ASSERT_TRUE(pf.acquire(path, err)) << err;
  auto p = probe_pidfile(path);
  EXPECT_EQ(p.status, PidStatus::running);
  EXPECT_EQ(p.pid, getpid());
  PidFile second;
  EXPECT_FALSE(second.acquire(path, err));
  EXPECT_NE(err.find("already running"), std::string::npos);
  pf.release();
  EXPECT_EQ(probe_pidfile(path).status, PidStatus::stopped);
}

TEST(PidFile, StaleWhenPidIsGone) {
  TempDir dir("halb-pid");
  auto path = dir.file("stale.pid");
  std::ofstream(path) << "999999\n";
  EXPECT_EQ(probe_pidfile(path).status, PidStatus::stale);
  EXPECT_EQ(stop_by_pidfile(path, 15, 0.1), 3);
  EXPECT_EQ(probe_pidfile(path).status, PidStatus::stopped);
}
