// cluster/mgmd/peer_link.h: this management server's session with another
// one of the same cluster.
//
// Two halb-mgmds both serve status and config; each shows the other as a
// connected ndb_mgmd(MGM) because each holds a node session with the other
// (get nodeid with its own id, then `node session` and a `report state` of
// STARTED), kept up by an mgmapi::SessionKeeper that retries while the peer
// is down. A peer asked to stop this server over that session (`<id> STOP`
// or SHUTDOWN given to the other server) calls on_stop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "cluster/mgmapi/session_keeper.h"

namespace halb::cluster::mgmd {

class PeerLink {
 public:
  PeerLink(event::Loop& loop, log::Logger& logger, MgmServer peer, uint32_t own_id, std::function<void()> on_stop,
           double retry_s = 1);
  bool established() const { return keeper_->up(); }

 private:
  std::unique_ptr<mgmapi::SessionKeeper> keeper_;
};

}  // namespace halb::cluster::mgmd
