// cluster/sqld/sql/statement_cache.cc: see statement_cache.h.
#include "cluster/sqld/sql/statement_cache.h"

namespace halb::cluster::sqld {

sqlite3_stmt* StatementCache::take(const std::string& sql) {
  auto it = by_sql_.find(sql);
  if (it == by_sql_.end()) return nullptr;
  sqlite3_stmt* s = it->second->second;
  lru_.erase(it->second);
  by_sql_.erase(it);
  return s;
}

void StatementCache::give_back(const std::string& sql, sqlite3_stmt* stmt) {
  if (!stmt) return;
  if (capacity_ == 0 || by_sql_.count(sql)) {
    sqlite3_finalize(stmt);
    return;
  }
  sqlite3_reset(stmt);
  lru_.emplace_front(sql, stmt);
  by_sql_[sql] = lru_.begin();
  while (lru_.size() > capacity_) {
    sqlite3_finalize(lru_.back().second);
    by_sql_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

void StatementCache::clear() {
  for (auto& [sql, s] : lru_) sqlite3_finalize(s);
  lru_.clear();
  by_sql_.clear();
}

}  // namespace halb::cluster::sqld
