// heartbeat/media/udp_media.h: the UDP media of ha.cf (bcast, mcast, ucast).
//
// Every message goes out once on each medium; what arrives is handed up with
// the name of the link it came on (the medium's device, as heartbeat names
// links: "eth1"). Sockets that would bind the same (device, address, port)
// are shared, so `bcast eth1` plus `ucast eth1 peer` receive once per packet
// per socket and each medium still sends on its own.
//
// A medium whose interface is down or gone keeps trying: send errors are
// counted and logged at a rate limit, never fatal, because the crossover
// cable coming back must bring the link back without a restart.
#pragma once

#include <netinet/in.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "heartbeat/config/model.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::heartbeat {

using Receive = std::function<void(std::string_view datagram, const std::string& link)>;

class UdpMedia {
 public:
  UdpMedia(event::Loop& loop, log::Logger& logger, Receive on_receive);
  ~UdpMedia();
  UdpMedia(const UdpMedia&) = delete;
  UdpMedia& operator=(const UdpMedia&) = delete;

  // Open every medium of the config. bind_address (halb extension) binds to
  // that local address instead of the wildcard, so several nodes can share
  // one host's loopback. Returns false with `error` on the first failure.
  bool open(const std::vector<Medium>& media, const std::string& bind_address, std::string& error);
  void send(std::string_view datagram);
  // Link names (devices), in ha.cf order, without repeats.
  std::vector<std::string> links() const;
  unsigned long send_errors() const { return send_errors_; }
  unsigned long received() const { return received_; }

 private:
  struct Socket {
    int fd = -1;
    std::string link;
    std::unique_ptr<event::Io> io;
  };
  struct Target {
    Socket* socket;
    sockaddr_in to;
    std::string what;  // "bcast eth1" for messages
    std::string device;
  };
  Socket* socket_for(const std::string& device, in_addr bind_addr, uint16_t port, bool mcast, std::string& error);
  void on_readable(Socket& s);

  event::Loop& loop_;
  log::Logger& logger_;
  Receive on_receive_;
  std::map<std::string, std::unique_ptr<Socket>> sockets_;  // by device/address/port
  std::vector<Target> targets_;
  std::vector<std::string> links_;
  unsigned long send_errors_ = 0;
  unsigned long received_ = 0;
};

}  // namespace halb::heartbeat
