// director/lvsd/sched/scheduler.h: how halb-lvsd picks a dest for a new
// connection.
//
// The interface mirrors the kernel's struct ip_vs_scheduler so that each
// algorithm can be a straight, checkable port of net/netfilter/ipvs/ip_vs_*.c:
// the service owns its dest list (in list order, which matters for wrr and
// rr; note the kernel inserts a new dest at the head of its list) and tells
// its scheduler after every add, delete or update of a dest, passing the
// list as it is after the change. pick() then chooses for one new
// connection. A scheduler keeps only its own position state, never the
// dests, so a service can rebuild it at any time.
//
// Overload is decided by the service (u_threshold/l_threshold) and passed in
// as a flag, as the kernel's IP_VS_DEST_F_OVERLOAD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "director/address.h"

namespace halb::director::lvsd {

struct SchedDest {
  int weight = 1;  // 0: quiescent, never picked
  bool overloaded = false;
  uint32_t active_conns = 0;
  uint32_t inactive_conns = 0;
};

// ip_vs_dest_conn_overhead(): active connections weigh 256 inactive ones.
inline int64_t conn_overhead(const SchedDest& d) {
  return (static_cast<int64_t>(d.active_conns) << 8) + d.inactive_conns;
}

// The new connection, as much as the hashing schedulers need.
struct Flow {
  IpAddress src;
  uint16_t src_port = 0;
};

// Why pick() found nothing; the kernel's rate-limited log words.
enum class NoDest { unavailable, overloaded };

struct Pick {
  std::optional<size_t> index;  // into the dest list given to pick()
  NoDest why = NoDest::unavailable;
};

inline std::string_view no_dest_message(NoDest why) {
  return why == NoDest::overloaded ? "no destination available: all destinations are overloaded"
                                   : "no destination available";
}

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string_view name() const = 0;

  // A dest was appended/inserted at `index`, removed from `index` (dests
  // no longer contains it), or had its weight or flags changed.
  virtual void dest_added(std::span<const SchedDest> dests, size_t index) {}
  virtual void dest_removed(std::span<const SchedDest> dests, size_t index) {}
  virtual void dest_updated(std::span<const SchedDest> dests, size_t index) {}

  // The service's IP_VS_SVC_F_SCHED* flags changed (sh-fallback, sh-port).
  void set_flags(uint32_t flags) { flags_ = flags; }
  uint32_t flags() const { return flags_; }

  virtual Pick pick(std::span<const SchedDest> dests, const Flow& flow) = 0;

 protected:
  uint32_t flags_ = 0;
};

}  // namespace halb::director::lvsd
