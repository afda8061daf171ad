// cluster/ndbd/daemon/restart_choice.h: which GCI a system restart goes to,
// from what the starting nodes' files say -- a pure function, so every node
// given the same files decides the same (and tests can ask it directly).
//
// Each node with files tells the last GCI its redo proves saved and, from
// its last GCI end mark, the last GCI each data node took part in (NDB's
// sysfile node states). The restart GCI is the newest GCI that the nodes
// whose files reach it can restore while covering every node group; the
// other nodes with files are followers: they restore their own files and
// catch up by node restart. A node that is not here, whose files may hold
// a newer GCI than the nodes here can restore (it took part in a later
// GCI than any node of its group here), makes the restart wait for it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/placement/node_groups.h"

namespace halb::cluster::ndbd {

struct RestartFiles {
  bool has_files = false;
  uint64_t restorable_gci = 0;
  std::map<uint32_t, uint64_t> node_gcis;  // FsState::node_gcis
};

struct RestartChoice {
  enum class Kind {
    kInitial,         // no node here has files
    kNoGroupFiles,    // a node group has no node with files (`group`)
    kWait,            // nodes not here may hold newer GCIs (`wait_for`, `why`)
    kSystemRestart,   // restore `gci` on `sources`; the rest catch up
  };
  Kind kind = Kind::kInitial;
  uint64_t gci = 0;
  std::set<uint32_t> sources;
  std::set<uint32_t> followers;  // with files, but they end before `gci`
  std::set<uint32_t> wait_for;
  std::optional<uint32_t> group;
  std::string why;     // kWait: which node went on past what
  std::string reason;  // kSystemRestart: why this GCI, in words (for the logs)
  // The node GCIs the sources write from now on: every node's last GCI by
  // the files here, the sources at `gci`.
  std::map<uint32_t, uint64_t> node_gcis;
};

// `here`: the nodes starting, with what their files say. `data_nodes`:
// every configured data node.
RestartChoice choose_restart(const std::map<uint32_t, RestartFiles>& here, const std::vector<uint32_t>& data_nodes,
                             const std::vector<NodeGroup>& groups);

// A node group none of `nodes` belongs to, if any.
std::optional<uint32_t> uncovered_group(const std::vector<NodeGroup>& groups, const std::set<uint32_t>& nodes);

}  // namespace halb::cluster::ndbd
