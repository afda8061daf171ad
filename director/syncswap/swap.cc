// director/syncswap/swap.cc: see swap.h.
#include "director/syncswap/swap.h"

namespace halb::director::syncswap {

SyncRole other(SyncRole r) { return r == SyncRole::master ? SyncRole::backup : SyncRole::master; }

std::string role_word(SyncRole r) { return r == SyncRole::master ? "master" : "backup"; }

std::vector<Step> plan(Action action, SyncRole ying, bool master_running, bool backup_running) {
  auto running = [&](SyncRole r) { return r == SyncRole::master ? master_running : backup_running; };
  std::vector<Step> steps;
  switch (action) {
    case Action::cleanup:
      for (SyncRole r : {SyncRole::master, SyncRole::backup})
        if (running(r)) steps.push_back({false, r});
      break;
    case Action::start:
    case Action::stop: {
      SyncRole want = action == Action::start ? ying : other(ying);
      SyncRole unwanted = other(want);
      if (running(want) && !running(unwanted)) break;  // already as wanted
      if (running(unwanted)) steps.push_back({false, unwanted});
      if (!running(want)) steps.push_back({true, want});
      break;
    }
  }
  return steps;
}

}  // namespace halb::director::syncswap
