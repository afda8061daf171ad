// director/lvsd/sched/wrr.cc: see wrr.h. The structure follows
// ip_vs_wrr_schedule() closely on purpose; a reader comparing the two should
// find the same branches in the same order.
#include "director/lvsd/sched/wrr.h"

#include <numeric>

namespace halb::director::lvsd {
namespace {

// ip_vs_wrr_gcd_weight(): gcd of the positive weights, 1 when there are none.
int weights_gcd(std::span<const SchedDest> dests) {
  int g = 0;
  for (const auto& d : dests)
    if (d.weight > 0) g = g > 0 ? std::gcd(d.weight, g) : d.weight;
  return g ? g : 1;
}

// ip_vs_wrr_max_weight().
int weights_max(std::span<const SchedDest> dests) {
  int w = 0;
  for (const auto& d : dests)
    if (d.weight > w) w = d.weight;
  return w;
}

}  // namespace

WrrScheduler::WrrScheduler(std::span<const SchedDest> dests) {
  di_ = weights_gcd(dests);
  mw_ = weights_max(dests) - (di_ - 1);
  cw_ = mw_;
}

// ip_vs_wrr_dest_changed(): called for add, delete and edit alike.
void WrrScheduler::dest_changed(std::span<const SchedDest> dests) {
  cl_ = kHead;
  di_ = weights_gcd(dests);
  mw_ = weights_max(dests) - (di_ - 1);
  if (cw_ > mw_ || !cw_)
    cw_ = mw_;
  else if (di_ > 1)
    cw_ = (cw_ / di_) * di_ + 1;
}

Pick WrrScheduler::pick(std::span<const SchedDest> dests, const Flow&) {
  const auto n = static_cast<std::ptrdiff_t>(dests.size());
  std::ptrdiff_t dest = cl_;
  if (mw_ == 0) return {std::nullopt, NoDest::unavailable};  // cl stays

  std::ptrdiff_t last = dest;
  std::ptrdiff_t stop = kHead - 1;  // "NULL": matches no position
  bool last_pass = false, restarted = false;
  while (true) {
    // list_for_each_entry_continue: from the entry after `dest` to the end.
    for (++dest; dest < n; ++dest) {
      const SchedDest& d = dests[static_cast<size_t>(dest)];
      if (!d.overloaded && d.weight >= cw_) {
        cl_ = dest;
        return {static_cast<size_t>(dest), NoDest::unavailable};
      }
      if (dest == stop) {
        cl_ = dest;
        return {std::nullopt, NoDest::overloaded};
      }
    }
    dest = kHead;
    cw_ -= di_;
    if (cw_ <= 0) {
      cw_ = mw_;
      // A full pass at every weight from the head found nothing.
      if (last_pass || last == kHead) {
        cl_ = dest;
        return {std::nullopt, NoDest::overloaded};
      }
      restarted = true;
    }
    last_pass = cw_ <= di_;
    // Started mid-list: the final pass may end where the first began.
    if (last_pass && restarted && last != kHead) stop = last;
  }
}

}  // namespace halb::director::lvsd
