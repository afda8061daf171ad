// director/lvsd/sched/rr.cc: see rr.h; follows ip_vs_rr_schedule().
#include "director/lvsd/sched/rr.h"

namespace halb::director::lvsd {

// The kernel keeps a pointer to the dest, which stays valid when another
// dest is inserted; an index has to move along.
void RrScheduler::dest_added(std::span<const SchedDest>, size_t index) {
  if (pos_ != kHead && static_cast<std::ptrdiff_t>(index) <= pos_) ++pos_;
}

// Removing the dest at the position moves it to the previous entry (or the
// head); removing one before it shifts the index.
void RrScheduler::dest_removed(std::span<const SchedDest>, size_t index) {
  if (pos_ != kHead && static_cast<std::ptrdiff_t>(index) <= pos_) --pos_;
}

Pick RrScheduler::pick(std::span<const SchedDest> dests, const Flow&) {
  const auto n = static_cast<std::ptrdiff_t>(dests.size());
  if (pos_ >= n) pos_ = kHead;  // defensive: a change we were not told about
  const std::ptrdiff_t p = pos_;
  std::ptrdiff_t dest = p;
  const std::ptrdiff_t last = p;
  int pass = 0;
  do {
    for (++dest; dest < n; ++dest) {
      const SchedDest& d = dests[static_cast<size_t>(dest)];
      if (!d.overloaded && d.weight > 0) {
        pos_ = dest;
        return {static_cast<size_t>(dest), NoDest::unavailable};
      }
      if (dest == last) return {std::nullopt, NoDest::unavailable};
    }
    dest = kHead;
    ++pass;
    // Starting from the head, one pass saw every dest.
  } while (pass < 2 && p != kHead);
  return {std::nullopt, NoDest::unavailable};
}

}  // namespace halb::director::lvsd
