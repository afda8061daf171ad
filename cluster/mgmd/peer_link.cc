// cluster/mgmd/peer_link.cc: session with another management server (see peer_link.h).
#include "cluster/mgmd/peer_link.h"

namespace halb::cluster::mgmd {

PeerLink::PeerLink(event::Loop& loop, log::Logger& logger, MgmServer peer, uint32_t own_id,
                   std::function<void()> on_stop, double retry_s) {
  mgmapi::KeeperOptions o;
  o.server = std::move(peer);
  o.node_id = own_id;
  o.type = NodeType::kMgm;
  o.retry_s = retry_s;
  keeper_ = std::make_unique<mgmapi::SessionKeeper>(
      loop, logger, o, [&loop, &logger, on_stop](const std::string& cmd, const mgmapi::Message&) {
        mgmapi::Message r;
        if (cmd == "stop" && on_stop) {
          logger.info("stop requested by another management server; shutting down");
          loop.defer(on_stop);  // after the reply is queued
          r.add("result", "Ok");
          return r;
        }
        r.add("result", "Command '" + cmd + "' is not served by a management server");
        return r;
      });
  mgmapi::StateReport st;
  st.status = mgmapi::NodeStatus::kStarted;
  keeper_->report_state(st);
}

}  // namespace halb::cluster::mgmd
