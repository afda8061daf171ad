// tests/unit/director/checks/health_test.cc: failurecount and checktype=N
// bookkeeping, without a clock.
#include "director/checks/health.h"

#include <gtest/gtest.h>

namespace halb::director::checks {
namespace {

TEST(Health, FirstVerdictDecidesAtOnce) {
  Health up(3);
  EXPECT_TRUE(up.record(true).changed);
  EXPECT_EQ(up.state(), CheckState::up);
  Health down(3);
  auto c = down.record(false);
  EXPECT_TRUE(c.changed);  // an unknown real is not "up", so no soft failures
  EXPECT_FALSE(c.soft_failure);
  EXPECT_EQ(down.state(), CheckState::down);
}

TEST(Health, FailurecountConsecutiveFailuresBringItDown) {
  Health h(3);
  h.record(true);
  auto c = h.record(false);
  EXPECT_TRUE(c.soft_failure);
  EXPECT_EQ(c.failures, 1);
  EXPECT_FALSE(c.changed);
  c = h.record(false);
  EXPECT_TRUE(c.soft_failure);
  EXPECT_EQ(c.failures, 2);
  c = h.record(false);
  EXPECT_TRUE(c.changed);
  EXPECT_FALSE(c.soft_failure);
  EXPECT_EQ(h.state(), CheckState::down);
  c = h.record(false);  // stays down quietly
  EXPECT_FALSE(c.changed);
  EXPECT_FALSE(c.soft_failure);
}

TEST(Health, OneSuccessResetsTheCountAndBringsItUp) {
  Health h(2);
  h.record(true);
  h.record(false);
  auto c = h.record(true);
  EXPECT_TRUE(c.reset);
  EXPECT_FALSE(c.changed);
  c = h.record(false);
  EXPECT_EQ(c.failures, 1);  // counting starts again
  EXPECT_TRUE(c.soft_failure);
  h.record(false);
  EXPECT_EQ(h.state(), CheckState::down);
  c = h.record(true);
  EXPECT_TRUE(c.changed);
  EXPECT_FALSE(c.reset);
  EXPECT_EQ(h.state(), CheckState::up);
}

TEST(Health, FailurecountOneIsImmediate) {
  Health h(1);
  h.record(true);
  EXPECT_TRUE(h.record(false).changed);
}

TEST(Health, AssumedUpGetsSoftFailures) {
  Health h(2, CheckState::up);
  EXPECT_TRUE(h.record(false).soft_failure);
  EXPECT_TRUE(h.record(false).changed);
}

std::string sequence(Alternation& a, const std::vector<bool>& results) {
  std::string out;
  for (bool up : results) {
    Probe p = a.next();
    out += p == Probe::negotiate ? 'N' : 'C';
    a.record(p, up);
  }
  return out;
}

TEST(Alternation, NegotiateThenNConnects) {
  Alternation a(3);
  EXPECT_EQ(sequence(a, std::vector<bool>(9, true)), "NCCCNCCCN");
}

TEST(Alternation, FailedConnectForcesNegotiate) {
  Alternation a(3);
  EXPECT_EQ(sequence(a, {true, true, false, true, true}), "NCCNC");
}

TEST(Alternation, FailedNegotiateKeepsNegotiating) {
  Alternation a(2);
  EXPECT_EQ(sequence(a, {false, false, true, true, true, true}), "NNNCCN");
}

}  // namespace
}  // namespace halb::director::checks
