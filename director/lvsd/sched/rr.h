// director/lvsd/sched/rr.h: round-robin, as Linux's ip_vs_rr.c.
//
// The next dest after the last pick that is not overloaded and has weight
// > 0, wrapping once. The position follows its dest through list changes;
// when the dest at the position is removed it moves to the one before it
// (the kernel's ip_vs_rr_del_dest), so the rotation is not disturbed.
#pragma once

#include <cstddef>

#include "director/lvsd/sched/scheduler.h"

namespace halb::director::lvsd {

class RrScheduler : public Scheduler {
 public:
  std::string_view name() const override { return "rr"; }
  void dest_added(std::span<const SchedDest> dests, size_t index) override;
  void dest_removed(std::span<const SchedDest> dests, size_t index) override;
  Pick pick(std::span<const SchedDest> dests, const Flow& flow) override;

 private:
  static constexpr std::ptrdiff_t kHead = -1;
  std::ptrdiff_t pos_ = kHead;  // the last pick, or the list head
};

}  // namespace halb::director::lvsd
