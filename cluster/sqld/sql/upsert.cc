// cluster/sqld/sql/upsert.cc: INSERT ... ON DUPLICATE KEY UPDATE (see upsert.h).
#include "cluster/sqld/sql/upsert.h"

#include <cstdio>
#include <map>

#include "cluster/sqld/sql/cluster_session.h"
#include "cluster/sqld/sql/errors.h"
#include "cluster/sqld/sql/value_codec.h"

namespace halb::cluster::sqld {

using K = Token::Kind;

size_t on_duplicate_position(const std::vector<Token>& t) {
  if (t.empty() || !t[0].is_word("INSERT")) return 0;
  int depth = 0;
  for (size_t i = 1; i + 3 < t.size() && t[i].kind != K::kEnd; ++i) {
    if (t[i].is_op("(")) ++depth;
    if (t[i].is_op(")")) --depth;
    if (depth == 0 && t[i].is_word("ON") && t[i + 1].is_word("DUPLICATE") && t[i + 2].is_word("KEY") &&
        t[i + 3].is_word("UPDATE"))
      return i;
  }
  return 0;
}

namespace {

std::string mysql_literal(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "NULL";
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* u = std::get_if<uint64_t>(&v)) return std::to_string(*u);
  if (auto* d = std::get_if<double>(&v)) {
    char b[64];
    std::snprintf(b, sizeof b, "%.17g", *d);
    return b;
  }
  std::string out = "'";
  for (char c : std::get<std::string>(v)) {
    if (c == '\'') out += "''";
    else if (c == '\\') out += "\\\\";
    else if (c == '\0') out += "\\0";
    else out.push_back(c);
  }
  return out + "'";
}

// Owns the SQLite statements and copied values of one upsert.
struct UpsertState {
  sqlite3_stmt* source = nullptr;
  sqlite3_stmt* insert = nullptr;
  std::map<std::vector<uint32_t>, sqlite3_stmt*> updates;  // by the clash key's columns
  std::vector<std::vector<sqlite3_value*>> rows;
  ~UpsertState() {
    sqlite3_finalize(source);
    sqlite3_finalize(insert);
    for (auto& [k, s] : updates) sqlite3_finalize(s);
    for (auto& r : rows)
      for (auto* v : r) sqlite3_value_free(v);
  }
};

// Where a ? of the UPDATE part takes its value from: a column of the row
// the INSERT would have written, or (a column the INSERT left out) that
// column's default.
struct AssignParam {
  int source = -1;
  const ColumnMeta* column = nullptr;
};

void bind_input(sqlite3_stmt* s, int idx, const SqlInput& in) {
  switch (in.kind) {
    case SqlInput::Kind::kNull: sqlite3_bind_null(s, idx); break;
    case SqlInput::Kind::kInt: sqlite3_bind_int64(s, idx, in.i); break;
    case SqlInput::Kind::kDouble: sqlite3_bind_double(s, idx, in.d); break;
    case SqlInput::Kind::kText:
      sqlite3_bind_text(s, idx, in.s.data(), static_cast<int>(in.s.size()), SQLITE_TRANSIENT);
      break;
    case SqlInput::Kind::kBlob:
      sqlite3_bind_blob(s, idx, in.s.data(), static_cast<int>(in.s.size()), SQLITE_TRANSIENT);
      break;
  }
}

}  // namespace

std::string inline_parameters(const std::vector<Token>& tokens, std::string_view sql, const std::vector<Value>& params) {
  std::string out;
  size_t from = 0, next = 0;
  for (const Token& tk : tokens) {
    if (tk.kind != K::kPlaceholder) continue;
    out.append(sql.substr(from, tk.offset - from));
    out += next < params.size() ? mysql_literal(params[next]) : std::string("NULL");
    ++next;
    from = tk.end;
  }
  out.append(sql.substr(std::min(from, sql.size())));
  return out;
}

StatementResult ClusterSession::run_upsert(const std::vector<Token>& t, std::string_view sql, size_t on) {
  StatementResult r;
  auto fail = [&](SqlError e) {
    r.error = std::move(e);
    return r;
  };
  auto text = [&](size_t b, size_t e) {
    return b >= e ? std::string() : std::string(sql.substr(t[b].offset, t[e - 1].end - t[b].offset));
  };
  // INSERT [LOW_PRIORITY|DELAYED|HIGH_PRIORITY] [IGNORE] [INTO] [db.]t [(cols)] ...
  size_t i = 1;
  bool ignore = false;
  while (t[i].is_word("LOW_PRIORITY") || t[i].is_word("DELAYED") || t[i].is_word("HIGH_PRIORITY") ||
         t[i].is_word("IGNORE")) {
    if (t[i].is_word("IGNORE")) ignore = true;
    ++i;
  }
  if (t[i].is_word("INTO")) ++i;
  std::string db = ctx_.current_db, name;
  if (!read_table_name(t, i, db, name)) return fail(syntax_error(sql, t[i].offset));
  if (db.empty()) return fail(make_sql_error(er::kNoDb));
  // As MySQL: INSERT on the columns inserted, UPDATE on those the UPDATE
  // part sets (the column authorizer checks them as it is prepared), SELECT
  // on those it reads -- each held on the table or on the column.
  std::optional<SqlError> table_denied = check_table_access(db, name, priv::kInsert | priv::kUpdate);
  uint32_t column_checks = 0;  // what only column privileges grant
  if (table_denied) {
    const Privileges& p = privileges();
    column_checks = (priv::kInsert | priv::kUpdate) & ~p.on_table(db, name);
    if (uint32_t uncovered = column_checks & ~p.column_bits(db, name))
      return fail(*check_table_access(db, name, uncovered));
  }
  auto may_read = [&](const std::string& column) {
    const Privileges& p = privileges();
    return (p.on_table(db, name) & priv::kSelect) || !(p.column_bits(db, name) & priv::kSelect) ||
           (p.on_column(db, name, column) & priv::kSelect);
  };
  auto table = catalog_.table(db, name);
  if (!table) {
    if (!catalog_.database_exists(db)) return fail(make_sql_error(er::kBadDb, {db}));
    return fail(make_sql_error(er::kNoSuchTable, {db + "." + name}));
  }
  const TableDef& def = table->def;
  std::vector<std::string> cols;
  if (t[i].is_op("(") && !t[i + 1].is_word("SELECT")) {
    ++i;
    while (t[i].is_name()) {
      cols.push_back(t[i++].text);
      if (!t[i].is_op(",")) break;
      ++i;
    }
    if (!t[i].is_op(")")) return fail(syntax_error(sql, t[i].offset));
    ++i;
  }
  // The rows to insert, as a statement of their own.
  std::string source;
  std::string alias;
  std::vector<std::string> column_aliases;
  if (t[i].is_word("VALUES") || t[i].is_word("VALUE")) {
    size_t k = i + 1;
    int depth = 0;
    for (; k < on; ++k) {
      if (t[k].is_op("(")) ++depth;
      if (t[k].is_op(")")) --depth;
      if (depth == 0 && t[k].is_word("AS")) break;
    }
    source = "VALUES " + text(i + 1, k);
    if (k < on) {  // VALUES (...) AS alias [(a, b, ...)]
      if (!t[k + 1].is_name()) return fail(syntax_error(sql, t[k + 1].offset));
      alias = t[k + 1].text;
      k += 2;
      if (t[k].is_op("(")) {
        ++k;
        while (t[k].is_name()) {
          column_aliases.push_back(t[k++].text);
          if (!t[k].is_op(",")) break;
          ++k;
        }
        if (!t[k].is_op(")")) return fail(syntax_error(sql, t[k].offset));
        ++k;
      }
      if (k != on) return fail(syntax_error(sql, t[k].offset));
    }
  } else if (t[i].is_word("SET")) {
    ++i;
    std::string exprs;
    while (i < on) {
      if (!t[i].is_name() || !t[i + 1].is_op("=")) return fail(syntax_error(sql, t[i].offset));
      cols.push_back(t[i].text);
      i += 2;
      size_t b = i;
      int depth = 0;
      while (i < on && !(depth == 0 && t[i].is_op(","))) {
        if (t[i].is_op("(")) ++depth;
        if (t[i].is_op(")")) --depth;
        ++i;
      }
      if (b == i) return fail(syntax_error(sql, t[i].offset));
      exprs += (exprs.empty() ? "" : ", ") + text(b, i);
      if (i < on) ++i;
    }
    if (cols.empty()) return fail(syntax_error(sql, t[i].offset));
    source = "VALUES (" + exprs + ")";  // a row, so DEFAULT may be a value
  } else if (t[i].is_word("SELECT") || t[i].is_op("(")) {
    source = text(i, on);
  } else {
    return fail(syntax_error(sql, t[i].offset));
  }
  if (column_checks & priv::kInsert) {
    // As MariaDB: without a column list, only the table-level privilege will do.
    if (cols.empty()) return fail(*check_table_access(db, name, priv::kInsert));
    for (const auto& c : cols)
      if (!(privileges().on_column(db, name, c) & priv::kInsert)) return fail(column_denied("INSERT", c, name));
  }
  if (cols.empty())
    for (const auto& c : def.columns) cols.push_back(c.name);
  for (auto& c : cols) {
    const ColumnMeta* m = def.column(c);
    if (!m) return fail(make_sql_error(er::kBadField, {c, "field list"}));
    c = m->name;
  }
  if (!column_aliases.empty() && column_aliases.size() != cols.size())
    return fail(SqlError{1136, "21S01", "Column count doesn't match value count at row 1"});
  auto source_of = [&](std::string_view column) -> int {
    for (size_t k = 0; k < cols.size(); ++k)
      if (iequals(cols[k], column)) return static_cast<int>(k);
    return -1;
  };

  // The UPDATE part: VALUES(col), alias.col and column aliases become ?.
  std::vector<AssignParam> assign_params;
  std::string assignments;
  {
    size_t from = t[on + 3].end;
    int depth = 0;
    bool lhs = true;  // the next name is an assignment's target column
    size_t k = on + 4;
    auto take = [&](size_t b, size_t e, const std::string& column) -> std::optional<SqlError> {
      AssignParam p;
      p.source = source_of(column);
      p.column = def.column(column);
      if (!p.column) return make_sql_error(er::kBadField, {column, "field list"});
      assign_params.push_back(p);
      assignments += std::string(sql.substr(from, t[b].offset - from)) + "?";
      from = t[e - 1].end;
      return std::nullopt;
    };
    for (; t[k].kind != K::kEnd; ++k) {
      const Token& tk = t[k];
      if (tk.is_op("(")) ++depth;
      if (tk.is_op(")")) --depth;
      if (depth == 0 && tk.is_op(",")) {
        lhs = true;
        continue;
      }
      if (lhs && tk.is_name()) {
        lhs = false;
        continue;
      }
      lhs = false;
      if (tk.is_word("VALUES") && t[k + 1].is_op("(") && t[k + 2].is_name() && t[k + 3].is_op(")")) {
        if (auto e = take(k, k + 4, t[k + 2].text)) return fail(*e);
        k += 3;
        continue;
      }
      if (!alias.empty() && tk.is_name() && iequals(tk.text, alias) && t[k + 1].is_op(".") && t[k + 2].is_name()) {
        std::string column = t[k + 2].text;
        if (!column_aliases.empty()) {
          size_t pos = column_aliases.size();
          for (size_t a = 0; a < column_aliases.size(); ++a)
            if (iequals(column_aliases[a], column)) pos = a;
          if (pos == column_aliases.size()) return fail(make_sql_error(er::kBadField, {alias + "." + column, "field list"}));
          column = cols[pos];
        }
        if (auto e = take(k, k + 3, column)) return fail(*e);
        k += 2;
        continue;
      }
      if (!column_aliases.empty() && tk.is_name() && !t[k + 1].is_op("(") && !t[k + 1].is_op(".") &&
          !(k > 0 && t[k - 1].is_op("."))) {
        bool alias_used = false;
        for (size_t a = 0; a < column_aliases.size() && !alias_used; ++a)
          if (iequals(column_aliases[a], tk.text)) {
            if (auto e = take(k, k + 1, cols[a])) return fail(*e);
            alias_used = true;
          }
        if (alias_used) continue;
      }
      // A column of the row as it is, read: SELECT on it.
      if (tk.is_name() && !t[k + 1].is_op("(") && !t[k + 1].is_op(".")) {
        if (const ColumnMeta* m = def.column(tk.text); m && !may_read(m->name))
          return fail(column_denied("SELECT", m->name, name));
      }
    }
    assignments += std::string(sql.substr(from, t[k].offset > from ? t[k].offset - from : 0));
  }

  UpsertState st;
  const std::string target = quote_ident(def.db) + "." + quote_ident(def.name);
  // The upsert's own INSERT and UPDATE statements read the target only to
  // find rows by key: privileges on it are checked above and by the
  // authorizer. What the rows come from needs SELECT.
  upsert_target_ = db + "/" + name;
  struct ClearTarget {
    std::string& s;
    ~ClearTarget() { s.clear(); }
  } clear_target{upsert_target_};
  auto prepare = [&](const std::string& mysql_text, sqlite3_stmt** out) -> std::optional<SqlError> {
    RewriteEnv env = rewrite_env();
    const bool source = out == &st.source;
    env.values_feed_insert = source;  // its rows go to st.insert
    Rewritten rw = rewrite_for_sqlite(tokenize(mysql_text).tokens, mysql_text, env);
    if (rw.error) return rw.error;
    for (const auto& ref : rw.tables)
      if (source || !(ref.db == db && ref.name == name))
        if (auto e = check_table_access(ref.db, ref.name, priv::kSelect)) return e;
    const std::string target = upsert_target_;
    if (source) upsert_target_.clear();  // a SELECT of the target as the source is checked as any
    auto e = prepare_sqlite(rw, sql, out);
    upsert_target_ = target;
    return e;
  };
  if (auto e = prepare(source, &st.source)) return fail(*e);
  if (static_cast<size_t>(sqlite3_column_count(st.source)) != cols.size())
    return fail(SqlError{1136, "21S01", "Column count doesn't match value count at row 1"});
  {
    std::string ins = std::string("INSERT ") + (ignore ? "IGNORE " : "") + "INTO " + target + " (";
    std::string marks;
    for (size_t k = 0; k < cols.size(); ++k) {
      ins += (k ? ", " : "") + quote_ident(cols[k]);
      marks += k ? ", ?" : "?";
    }
    if (auto e = prepare(ins + ") VALUES (" + marks + ")", &st.insert)) return fail(*e);
  }
  auto update_for = [&](const std::vector<uint32_t>& key_columns, sqlite3_stmt** out) -> std::optional<SqlError> {
    auto it = st.updates.find(key_columns);
    if (it != st.updates.end()) {
      *out = it->second;
      return std::nullopt;
    }
    std::string where;
    for (uint32_t c : key_columns)
      where += (where.empty() ? "" : " AND ") + quote_ident(def.columns[c].name) + " = ?";
    if (auto e = prepare("UPDATE " + target + " SET " + assignments + " WHERE " + where, out)) return e;
    st.updates[key_columns] = *out;
    return std::nullopt;
  };
  {
    // A mistake in the UPDATE part is an error even when no row clashes.
    sqlite3_stmt* check = nullptr;
    auto e = prepare("UPDATE " + target + " SET " + assignments + " WHERE 0", &check);
    sqlite3_finalize(check);
    if (e) return fail(*e);
  }
  const std::vector<std::string> insert_columns = cols;

  // One statement for the cluster: every row, then one commit (autocommit)
  // or one statement-level undo on failure.
  ctx_.begin_statement();
  if (!ctx_.autocommit) ctx_.in_transaction = true;
  const size_t mark = ctx_.tx ? ctx_.tx->buffered().size() : 0;
  int rc;
  while ((rc = sqlite3_step(st.source)) == SQLITE_ROW) {
    std::vector<sqlite3_value*> row;
    for (size_t k = 0; k < cols.size(); ++k) row.push_back(sqlite3_value_dup(sqlite3_column_value(st.source, static_cast<int>(k))));
    st.rows.push_back(std::move(row));
  }
  bool ok = rc == SQLITE_DONE;
  if (!ok) r.error = sqlite_error(sql);
  uint64_t affected = 0, duplicates = 0;
  for (size_t n = 0; ok && n < st.rows.size(); ++n) {
    if (ctx_.interrupted.load()) {
      r.error = make_sql_error(er::kQueryInterrupted);
      ok = false;
      break;
    }
    const auto& row = st.rows[n];
    for (size_t k = 0; k < row.size(); ++k) sqlite3_bind_value(st.insert, static_cast<int>(k + 1), row[k]);
    ctx_.stmt_lock = engine::LockMode::kCommitted;
    ctx_.insert_columns = &insert_columns;
    ctx_.upsert = true;
    ctx_.clash.reset();
    const uint64_t before = ctx_.affected;
    rc = sqlite3_step(st.insert);
    ctx_.upsert = false;
    ctx_.insert_columns = nullptr;
    sqlite3_reset(st.insert);
    if (rc != SQLITE_DONE) {
      r.error = sqlite_error(sql);
      ok = false;
      break;
    }
    if (!ctx_.clash) {
      affected += ctx_.affected - before;
      continue;
    }
    ExecContext::Clash clash = std::move(*ctx_.clash);
    ctx_.clash.reset();
    sqlite3_stmt* up = nullptr;
    if (auto e = update_for(clash.columns, &up)) {
      r.error = *e;
      ok = false;
      break;
    }
    int idx = 1;
    for (const auto& p : assign_params) {
      if (p.source >= 0) {
        sqlite3_bind_value(up, idx++, row[static_cast<size_t>(p.source)]);
      } else {
        SqlInput in;
        if (p.column->default_value) {
          in.kind = SqlInput::Kind::kText;
          in.s = *p.column->default_value;
        }
        bind_input(up, idx++, in);
      }
    }
    for (size_t k = 0; k < clash.columns.size(); ++k)
      bind_input(up, idx++, from_stored(def.columns[clash.columns[k]], clash.values[k]));
    ctx_.stmt_lock = engine::LockMode::kExclusive;
    const uint64_t changed = ctx_.changed;
    rc = sqlite3_step(up);
    sqlite3_reset(up);
    sqlite3_clear_bindings(up);
    if (rc != SQLITE_DONE) {
      r.error = sqlite_error(sql);
      ok = false;
      break;
    }
    ++duplicates;
    if (ctx_.changed > changed) affected += 2;
    else if (ctx_.found_rows) affected += 1;
  }
  end_statement(ok, mark, r);
  last_warnings_ = ctx_.warnings;
  r.warning_count = static_cast<uint16_t>(std::min<size_t>(ctx_.warnings.size(), 65535));
  if (r.error) return r;
  r.affected_rows = affected;
  if (st.rows.size() > 1)
    r.info = "Records: " + std::to_string(st.rows.size()) + "  Duplicates: " + std::to_string(duplicates) +
             "  Warnings: " + std::to_string(ctx_.warnings.size());
  if (ctx_.first_insert_id) last_insert_id_ = ctx_.first_insert_id;
  r.last_insert_id = ctx_.first_insert_id;
  if (ctx_.explicit_insert_id) r.last_insert_id = last_insert_id_ = *ctx_.explicit_insert_id;
  return r;
}

}  // namespace halb::cluster::sqld
