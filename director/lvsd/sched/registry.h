// director/lvsd/sched/registry.h: scheduler names to factories.
//
// One explicit table (registry.cc) from the names ipvsadm and ldirectord.cf
// use (`scheduler=wrr`) to halb-lvsd's implementations; adding a scheduler
// is one file pair, one row and one line in director.am. A table rather
// than static self-registration: no global mutable state, and nothing the
// linker could drop from a static archive.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "director/lvsd/sched/scheduler.h"

namespace halb::director::lvsd {

struct SchedulerEntry {
  std::string_view name;         // ipvsadm -s
  std::string_view description;  // ipvsadm's wording
  // The service's dests at bind time (ip_vs_bind_scheduler -> init_service).
  std::unique_ptr<Scheduler> (*make)(std::span<const SchedDest> dests);
};

std::span<const SchedulerEntry> schedulers();

// nullptr when halb-lvsd has no scheduler of that name. `flags` are the
// service's IP_VS_SVC_F_SCHED* bits.
std::unique_ptr<Scheduler> make_scheduler(std::string_view name, std::span<const SchedDest> dests = {},
                                          uint32_t flags = 0);

}  // namespace halb::director::lvsd
