// cluster/sqld/sql/point_select_run.cc: running a recognised primary-key
// point read (point_select.h) the way the SQLite path would: the same
// table privilege check (accounts with column privileges go through SQLite,
// whose authorizer checks them), the same ExecContext::point_read
// (committed read, the open transaction's own writes merged in), the same
// re-check of every `column = value` SQLite makes after the virtual table's
// lookup (string keys compare with mysql_ci), the same column definitions
// and values. Whenever one of those steps cannot be mirrored exactly the
// statement is handed back (nullopt) and runs through SQLite; only
// committed reads are done here, so giving up after the read leaves
// nothing behind.
#include <algorithm>

#include "cluster/sqld/sql/cluster_session.h"
#include "cluster/sqld/sql/errors.h"
#include "cluster/sqld/sql/long_values.h"
#include "cluster/sqld/sql/value_codec.h"

namespace halb::cluster::sqld {

namespace {

// Does the stored key value still equal the value compared with, as
// SQLite compares them? nullopt: a comparison SQLite would make its own way.
std::optional<bool> same_key(const ColumnMeta& c, const engine::Value& stored, const SqlInput& with) {
  SqlInput have = from_stored(c, stored);
  if (have.kind == SqlInput::Kind::kNull) return false;
  if (with.kind == SqlInput::Kind::kInt) {
    if (have.kind != SqlInput::Kind::kInt) return std::nullopt;
    return have.i == with.i;
  }
  if (with.kind == SqlInput::Kind::kText) {
    if (have.kind != SqlInput::Kind::kText) return std::nullopt;
    return mysql_ci_compare(have.s, with.s) == 0;
  }
  return std::nullopt;
}

}  // namespace

std::optional<StatementResult> ClusterSession::run_point_select(const PointSelect& ps,
                                                                const std::vector<Value>& params,
                                                                const std::vector<ColumnDef>* known_columns) {
  const std::string db = ps.db.empty() ? ctx_.current_db : ps.db;
  if (db.empty() || iequals(db, "information_schema") || iequals(db, "performance_schema")) return std::nullopt;
  std::shared_ptr<const CatalogTable> table = catalog_.table(db, ps.table);
  if (!table || !table->ndb || table->ndb->hidden_key) return std::nullopt;
  const TableDef& def = table->def;
  const engine::Table& ndb = *table->ndb;

  // WHERE: every primary key column once, nothing else.
  const size_t nkey = ndb.primary_key.size();
  if (nkey == 0 || ps.terms.size() != nkey) return std::nullopt;
  std::vector<engine::Value> key(nkey);
  std::vector<SqlInput> compared(nkey);
  std::vector<bool> seen(nkey, false);
  for (const auto& term : ps.terms) {
    auto idx = def.column_index(term.column);
    if (!idx) return std::nullopt;
    auto at = std::find(ndb.primary_key.begin(), ndb.primary_key.end(), static_cast<uint32_t>(*idx));
    if (at == ndb.primary_key.end()) return std::nullopt;
    size_t pos = static_cast<size_t>(at - ndb.primary_key.begin());
    if (seen[pos]) return std::nullopt;
    seen[pos] = true;
    const ColumnMeta& col = def.columns[*idx];
    auto in = key_input(col, term, params);
    if (!in) return std::nullopt;
    SqlError ignored;
    auto stored = to_stored(col, *in, 1, ignored);  // as the virtual table makes its key
    if (!stored) return std::nullopt;
    key[pos] = std::move(*stored);
    compared[pos] = std::move(*in);
  }

  // The select list.
  std::vector<size_t> cols;
  if (ps.star) {
    for (size_t i = 0; i < def.columns.size(); ++i) cols.push_back(i);
  } else {
    for (const auto& name : ps.columns) {
      auto idx = def.column_index(name);
      if (!idx) return std::nullopt;
      cols.push_back(*idx);
    }
  }
  // A long TEXT/BLOB value may need its parts read: the SQLite path does that.
  for (size_t i : cols)
    if (long_values::is_long_column(def.columns[i])) return std::nullopt;
  std::vector<ColumnDef> columns;
  if (known_columns) {
    if (known_columns->size() != cols.size()) return std::nullopt;
    columns = *known_columns;
  } else {
    // SQLite names a plain column by its declared name, whatever its case
    // in the statement.
    for (size_t i : cols) columns.push_back(table_column_def(*table, def.columns[i], def.columns[i].name));
  }

  // Column privileges are checked by SQLite's authorizer as it prepares.
  if (privileges().has_column_grants()) return std::nullopt;
  Rewritten access;
  access.tables.push_back(TableRef{db, ps.table});
  if (auto e = check_dml_access("SELECT", access)) {
    StatementResult denied;
    denied.error = e;
    return denied;
  }

  StatementResult r;
  const bool first_work = !ctx_.tx || (!ctx_.tx_executed && ctx_.tx->buffered().empty());
  const bool was_in_transaction = ctx_.in_transaction;
  ctx_.begin_statement();
  ctx_.stmt_lock = engine::LockMode::kCommitted;
  ctx_.insert_columns = nullptr;
  if (!ctx_.autocommit) ctx_.in_transaction = true;
  const size_t mark = ctx_.tx ? ctx_.tx->buffered().size() : 0;
  bool ok = true, give_up = false;
  engine::Row row;
  bool found = false;
  if (ctx_.interrupted.load()) {
    r.error = make_sql_error(er::kQueryInterrupted);
    ok = false;
  } else if (api::NdbError e = ctx_.point_read(*table, std::nullopt, key, row, found)) {
    r.error = ctx_.map_error(e, table.get());
    ok = false;
  } else if (found) {
    bool match = true;
    for (size_t k = 0; k < nkey && match && !give_up; ++k) {
      uint32_t c = ndb.primary_key[k];
      auto same = same_key(def.columns[c], row[c], compared[k]);
      if (!same) give_up = true;
      else match = *same;
    }
    if (match && !give_up) {
      Row out;
      out.reserve(cols.size());
      for (size_t j = 0; j < cols.size() && !give_up; ++j) {
        auto v = fast_wire_value(from_stored(def.columns[cols[j]], row[cols[j]]), columns[j]);
        if (!v) give_up = true;
        else out.push_back(std::move(*v));
      }
      if (!give_up) r.rows.push_back(std::move(out));
    }
  }
  if (give_up) {
    // Nothing was written or locked: the SQLite path starts afresh.
    ctx_.in_transaction = was_in_transaction;
    return std::nullopt;
  }
  end_statement(ok, mark, r);
  if (r.error && first_work && ctx_.stale_table && !ctx_.interrupted.load()) {
    // Another SQL node re-created the table: the SQLite path makes its
    // virtual table again and runs the statement on the new one.
    if (ctx_.tx) ctx_.rollback();
    ctx_.in_transaction = was_in_transaction;
    return std::nullopt;
  }
  last_warnings_ = ctx_.warnings;
  if (r.error) {
    r.rows.clear();
    return r;
  }
  r.has_result_set = true;
  r.columns = std::move(columns);
  ++fast_path_selects_;
  found_rows_ = r.rows.size();
  r.warning_count = static_cast<uint16_t>(std::min<size_t>(ctx_.warnings.size(), 65535));
  return r;
}

}  // namespace halb::cluster::sqld
