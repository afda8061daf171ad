// director/lvsd/sched/sh.cc: see sh.h; follows ip_vs_sh_reassign(),
// ip_vs_sh_hashkey(), ip_vs_sh_get() and ip_vs_sh_get_fallback().
#include "director/lvsd/sched/sh.h"

#include "director/backend/table.h"

namespace halb::director::lvsd {
namespace {

// The kernel's hash_32(): multiply by the 32-bit golden ratio, keep the top bits.
uint32_t hash_32(uint32_t val, int bits) { return (val * 0x61C88647u) >> (32 - bits); }

uint32_t fold(const IpAddress& a) {
  auto word = [&](int i) {
    return (uint32_t{a.bytes[4 * i]} << 24) | (uint32_t{a.bytes[4 * i + 1]} << 16) |
           (uint32_t{a.bytes[4 * i + 2]} << 8) | a.bytes[4 * i + 3];
  };
  if (a.is_v4()) return word(0);
  // XOR of the four big-endian words, then ntohl: the same as XOR of the
  // host-order words.
  return word(0) ^ word(1) ^ word(2) ^ word(3);
}

bool unavailable(const SchedDest& d) { return d.weight <= 0 || d.overloaded; }

}  // namespace

size_t ShScheduler::bucket(const Flow& flow, bool with_port, unsigned offset) {
  uint32_t port = with_port ? flow.src_port : 0;
  return (offset + hash_32(port + fold(flow.src), kTabBits)) & (kTabSize - 1);
}

void ShScheduler::reassign(std::span<const SchedDest> dests) {
  size_t p = 0;
  int count = 0;
  for (auto& b : buckets_) {
    if (dests.empty()) {
      b.reset();
      continue;
    }
    if (p == dests.size()) p = 0;  // the kernel steps over the list head
    b = p;
    if (++count >= dests[p].weight) {
      ++p;
      count = 0;
    }
  }
}

Pick ShScheduler::pick(std::span<const SchedDest> dests, const Flow& flow) {
  bool with_port = flags_ & backend::kSvcSched2;
  auto at = [&](size_t bucket) -> const SchedDest* {
    auto i = buckets_[bucket];
    return i && *i < dests.size() ? &dests[*i] : nullptr;
  };
  size_t ihash = bucket(flow, with_port, 0);
  const SchedDest* d = at(ihash);
  if (!(flags_ & backend::kSvcSched1)) {
    if (!d || unavailable(*d)) return {std::nullopt, NoDest::unavailable};
    return {buckets_[ihash], NoDest::unavailable};
  }
  if (!d) return {std::nullopt, NoDest::unavailable};
  if (!unavailable(*d)) return {buckets_[ihash], NoDest::unavailable};
  for (unsigned offset = 0; offset < kTabSize; ++offset) {
    unsigned roffset = (offset + static_cast<unsigned>(ihash)) % kTabSize;
    size_t h = bucket(flow, with_port, roffset);
    const SchedDest* x = at(h);
    if (!x || unavailable(*x)) continue;
    return {buckets_[h], NoDest::unavailable};
  }
  return {std::nullopt, NoDest::unavailable};
}

}  // namespace halb::director::lvsd
