// director/lvsd/sched/lc.cc: see lc.h; follows ip_vs_lc_schedule().
#include "director/lvsd/sched/lc.h"

namespace halb::director::lvsd {

Pick LcScheduler::pick(std::span<const SchedDest> dests, const Flow&) {
  std::optional<size_t> least;
  int64_t loh = 0;
  for (size_t i = 0; i < dests.size(); ++i) {
    const SchedDest& d = dests[i];
    if (d.overloaded || d.weight == 0) continue;
    int64_t doh = conn_overhead(d);
    if (!least || doh < loh) {
      least = i;
      loh = doh;
    }
  }
  return {least, NoDest::unavailable};
}

}  // namespace halb::director::lvsd
