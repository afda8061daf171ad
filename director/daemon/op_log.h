// director/daemon/op_log.h: ldirectord's log line for each table change.
//
// Operators and their scripts grep ldirectord's words ("Quiescent real
// server", "Restored real server", "Added fallback server"), so every
// operation the reconciler applies is logged with the line ldirectord would
// have written for the same change. Pure: (op, the config it came from,
// why) -> text.
//
//   add_service   Added virtual server: V            (edit: Changed virtual server: V)
//   del_service   Purged virtual server (start|stop): V
//   add_dest      Added real server: R (V) (Weight set to W)
//                 Quiescent real server: R (V) (Weight set to 0)   when added at weight 0
//                 Added fallback server: F (V) (Weight set to 1)
//   edit_dest     Quiescent real server: R (V) (Weight set to 0)
//                 Quiescent real server: R' mapped from R (V) (Weight set to 0)   (gate/ipip moved the port)
//                 Restored real server: R (V) (Weight set to W)
//   del_dest      Deleted real server: R (V)   Deleted fallback server: F (V)
//                 Purged real server (start|stop): R (V)
// V is "addr:port" (IPv6 "[addr]:port") or the firewall mark.
#pragma once

#include <string>

#include "director/config/model.h"
#include "director/reconcile/diff.h"

namespace halb::director::daemon {

enum class Phase { running, start, stop };

// "192.168.131.105:3306", "[2001:db8::1]:80", "7".
std::string virtual_name(const backend::ServiceKey& key);

std::string op_log_line(const reconcile::Op& op, const config::Config& config, Phase phase);

}  // namespace halb::director::daemon
