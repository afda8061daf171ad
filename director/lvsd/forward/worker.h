// director/lvsd/forward/worker.h: one forwarding thread.
//
// Each worker runs its own event::Loop (Loop(false)) on its own thread and
// holds its own listening socket per TCP service and bound socket per UDP
// service (SO_REUSEPORT: the kernel spreads new connections across the
// workers, no accept lock). With CPU affinity (ForwardSettings::cpus) each
// worker runs on its own CPU and its listeners carry SO_INCOMING_CPU, so a
// connection is accepted on the CPU that took its SYN: no wake-up crosses
// CPUs on the accept path. Fwmark services and port-0 persistent services
// are in the table but have no socket: a proxy cannot see firewall marks
// and cannot listen on every port. The main thread asks a worker
// to bring its sockets in line with the table with sync(); the worker does
// so on its own thread and then reports the generation it reached.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <thread>
#include <unordered_map>

#include "director/lvsd/forward/context.h"
#include "director/lvsd/forward/tcp_session.h"
#include "director/lvsd/forward/udp_service.h"

namespace halb::director::lvsd {

class Worker {
 public:
  Worker(int index, SharedTable& shared, log::Logger& logger, ForwardSettings settings);
  ~Worker();  // stops the thread, closing every socket it holds
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Every worker of the pool, this one included; set before start().
  void set_peers(std::vector<Worker*> peers) { peers_ = std::move(peers); }
  void start();
  // Ends the thread (idempotent). A pool stops every worker before it
  // destroys any, as a running worker may still hand a connection over.
  void stop();
  // Thread-safe: ask the worker to match its sockets to the table's
  // services; synced() reaches `generation` once it has.
  void sync(uint64_t generation);
  uint64_t synced() const { return synced_.load(); }
  // Sessions this worker serves or has been handed and not yet started.
  int load() const { return load_.load(std::memory_order_relaxed); }
  // Sessions this worker moved to another worker, and took from one.
  uint64_t handed_over() const { return handed_over_.load(std::memory_order_relaxed); }
  uint64_t taken_over() const { return taken_over_.load(std::memory_order_relaxed); }
  // The CPU this worker is bound to, or -1.
  int cpu() const {
    return index_ < static_cast<int>(ctx_.settings.cpus.size()) ? ctx_.settings.cpus[static_cast<size_t>(index_)] : -1;
  }

 private:
  struct Listener;
  void apply_sync();
  void on_accept(Listener& l);
  void open_service(const backend::ServiceKey& key);
  // Move idle sessions to the least busy worker while this one holds at
  // least two more (see worker.cc).
  void balance();
  // Thread-safe: queue a moved session for this worker.
  void hand_over(TcpSession::Moved moved);
  void take_handoffs();
  void start_session(int fd, std::shared_ptr<ConnEntry> conn);
  void adopt(std::unique_ptr<TcpSession> s);
  std::function<void(TcpSession*)> on_session_end();
  // Close a session that will never be served and free its table entry.
  void drop(TcpSession::Moved& moved);

  int index_;
  event::Loop loop_;
  WorkerContext ctx_;
  event::Async wake_;
  std::atomic<uint64_t> wanted_{0}, synced_{0};
  std::atomic<bool> stopping_{false};
  // Retries services whose socket could not be opened (address in use, ...).
  event::Timer retry_;
  std::map<backend::ServiceKey, std::unique_ptr<Listener>> tcp_;
  std::map<backend::ServiceKey, std::unique_ptr<UdpService>> udp_;
  std::unordered_map<TcpSession*, std::unique_ptr<TcpSession>> sessions_;
  std::vector<Worker*> peers_;
  std::atomic<int> load_{0};
  std::atomic<uint64_t> handed_over_{0}, taken_over_{0};
  std::mutex handoff_mu_;
  std::vector<TcpSession::Moved> handoffs_;
  event::Async handoff_wake_;
  // Runs while this worker holds two sessions or more.
  event::Timer balance_;
  std::thread thread_;
};

}  // namespace halb::director::lvsd
