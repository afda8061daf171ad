// director/lvsd/sched/lc.h: least-connection, as Linux's ip_vs_lc.c.
//
// The dest with the smallest overhead (256 x active + inactive) among those
// not overloaded with weight > 0; ties go to the earlier dest. Stateless.
#pragma once

#include "director/lvsd/sched/scheduler.h"

namespace halb::director::lvsd {

class LcScheduler : public Scheduler {
 public:
  std::string_view name() const override { return "lc"; }
  Pick pick(std::span<const SchedDest> dests, const Flow& flow) override;
};

}  // namespace halb::director::lvsd
