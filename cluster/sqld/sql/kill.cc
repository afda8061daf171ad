// cluster/sqld/sql/kill.cc: KILL's owner check and request text (see kill.h).
#include "cluster/sqld/sql/kill.h"

#include "cluster/sqld/sql/errors.h"

namespace halb::cluster::sqld {

std::string KillRequest::encode() const {
  return std::string(query_only ? "query" : "connection") + "\n" + nonce + "\n" + (may_kill_any ? "1" : "0") +
         "\n" + user;
}

KillRequest KillRequest::parse(std::string_view text) {
  KillRequest r;
  auto field = [&]() {
    size_t nl = text.find('\n');
    std::string_view f = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    return f;
  };
  r.query_only = field() == "query";
  r.nonce = std::string(field());
  r.may_kill_any = field() == "1";
  r.user = std::string(text);  // the rest: a user name may hold a newline
  return r;
}

uint16_t kill_as(ConnectionRegistry* registry, uint32_t id, bool query_only, const std::string& user,
                 bool may_kill_any) {
  if (!registry) return er::kNoSuchThread;
  bool found = false;
  for (const auto& p : registry->processes()) {
    if (p.id != id) continue;
    found = true;
    if (!may_kill_any && p.user != user) return 1095;
  }
  if (!found) return er::kNoSuchThread;
  // The connection may have ended between the look and the kill.
  return registry->kill(id, query_only) ? 0 : er::kNoSuchThread;
}

SqlError kill_error(uint16_t code, uint32_t id) {
  if (code == 1095) return SqlError{1095, "HY000", "You are not owner of thread " + std::to_string(id)};
  return make_sql_error(er::kNoSuchThread, {std::to_string(id)});
}

}  // namespace halb::cluster::sqld
