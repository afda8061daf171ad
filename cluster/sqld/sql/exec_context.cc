// cluster/sqld/sql/exec_context.cc: the session's cluster transaction and
// reads (see exec_context.h).
#include "cluster/sqld/sql/exec_context.h"

#include "cluster/sqld/sql/errors.h"

namespace halb::cluster::sqld {

namespace {
constexpr uint32_t kErrNoSuchTuple = 626;

std::vector<engine::Value> key_of(const engine::Table& t, const engine::Row& row) {
  std::vector<engine::Value> key;
  for (uint32_t k : t.primary_key) key.push_back(row[k]);
  return key;
}
}  // namespace

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
}

void ExecContext::note_failed_insert() {
  failed_insert_key.reset();
  if (!tx) return;
  const auto& r = tx->results();
  for (size_t i = 0; i < r.size(); ++i)
    if (r[i].error == 630 || r[i].error == 893) {
      auto it = insert_keys.find(i);
      failed_insert_key = it != insert_keys.end() ? it->second : std::string("?");
      return;
    }
}

api::NdbError ExecContext::flush() {
  if (!tx || tx->buffered().empty()) return {};
  api::NdbError e = tx->execute(engine::ExecType::kNoCommit);
  insert_keys.clear();
  if (e) {
    note_failed_insert();
    drop_transaction();
    return e;
  }
  tx_executed = true;
  return e;
}

api::NdbError ExecContext::commit() {
  if (!tx) return {};
  api::NdbError e;
  if (!tx->buffered().empty() || tx->started()) e = tx->execute(engine::ExecType::kCommit);
  if (e) note_failed_insert();
  insert_keys.clear();
  drop_transaction();
  return e;
}

void ExecContext::rollback() {
  if (tx && tx->started()) tx->execute(engine::ExecType::kRollback);
  drop_transaction();
}

void ExecContext::begin_statement() {
  stmt_lock = engine::LockMode::kCommitted;
  error.reset();
  tx_rolled_back = false;
  affected = matched = changed = 0;
  first_insert_id = 0;
  rows_seen = 0;
  warnings.clear();
  failed_insert_key.reset();
  rowid_keys.clear();
  rowid_rows.clear();
  next_rowid = 1;
}

api::NdbError ExecContext::exists(const CatalogTable& t, const std::vector<engine::Value>& key, bool& found) {
  auto one = conn.start_transaction();
  one->read(t.ndb->id, key);
  api::NdbError e = one->execute(engine::ExecType::kCommit);
  found = !e;
  if (e.code == kErrNoSuchTuple) return {};
  return e;
}

api::NdbError ExecContext::point_read(const CatalogTable& t, std::optional<uint32_t> unique_index,
                                      const std::vector<engine::Value>& key, engine::Row& row, bool& found) {
  found = false;
  if (stmt_lock == engine::LockMode::kCommitted) {
    auto one = conn.start_transaction();
    if (unique_index) one->read_unique(t.ndb->id, *unique_index, key);
    else one->read(t.ndb->id, key);
    api::NdbError e = one->execute(engine::ExecType::kCommit);
    if (e.code == kErrNoSuchTuple) return {};
    if (e) return e;
    if (!one->results().empty() && one->results().back().row) {
      row = *one->results().back().row;
      found = true;
    }
    return {};
  }
  api::Transaction& t_ = transaction();
  std::vector<engine::ApiOp> saved = t_.buffered();
  const size_t index = saved.size();
  if (unique_index) t_.read_unique(t.ndb->id, *unique_index, key, stmt_lock);
  else t_.read(t.ndb->id, key, stmt_lock);
  api::NdbError e = t_.execute(engine::ExecType::kNoCommit);
  if (e.code == kErrNoSuchTuple && t_.results().size() > index && t_.results()[index].error == kErrNoSuchTuple) {
    // The cluster aborts a transaction whose read finds nothing. If nothing
    // had run in it yet, start it again with the buffered operations.
    bool was_executed = tx_executed;
    drop_transaction();
    if (was_executed) {
      tx_rolled_back = true;
      return api::make_error(kErrNoSuchTuple);
    }
    api::Transaction& fresh = transaction();
    for (auto& op : saved) fresh.add(op);
    return {};
  }
  if (e) {
    drop_transaction();
    return e;
  }
  tx_executed = true;
  if (t_.results().size() > index && t_.results()[index].row) {
    row = *t_.results()[index].row;
    found = true;
  }
  return {};
}

api::NdbError ExecContext::scan(const CatalogTable& t, engine::ScanSpec spec, std::vector<engine::Row>& rows) {
  auto r = conn.scan(t.ndb->id, std::move(spec));
  if (r.error) return r.error;
  if (stmt_lock == engine::LockMode::kCommitted || r.rows.empty()) {
    rows = std::move(r.rows);
    return {};
  }
  // Locking scan: re-read every row found with the statement's lock, in
  // the session's transaction, one batch.
  api::Transaction& t_ = transaction();
  const size_t index = t_.buffered().size();
  for (auto& row : r.rows) t_.read(t.ndb->id, key_of(*t.ndb, row), stmt_lock);
  api::NdbError e = t_.execute(engine::ExecType::kNoCommit);
  if (e) {
    drop_transaction();
    tx_rolled_back = true;
    return e;
  }
  tx_executed = true;
  rows.clear();
  for (size_t i = index; i < t_.results().size(); ++i)
    if (t_.results()[i].row) rows.push_back(*t_.results()[i].row);
  return {};
}

SqlError ExecContext::map_error(const api::NdbError& e, const CatalogTable* t) {
  std::string table = t ? t->def.name : std::string("?");
  switch (e.code) {
    case 266:
    case 274:
    case 296:
    case 297:
    case 237:
      return make_sql_error(er::kLockWaitTimeout);
    case 630:
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
      catalog.reload();
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
