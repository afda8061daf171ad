// cluster/transport/link_config.h: a link's settings from config.ini.
//
// Between two nodes: Checksum and SendBufferMemory come from an explicit
// [TCP] section naming the pair (either order), else the [TCP] defaults;
// the heartbeat interval is the data node's HeartbeatIntervalDbDb when both
// ends are data nodes, its HeartbeatIntervalDbApi when one end is an API or
// management node (as NDB watches API nodes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cluster/config/model.h"
#include "cluster/transport/link.h"

namespace halb::cluster::transport {

// Options for the link from `own` to `peer`; nullopt with `error` when
// either id is not a node of the configuration or both are API/MGM nodes
// (NDB has no such links). `registry` is left for the caller to set.
std::optional<LinkOptions> link_options_for(const ClusterConfig& config, uint32_t own, uint32_t peer,
                                            std::string& error);

}  // namespace halb::cluster::transport
