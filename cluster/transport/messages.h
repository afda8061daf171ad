// cluster/transport/messages.h: which message types a link accepts.
//
// A message type is a 16-bit number with a name, the layout version this
// build speaks and the largest payload it may carry. Types below 16 belong
// to the transport itself (hello, heartbeat, close); the data node's modules
// register theirs (dictionary, TC, LQH, DIH...) from 256 up. A frame of an
// unregistered type, of a version the registry does not speak, or larger
// than its type allows is malformed, and the link closes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace halb::cluster::transport {

struct MessageInfo {
  uint16_t type = 0;
  uint16_t version = 1;        // the layout this build sends
  uint16_t min_version = 1;    // the oldest layout it still reads
  std::string name;
  uint32_t max_payload = 0;
};

enum : uint16_t {
  kMsgHello = 1,      // handshake: the sender's node id (u16), cluster generation (u32)
  kMsgHeartbeat = 2,  // empty
  kMsgClose = 3,      // a reason text, then the sender closes
  kFirstUserMessage = 256,
};

class MessageRegistry {
 public:
  // With the transport's own types registered.
  MessageRegistry();
  // Throws std::invalid_argument on a duplicate type or a reserved number
  // (below kFirstUserMessage) other than the transport's own.
  void add(MessageInfo info);
  const MessageInfo* find(uint16_t type) const;
  // Why a frame of (type, version, length) is not acceptable; nullopt when it is.
  std::optional<std::string> check(uint16_t type, uint16_t version, uint32_t length) const;

 private:
  void add_builtin(MessageInfo info);
  std::map<uint16_t, MessageInfo> types_;
};

}  // namespace halb::cluster::transport
