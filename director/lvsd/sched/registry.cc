// director/lvsd/sched/registry.cc: see registry.h.
#include "director/lvsd/sched/registry.h"

#include <array>

#include "director/lvsd/sched/lc.h"
#include "director/lvsd/sched/rr.h"
#include "director/lvsd/sched/sh.h"
#include "director/lvsd/sched/wlc.h"
#include "director/lvsd/sched/wrr.h"

namespace halb::director::lvsd {
namespace {

std::unique_ptr<Scheduler> make_rr(std::span<const SchedDest>) { return std::make_unique<RrScheduler>(); }
std::unique_ptr<Scheduler> make_wrr(std::span<const SchedDest> d) { return std::make_unique<WrrScheduler>(d); }
std::unique_ptr<Scheduler> make_lc(std::span<const SchedDest>) { return std::make_unique<LcScheduler>(); }
std::unique_ptr<Scheduler> make_wlc(std::span<const SchedDest>) { return std::make_unique<WlcScheduler>(); }
std::unique_ptr<Scheduler> make_sh(std::span<const SchedDest> d) { return std::make_unique<ShScheduler>(d); }

constexpr std::array kSchedulers{
    SchedulerEntry{"rr", "round-robin", make_rr},
    SchedulerEntry{"wrr", "weighted round robin", make_wrr},
    SchedulerEntry{"lc", "least-connection", make_lc},
    SchedulerEntry{"wlc", "weighted least-connection", make_wlc},
    SchedulerEntry{"sh", "source hashing", make_sh},
};

}  // namespace

std::span<const SchedulerEntry> schedulers() { return kSchedulers; }

std::unique_ptr<Scheduler> make_scheduler(std::string_view name, std::span<const SchedDest> dests, uint32_t flags) {
  for (const auto& e : kSchedulers)
    if (e.name == name) {
      auto s = e.make(dests);
      s->set_flags(flags);
      return s;
    }
  return nullptr;
}

}  // namespace halb::director::lvsd
