// cluster/sqld/sql/savepoints.cc: SAVEPOINT, ROLLBACK TO SAVEPOINT and
// RELEASE SAVEPOINT.
//
// The cluster has no savepoints, but the session knows every row its open
// transaction wrote (own_rows) and how it left it. A savepoint copies that
// map; rolling back to it puts each row written since back as it was: as
// the copy has it, or for a row first written after the savepoint, as the
// last committed version (a committed read) has it. The rows are deleted
// and then written again in the same transaction, all deletes first, so
// unique keys never clash on the way. Locks taken since stay, as in
// MySQL. Rows of tables without a primary key are not tracked: a rollback
// past a write to one is refused rather than done halfway.
#include "cluster/sqld/sql/cluster_session.h"
#include "cluster/sqld/sql/errors.h"

namespace halb::cluster::sqld {

namespace {


SqlError no_such_savepoint(const std::string& name) {
  return SqlError{1305, "42000", "SAVEPOINT " + name + " does not exist"};
}

}  // namespace

void ExecContext::set_savepoint(const std::string& name) {
  for (auto it = savepoints.begin(); it != savepoints.end(); ++it)
    if (iequals(it->name, name)) {
      savepoints.erase(it);
      break;
    }
  savepoints.push_back(Savepoint{name, own_rows, hidden_key_writes});
}

bool ExecContext::release_savepoint(const std::string& name) {
  for (size_t i = 0; i < savepoints.size(); ++i)
    if (iequals(savepoints[i].name, name)) {
      savepoints.erase(savepoints.begin() + static_cast<long>(i), savepoints.end());
      if (savepoints.empty()) own_keys.clear();
      return true;
    }
  return false;
}

bool ExecContext::rollback_to_savepoint(const std::string& name, std::optional<SqlError>& error) {
  size_t at = savepoints.size();
  for (size_t i = 0; i < savepoints.size(); ++i)
    if (iequals(savepoints[i].name, name)) at = i;
  if (at == savepoints.size()) return false;
  Savepoint& sp = savepoints[at];
  if (hidden_key_writes != sp.hidden_key_writes) {
    error = SqlError{er::kUnknown, "HY000",
                     "ROLLBACK TO SAVEPOINT " + name + " would undo writes to a table without a primary key; "
                     "roll back the whole transaction instead"};
    return true;
  }
  if (api::NdbError e = flush()) {
    error = map_error(e, nullptr);
    return true;
  }
  struct Restore {
    const engine::Table* table;
    std::vector<engine::Value> key;
    bool exists_now;
    std::optional<engine::Row> wanted;
  };
  std::vector<Restore> work;
  std::map<RowKey, std::optional<engine::Row>> after = sp.rows;
  for (const auto& [k, now] : own_rows) {
    auto t = written_tables.find(k.first);
    if (t == written_tables.end()) continue;  // not written through a table of this session
    const engine::Table& nt = *t->second->ndb;
    std::optional<engine::Row> wanted;
    std::vector<engine::Value> key;
    auto saved = sp.rows.find(k);
    if (saved != sp.rows.end()) {
      wanted = saved->second;
    } else {
      auto kv = own_keys.find(k);
      if (kv != own_keys.end()) key = kv->second;
      else if (now) key = key_of(nt, *now);
      else continue;
      if (api::NdbError e = committed_read(*t->second, std::nullopt, key, wanted)) {
        error = map_error(e, t->second.get());
        return true;
      }
      after[k] = wanted;
    }
    if (now == wanted) continue;
    if (key.empty()) key = key_of(nt, now ? *now : *wanted);
    work.push_back(Restore{&nt, std::move(key), now.has_value(), std::move(wanted)});
  }
  if (!work.empty()) {
    // The deletes go first, in a batch of their own: a row deleted and
    // inserted again in one batch would clash with itself.
    // Batches stay within a transport frame (parts of long values are big).
    api::Transaction& t = transaction();
    for (const auto& w : work) {
      if (w.exists_now) t.remove(w.table->id, w.key);
      if (batch_full())
        if (api::NdbError e = flush()) {
          error = map_error(e, nullptr);
          return true;
        }
    }
    if (api::NdbError e = flush()) {
      error = map_error(e, nullptr);
      return true;
    }
    for (const auto& w : work) {
      if (!w.wanted) continue;
      engine::ColumnValues set;
      for (uint32_t c = 0; c < w.wanted->size(); ++c)
        if (std::find(w.table->primary_key.begin(), w.table->primary_key.end(), c) == w.table->primary_key.end())
          set.emplace_back(c, (*w.wanted)[c]);
      t.insert(w.table->id, w.key, std::move(set));
      if (batch_full())
        if (api::NdbError e = flush()) {
          error = map_error(e, nullptr);
          return true;
        }
    }
    if (api::NdbError e = flush()) {
      error = map_error(e, nullptr);
      return true;
    }
  }
  own_rows = std::move(after);
  own_undo.clear();
  savepoints.erase(savepoints.begin() + static_cast<long>(at) + 1, savepoints.end());
  return true;
}

StatementResult ClusterSession::do_savepoint(const std::vector<Token>& t, std::string_view sql) {
  StatementResult r;
  size_t i = 1;
  if (t[0].is_word("SAVEPOINT")) {
    if (!t[i].is_name() || t[i + 1].kind != Token::Kind::kEnd) {
      r.error = syntax_error(sql, t[i].offset);
      return r;
    }
    // Outside a transaction (autocommit, no BEGIN) there is nothing to save.
    if (!ctx_.autocommit) ctx_.in_transaction = true;
    if (ctx_.in_transaction) ctx_.set_savepoint(t[i].text);
    return r;
  }
  if (t[0].is_word("RELEASE")) {
    if (!t[i].is_word("SAVEPOINT") || !t[i + 1].is_name() || t[i + 2].kind != Token::Kind::kEnd) {
      r.error = syntax_error(sql, t[i].offset);
      return r;
    }
    if (!ctx_.release_savepoint(t[i + 1].text)) r.error = no_such_savepoint(t[i + 1].text);
    return r;
  }
  // ROLLBACK [WORK] TO [SAVEPOINT] name
  if (t[i].is_word("WORK")) ++i;
  ++i;  // TO
  if (t[i].is_word("SAVEPOINT") && t[i + 1].is_name()) ++i;
  if (!t[i].is_name() || t[i + 1].kind != Token::Kind::kEnd) {
    r.error = syntax_error(sql, t[i].offset);
    return r;
  }
  ctx_.warnings.clear();
  std::optional<SqlError> error;
  if (!ctx_.rollback_to_savepoint(t[i].text, error)) {
    r.error = no_such_savepoint(t[i].text);
    return r;
  }
  if (error) {
    r.error = error;
    last_warnings_ = ctx_.warnings;
    if (!ctx_.tx) ctx_.in_transaction = false;  // the cluster ended the transaction
  }
  return r;
}

}  // namespace halb::cluster::sqld
