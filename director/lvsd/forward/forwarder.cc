// director/lvsd/forward/forwarder.cc: see forwarder.h.
#include "director/lvsd/forward/forwarder.h"

#include <chrono>
#include <thread>

#include "director/lvsd/forward/sockets.h"

namespace halb::director::lvsd {

Forwarder::Forwarder(int threads, SharedTable& shared, log::Logger& logger, ForwardSettings settings) {
  for (int i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>(i, shared, logger, settings));
  std::vector<Worker*> all;
  for (auto& w : workers_) all.push_back(w.get());
  for (auto& w : workers_) w->set_peers(all);
}

Forwarder::~Forwarder() {
  for (auto& w : workers_) w->stop();
  workers_.clear();
}

void Forwarder::start() {
  for (auto& w : workers_) w->start();
}

std::vector<Forwarder::WorkerStatus> Forwarder::status() const {
  std::vector<WorkerStatus> out;
  for (const auto& w : workers_) out.push_back({w->load(), w->handed_over(), w->taken_over()});
  return out;
}

bool Forwarder::sync(double timeout_s) {
  ++generation_;
  for (auto& w : workers_) w->sync(generation_);
  double deadline = mono_now() + timeout_s;
  for (auto& w : workers_)
    while (w->synced() < generation_) {
      if (mono_now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  return true;
}

}  // namespace halb::director::lvsd
