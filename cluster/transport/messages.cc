// cluster/transport/messages.cc: message type registry (see messages.h).
#include "cluster/transport/messages.h"

namespace halb::cluster::transport {

MessageRegistry::MessageRegistry() {
  add_builtin({kMsgHello, 1, 1, "HELLO", 64});
  add_builtin({kMsgHeartbeat, 1, 1, "HEARTBEAT", 0});
  add_builtin({kMsgClose, 1, 1, "CLOSE", 1024});
}

void MessageRegistry::add_builtin(MessageInfo info) { types_[info.type] = std::move(info); }

void MessageRegistry::add(MessageInfo info) {
  if (info.type < kFirstUserMessage)
    throw std::invalid_argument("message type " + std::to_string(info.type) + " (" + info.name +
                                ") is reserved for the transport");
  if (info.min_version == 0 || info.min_version > info.version)
    throw std::invalid_argument("message " + info.name + ": min_version must be between 1 and version");
  if (types_.count(info.type))
    throw std::invalid_argument("message type " + std::to_string(info.type) + " registered twice (" +
                                types_[info.type].name + ", " + info.name + ")");
  types_[info.type] = std::move(info);
}

const MessageInfo* MessageRegistry::find(uint16_t type) const {
  auto it = types_.find(type);
  return it == types_.end() ? nullptr : &it->second;
}

std::optional<std::string> MessageRegistry::check(uint16_t type, uint16_t version, uint32_t length) const {
  const MessageInfo* m = find(type);
  if (!m) return "unknown message type " + std::to_string(type);
  if (version < m->min_version || version > m->version)
    return m->name + " version " + std::to_string(version) + " not spoken (" + std::to_string(m->min_version) + ".." +
           std::to_string(m->version) + ")";
  if (length > m->max_payload)
    return m->name + " of " + std::to_string(length) + " bytes exceeds its limit of " + std::to_string(m->max_payload);
  return std::nullopt;
}

}  // namespace halb::cluster::transport
