// tests/unit/director/lvsd/sched/schedulers_test.cc: rr, lc, wlc, sh and
// the name registry, on the kernel's rules.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "director/lvsd/sched/registry.h"
#include "director/lvsd/sched/sh.h"
#include "director/backend/table.h"

namespace halb::director::lvsd {
namespace {

std::string run(Scheduler& s, const std::vector<SchedDest>& d, int picks) {
  std::string out;
  for (int i = 0; i < picks; ++i) {
    auto p = s.pick(d, {});
    out += p.index ? static_cast<char>('A' + *p.index) : '-';
  }
  return out;
}

TEST(Registry, NamesAndFactories) {
  std::set<std::string_view> names;
  for (const auto& e : schedulers()) {
    names.insert(e.name);
    auto s = make_scheduler(e.name);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->name(), e.name);
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"rr", "wrr", "lc", "wlc", "sh"}));
  EXPECT_FALSE(make_scheduler("nope"));
  EXPECT_EQ(make_scheduler("sh", {}, backend::kSvcSched1)->flags(), backend::kSvcSched1);
}

TEST(Rr, SkipsWeightZeroAndOverloaded) {
  auto s = make_scheduler("rr");
  std::vector<SchedDest> d{{1}, {0}, {5}, {1}};
  EXPECT_EQ(run(*s, d, 6), "ACDACD");
  d[2].overloaded = true;
  EXPECT_EQ(run(*s, d, 3), "ADA");
  std::vector<SchedDest> none{{0}, {0}};
  EXPECT_EQ(run(*s, none, 2), "--");
}

TEST(Rr, PositionFollowsListChanges) {
  auto s = make_scheduler("rr");
  std::vector<SchedDest> d{{1}, {1}, {1}};
  EXPECT_EQ(run(*s, d, 2), "AB");
  // Remove B (the last pick): the next pick is the one after A's successor.
  d.erase(d.begin() + 1);
  s->dest_removed(d, 1);
  EXPECT_EQ(run(*s, d, 2), "BA");  // old C, then A
  // Insert at the head: the position stays on A.
  d.insert(d.begin(), SchedDest{1});
  s->dest_added(d, 0);
  EXPECT_EQ(run(*s, d, 3), "CAB");
}

TEST(Lc, LeastOverheadFirstOnTies) {
  auto s = make_scheduler("lc");
  std::vector<SchedDest> d{{1, false, 1, 0}, {1, false, 0, 300}, {1, false, 0, 255}, {0, false, 0, 0}};
  EXPECT_EQ(run(*s, d, 1), "C");  // 255 < 256 < 300; weight 0 never
  d[2].inactive_conns = 256;
  EXPECT_EQ(run(*s, d, 1), "A");  // tie 256: the earlier
}

TEST(Wlc, OverheadPerWeight) {
  auto s = make_scheduler("wlc");
  std::vector<SchedDest> d{{1, false, 1, 0}, {3, false, 2, 0}, {2, false, 1, 0}};
  // 256/1, 512/3 = 170.7, 256/2 = 128
  EXPECT_EQ(run(*s, d, 1), "C");
  d[2].active_conns = 3;  // 768/2 = 384: B wins
  EXPECT_EQ(run(*s, d, 1), "B");
  std::vector<SchedDest> tie{{2, false, 1, 0}, {2, false, 1, 0}};
  EXPECT_EQ(run(*s, tie, 1), "A");
  std::vector<SchedDest> zero{{0}, {0, false, 0, 0}};
  EXPECT_EQ(run(*s, zero, 1), "-");
}

TEST(Sh, SameSourceSameDestAndWeightShare) {
  std::vector<SchedDest> d{{3}, {1}};
  ShScheduler s(d);
  std::vector<int> count(2);
  for (uint32_t ip = 0; ip < 256; ++ip) {
    Flow f{IpAddress::v4(0x0a000000u + ip), 1234};
    auto a = s.pick(d, f), b = s.pick(d, f);
    ASSERT_TRUE(a.index);
    EXPECT_EQ(a.index, b.index);
  }
  // Buckets are filled in list order, `weight` at a time: A A A B A A A B ...
  for (uint32_t ip = 0; ip < 4096; ++ip) {
    Flow f{IpAddress::v4(ip * 7919u), 0};
    size_t b = ShScheduler::bucket(f, false, 0);
    ++count[*s.pick(d, f).index];
    EXPECT_EQ(*s.pick(d, f).index, b % 4 < 3 ? 0u : 1u) << "bucket " << b;
  }
  EXPECT_GT(count[0], count[1]);
}

TEST(Sh, UnavailableDestWithAndWithoutFallback) {
  std::vector<SchedDest> d{{1}, {1}};
  ShScheduler s(d);
  Flow f{IpAddress::v4(0x0a000001u), 0};
  size_t home = *s.pick(d, f).index;
  d[home].overloaded = true;
  EXPECT_FALSE(s.pick(d, f).index);
  s.set_flags(backend::kSvcSched1);
  auto p = s.pick(d, f);
  ASSERT_TRUE(p.index);
  EXPECT_NE(*p.index, home);
}

TEST(Sh, PortFlagChangesTheBucket) {
  Flow a{IpAddress::v4(0x0a000001u), 1000}, b{IpAddress::v4(0x0a000001u), 1001};
  EXPECT_EQ(ShScheduler::bucket(a, false, 0), ShScheduler::bucket(b, false, 0));
  EXPECT_NE(ShScheduler::bucket(a, true, 0), ShScheduler::bucket(b, true, 0));
}

}  // namespace
}  // namespace halb::director::lvsd
