// cluster/mgmd/arbitration.cc: arbitration rules (see arbitration.h).
#include "cluster/mgmd/arbitration.h"

namespace halb::cluster::mgmd {

ArbitCheck check_arbitration(const std::set<uint32_t>& before, const std::set<uint32_t>& survivors,
                             const std::vector<NodeGroup>& groups) {
  size_t n = before.size();
  size_t s = 0;
  for (uint32_t id : survivors)
    if (before.count(id)) ++s;
  if (2 * s < n) return ArbitCheck::kLoseLessThanHalf;
  bool some_group_whole = false;
  for (auto& g : groups) {
    size_t alive = 0;
    for (uint32_t id : g.members)
      if (survivors.count(id)) ++alive;
    if (alive == 0) return ArbitCheck::kLoseMissingGroup;
    if (alive == g.members.size()) some_group_whole = true;
  }
  if (some_group_whole) return ArbitCheck::kWinGroupMajority;
  if (2 * s > n) return ArbitCheck::kWinMoreThanHalf;
  return ArbitCheck::kAskArbitrator;
}

std::string_view arbit_check_text(ArbitCheck result) {
  switch (result) {
    case ArbitCheck::kLoseLessThanHalf: return "Arbitration check lost - less than 1/2 nodes left";
    case ArbitCheck::kLoseMissingGroup: return "Arbitration check lost - missing node group";
    case ArbitCheck::kWinGroupMajority: return "Arbitration check won - node group majority";
    case ArbitCheck::kWinMoreThanHalf: return "Arbitration check won - all node groups and more than 1/2 nodes left";
    case ArbitCheck::kAskArbitrator: return "Network partitioning - arbitration required";
  }
  return "";
}

bool ArbitratorState::request(uint32_t ticket, uint32_t requester) {
  if (ticket != ticket_ || winner_ == 0) {
    ticket_ = ticket;
    winner_ = requester;
    return true;
  }
  return requester == winner_;
}

}  // namespace halb::cluster::mgmd
