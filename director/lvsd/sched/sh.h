// director/lvsd/sched/sh.h: source hashing, as Linux's ip_vs_sh.c.
//
// A 256-bucket table filled in list order, each dest taking `weight`
// consecutive buckets (at least one, so a weight-0 dest still owns a bucket
// and makes its clients fail over or fail, as in the kernel). A client's
// bucket is hash_32(source address [+ source port with sh-port], 8). When
// the bucket's dest has weight 0 or is overloaded there is no dest, unless
// sh-fallback (SCHED1): then the table is probed at offsets 0..255 for the
// first usable dest. The table is rebuilt on every dest change.
#pragma once

#include <array>
#include <cstddef>
#include <optional>

#include "director/lvsd/sched/scheduler.h"

namespace halb::director::lvsd {

class ShScheduler : public Scheduler {
 public:
  static constexpr int kTabBits = 8;
  static constexpr size_t kTabSize = size_t{1} << kTabBits;

  explicit ShScheduler(std::span<const SchedDest> dests = {}) { reassign(dests); }
  std::string_view name() const override { return "sh"; }
  void dest_added(std::span<const SchedDest> dests, size_t) override { reassign(dests); }
  void dest_removed(std::span<const SchedDest> dests, size_t) override { reassign(dests); }
  void dest_updated(std::span<const SchedDest> dests, size_t) override { reassign(dests); }
  Pick pick(std::span<const SchedDest> dests, const Flow& flow) override;

  // The bucket a flow hashes to at probe offset `offset` (tests).
  static size_t bucket(const Flow& flow, bool with_port, unsigned offset);

 private:
  void reassign(std::span<const SchedDest> dests);
  std::array<std::optional<size_t>, kTabSize> buckets_{};
};

}  // namespace halb::director::lvsd
