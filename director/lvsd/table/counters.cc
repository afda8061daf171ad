// director/lvsd/table/counters.cc: see counters.h.
#include "director/lvsd/table/counters.h"

namespace halb::director::lvsd {
namespace {

// e->x += (rate - e->x) >> 2, done in signed arithmetic as the kernel does.
void ewma(uint64_t& avg, uint64_t rate) {
  int64_t a = static_cast<int64_t>(avg);
  a += (static_cast<int64_t>(rate) - a) >> 2;
  avg = static_cast<uint64_t>(a);
}

}  // namespace

void Counters::zero() {
  for (auto& sl : slots_)
    for (auto* c : {&sl.conns, &sl.inpkts, &sl.outpkts, &sl.inbytes, &sl.outbytes})
      c->store(0, std::memory_order_relaxed);
}

backend::Stats Counters::totals() const {
  backend::Stats s;
  for (const auto& sl : slots_) {
    s.conns += sl.conns.load(std::memory_order_relaxed);
    s.inpkts += sl.inpkts.load(std::memory_order_relaxed);
    s.outpkts += sl.outpkts.load(std::memory_order_relaxed);
    s.inbytes += sl.inbytes.load(std::memory_order_relaxed);
    s.outbytes += sl.outbytes.load(std::memory_order_relaxed);
  }
  return s;
}

void Estimator::sample(const backend::Stats& t) {
  // Counts per 2 s << 9 = per second << 10; bytes per 2 s << 4 = per second << 5.
  ewma(cps_, (t.conns - last_.conns) << 9);
  ewma(inpps_, (t.inpkts - last_.inpkts) << 9);
  ewma(outpps_, (t.outpkts - last_.outpkts) << 9);
  ewma(inbps_, (t.inbytes - last_.inbytes) << 4);
  ewma(outbps_, (t.outbytes - last_.outbytes) << 4);
  last_ = t;
}

void Estimator::rates(backend::Stats& out) const {
  out.cps = (cps_ + 0x1FF) >> 10;
  out.inpps = (inpps_ + 0x1FF) >> 10;
  out.outpps = (outpps_ + 0x1FF) >> 10;
  out.inbps = (inbps_ + 0xF) >> 5;
  out.outbps = (outbps_ + 0xF) >> 5;
}

void Estimator::reset(const backend::Stats& totals) {
  *this = Estimator{};
  last_ = totals;
}

}  // namespace halb::director::lvsd
