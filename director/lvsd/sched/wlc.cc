// director/lvsd/sched/wlc.cc: see wlc.h; follows ip_vs_wlc_schedule().
#include "director/lvsd/sched/wlc.h"

namespace halb::director::lvsd {

Pick WlcScheduler::pick(std::span<const SchedDest> dests, const Flow&) {
  size_t i = 0;
  for (; i < dests.size(); ++i)
    if (!dests[i].overloaded && dests[i].weight > 0) break;
  if (i == dests.size()) return {std::nullopt, NoDest::unavailable};
  size_t least = i;
  int64_t loh = conn_overhead(dests[least]);
  for (++i; i < dests.size(); ++i) {
    const SchedDest& d = dests[i];
    if (d.overloaded) continue;
    int64_t doh = conn_overhead(d);
    if (loh * d.weight > doh * dests[least].weight) {
      least = i;
      loh = doh;
    }
  }
  return {least, NoDest::unavailable};
}

}  // namespace halb::director::lvsd
