// tests/unit/director/lvsd/sched/wrr_test.cc: WRR against the reference
// sequences and against an independent transcription of the kernel's
// ip_vs_wrr.c written here over a real circular list with a head node
// (pointers, as the kernel has them, rather than the indices wrr.cc uses),
// compared over random weights, overload flags and mid-stream changes.
#include "director/lvsd/sched/wrr.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace halb::director::lvsd {
namespace {

std::string sequence(std::vector<SchedDest> dests, int picks) {
  WrrScheduler s(dests);
  std::string out;
  for (int i = 0; i < picks; ++i) {
    auto p = s.pick(dests, {});
    out += p.index ? static_cast<char>('A' + *p.index) : '-';
  }
  return out;
}

std::vector<SchedDest> weights(std::initializer_list<int> w) {
  std::vector<SchedDest> out;
  for (int x : w) out.push_back({x, false, 0, 0});
  return out;
}

TEST(Wrr, ReferenceSequences) {
  EXPECT_EQ(sequence(weights({4, 3, 2}), 18), "AABABCABCAABABCABC");
  EXPECT_EQ(sequence(weights({5, 1, 1}), 14), "AAAAABCAAAAABC");
  EXPECT_EQ(sequence(weights({4, 2}), 6), "AABAAB");
  EXPECT_EQ(sequence(weights({2, 0, 1}), 6), "AACAAC");
  EXPECT_EQ(sequence(weights({1, 1, 1}), 6), "ABCABC");
}

TEST(Wrr, KernelStateVariables) {
  auto d = weights({4, 2});
  WrrScheduler s(d);
  EXPECT_EQ(s.gcd_weight(), 2);
  EXPECT_EQ(s.max_weight(), 3);  // 4 - (2 - 1)
  EXPECT_EQ(s.current_weight(), 3);
}

TEST(Wrr, NoDestinations) {
  auto zero = weights({0, 0});
  WrrScheduler s(zero);
  auto p = s.pick(zero, {});
  EXPECT_FALSE(p.index);
  EXPECT_EQ(no_dest_message(p.why), "no destination available");
  std::vector<SchedDest> empty;
  WrrScheduler e(empty);
  EXPECT_FALSE(e.pick(empty, {}).index);

  auto over = weights({3, 1});
  for (auto& d : over) d.overloaded = true;
  WrrScheduler o(over);
  p = o.pick(over, {});
  EXPECT_FALSE(p.index);
  EXPECT_EQ(no_dest_message(p.why), "no destination available: all destinations are overloaded");
}

TEST(Wrr, OverloadedDestIsSkipped) {
  auto d = weights({4, 3, 2});
  d[0].overloaded = true;
  EXPECT_EQ(sequence(d, 10), "BBCBCBBCBC");
}

// ---- the kernel, transcribed ----------------------------------------------

// struct list_head + struct ip_vs_dest, just the fields wrr reads.
struct KDest {
  KDest* next = nullptr;
  KDest* prev = nullptr;
  int weight = 0;
  bool overloaded = false;
  int id = -1;  // which test dest this is
};

class KernelWrr {
 public:
  KernelWrr() {
    head_.next = head_.prev = &head_;
    init_svc();
  }
  KernelWrr(const KernelWrr&) = delete;
  KernelWrr& operator=(const KernelWrr&) = delete;

  // list_add_rcu(&dest->n_list, &svc->destinations): at the head.
  void add_dest(KDest* d) {
    d->next = head_.next;
    d->prev = &head_;
    head_.next->prev = d;
    head_.next = d;
    dest_changed();
  }
  void del_dest(KDest* d) {
    d->prev->next = d->next;
    d->next->prev = d->prev;
    dest_changed();
  }
  void edit_dest(KDest* d, int weight) {
    d->weight = weight;
    dest_changed();
  }
  // Re-binding the scheduler (ip_vs_wrr_init_svc over the current list).
  void init_svc() {
    cl_ = &head_;
    di_ = gcd_weight();
    mw_ = max_weight() - (di_ - 1);
    cw_ = mw_;
  }
  std::vector<SchedDest> view() const {
    std::vector<SchedDest> out;
    for (KDest* d = head_.next; d != &head_; d = d->next) out.push_back({d->weight, d->overloaded, 0, 0});
    return out;
  }
  int position_of(const KDest* x) const {
    int i = 0;
    for (KDest* d = head_.next; d != &head_; d = d->next, ++i)
      if (d == x) return i;
    return -1;
  }

  // ip_vs_wrr_schedule(); returns the dest or nullptr.
  KDest* schedule() {
    KDest *dest, *last, *stop = nullptr;
    bool last_pass = false, restarted = false;
    dest = cl_;
    if (mw_ == 0) goto err_noavail;
    last = dest;
    while (true) {
      for (dest = dest->next; dest != &head_; dest = dest->next) {
        if (!dest->overloaded && dest->weight >= cw_) goto found;
        if (dest == stop) goto err_over;
      }
      dest = &head_;
      cw_ -= di_;
      if (cw_ <= 0) {
        cw_ = mw_;
        if (last_pass || last == &head_) goto err_over;
        restarted = true;
      }
      last_pass = cw_ <= di_;
      if (last_pass && restarted && last != &head_) stop = last;
    }
  found:
    cl_ = dest;
    return dest;
  err_noavail:
  err_over:
    cl_ = dest;
    return nullptr;
  }

 private:
  int gcd_weight() const {
    int g = 0;
    for (KDest* d = head_.next; d != &head_; d = d->next)
      if (d->weight > 0) g = g > 0 ? std::gcd(d->weight, g) : d->weight;
    return g ? g : 1;
  }
  int max_weight() const {
    int w = 0;
    for (KDest* d = head_.next; d != &head_; d = d->next) w = std::max(w, d->weight);
    return w;
  }
  void dest_changed() {
    cl_ = &head_;
    di_ = gcd_weight();
    mw_ = max_weight() - (di_ - 1);
    if (cw_ > mw_ || !cw_)
      cw_ = mw_;
    else if (di_ > 1)
      cw_ = (cw_ / di_) * di_ + 1;
  }

  KDest head_;
  KDest* cl_ = nullptr;
  int cw_ = 0, mw_ = 0, di_ = 1;
};

// Drives KernelWrr and WrrScheduler through the same history and checks that
// every pick agrees.
class Twin {
 public:
  explicit Twin(std::mt19937& rng) : rng_(rng) {}

  int random_weight() {
    // Mostly small weights with shared factors (so gcd > 1 happens), some zeros.
    static constexpr int kChoices[] = {0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 20, 100, 255, 65535};
    return kChoices[std::uniform_int_distribution<size_t>(0, std::size(kChoices) - 1)(rng_)];
  }
  void add(int weight) {
    auto d = std::make_unique<KDest>();
    d->weight = weight;
    d->id = next_id_++;
    kernel_.add_dest(d.get());
    dests_ = kernel_.view();
    ours_.dest_added(dests_, 0);
    live_.push_back(std::move(d));
  }
  void remove_random() {
    if (live_.empty()) return;
    size_t k = std::uniform_int_distribution<size_t>(0, live_.size() - 1)(rng_);
    int index = kernel_.position_of(live_[k].get());
    kernel_.del_dest(live_[k].get());
    live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(k));
    dests_ = kernel_.view();
    ours_.dest_removed(dests_, static_cast<size_t>(index));
  }
  void edit_random() {
    if (live_.empty()) return;
    KDest* d = live_[std::uniform_int_distribution<size_t>(0, live_.size() - 1)(rng_)].get();
    kernel_.edit_dest(d, random_weight());
    dests_ = kernel_.view();
    ours_.dest_updated(dests_, static_cast<size_t>(kernel_.position_of(d)));
  }
  // Overload flags change without a scheduler call, as in the kernel.
  void toggle_overload() {
    if (live_.empty()) return;
    KDest* d = live_[std::uniform_int_distribution<size_t>(0, live_.size() - 1)(rng_)].get();
    d->overloaded = !d->overloaded;
    dests_ = kernel_.view();
  }
  // One pick from each; returns false (with a message) on disagreement.
  ::testing::AssertionResult pick_agrees() {
    KDest* k = kernel_.schedule();
    Pick p = ours_.pick(dests_, {});
    int want = k ? kernel_.position_of(k) : -1;
    int got = p.index ? static_cast<int>(*p.index) : -1;
    if (want == got) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "kernel picked " << want << ", halb picked " << got;
  }

 private:
  std::mt19937& rng_;
  KernelWrr kernel_;
  WrrScheduler ours_;
  std::vector<SchedDest> dests_;
  std::vector<std::unique_ptr<KDest>> live_;
  int next_id_ = 0;
};

TEST(Wrr, MatchesKernelOnRandomWeights) {
  std::mt19937 rng(20240611);
  for (int round = 0; round < 300; ++round) {
    Twin twin(rng);
    int n = std::uniform_int_distribution<int>(1, 8)(rng);
    for (int i = 0; i < n; ++i) twin.add(twin.random_weight());
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(twin.pick_agrees()) << "round " << round << " pick " << i;
  }
}

TEST(Wrr, MatchesKernelThroughMidStreamChanges) {
  std::mt19937 rng(7);
  for (int round = 0; round < 100; ++round) {
    Twin twin(rng);
    for (int i = 0; i < 4; ++i) twin.add(twin.random_weight());
    for (int i = 0; i < 5000; ++i) {
      int action = std::uniform_int_distribution<int>(0, 99)(rng);
      if (action < 3) twin.edit_random();
      else if (action < 5) twin.add(twin.random_weight());
      else if (action < 7) twin.remove_random();
      else if (action < 9) twin.toggle_overload();
      ASSERT_TRUE(twin.pick_agrees()) << "round " << round << " step " << i;
    }
  }
}

}  // namespace
}  // namespace halb::director::lvsd
