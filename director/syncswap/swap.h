// director/syncswap/swap.h: LVSSyncDaemonSwap's rules as a pure function.
//
// The first argument names the role this node runs while it holds the
// resource (YING); the other role is YANG. Holding (start) means "stop
// YANG, run YING"; releasing (stop) means "stop YING, run YANG", so a
// director that gives the VIP away keeps receiving the new master's
// connection table as a backup. cleanup stops both.
#pragma once

#include <string>
#include <vector>

#include "director/backend/backend.h"

namespace halb::director::syncswap {

using backend::SyncRole;

enum class Action { start, stop, cleanup };

struct Step {
  bool start = false;  // false: stop
  SyncRole role = SyncRole::master;
  bool operator==(const Step&) const = default;
};

// The steps that take the running set of roles to what `action` wants.
std::vector<Step> plan(Action action, SyncRole ying, bool master_running, bool backup_running);

SyncRole other(SyncRole r);
std::string role_word(SyncRole r);  // "master" / "backup"

}  // namespace halb::director::syncswap
