// cluster/mgmd/arbitration.h: the arbitration rules as pure functions.
//
// check_arbitration() is QMGR's handleArbitCheck: after data nodes fail, the
// survivors decide from (nodes alive before, survivors, node groups) whether
// they may carry on alone, must stop, or must ask the arbitrator:
//   1. fewer than half the nodes left             -> lose
//   2. some node group has no survivor            -> lose
//   3. some node group has all its nodes          -> win
//   4. more than half the nodes left              -> win
//   5. exactly half, every group covered          -> ask the arbitrator
// ArbitratorState is the arbitrator's side: within one ticket, the first
// node to ask gets a yes and every other node a no, so exactly one half of a
// split cluster survives. halb-mgmd is an arbitrator when its
// ArbitrationRank is 1 or 2.
#pragma once

#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

#include "cluster/placement/node_groups.h"

namespace halb::cluster::mgmd {

enum class ArbitCheck { kLoseLessThanHalf, kLoseMissingGroup, kWinGroupMajority, kWinMoreThanHalf, kAskArbitrator };

// `before`: data nodes alive before the failure; `survivors`: those still
// alive (a subset); `groups`: the configured node groups.
ArbitCheck check_arbitration(const std::set<uint32_t>& before, const std::set<uint32_t>& survivors,
                             const std::vector<NodeGroup>& groups);

// The cluster log text of a check result, e.g.
// "Arbitration check lost - less than 1/2 nodes left".
std::string_view arbit_check_text(ArbitCheck result);
inline bool arbit_check_won(ArbitCheck r) {
  return r == ArbitCheck::kWinGroupMajority || r == ArbitCheck::kWinMoreThanHalf;
}

class ArbitratorState {
 public:
  // Answers node `requester` asking under `ticket`: yes for the first asker
  // of a ticket (and again for it), no for anyone else. A new ticket starts
  // a new round.
  bool request(uint32_t ticket, uint32_t requester);
  uint32_t winner() const { return winner_; }
  uint32_t ticket() const { return ticket_; }

 private:
  uint32_t ticket_ = 0;
  uint32_t winner_ = 0;
};

}  // namespace halb::cluster::mgmd
