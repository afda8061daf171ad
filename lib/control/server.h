// lib/control/server.h: the control socket every halb daemon serves.
//
// A Unix stream socket under the run directory, mode 0600 (0660 when a group
// is configured). Requests and replies are one JSON object per line. The
// peer's credentials (SO_PEERCRED) are checked before any request is read:
// root and the daemon's own uid always pass, members of the configured group
// pass when one is set. A handler returns the reply object; a malformed
// request gets {"ok":false,"error":...} and the connection stays usable.
#pragma once

#include <sys/types.h>

#include <functional>
#include <list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::control {

using Json = nlohmann::json;

struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Returns the reply to one request.
using Handler = std::function<Json(const Json& request, const Peer& peer)>;

class Server {
 public:
  Server(event::Loop& loop, log::Logger& logger, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Bind and listen at path (an old socket file there is replaced). group:
  // optional group allowed to connect (mode 0660). Throws std::runtime_error.
  void listen(const std::string& path, std::optional<gid_t> group = std::nullopt);
  void close();
  unsigned long rejected() const { return rejected_; }

  // Longest request line accepted; longer input closes the connection.
  static constexpr size_t kMaxLine = 1 << 20;

 private:
  struct Conn;
  void on_accept();
  void on_readable(Conn& c);
  void drop(Conn& c);
  bool allowed(const Peer& p) const;

  event::Loop& loop_;
  log::Logger& logger_;
  Handler handler_;
  std::string path_;
  std::optional<gid_t> group_;
  int fd_ = -1;
  std::unique_ptr<event::Io> accept_io_;
  std::list<std::unique_ptr<Conn>> conns_;
  unsigned long rejected_ = 0;
};

}  // namespace halb::control
