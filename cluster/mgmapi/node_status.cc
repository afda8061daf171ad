// cluster/mgmapi/node_status.cc: the `node status` block (see node_status.h).
#include "cluster/mgmapi/node_status.h"

#include <algorithm>
#include <map>

#include "lib/config/reader.h"

namespace halb::cluster::mgmapi {

namespace {
struct StatusName {
  NodeStatus status;
  std::string_view token;
  std::string_view words;
};
constexpr StatusName kStatusNames[] = {
    {NodeStatus::kNoContact, "NO_CONTACT", "not connected"},
    {NodeStatus::kNotStarted, "NOT_STARTED", "not started"},
    {NodeStatus::kStarting, "STARTING", "starting"},
    {NodeStatus::kStarted, "STARTED", "started"},
    {NodeStatus::kShuttingDown, "SHUTTING_DOWN", "shutting down"},
    {NodeStatus::kRestarting, "RESTARTING", "restarting"},
    {NodeStatus::kSingleUser, "SINGLE USER MODE", "single user mode"},
};
}  // namespace

std::string_view status_token(NodeStatus s) {
  for (auto& n : kStatusNames)
    if (n.status == s) return n.token;
  return "UNKNOWN";
}

std::optional<NodeStatus> status_from_token(std::string_view token) {
  for (auto& n : kStatusNames)
    if (config::iequals(n.token, token)) return n.status;
  return std::nullopt;
}

std::string_view status_words(NodeStatus s) {
  for (auto& n : kStatusNames)
    if (n.status == s) return n.words;
  return "unknown";
}

std::string_view type_token(NodeType t) {
  switch (t) {
    case NodeType::kData: return "NDB";
    case NodeType::kApi: return "API";
    case NodeType::kMgm: return "MGM";
  }
  return "NDB";
}

std::optional<NodeType> type_from_token(std::string_view token) {
  if (config::iequals(token, "NDB")) return NodeType::kData;
  if (config::iequals(token, "API")) return NodeType::kApi;
  if (config::iequals(token, "MGM")) return NodeType::kMgm;
  return std::nullopt;
}

Message encode_status(const std::vector<NodeState>& nodes) {
  std::vector<NodeState> sorted = nodes;
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.node_id < b.node_id; });
  Message m("node status");
  m.add("nodes", static_cast<long long>(sorted.size()));
  for (auto& n : sorted) {
    std::string p = "node." + std::to_string(n.node_id) + ".";
    m.add(p + "type", std::string(type_token(n.type)));
    m.add(p + "status", std::string(status_token(n.status)));
    m.add(p + "version", static_cast<long long>(n.version));
    m.add(p + "startphase", static_cast<long long>(n.start_phase));
    m.add(p + "dynamic_id", static_cast<long long>(n.dynamic_id));
    m.add(p + "node_group", static_cast<long long>(n.node_group));
    m.add(p + "connect_count", static_cast<long long>(n.connect_count));
    m.add(p + "address", n.address);
    m.add(p + "hostname", n.config_host);
    m.add(p + "transporter_port", static_cast<long long>(n.transporter_port));
  }
  return m;
}

std::optional<std::vector<NodeState>> decode_status(const Message& reply, std::string& error) {
  if (reply.head != "node status") {
    error = reply.get_or("result", "unexpected reply '" + reply.head + "'");
    return std::nullopt;
  }
  std::map<uint32_t, NodeState> by_id;
  // Not a structured binding: clang before 16 cannot capture one in the
  // lambda below, and the fuzz target (tests/fuzz) is built with clang.
  for (const auto& kv : reply.fields) {
    const std::string& key = kv.first;
    const std::string& value = kv.second;
    if (key.rfind("node.", 0) != 0) continue;
    size_t dot = key.find('.', 5);
    if (dot == std::string::npos) continue;
    auto id = config::parse_int(key.substr(5, dot - 5));
    if (!id || *id < 1 || *id > 255) {
      error = "bad node id in '" + key + "'";
      return std::nullopt;
    }
    NodeState& n = by_id[static_cast<uint32_t>(*id)];
    n.node_id = static_cast<uint32_t>(*id);
    std::string field = key.substr(dot + 1);
    auto number = [&]() -> long long {
      auto v = config::parse_int(config::trim(value));
      return v ? *v : 0;
    };
    if (field == "type") {
      auto t = type_from_token(config::trim(value));
      if (!t) {
        error = "bad node type '" + value + "'";
        return std::nullopt;
      }
      n.type = *t;
    } else if (field == "status") {
      auto s = status_from_token(config::trim(value));
      if (!s) {
        error = "bad node status '" + value + "'";
        return std::nullopt;
      }
      n.status = *s;
    } else if (field == "version") {
      n.version = static_cast<uint32_t>(number());
    } else if (field == "startphase") {
      n.start_phase = static_cast<uint32_t>(number());
    } else if (field == "dynamic_id") {
      n.dynamic_id = static_cast<uint32_t>(number());
    } else if (field == "node_group") {
      n.node_group = static_cast<int>(number());
    } else if (field == "connect_count") {
      n.connect_count = static_cast<uint32_t>(number());
    } else if (field == "address") {
      n.address = config::trim(value);
    } else if (field == "hostname") {
      n.config_host = config::trim(value);
    } else if (field == "transporter_port") {
      long long p = number();
      n.transporter_port = p > 0 && p < 65536 ? static_cast<uint16_t>(p) : 0;
    }
  }
  std::vector<NodeState> out;
  for (auto& [id, n] : by_id) out.push_back(n);
  return out;
}

uint32_t master_node(const std::vector<NodeState>& nodes) {
  uint32_t best = 0;
  uint64_t best_key = UINT64_MAX;
  for (auto& n : nodes) {
    if (n.type != NodeType::kData) continue;
    if (n.status != NodeStatus::kStarting && n.status != NodeStatus::kStarted && n.status != NodeStatus::kSingleUser)
      continue;
    // Nodes that reported a dynamic id order by it; others after them, by node id.
    uint64_t key = n.dynamic_id ? n.dynamic_id : (uint64_t(1) << 32) + n.node_id;
    if (key < best_key) {
      best_key = key;
      best = n.node_id;
    }
  }
  return best;
}

}  // namespace halb::cluster::mgmapi
