// director/lvsd/sched/wrr.h: weighted round-robin, as Linux's ip_vs_wrr.c.
//
// The kernel's algorithm, state for state, so that halb-lvsd hands out
// connections in exactly the order a kernel director would (weights 4,3,2
// give A A B A B C A B C): a list position `cl` (the list head before the
// first pick), the current weight `cw`, `di` = gcd of the positive weights
// and `mw` = max weight - (di - 1). A pick walks on from `cl` for the first
// dest that is not overloaded with weight >= cw; at the end of the list cw
// drops by di and the walk restarts at the head; cw <= 0 wraps to mw.
// Weight 0 is never picked. Any dest change puts `cl` back at the head and
// recomputes di and mw, keeping cw where the kernel keeps it.
#pragma once

#include <cstddef>

#include "director/lvsd/sched/scheduler.h"

namespace halb::director::lvsd {

class WrrScheduler : public Scheduler {
 public:
  // ip_vs_wrr_init_svc over the service's dests at bind time.
  explicit WrrScheduler(std::span<const SchedDest> dests = {});
  std::string_view name() const override { return "wrr"; }

  void dest_added(std::span<const SchedDest> dests, size_t) override { dest_changed(dests); }
  void dest_removed(std::span<const SchedDest> dests, size_t) override { dest_changed(dests); }
  void dest_updated(std::span<const SchedDest> dests, size_t) override { dest_changed(dests); }

  Pick pick(std::span<const SchedDest> dests, const Flow& flow) override;

  // For tests: the kernel's state variables.
  int current_weight() const { return cw_; }
  int max_weight() const { return mw_; }
  int gcd_weight() const { return di_; }

 private:
  static constexpr std::ptrdiff_t kHead = -1;  // the list head, before the first dest
  void dest_changed(std::span<const SchedDest> dests);

  std::ptrdiff_t cl_ = kHead;
  int cw_ = 0;
  int mw_ = 0;
  int di_ = 1;
};

}  // namespace halb::director::lvsd
