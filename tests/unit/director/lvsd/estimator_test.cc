// tests/unit/director/lvsd/estimator_test.cc: rates as ip_vs_est.c computes
// them: 2-second samples, EWMA weight 1/4, the kernel's rounding.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "director/lvsd/table/counters.h"

namespace halb::director::lvsd {
namespace {

TEST(Estimator, FirstSampleIsAQuarterOfTheRate) {
  Estimator e;
  backend::Stats t;
  t.conns = 1000;  // 500/s over 2 s
  t.inpkts = 2000;
  t.inbytes = 2'000'000;
  e.sample(t);
  backend::Stats r;
  e.rates(r);
  EXPECT_EQ(r.cps, 125u);  // (1000 << 9 >> 2 + 0x1ff) >> 10
  EXPECT_EQ(r.inpps, 250u);
  EXPECT_EQ(r.inbps, 250000u);
  EXPECT_EQ(r.outbps, 0u);
}

TEST(Estimator, ConvergesToASteadyRateAndDecaysToZero) {
  Estimator e;
  backend::Stats t;
  for (int i = 0; i < 60; ++i) {
    t.conns += 1000;
    t.outbytes += 4'000'000;
    e.sample(t);
  }
  backend::Stats r;
  e.rates(r);
  EXPECT_EQ(r.cps, 500u);
  EXPECT_EQ(r.outbps, 2'000'000u);
  for (int i = 0; i < 60; ++i) e.sample(t);
  e.rates(r);
  EXPECT_EQ(r.cps, 0u);
  EXPECT_EQ(r.outbps, 0u);
}

TEST(Estimator, ResetStartsFromTheGivenTotals) {
  Estimator e;
  backend::Stats t;
  t.conns = 10'000;
  e.reset(t);
  e.sample(t);
  backend::Stats r;
  e.rates(r);
  EXPECT_EQ(r.cps, 0u);
}

TEST(Counters, TotalsAndZero) {
  Counters c;
  c.add_in(10);
  c.add_in(5);
  c.add_out(7);
  c.add_conn();
  c.add_conn();
  auto t = c.totals();
  EXPECT_EQ(t.inpkts, 2u);
  EXPECT_EQ(t.inbytes, 15u);
  EXPECT_EQ(t.outbytes, 7u);
  EXPECT_EQ(t.conns, 2u);
  c.zero();
  EXPECT_EQ(c.totals(), backend::Stats{});
}

TEST(Counters, ThreadsAddToTheirOwnSlotsAndTotalsSumThem) {
  Counters c;
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < Counters::kSlots + 3; ++i)  // more threads than slots share some
    threads.emplace_back([&c, i] {
      counter_slot = i;
      for (int k = 0; k < 1000; ++k) {
        c.add_in(3);
        c.add_out(1);
      }
      c.add_conn();
    });
  for (auto& t : threads) t.join();
  auto t = c.totals();
  EXPECT_EQ(t.conns, Counters::kSlots + 3);
  EXPECT_EQ(t.inpkts, 1000u * (Counters::kSlots + 3));
  EXPECT_EQ(t.inbytes, 3000u * (Counters::kSlots + 3));
  EXPECT_EQ(t.outbytes, 1000u * (Counters::kSlots + 3));
  counter_slot = 0;
}

}  // namespace
}  // namespace halb::director::lvsd
