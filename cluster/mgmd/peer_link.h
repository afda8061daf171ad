// cluster/mgmd/peer_link.h: this management server's session with another
// one of the same cluster.
//
// Two halb-mgmds both serve status and config; each shows the other as a
// connected ndb_mgmd(MGM) because each holds a node session with the other
// (get nodeid with its own id, then `node session` and a `report state` of
// STARTED). The link connects without blocking the loop and retries every
// few seconds while the peer is down.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cluster/config/connectstring.h"
#include "cluster/mgmapi/protocol.h"
#include "cluster/mgmapi/session.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::cluster::mgmd {

class PeerLink {
 public:
  PeerLink(event::Loop& loop, log::Logger& logger, MgmServer peer, uint32_t own_id, uint32_t peer_id,
           double retry_s = 1);
  ~PeerLink();
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;
  bool established() const { return session_ && session_->open(); }

 private:
  void attempt();
  void on_io(int events);
  void fail(const std::string& why);
  void reset_socket();

  event::Loop& loop_;
  log::Logger& logger_;
  MgmServer peer_;
  uint32_t own_id_;
  uint32_t peer_id_;
  double retry_s_;
  int fd_ = -1;
  bool connecting_ = false;
  std::string out_;
  mgmapi::MessageReader reader_;
  std::unique_ptr<event::Io> io_;
  event::Timer retry_;
  std::unique_ptr<mgmapi::Session> session_;
  bool logged_down_ = false;
};

}  // namespace halb::cluster::mgmd
