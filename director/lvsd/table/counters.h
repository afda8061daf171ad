// director/lvsd/table/counters.h: per-service and per-dest traffic counters
// and IPVS's rate estimator.
//
// Worker threads add to Counters on every read and write without taking the
// table lock. Like the kernel's per-CPU ip_vs_stats, each worker adds to its
// own cache-line-sized slot (counter_slot, set once per thread), so two
// workers moving bytes of the same service do not bounce one cache line
// between cores on every packet; totals() sums the slots. The fields are
// relaxed atomics: only the totals matter, not their order. The Estimator is
// sampled every 2 s under the table lock and
// follows net/netfilter/ipvs/ip_vs_est.c: each sample's rate is smoothed
// with an EWMA of weight 1/4, in the kernel's fixed-point scales (conns and
// packets << 10, bytes << 5 per second), so halb-lvsd's rates round as
// ipvsadm --rate shows them for the kernel.
#pragma once

#include <atomic>
#include <cstdint>

#include "director/backend/backend.h"

namespace halb::director::lvsd {

// This thread's slot in every Counters; forwarding worker N sets N. Threads
// beyond kSlots share slots, which stays correct (atomic adds), only slower.
inline thread_local unsigned counter_slot = 0;

struct Counters {
  static constexpr unsigned kSlots = 8;
  struct alignas(64) Slot {
    std::atomic<uint64_t> conns{0}, inpkts{0}, outpkts{0}, inbytes{0}, outbytes{0};
  };

  void add_conn() { mine().conns.fetch_add(1, std::memory_order_relaxed); }
  void add_in(uint64_t bytes) {
    Slot& s = mine();
    s.inpkts.fetch_add(1, std::memory_order_relaxed);
    s.inbytes.fetch_add(bytes, std::memory_order_relaxed);
  }
  void add_out(uint64_t bytes) {
    Slot& s = mine();
    s.outpkts.fetch_add(1, std::memory_order_relaxed);
    s.outbytes.fetch_add(bytes, std::memory_order_relaxed);
  }
  void zero();
  // The totals, rates left zero.
  backend::Stats totals() const;

 private:
  Slot& mine() { return slots_[counter_slot % kSlots]; }
  Slot slots_[kSlots];
};

class Estimator {
 public:
  static constexpr double kIntervalSeconds = 2.0;

  // One 2-second sample of the counters (ip_vs_estimation_timer).
  void sample(const backend::Stats& totals);
  // Fill the rate fields of `out` (ip_vs_read_estimator).
  void rates(backend::Stats& out) const;
  // Start over from `totals` (ip_vs_zero_estimator).
  void reset(const backend::Stats& totals);

 private:
  backend::Stats last_{};
  uint64_t cps_ = 0, inpps_ = 0, outpps_ = 0, inbps_ = 0, outbps_ = 0;
};

}  // namespace halb::director::lvsd
