// cluster/mgmd/node_registry.cc: node id allocation and node states (see node_registry.h).
#include "cluster/mgmd/node_registry.h"

#include <netdb.h>
#include <sys/socket.h>

#include "cluster/placement/node_groups.h"
#include "lib/config/reader.h"
#include "lib/net/address.h"

namespace halb::cluster::mgmd {

using mgmapi::NodeStatus;

std::string type_display(NodeType t) {
  switch (t) {
    case NodeType::kData: return "ndbd(NDB)";
    case NodeType::kApi: return "mysqld(API)";
    case NodeType::kMgm: return "ndb_mgmd(MGM)";
  }
  return "?";
}

std::string normalize_address(std::string a) {
  if (a.rfind("::ffff:", 0) == 0 && a.find('.') != std::string::npos) a = a.substr(7);
  return a;
}

HostAddresses resolve_hosts(const ClusterConfig& config) {
  HostAddresses out;
  auto add = [&](const std::string& host) {
    if (host.empty() || out.count(host)) return;
    auto& set = out[host];
    if (auto a = net::Address::parse(host)) {
      set.insert(a->str());
      return;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) return;
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
      char buf[NI_MAXHOST];
      if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) == 0)
        set.insert(normalize_address(buf));
    }
    freeaddrinfo(res);
  };
  for (auto& n : config.mgm_nodes) add(n.host_name);
  for (auto& n : config.data_nodes) add(n.host_name);
  for (auto& n : config.api_nodes) add(n.host_name);
  return out;
}

NodeRegistry::NodeRegistry(const ClusterConfig& config, HostAddresses hosts, uint32_t own_id)
    : hosts_(std::move(hosts)) {
  auto add = [&](const NodeCommon& n, NodeType t) {
    Slot s;
    s.state.node_id = n.node_id;
    s.state.type = t;
    s.state.config_host = n.host_name;
    slots_[n.node_id] = s;
  };
  for (auto& n : config.mgm_nodes) add(n, NodeType::kMgm);
  for (auto& n : config.data_nodes) add(n, NodeType::kData);
  for (auto& n : config.api_nodes) add(n, NodeType::kApi);
  if (config.no_of_replicas() > 0) {
    try {
      for (auto& g : make_node_groups(config.data_node_ids(), config.no_of_replicas()))
        for (uint32_t id : g.members) config_groups_[id] = static_cast<int>(g.id);
    } catch (const std::invalid_argument&) {
      // a validated config never gets here; groups then stay unknown
    }
  }
  auto it = slots_.find(own_id);
  if (it != slots_.end()) {
    it->second.owner = UINT64_MAX;  // ourselves, never released
    it->second.state.status = NodeStatus::kStarted;
    it->second.state.version = mgmapi::kProtocolVersion;
    it->second.state.connect_count = 1;
    it->second.state.address = it->second.state.config_host;
  }
}

bool NodeRegistry::host_allowed(const std::string& config_host, const std::string& peer) const {
  if (config_host.empty()) return true;
  auto it = hosts_.find(config_host);
  if (it == hosts_.end()) return false;
  return it->second.count(normalize_address(peer)) > 0;
}

Allocation NodeRegistry::allocate(uint32_t requested, NodeType type, const std::string& peer, uint64_t owner,
                                  uint32_t version) {
  Allocation a;
  std::string addr = normalize_address(peer);
  auto take = [&](Slot& s) {
    s.owner = owner;
    s.state.address = addr;
    s.state.version = version;
    s.state.status = type == NodeType::kData ? NodeStatus::kNotStarted : NodeStatus::kStarted;
    s.state.start_phase = 0;
    s.state.dynamic_id = 0;
    s.state.connect_count++;
    s.state.node_group = -1;
    if (type == NodeType::kData) {
      auto g = config_groups_.find(s.state.node_id);
      if (g != config_groups_.end()) s.state.node_group = g->second;
    }
    a.ok = true;
    a.node_id = s.state.node_id;
  };
  if (requested != 0) {
    auto it = slots_.find(requested);
    if (it == slots_.end()) {
      a.error = "No node defined with id=" + std::to_string(requested) + " in config file.";
      return a;
    }
    Slot& s = it->second;
    if (s.state.type != type) {
      a.error = "Id " + std::to_string(requested) + " configured as " + type_display(s.state.type) +
                ", connect attempted as " + type_display(type) + ".";
      return a;
    }
    if (!host_allowed(s.state.config_host, addr)) {
      a.error = "Connection with id " + std::to_string(requested) + " done from wrong host ip " + addr +
                ", expected " + s.state.config_host + ".";
      return a;
    }
    if (s.owner != 0) {
      a.error = "Id " + std::to_string(requested) + " already allocated by another node.";
      return a;
    }
    take(s);
    return a;
  }
  bool any_of_type = false, host_refused = false;
  for (auto& [id, s] : slots_) {
    if (s.state.type != type) continue;
    any_of_type = true;
    if (s.owner != 0) continue;
    if (!host_allowed(s.state.config_host, addr)) {
      host_refused = true;
      continue;
    }
    take(s);
    return a;
  }
  if (any_of_type && host_refused)
    a.error = "Connection done from wrong host ip " + addr + ".";
  else
    a.error = "No free node id found for " + type_display(type) + ".";
  return a;
}

uint32_t NodeRegistry::release(uint64_t owner) {
  for (auto& [id, s] : slots_) {
    if (s.owner != owner) continue;
    s.owner = 0;
    s.state.status = NodeStatus::kNoContact;
    s.state.address.clear();
    s.state.version = 0;
    s.state.start_phase = 0;
    s.state.dynamic_id = 0;
    s.state.node_group = -1;
    s.state.transporter_port = 0;
    return id;
  }
  return 0;
}

void NodeRegistry::session_started(uint32_t node_id) { (void)node_id; }

void NodeRegistry::report(uint32_t node_id, const mgmapi::StateReport& r) {
  auto it = slots_.find(node_id);
  if (it == slots_.end() || it->second.owner == 0) return;
  auto& st = it->second.state;
  st.status = r.status == NodeStatus::kNoContact ? NodeStatus::kNotStarted : r.status;
  st.start_phase = r.start_phase;
  st.dynamic_id = r.dynamic_id;
  st.transporter_port = r.transporter_port;
  if (r.node_group >= 0) st.node_group = r.node_group;
}

void NodeRegistry::set_status(uint32_t node_id, NodeStatus s) {
  auto it = slots_.find(node_id);
  if (it != slots_.end() && it->second.owner != 0) it->second.state.status = s;
}

std::optional<NodeType> NodeRegistry::type_of(uint32_t node_id) const {
  auto it = slots_.find(node_id);
  if (it == slots_.end()) return std::nullopt;
  return it->second.state.type;
}

const mgmapi::NodeState* NodeRegistry::state(uint32_t node_id) const {
  auto it = slots_.find(node_id);
  return it == slots_.end() ? nullptr : &it->second.state;
}

std::vector<mgmapi::NodeState> NodeRegistry::states() const {
  std::vector<mgmapi::NodeState> out;
  for (auto& [id, s] : slots_) out.push_back(s.state);
  return out;
}

std::vector<uint32_t> NodeRegistry::ids_of(NodeType t) const {
  std::vector<uint32_t> out;
  for (auto& [id, s] : slots_)
    if (s.state.type == t) out.push_back(id);
  return out;
}

uint64_t NodeRegistry::owner_of(uint32_t node_id) const {
  auto it = slots_.find(node_id);
  return it == slots_.end() ? 0 : it->second.owner;
}

}  // namespace halb::cluster::mgmd
