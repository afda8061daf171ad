// cluster/transport/heartbeat.h: "missed 4 heartbeats = dead", as a counter.
//
// A link ticks its monitor once per heartbeat interval (HeartbeatIntervalDbDb
// between data nodes, HeartbeatIntervalDbApi towards API nodes) and tells it
// whenever anything arrives from the peer. A tick with nothing heard since
// the previous one is a missed heartbeat; the limit-th in a row makes the
// peer dead. Pure: the Link owns the timer.
#pragma once

namespace halb::cluster::transport {

class HeartbeatMonitor {
 public:
  explicit HeartbeatMonitor(int limit = 4) : limit_(limit) {}
  void heard() { heard_ = true; }
  // One interval passed. Returns the number of heartbeats missed in a row
  // (0 when the peer was heard).
  int tick() {
    if (heard_) {
      missed_ = 0;
    } else {
      ++missed_;
    }
    heard_ = false;
    return missed_;
  }
  bool dead() const { return missed_ >= limit_; }
  int missed() const { return missed_; }
  int limit() const { return limit_; }

 private:
  int limit_;
  int missed_ = 0;
  bool heard_ = false;
};

}  // namespace halb::cluster::transport
