// cluster/sqld/sql/kill.h: who may end which connection, and the KILL
// request one SQL node leaves in the catalog for the node that owns the
// connection (connection ids carry the owner's API node id in the top 8
// bits).
//
// Only the owning node knows a connection's user, so it makes MySQL's
// check there: an account without SUPER may end only connections of its
// own user name (1095 "You are not owner of thread N"), and it writes its
// answer back under the request's nonce for the asking node to return.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/sqld/sql/session.h"

namespace halb::cluster::sqld {

struct KillRequest {
  bool query_only = false;
  std::string nonce;          // names the answer row; empty: nobody waits
  bool may_kill_any = false;  // the asking account holds SUPER
  std::string user;           // the asking account's user name

  // "query|connection\n<nonce>\n<0|1>\n<user>"; an old bare "query" or
  // "connection" parses as a request nobody waits for, from nobody.
  std::string encode() const;
  static KillRequest parse(std::string_view text);
};

// KILL [QUERY] `id` on this node's `registry` for `user`: 0 when done,
// 1094 (no such connection) or 1095 (another user's, and not `may_kill_any`).
uint16_t kill_as(ConnectionRegistry* registry, uint32_t id, bool query_only, const std::string& user,
                 bool may_kill_any);

// The client's error for a kill_as/answer code (code != 0).
SqlError kill_error(uint16_t code, uint32_t id);

}  // namespace halb::cluster::sqld
