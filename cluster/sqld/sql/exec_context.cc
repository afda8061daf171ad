// cluster/sqld/sql/exec_context.cc: the session's cluster transaction and
// reads (see exec_context.h).
#include "cluster/sqld/sql/exec_context.h"

#include <algorithm>

#include "cluster/sqld/sql/errors.h"

namespace halb::cluster::sqld {

namespace {
constexpr uint32_t kErrNoSuchTuple = 626;

size_t value_bytes(const engine::Value& v) {
  const auto* s = std::get_if<std::string>(&v);
  return 8 + (s ? s->size() : 0);
}

}  // namespace

std::vector<engine::Value> key_of(const engine::Table& t, const engine::Row& row) {
  std::vector<engine::Value> key;
  for (uint32_t k : t.primary_key) key.push_back(row[k]);
  return key;
}

api::Transaction& ExecContext::transaction() {
  if (!tx) {
    tx = conn.start_transaction();
    tx_executed = false;
  }
  return *tx;
}

void ExecContext::drop_transaction() {
  tx.reset();
  tx_executed = false;
  own_rows.clear();
  own_undo.clear();
  own_keys.clear();
  savepoints.clear();
  hidden_key_writes = 0;
}

void ExecContext::note_table(const std::shared_ptr<const CatalogTable>& t) {
  auto& slot = written_tables[t->ndb->id];
  if (slot != t) slot = t;
}

void ExecContext::note_failed_insert() {
  failed_insert_key.reset();
  failed_table_id.reset();
  if (!tx) return;
  const auto& r = tx->results();
  for (size_t i = 0; i < r.size(); ++i)
    if (r[i].error && i < executed_tables_.size() && !failed_table_id) failed_table_id = executed_tables_[i];
  for (size_t i = 0; i < r.size(); ++i)
    if (r[i].error == 630 || r[i].error == 893) {
      auto it = insert_keys.find(i);
      failed_insert_key = it != insert_keys.end() ? it->second : std::string("?");
      return;
    }
}

void ExecContext::note_write(const engine::Table& t, const std::vector<engine::Value>& key,
                             std::optional<engine::Row> row) {
  if (t.hidden_key) {
    ++hidden_key_writes;
    return;
  }
  RowKey k{t.id, engine::encode_key_values(t, t.primary_key, key)};
  if (!savepoints.empty()) own_keys.try_emplace(k, key);
  auto it = own_rows.find(k);
  if (it == own_rows.end()) {
    own_undo.emplace_back(k, std::nullopt);
    own_rows.emplace(std::move(k), std::move(row));
  } else {
    own_undo.emplace_back(k, it->second);
    it->second = std::move(row);
  }
}

const std::optional<engine::Row>* ExecContext::own_row(const engine::Table& t,
                                                       const std::vector<engine::Value>& key) const {
  if (own_rows.empty() || t.hidden_key) return nullptr;
  auto it = own_rows.find(RowKey{t.id, engine::encode_key_values(t, t.primary_key, key)});
  return it == own_rows.end() ? nullptr : &it->second;
}

void ExecContext::undo_statement_writes() {
  for (auto it = own_undo.rbegin(); it != own_undo.rend(); ++it) {
    if (it->second) own_rows[it->first] = std::move(*it->second);
    else own_rows.erase(it->first);
  }
  own_undo.clear();
}

void ExecContext::remember_executed_tables() {
  executed_tables_.clear();
  for (const auto& op : tx->buffered()) executed_tables_.push_back(op.table_id);
}

bool ExecContext::batch_full() {
  if (!tx) return false;
  const auto& ops = tx->buffered();
  if (ops.size() < counted_ops_) counted_ops_ = buffered_bytes_ = 0;  // executed or discarded since
  for (; counted_ops_ < ops.size(); ++counted_ops_) {
    for (const auto& v : ops[counted_ops_].key) buffered_bytes_ += value_bytes(v);
    for (const auto& [c, v] : ops[counted_ops_].set) buffered_bytes_ += value_bytes(v);
  }
  return buffered_bytes_ > kBatchBytes;
}

api::NdbError ExecContext::flush() {
  if (!tx || tx->buffered().empty()) return {};
  remember_executed_tables();
  api::NdbError e = tx->execute(engine::ExecType::kNoCommit);
  if (e) {
    note_failed_insert();
    insert_keys.clear();
    drop_transaction();
    return e;
  }
  insert_keys.clear();
  tx_executed = true;
  return e;
}

api::NdbError ExecContext::commit() {
  if (!tx) {
    savepoints.clear();
    return {};
  }
  api::NdbError e;
  remember_executed_tables();
  if (!tx->buffered().empty() || tx->started()) e = tx->execute(engine::ExecType::kCommit);
  if (e) note_failed_insert();
  insert_keys.clear();
  drop_transaction();
  return e;
}

void ExecContext::rollback() {
  if (tx && tx->started()) tx->execute(engine::ExecType::kRollback);
  insert_keys.clear();
  drop_transaction();
}

void ExecContext::begin_statement() {
  stmt_lock = engine::LockMode::kCommitted;
  read_only_statement = false;
  error.reset();
  tx_rolled_back = false;
  flushed_in_statement = false;
  stale_table = false;
  affected = matched = changed = 0;
  first_insert_id = 0;
  explicit_insert_id.reset();
  rows_seen = 0;
  warnings.clear();
  failed_insert_key.reset();
  rowid_keys.clear();
  rowid_rows.clear();
  next_rowid = 1;
  own_undo.clear();
}

api::NdbError ExecContext::exists(const CatalogTable& t, const std::vector<engine::Value>& key, bool& found) {
  auto one = conn.start_transaction();
  one->read(t.ndb->id, key);
  api::NdbError e = one->execute(engine::ExecType::kCommit);
  found = !e;
  if (e.code == kErrNoSuchTuple) return {};
  return e;
}

api::NdbError ExecContext::unique_holder(const CatalogTable& t, uint32_t index_id,
                                         const std::vector<engine::Value>& key,
                                         std::optional<std::vector<engine::Value>>& holder) {
  holder.reset();
  std::optional<engine::Row> r;
  if (api::NdbError e = committed_read(t, index_id, key, r)) return e;
  r = merge_unique(t, index_id, key, std::move(r));
  if (r) holder = key_of(*t.ndb, *r);
  return {};
}

api::NdbError ExecContext::committed_read(const CatalogTable& t, std::optional<uint32_t> unique_index,
                                          const std::vector<engine::Value>& key, std::optional<engine::Row>& row) {
  row.reset();
  auto one = conn.start_transaction();
  if (unique_index) one->read_unique(t.ndb->id, *unique_index, key);
  else one->read(t.ndb->id, key);
  api::NdbError e = one->execute(engine::ExecType::kCommit);
  if (e.code == kErrNoSuchTuple) return {};
  if (e) return e;
  if (!one->results().empty() && one->results().back().row) row = std::move(one->results().back().row);
  return {};
}

std::optional<engine::Row> ExecContext::merge_unique(const CatalogTable& t, uint32_t index_id,
                                                     const std::vector<engine::Value>& key,
                                                     std::optional<engine::Row> committed) const {
  const engine::Table& nt = *t.ndb;
  const engine::Index* ix = nt.index(index_id);
  if (own_rows.empty() || nt.hidden_key || !ix) return committed;
  auto matches = [&](const engine::Row& r) {
    for (size_t i = 0; i < ix->columns.size() && i < key.size(); ++i) {
      const uint32_t c = ix->columns[i];
      if (c >= r.size() || engine::is_null(r[c]) || engine::compare_values(nt.columns[c], r[c], key[i]) != 0)
        return false;
    }
    return true;
  };
  if (committed) {
    if (const auto* own = own_row(nt, key_of(nt, *committed))) {
      // this transaction changed or deleted the row the index points at
      committed.reset();
      if (*own && matches(**own)) committed = **own;
    }
  }
  if (committed) return committed;
  for (auto it = own_rows.lower_bound(RowKey{nt.id, std::string()}); it != own_rows.end() && it->first.first == nt.id;
       ++it)
    if (it->second && matches(*it->second)) return *it->second;
  return std::nullopt;
}

api::NdbError ExecContext::point_read(const CatalogTable& t, std::optional<uint32_t> unique_index,
                                      const std::vector<engine::Value>& key, engine::Row& row, bool& found) {
  found = false;
  if (stmt_lock != engine::LockMode::kCommitted) return locked_read(t, unique_index, key, row, found);
  std::optional<engine::Row> r;
  if (!unique_index) {
    if (const auto* own = own_row(*t.ndb, key)) {
      r = *own;
    } else if (api::NdbError e = committed_read(t, unique_index, key, r)) {
      return e;
    }
  } else {
    if (api::NdbError e = committed_read(t, unique_index, key, r)) return e;
    r = merge_unique(t, *unique_index, key, std::move(r));
  }
  if (r) {
    row = std::move(*r);
    found = true;
  }
  return {};
}

api::NdbError ExecContext::locked_read(const CatalogTable& t, std::optional<uint32_t> unique_index,
                                       const std::vector<engine::Value>& key, engine::Row& row, bool& found) {
  if (!unique_index) {
    const auto* own = own_row(*t.ndb, key);
    if (own && !*own) return {};  // deleted by this transaction
    if (!own && tx_executed) {
      std::optional<engine::Row> r;
      if (api::NdbError e = committed_read(t, unique_index, key, r)) return e;
      if (!r) return {};
    }
  } else if (tx_executed) {
    std::optional<engine::Row> r;
    if (api::NdbError e = committed_read(t, unique_index, key, r)) return e;
    if (!merge_unique(t, *unique_index, key, std::move(r))) return {};
  }
  api::Transaction& t_ = transaction();
  std::vector<engine::ApiOp> saved = t_.buffered();
  const size_t index = saved.size();
  if (unique_index) t_.read_unique(t.ndb->id, *unique_index, key, stmt_lock);
  else t_.read(t.ndb->id, key, stmt_lock);
  remember_executed_tables();
  api::NdbError e = t_.execute(engine::ExecType::kNoCommit);
  if (e.code == kErrNoSuchTuple && t_.results().size() > index && t_.results()[index].error == kErrNoSuchTuple) {
    if (tx_executed) {
      // The committed read above saw the row: another transaction deleted
      // it since, and the cluster aborted this one.
      insert_keys.clear();
      drop_transaction();
      tx_rolled_back = true;
      return api::make_error(kErrNoSuchTuple);
    }
    // Nothing had run in the aborted transaction yet: start it again with
    // the operations it had buffered (own_rows and insert_keys still hold).
    tx.reset();
    tx_executed = false;
    api::Transaction& fresh = transaction();
    for (auto& op : saved) fresh.add(op);
    return {};
  }
  if (e) {
    return abort_after_failed_read(e);
  }
  insert_keys.clear();
  tx_executed = true;
  if (t_.results().size() > index && t_.results()[index].row) {
    row = *t_.results()[index].row;
    found = true;
  }
  return {};
}

void ExecContext::merge_own_rows(const CatalogTable& t, std::vector<engine::Row>& rows) const {
  const engine::Table& nt = *t.ndb;
  if (own_rows.empty() || nt.hidden_key) return;
  auto first = own_rows.lower_bound(RowKey{nt.id, std::string()});
  if (first == own_rows.end() || first->first.first != nt.id) return;
  std::set<std::string> replaced;
  std::vector<engine::Row> out;
  out.reserve(rows.size());
  for (auto& row : rows) {
    std::string k = engine::encode_key(nt, nt.primary_key, row);
    auto it = own_rows.find(RowKey{nt.id, k});
    if (it == own_rows.end()) {
      out.push_back(std::move(row));
      continue;
    }
    if (it->second) out.push_back(*it->second);
    replaced.insert(std::move(k));
  }
  for (auto it = first; it != own_rows.end() && it->first.first == nt.id; ++it)
    if (it->second && !replaced.count(it->first.second)) out.push_back(*it->second);
  rows = std::move(out);
}

api::NdbError ExecContext::scan(const CatalogTable& t, engine::ScanSpec spec, std::vector<engine::Row>& rows) {
  auto r = conn.scan(t.ndb->id, std::move(spec));
  if (r.error) return r.error;
  merge_own_rows(t, r.rows);
  if (stmt_lock == engine::LockMode::kCommitted || r.rows.empty()) {
    rows = std::move(r.rows);
    return {};
  }
  // Locking scan: re-read every row found with the statement's lock, in
  // the session's transaction (own rows are visible to it), in batches
  // whose answers fit a frame.
  rows.clear();
  for (size_t from = 0; from < r.rows.size();) {
    api::Transaction& t_ = transaction();
    const size_t index = t_.buffered().size();
    size_t bytes = 0;
    for (; from < r.rows.size() && (bytes == 0 || bytes < kBatchBytes); ++from) {
      for (const auto& v : r.rows[from]) bytes += value_bytes(v);
      t_.read(t.ndb->id, key_of(*t.ndb, r.rows[from]), stmt_lock);
    }
    remember_executed_tables();
    api::NdbError e = t_.execute(engine::ExecType::kNoCommit);
    if (e) {
      return abort_after_failed_read(e);
    }
    insert_keys.clear();
    tx_executed = true;
    for (size_t i = index; i < t_.results().size(); ++i)
      if (t_.results()[i].row) rows.push_back(*t_.results()[i].row);
  }
  return {};
}

api::NdbError ExecContext::abort_after_failed_read(const api::NdbError& e) {
  note_failed_insert();
  insert_keys.clear();
  drop_transaction();
  tx_rolled_back = true;
  return e;
}

SqlError ExecContext::map_error(const api::NdbError& e, const CatalogTable* t) {
  if (!t && failed_table_id) {
    auto it = written_tables.find(*failed_table_id);
    if (it != written_tables.end()) t = it->second.get();
  }
  std::string table = t ? t->def.name : std::string("?");
  if (uint16_t lock = lock_conflict_error(e.code)) return make_sql_error(lock);
  switch (e.code) {
    case 630:
      // A value this statement generated was there already: the sequence
      // is behind the table; move it on so the client's next try works.
      if (t && first_insert_id && failed_insert_key && t->def.auto_increment_column())
        if (uint64_t v = std::strtoull(failed_insert_key->c_str(), nullptr, 10); v >= first_insert_id)
          catalog.auto_increment_collided(*t, v);
      [[fallthrough]];
    case 893:
      return make_sql_error(er::kDupEntry, {failed_insert_key.value_or("?"), e.code == 630 ? "PRIMARY" : "unique"});
    case kErrNoSuchTuple:
      // a row a locking read expected vanished: another transaction won
      return make_sql_error(er::kLockDeadlock);
    case 827:
    case 625:
    case 826:
      warnings.push_back(Warning{"Warning", er::kGetErrmsg, "Got error " + std::to_string(e.code) + " '" + e.message + "' from NDB"});
      return make_sql_error(er::kRecordFileFull, {table});
    case 709:
    case 241:
    case 284:
      stale_table = true;
      if (t) catalog.invalidate(t->def.db, t->def.name);
      else catalog.invalidate_all();
      return make_sql_error(er::kNoSuchTable, {(t ? t->def.db + "." : std::string()) + table});
    default:
      break;
  }
  if (e.temporary() || e.status == api::ErrorStatus::kUnknownResult ||
      e.classification == api::ErrorClass::kNodeRecoveryError)
    return make_sql_error(er::kGetTemporaryErrmsg, {std::to_string(e.code), e.message, "NDBCLUSTER"});
  return make_sql_error(er::kGetErrmsg, {std::to_string(e.code), e.message, "NDBCLUSTER"});
}

}  // namespace halb::cluster::sqld
