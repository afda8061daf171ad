// cluster/transport/link_config.cc: link settings from config.ini (see link_config.h).
#include "cluster/transport/link_config.h"

namespace halb::cluster::transport {

std::optional<LinkOptions> link_options_for(const ClusterConfig& config, uint32_t own, uint32_t peer,
                                            std::string& error) {
  auto own_type = config.type_of(own), peer_type = config.type_of(peer);
  if (!own_type || !peer_type) {
    error = "node " + std::to_string(!own_type ? own : peer) + " is not in the configuration";
    return std::nullopt;
  }
  if (*own_type != NodeType::kData && *peer_type != NodeType::kData) {
    error = "no link between nodes " + std::to_string(own) + " and " + std::to_string(peer) +
            ": one end must be a data node";
    return std::nullopt;
  }
  LinkOptions o;
  o.own_id = static_cast<uint16_t>(own);
  o.peer_id = static_cast<uint16_t>(peer);
  o.generation = config.system ? config.system->config_generation_number : 0;
  o.checksum = config.tcp_default.checksum;
  o.send_buffer_memory = config.tcp_default.send_buffer_memory;
  for (auto& t : config.tcp_links)
    if ((t.node_id1 == own && t.node_id2 == peer) || (t.node_id1 == peer && t.node_id2 == own)) {
      o.checksum = t.checksum;
      o.send_buffer_memory = t.send_buffer_memory;
    }
  uint32_t data_id = *own_type == NodeType::kData ? own : peer;
  bool both_data = *own_type == NodeType::kData && *peer_type == NodeType::kData;
  for (auto& d : config.data_nodes)
    if (d.node_id == data_id)
      o.heartbeat_interval_s = (both_data ? d.heartbeat_interval_db_db : d.heartbeat_interval_db_api) / 1000.0;
  return o;
}

}  // namespace halb::cluster::transport
