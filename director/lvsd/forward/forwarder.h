// director/lvsd/forward/forwarder.h: halb-lvsd's pool of worker threads.
//
// sync() is called on the main thread after a command that adds or removes
// services; it waits (bounded) until every worker has opened or closed its
// sockets, so a client that connects right after add-service's reply finds
// the service listening.
#pragma once

#include <memory>
#include <vector>

#include "director/lvsd/forward/worker.h"

namespace halb::director::lvsd {

class Forwarder {
 public:
  Forwarder(int threads, SharedTable& shared, log::Logger& logger, ForwardSettings settings);
  ~Forwarder();
  void start();
  // True when every worker caught up within timeout_s.
  bool sync(double timeout_s = 2.0);
  // Per worker, in thread order: sessions held, connections handed over
  // to another worker and taken from one (the balancing at work).
  struct WorkerStatus {
    int sessions;
    uint64_t handed_over, taken_over;
  };
  std::vector<WorkerStatus> status() const;

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
  uint64_t generation_ = 0;
};

}  // namespace halb::director::lvsd
