// director/lvsd/shared_table.h: the one VirtualTable every thread of
// halb-lvsd uses, behind one mutex.
//
// Why shared rather than a copy per worker: the schedulers' answers depend
// on state that must be global to be right. wrr's position and lc/wlc's
// connection counts decide each pick, OVERLOAD depends on every worker's
// connections to a dest, persistence templates must send a client to the
// same dest whichever worker accepted it, and --max-connections is one
// budget. Per-thread copies would give each worker its own wrr cycle (3000
// connections would no longer split 1500/1000/500) and N times the
// thresholds. The lock is held only for admit/state/release (a few
// hundred nanoseconds per connection) and control commands; traffic
// counters are atomics updated without it.
#pragma once

#include <mutex>

#include "director/lvsd/table/virtual_table.h"

namespace halb::director::lvsd {

struct SharedTable {
  std::mutex mu;
  VirtualTable table;
};

}  // namespace halb::director::lvsd
