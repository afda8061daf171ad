// cluster/sqld/sql/statement_cache.h: a session's prepared SQLite statements
// for text queries, by their SQL after the rewrite, least recently used
// first out. Preparing costs more than running a point select: a client
// that sends the same text again and again (sysbench without server-side
// prepared statements, most ORMs) reuses the plan.
//
// A statement is taken out while it runs and given back afterwards, so a
// statement that runs another one inside (INSERT ... ON DUPLICATE KEY
// UPDATE) never steps the same sqlite3_stmt twice. The session clears the
// cache whenever a plan could be stale: DDL, USE, a catalog version change,
// a virtual table made again.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace halb::cluster::sqld {

class StatementCache {
 public:
  static constexpr size_t kDefaultCapacity = 64;
  explicit StatementCache(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}
  ~StatementCache() { clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The statement cached for `sql`, now owned by the caller; nullptr if none.
  sqlite3_stmt* take(const std::string& sql);
  // Keeps `stmt` (reset) for `sql` as the most recently used; finalizes the
  // least recently used one beyond the capacity, or `stmt` itself when
  // another is cached for `sql` already.
  void give_back(const std::string& sql, sqlite3_stmt* stmt);
  void clear();
  size_t size() const { return lru_.size(); }

 private:
  size_t capacity_;
  std::list<std::pair<std::string, sqlite3_stmt*>> lru_;  // most recent first
  std::unordered_map<std::string, decltype(lru_)::iterator> by_sql_;
};

}  // namespace halb::cluster::sqld
