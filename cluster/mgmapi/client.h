// cluster/mgmapi/client.h: a blocking client of the management protocol.
//
// halb-mgm uses it for every command, and a node uses it before its event
// loop runs to allocate its node id and fetch the configuration. Every call
// has a timeout (poll), so a management server that stops answering gives an
// error, not a hang. The servers of a connectstring are tried in order.
// Not for use on an event-loop thread: see session.h for the node's
// long-lived, non-blocking session.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/config/connectstring.h"
#include "cluster/config/model.h"
#include "cluster/mgmapi/node_status.h"
#include "cluster/mgmapi/protocol.h"

namespace halb::cluster::mgmapi {

class Client {
 public:
  Client() = default;
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&& o) noexcept;
  Client& operator=(Client&& o) noexcept;

  // Connects to the first server of `cs` that accepts; false with error() set
  // when none did.
  bool connect(const ConnectString& cs, double timeout_s = 5);
  bool connect(const MgmServer& server, double timeout_s = 5);
  bool connected() const { return fd_ >= 0; }
  void close();
  // "host:port" of the server we talk to.
  const std::string& server() const { return server_; }
  const std::string& error() const { return error_; }
  // The socket (a session hands it over to its event loop).
  int release_fd();

  // Sends a request and waits for one reply message.
  std::optional<Message> call(const Message& request, double timeout_s = 10);
  // Sends without waiting.
  bool send(const Message& m);
  // Waits for the next message / raw line from the server.
  std::optional<Message> receive(double timeout_s);
  std::optional<std::string> receive_line(double timeout_s);

  // ---- typed requests --------------------------------------------------
  struct NodeIdRequest {
    uint32_t node_id = 0;  // 0: any free id of the type
    NodeType type = NodeType::kData;
    uint32_t version = kProtocolVersion;
  };
  // Allocates a node id (reserved while this connection lives); nullopt with
  // error() = the server's result text on refusal.
  std::optional<uint32_t> get_nodeid(const NodeIdRequest& req);
  // Fetches and decodes the configuration (see config_codec.h).
  std::optional<ClusterConfig> get_config(uint32_t node_id = 0);
  std::optional<std::vector<NodeState>> get_status();
  // `get mgmd nodeid`
  std::optional<uint32_t> get_mgmd_nodeid();

 private:
  bool write_all(const std::string& data);
  bool fill(double timeout_s);
  int fd_ = -1;
  std::string server_;
  std::string error_;
  MessageReader reader_;
};

}  // namespace halb::cluster::mgmapi
