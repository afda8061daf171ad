// cluster/sqld/server/connection.h: one client connection from greeting to
// COM_QUIT, on its own thread (the SQL side's Session blocks, as mysqld's
// one-thread-per-connection does).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/sqld/protocol/execute.h"
#include "cluster/sqld/protocol/packet_channel.h"
#include "cluster/sqld/server/registry.h"
#include "cluster/sqld/sql/session.h"
#include "lib/log/log.h"

namespace halb::cluster::sqld::server {

class TlsContext;

struct ConnectionSettings {
  std::string server_version;
  uint64_t max_allowed_packet = 64ull << 20;
  uint32_t max_connections = 151;
  int connect_timeout_s = 10;
  int wait_timeout_s = 28800;
  int interactive_timeout_s = 28800;
  TlsContext* tls = nullptr;  // offer CLIENT_SSL only with one
};

struct Peer {
  int fd = -1;
  std::string address;  // "127.0.0.1", "::1", "localhost" for the Unix socket
  std::string shown;    // PROCESSLIST host: "127.0.0.1:35946" or "localhost"
};

// Runs the connection to its end; the caller closes `peer.fd` afterwards.
// `stream` is the transport (a SocketStream on peer.fd in the daemon).
void serve_connection(Engine& engine, Registry& registry, const ConnectionSettings& settings,
                      log::Logger& logger, const Peer& peer, protocol::Stream& stream);

}  // namespace halb::cluster::sqld::server
