// director/lvsd/sched/wlc.h: weighted least-connection, as Linux's
// ip_vs_wlc.c (ipvsadm's default scheduler).
//
// The first dest not overloaded with weight > 0 starts as the best; a later
// dest replaces it only when overhead/weight is strictly lower, compared by
// cross-multiplication in 64 bits (loh * w_dest > doh * w_least), so ties
// stay with the earlier dest and weight-0 dests never win. Stateless.
#pragma once

#include "director/lvsd/sched/scheduler.h"

namespace halb::director::lvsd {

class WlcScheduler : public Scheduler {
 public:
  std::string_view name() const override { return "wlc"; }
  Pick pick(std::span<const SchedDest> dests, const Flow& flow) override;
};

}  // namespace halb::director::lvsd
