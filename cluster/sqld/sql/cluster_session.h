// cluster/sqld/sql/cluster_session.h: one client connection's SQL session on
// the cluster: statement dispatch (session statements handled here, queries
// through a private SQLite handle over the cluster's tables), transactions
// with MySQL's implicit-commit rules, and prepared statements that keep
// their sqlite3_stmt.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/sqld/sql/catalog.h"
#include "cluster/sqld/sql/cluster_engine.h"
#include "cluster/sqld/sql/exec_context.h"
#include "cluster/sqld/sql/point_select.h"
#include "cluster/sqld/sql/privileges.h"
#include "cluster/sqld/sql/rewrite.h"
#include "cluster/sqld/sql/session.h"
#include "cluster/sqld/sql/sqlite_tables.h"
#include "cluster/sqld/sql/statement_cache.h"
#include "cluster/sqld/sql/system_vars.h"
#include "cluster/sqld/sql/tokenizer.h"

namespace halb::cluster::sqld {

// What every session of one engine shares.
struct EngineShared {
  EngineOptions options;
  log::Logger* logger = nullptr;
  std::vector<std::unique_ptr<api::Connection>> connections;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<GlobalVars> globals;
  std::atomic<ConnectionRegistry*> registry{nullptr};
  std::atomic<uint32_t> next_id{1};
  std::atomic<uint64_t> sessions_opened{0};
  uint32_t node_id = 0;
};

class ClusterSession final : public Session, public SessionInfo {
 public:
  ClusterSession(EngineShared& shared, const ClientInfo& client, size_t slot);
  ~ClusterSession() override;

  // Session
  std::vector<StatementResult> query(std::string_view sql, bool multi_statements) override;
  StatementResult init_db(std::string_view database) override;
  StatementResult field_list(std::string_view table, std::string_view wildcard) override;
  PrepareResult prepare(std::string_view sql) override;
  StatementResult execute(uint32_t statement_id, const std::vector<Value>& params) override;
  void close_statement(uint32_t statement_id) override;
  void reset() override;
  void close() override;
  uint16_t status_flags() const override;
  std::string current_database() const override;
  std::string current_statement() const override;
  void interrupt() override;

  // SessionInfo (SQL functions)
  std::string database() const override { return ctx_.current_db; }
  std::string user() const override { return client_.user + "@" + client_.host; }
  uint32_t connection_id() const override { return client_.connection_id; }
  uint64_t last_insert_id() const override { return last_insert_id_; }
  uint64_t found_rows() const override { return found_rows_; }

  bool ok() const { return db_ != nullptr; }

 private:
  struct Prepared {
    std::string sql;
    std::vector<Token> tokens;
    sqlite3_stmt* stmt = nullptr;  // DML/SELECT
    Rewritten rewritten;
    std::vector<ColumnDef> columns;
    uint16_t params = 0;
    bool text_replay = false;  // BEGIN/COMMIT/SET...: run as a query
    bool upsert = false;       // ON DUPLICATE KEY UPDATE: run as text, parameters inlined
    std::optional<PointSelect> fast;  // a primary-key point read (point_select.h)
  };

  PrepareResult prepare_statement(std::string_view sql);
  StatementResult execute_statement(uint32_t statement_id, const std::vector<Value>& params);
  StatementResult run_statement(const std::vector<Token>& tokens, std::string_view sql);
  StatementResult run_sql(const std::vector<Token>& tokens, std::string_view sql);
  // Steps `stmt` (bound) and builds the result; `columns` when known (PS).
  StatementResult run_prepared(sqlite3_stmt* stmt, const Rewritten& r, std::string_view sql,
                               const std::vector<ColumnDef>* columns);
  // Makes sure the virtual tables `tables` exist and match the catalog.
  std::optional<SqlError> ensure_tables(const std::vector<TableRef>& tables);
  std::optional<SqlError> prepare_sqlite(const Rewritten& r, std::string_view sql, sqlite3_stmt** out);
  SqlError sqlite_error(std::string_view sql);
  std::vector<ColumnDef> describe(sqlite3_stmt* stmt, const std::vector<TableRef>& tables, bool after_step);
  RewriteEnv rewrite_env();
  // The primary-key point read without SQLite (point_select_run.cc):
  // nullopt when the statement must go through SQLite after all.
  // `columns`: the prepared statement's result columns, else made here.
  std::optional<StatementResult> run_point_select(const PointSelect& ps, const std::vector<Value>& params,
                                                  const std::vector<ColumnDef>* columns);
  // Drops every cached text-query plan (DDL, USE, catalog change).
  void forget_statements();

  // transactions
  void implicit_commit(StatementResult* into);
  StatementResult do_begin();
  StatementResult do_commit();
  StatementResult do_rollback();
  void end_statement(bool ok, size_t mark, StatementResult& r);

  // session statements (session_admin.cc)
  StatementResult do_set(const std::vector<Token>& t, std::string_view sql);
  StatementResult do_show(const std::vector<Token>& t, std::string_view sql);
  // do_show's rows before a WHERE condition, which starts at t[where] (0: none).
  StatementResult show_rows(const std::vector<Token>& t, std::string_view sql, size_t& where);
  void filter_rows(StatementResult& r, const std::vector<Token>& t, size_t where, std::string_view sql);
  StatementResult do_use(const std::vector<Token>& t, std::string_view sql);
  StatementResult do_kill(const std::vector<Token>& t, std::string_view sql);
  StatementResult do_create(const std::vector<Token>& t, std::string_view sql);
  StatementResult do_drop(const std::vector<Token>& t, std::string_view sql);
  StatementResult do_truncate(const std::vector<Token>& t, std::string_view sql);
  StatementResult do_alter(const std::vector<Token>& t, std::string_view sql);
  StatementResult alter_user(const std::vector<Token>& t, std::string_view sql);
  StatementResult table_maintenance(const std::vector<Token>& t, std::string_view sql);
  StatementResult do_grant(const std::vector<Token>& t, std::string_view sql, bool revoke);
  StatementResult do_describe(const std::vector<Token>& t, std::string_view sql);
  StatementResult show_columns(const std::string& db, const std::string& table, bool full, const std::string& like);
  StatementResult show_index(const std::string& db, const std::string& table);
  // Evaluates a scalar expression (tokens [b, e)) with SQLite.
  std::optional<std::string> eval_scalar(const std::vector<Token>& t, size_t b, size_t e, std::string_view sql,
                                         SqlError& error, bool& is_null);
  std::optional<std::string> sysvar_literal(const std::string& raw);
  std::optional<SystemVar> sysvar(const std::string& raw);
  std::string warnings_note();

  // INSERT ... ON DUPLICATE KEY UPDATE (upsert.cc); `on` is where ON is.
  StatementResult run_upsert(const std::vector<Token>& t, std::string_view sql, size_t on);
  // SAVEPOINT / ROLLBACK TO / RELEASE SAVEPOINT (savepoints.cc)
  StatementResult do_savepoint(const std::vector<Token>& t, std::string_view sql);
  // CREATE TABLE t LIKE src: p.def takes src's columns, indexes and
  // comment (not its rows or AUTO_INCREMENT counter); SELECT on src needed.
  std::optional<SqlError> copy_definition(ParsedCreateTable& p);
  // DROP INDEX name ON t / ALTER TABLE t DROP INDEX (session_admin.cc)
  StatementResult drop_index(const std::string& db, const std::string& table, const std::string& index);

  // privileges (access.cc): nullopt when allowed, else MySQL's error
  const Privileges& privileges();
  std::optional<SqlError> check_table_access(const std::string& db, const std::string& table, uint32_t need);
  std::optional<SqlError> check_database_access(const std::string& db, uint32_t need);
  std::optional<SqlError> check_global_access(uint32_t need, const char* names);
  // SELECT/INSERT/UPDATE/DELETE/REPLACE on the tables of `rw` (the first is the target)
  std::optional<SqlError> check_dml_access(const std::string& verb, const Rewritten& rw);
  bool can_use_database(const std::string& db);
  // SHOW COLUMNS/INDEX/CREATE TABLE: any privilege on the table, else 1142
  std::optional<SqlError> check_table_visible(const std::string& db, const std::string& table);
  // SQLite authorizer for accounts with column privileges: 1143 for a column read or set without them
  SqlError column_denied(const char* what, const std::string& column, const std::string& table);
  static int authorize_columns(void* self, int action, const char* table, const char* column, const char*, const char*);
  std::optional<SqlError> grant_access_error(const GrantTarget& on);

  EngineShared& shared_;
  ClientInfo client_;
  Catalog& catalog_;
  ExecContext ctx_;
  sqlite3* db_ = nullptr;
  std::map<std::string, std::shared_ptr<const CatalogTable>> vtabs_;  // "db/t" -> what it was made from
  std::map<std::string, SystemVar> session_vars_;
  std::map<std::string, std::string> user_vars_;  // values as SQL literals
  std::vector<Warning> last_warnings_;
  uint64_t last_insert_id_ = 0;
  uint64_t found_rows_ = 0;
  std::map<uint32_t, Prepared> prepared_;
  StatementCache statements_;     // text queries' SQLite statements
  uint64_t statements_version_ = 0;  // the catalog version they were made under
  uint64_t statements_generation_ = 0;  // counts forget_statements()
  bool fast_path_ = true;         // --sql-fast-path
  uint64_t fast_path_selects_ = 0;  // SHOW STATUS Halb_fast_path_selects
  uint32_t next_statement_id_ = 1;
  mutable std::mutex statement_mu_;
  std::string statement_;
  Privileges privileges_;
  bool column_authorizer_ = false;
  uint64_t privileges_version_ = ~uint64_t{0};
  // "db/t" while an upsert runs its own statements on it: reads of its
  // columns there are its key lookups, checked by run_upsert itself.
  std::string upsert_target_;
};

// Column definition helpers shared with SHOW.
ColumnDef text_column(const std::string& name, uint32_t length = 256);
ColumnDef int_column(const std::string& name, uint32_t length = 21);
// A table column in a result set, named `name`.
ColumnDef table_column_def(const CatalogTable& t, const ColumnMeta& meta, const std::string& name);

}  // namespace halb::cluster::sqld
