// cluster/sqld/sql/access.cc: privilege checks for the session's account.
//
// The account's privileges come from the catalog and are cached per catalog
// version, so a statement pays nothing while no GRANT/REVOKE happened. A
// check that fails asks the cluster for the catalog version (reloading when
// it moved) and looks again: a GRANT made
// on another SQL node a moment ago counts at once; a REVOKE there counts
// once the catalog refresher (or FLUSH PRIVILEGES here) has seen it.
#include <algorithm>

#include "cluster/sqld/sql/cluster_session.h"
#include "cluster/sqld/sql/errors.h"

namespace halb::cluster::sqld {

namespace {

bool is_information_schema(const std::string& db) {
  return iequals(db, "information_schema") || iequals(db, "performance_schema");
}

uint32_t lowest_bit(uint32_t m) { return m & (~m + 1); }

}  // namespace

const Privileges& ClusterSession::privileges() {
  uint64_t v = catalog_.version();
  if (v != privileges_version_) {
    privileges_ = Privileges{};
    for (const auto& a : catalog_.accounts())
      if (a.account.user == client_.user && a.account.host_pattern == client_.account_host)
        privileges_ = Privileges::from_grants(a.grants);
    privileges_version_ = v;
    // Column privileges are checked column by column as SQLite prepares a
    // statement; other accounts pay nothing for it. Setting the authorizer
    // also marks the session's prepared statements for a new prepare, so
    // they are checked again under the changed privileges.
    const bool columns = privileges_.has_column_grants();
    if (columns || column_authorizer_) {
      sqlite3_set_authorizer(db_, columns ? &ClusterSession::authorize_columns : nullptr, this);
      column_authorizer_ = columns;
    }
  }
  return privileges_;
}

std::optional<SqlError> ClusterSession::check_table_access(const std::string& db, const std::string& table,
                                                           uint32_t need) {
  if (is_information_schema(db)) return check_database_access(db, need);
  auto missing = [&] { return need & ~privileges().on_table(db, table); };
  if (!missing()) return std::nullopt;
  catalog_.sync();
  privileges_version_ = ~uint64_t{0};
  uint32_t m = missing();
  if (!m) return std::nullopt;
  return SqlError{1142, "42000",
                  priv::name(lowest_bit(m)) + " command denied to user '" + client_.user + "'@'" + client_.host +
                      "' for table '" + table + "'"};
}

std::optional<SqlError> ClusterSession::check_database_access(const std::string& db, uint32_t need) {
  if (is_information_schema(db)) {
    // Read-only for every account, root included, as in MySQL: creating,
    // altering or dropping anything there is refused whatever is granted.
    if (!(need & ~priv::kSelect)) return std::nullopt;
    return make_sql_error(er::kDbAccessDenied, {client_.user, client_.host, to_lower(db)});
  }
  auto missing = [&] { return need & ~privileges().on_database(db); };
  if (!missing()) return std::nullopt;
  catalog_.sync();
  privileges_version_ = ~uint64_t{0};
  if (!missing()) return std::nullopt;
  return make_sql_error(er::kDbAccessDenied, {client_.user, client_.host, db});
}

std::optional<SqlError> ClusterSession::check_global_access(uint32_t need, const char* names) {
  auto missing = [&] { return need & ~privileges().global(); };
  if (!missing()) return std::nullopt;
  catalog_.sync();
  privileges_version_ = ~uint64_t{0};
  if (!missing()) return std::nullopt;
  return SqlError{1227, "42000",
                  std::string("Access denied; you need (at least one of) the ") + names +
                      " privilege(s) for this operation"};
}

std::optional<SqlError> ClusterSession::check_dml_access(const std::string& verb, const Rewritten& rw) {
  // information_schema is read-only for every account, root included.
  if (verb != "SELECT" && !rw.tables.empty() && is_information_schema(rw.tables[0].db))
    return make_sql_error(er::kDbAccessDenied, {client_.user, client_.host, rw.tables[0].db});
  // The usual case first: every needed privilege held globally.
  const uint32_t global = privileges().global();
  uint32_t target_need = priv::kSelect;
  if (verb == "INSERT") target_need = priv::kInsert;
  else if (verb == "REPLACE") target_need = priv::kInsert | priv::kDelete;
  else if (verb == "UPDATE") target_need = priv::kUpdate;
  else if (verb == "DELETE") target_need = priv::kDelete;
  if ((global & (target_need | priv::kSelect)) == (target_need | priv::kSelect)) return std::nullopt;
  for (size_t i = 0; i < rw.tables.size(); ++i) {
    const auto& ref = rw.tables[i];
    // The target is the first table named; a table read elsewhere in the
    // statement (a join, a subquery, INSERT ... SELECT) needs SELECT.
    uint32_t need = i == 0 ? target_need : priv::kSelect;
    if (i > 0 && ref.db == rw.tables[0].db && iequals(ref.name, rw.tables[0].name)) need = priv::kSelect;
    auto e = check_table_access(ref.db, ref.name, need);
    if (!e) continue;
    // Privileges on some columns only: the columns the statement names
    // decide, INSERT's list here, the columns read or set by
    // authorize_columns as SQLite prepares the statement.
    const Privileges& p = privileges();
    const uint32_t missing = need & ~p.on_table(ref.db, ref.name);
    if (missing & ~p.column_bits(ref.db, ref.name)) return e;
    // As MariaDB: `*` and an INSERT without a column list need the table-level privilege.
    if ((missing & priv::kInsert) && rw.insert_columns.empty()) return e;
    if (missing & priv::kSelect)
      for (const auto& item : rw.select_items)
        if (item.is_star) return e;
    if (missing & priv::kInsert)
      for (const auto& c : rw.insert_columns)
        if (!(p.on_column(ref.db, ref.name, c) & priv::kInsert)) return column_denied("INSERT", c, ref.name);
  }
  return std::nullopt;
}

SqlError ClusterSession::column_denied(const char* what, const std::string& column, const std::string& table) {
  return SqlError{1143, "42000",
                  std::string(what) + " command denied to user '" + client_.user + "'@'" + client_.host +
                      "' for column '" + column + "' in table '" + table + "'"};
}

int ClusterSession::authorize_columns(void* self, int action, const char* table, const char* column, const char*,
                                      const char*) {
  if ((action != SQLITE_READ && action != SQLITE_UPDATE) || !table || !column || !*column) return SQLITE_OK;
  auto* s = static_cast<ClusterSession*>(self);
  std::string_view vt(table);
  size_t slash = vt.find('/');
  if (slash == std::string_view::npos) return SQLITE_OK;
  const std::string db(vt.substr(0, slash)), name(vt.substr(slash + 1));
  if (is_information_schema(db)) return SQLITE_OK;
  if (action == SQLITE_READ && vt == s->upsert_target_) return SQLITE_OK;
  const Privileges& p = s->privileges_;
  const uint32_t need = action == SQLITE_READ ? priv::kSelect : priv::kUpdate;
  // Without column privileges of that kind on the table, check_dml_access
  // has decided at the table level.
  if ((p.on_table(db, name) & need) || !(p.column_bits(db, name) & need)) return SQLITE_OK;
  if (p.on_column(db, name, column) & need) return SQLITE_OK;
  s->ctx_.error = s->column_denied(action == SQLITE_READ ? "SELECT" : "UPDATE", column, name);
  return SQLITE_DENY;
}

bool ClusterSession::can_use_database(const std::string& db) {
  if (is_information_schema(db)) return true;
  if (privileges().any_on_database(db)) return true;
  catalog_.sync();
  privileges_version_ = ~uint64_t{0};
  return privileges().any_on_database(db);
}

std::optional<SqlError> ClusterSession::check_table_visible(const std::string& db, const std::string& table) {
  if (is_information_schema(db) || privileges().any_on_table(db, table)) return std::nullopt;
  catalog_.sync();
  privileges_version_ = ~uint64_t{0};
  if (privileges().any_on_table(db, table)) return std::nullopt;
  return SqlError{1142, "42000",
                  "SELECT command denied to user '" + client_.user + "'@'" + client_.host + "' for table '" + table +
                      "'"};
}

std::optional<SqlError> ClusterSession::grant_access_error(const GrantTarget& on) {
  // GRANT/REVOKE need GRANT OPTION at the target's level or above.
  if (on.global()) {
    if (privileges().global() & priv::kGrantOption) return std::nullopt;
    catalog_.sync();
    privileges_version_ = ~uint64_t{0};
    if (privileges().global() & priv::kGrantOption) return std::nullopt;
    return make_sql_error(er::kAccessDenied, {client_.user, client_.host, "YES"});
  }
  if (on.database_level()) return check_database_access(on.db, priv::kGrantOption);
  return check_table_access(on.db, on.table, priv::kGrantOption);
}

}  // namespace halb::cluster::sqld
