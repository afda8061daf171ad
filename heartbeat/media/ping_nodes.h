// heartbeat/media/ping_nodes.h: ha.cf `ping` and `ping_group` pseudo-nodes.
//
// Every keepalive an ICMP echo goes to each address; a group is up while
// any of its addresses answered within deadping. The count of live groups
// is what ipfail compared between the two nodes (halb carries it in its
// status messages). Uses an unprivileged ICMP datagram socket when the
// kernel allows it, else a raw socket (root).
#pragma once

#include <netinet/in.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "heartbeat/config/model.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::heartbeat {

class PingNodes {
 public:
  PingNodes(event::Loop& loop, log::Logger& logger, std::vector<PingGroup> groups, long long interval_ms,
            long long deadping_ms);
  ~PingNodes();
  bool open(std::string& error);
  // Send one round of echoes (call every keepalive).
  void probe();
  // Groups answering within deadping at time now (seconds, loop clock).
  int alive_count() const;
  bool group_alive(const std::string& name) const;
  const std::vector<PingGroup>& groups() const { return groups_; }

 private:
  void on_readable();

  event::Loop& loop_;
  log::Logger& logger_;
  std::vector<PingGroup> groups_;
  long long interval_ms_, deadping_ms_;
  int fd_ = -1;
  bool raw_ = false;
  uint16_t ident_ = 0;
  uint16_t seq_ = 0;
  std::map<uint32_t, double> last_reply_;  // by IPv4 address (network order)
  std::unique_ptr<event::Io> io_;
};

}  // namespace halb::heartbeat
