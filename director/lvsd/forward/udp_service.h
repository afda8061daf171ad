// director/lvsd/forward/udp_service.h: one UDP virtual service on one
// worker.
//
// The service socket (SO_REUSEPORT, so the kernel spreads clients over the
// workers and keeps each client on one of them) receives datagrams; each
// client address:port is a flow admitted to a dest once, with its own
// connected socket towards that dest. Replies read on the flow's socket go
// back to the client from the service socket, so their source is the VIP.
// A flow ends after the udp idle timeout (300 s by default), checked once a
// second.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "director/backend/table.h"
#include "director/lvsd/forward/context.h"
#include "director/lvsd/forward/sockets.h"

namespace halb::director::lvsd {

class UdpService {
 public:
  // Takes ownership of the bound service socket.
  UdpService(WorkerContext& ctx, const backend::ServiceKey& key, int fd);
  ~UdpService();
  UdpService(const UdpService&) = delete;
  UdpService& operator=(const UdpService&) = delete;

 private:
  struct Flow;
  using FlowKey = std::pair<IpAddress, uint16_t>;

  void on_datagram();
  void on_reply(Flow& f);
  void expire_idle();
  Flow* flow_for(const FlowKey& key, const SockAddr& from);

  WorkerContext& ctx_;
  backend::ServiceKey key_;
  int fd_;
  event::Io io_;
  event::Timer sweep_;
  std::map<FlowKey, std::unique_ptr<Flow>> flows_;
  std::vector<char> buf_;  // one datagram at a time, on this worker's thread
};

}  // namespace halb::director::lvsd
