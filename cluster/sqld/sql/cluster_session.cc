// cluster/sqld/sql/cluster_session.cc: statement dispatch, queries through
// SQLite, transactions and prepared statements (see cluster_session.h).
#include "cluster/sqld/sql/cluster_session.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "cluster/sqld/sql/errors.h"
#include "cluster/sqld/sql/information_schema.h"
#include "cluster/sqld/sql/point_select.h"
#include "cluster/sqld/sql/upsert.h"
#include "cluster/sqld/sql/value_codec.h"

namespace halb::cluster::sqld {

ColumnDef text_column(const std::string& name, uint32_t length) {
  ColumnDef c;
  c.name = c.org_name = name;
  c.charset = kCharsetUtf8mb4;
  c.length = length * 4;
  c.type = FieldType::kVarString;
  return c;
}

ColumnDef int_column(const std::string& name, uint32_t length) {
  ColumnDef c;
  c.name = c.org_name = name;
  c.charset = kCharsetBinary;
  c.length = length;
  c.type = FieldType::kLongLong;
  c.flags = column_flag::kNotNull | column_flag::kBinary | column_flag::kNum;
  return c;
}

ColumnDef table_column_def(const CatalogTable& t, const ColumnMeta& meta, const std::string& name) {
  ColumnDef c;
  c.schema = t.def.db;
  c.table = c.org_table = t.def.name;
  c.name = name;
  c.org_name = meta.name;
  bool text = meta.is_string();
  c.charset = text ? kCharsetUtf8mb4 : kCharsetBinary;
  c.length = meta.display_length();
  c.type = meta.field_type();
  if (!meta.nullable) c.flags |= column_flag::kNotNull;
  const IndexMeta* pk = t.def.primary();
  if (pk && std::find(pk->columns.begin(), pk->columns.end(), meta.name) != pk->columns.end())
    c.flags |= column_flag::kPriKey;
  for (auto& ix : t.def.indexes) {
    if (ix.primary || ix.columns.empty() || ix.columns[0] != meta.name) continue;
    c.flags |= ix.unique && ix.columns.size() == 1 ? column_flag::kUniqueKey : column_flag::kMultipleKey;
  }
  if (meta.is_unsigned) c.flags |= column_flag::kUnsigned;
  if (meta.auto_increment) c.flags |= column_flag::kAutoIncrement;
  if (!text) c.flags |= column_flag::kBinary;
  if (meta.is_binary() || meta.base.find("text") != std::string::npos) c.flags |= column_flag::kBlob;
  if (meta.is_integer() || meta.base == "float" || meta.base == "double" || meta.base == "decimal")
    c.flags |= column_flag::kNum;
  if (!meta.default_value && !meta.nullable && !meta.auto_increment && !meta.default_now)
    c.flags |= column_flag::kNoDefaultValue;
  c.decimals = meta.base == "decimal" ? meta.scale : (meta.base == "float" || meta.base == "double") ? 31 : 0;
  return c;
}

namespace {

bool is_integer_type(FieldType t) {
  return t == FieldType::kTiny || t == FieldType::kShort || t == FieldType::kLong || t == FieldType::kLongLong ||
         t == FieldType::kInt24 || t == FieldType::kYear || t == FieldType::kBit;
}

// One SQLite column value as the wire Value for column type `c`.
Value value_for(sqlite3_stmt* s, int i, const ColumnDef& c) {
  int type = sqlite3_column_type(s, i);
  if (type == SQLITE_NULL) return std::monostate{};
  if (is_integer_type(c.type)) {
    if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
      if (c.flags & column_flag::kUnsigned) return static_cast<uint64_t>(sqlite3_column_int64(s, i));
      return static_cast<int64_t>(type == SQLITE_FLOAT ? std::llround(sqlite3_column_double(s, i))
                                                       : sqlite3_column_int64(s, i));
    }
    return static_cast<int64_t>(std::strtoll(reinterpret_cast<const char*>(sqlite3_column_text(s, i)), nullptr, 10));
  }
  if (c.type == FieldType::kDouble || c.type == FieldType::kFloat) return sqlite3_column_double(s, i);
  if (c.type == FieldType::kNewDecimal || c.type == FieldType::kDecimal) {
    if (type == SQLITE_INTEGER && c.decimals == 0) return std::to_string(sqlite3_column_int64(s, i));
    if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) return fixed_text(sqlite3_column_double(s, i), c.decimals);
  }
  if (c.type == FieldType::kNull) return std::monostate{};
  if (type == SQLITE_INTEGER) return std::to_string(sqlite3_column_int64(s, i));
  if (type == SQLITE_FLOAT) return double_text(sqlite3_column_double(s, i));
  const void* p = type == SQLITE_BLOB ? sqlite3_column_blob(s, i) : static_cast<const void*>(sqlite3_column_text(s, i));
  int n = sqlite3_column_bytes(s, i);
  return std::string(static_cast<const char*>(p), static_cast<size_t>(n));
}

// The type of a select-list expression, from its text (and its first
// value when there is one): what MySQL would report.
ColumnDef expression_column(const std::string& name, int first_type, const std::optional<SystemVar>& var) {
  ColumnDef c;
  c.name = name;
  std::string u = to_upper(name);
  auto starts = [&](const char* p) { return u.rfind(p, 0) == 0; };
  auto numeric_literal = [&](bool& decimal, int& scale) {
    size_t i = (u[0] == '-' || u[0] == '+') ? 1 : 0;
    if (i >= u.size()) return false;
    bool dot = false, digits = false;
    for (; i < u.size(); ++i) {
      if (std::isdigit(static_cast<unsigned char>(u[i]))) {
        digits = true;
        if (dot) ++scale;
      } else if (u[i] == '.' && !dot) {
        dot = true;
      } else {
        return false;
      }
    }
    decimal = dot;
    return digits;
  };
  bool decimal = false;
  int scale = 0;
  c.charset = kCharsetBinary;
  if (starts("COUNT(")) {
    c.type = FieldType::kLongLong;
    c.length = 21;
    c.flags = column_flag::kNotNull | column_flag::kBinary | column_flag::kNum;
  } else if (starts("SUM(") || starts("AVG(")) {
    c.type = FieldType::kNewDecimal;
    c.length = 33;
    c.decimals = starts("AVG(") ? 4 : 0;
    c.flags = column_flag::kBinary | column_flag::kNum;
  } else if (starts("CONNECTION_ID(")) {
    c.type = FieldType::kLongLong;
    c.length = 10;
    c.flags = column_flag::kNotNull | column_flag::kBinary | column_flag::kUnsigned | column_flag::kNum;
  } else if (starts("LAST_INSERT_ID(") || starts("FOUND_ROWS(") || starts("UNIX_TIMESTAMP(")) {
    c.type = FieldType::kLongLong;
    c.length = 21;
    c.flags = column_flag::kNotNull | column_flag::kBinary | column_flag::kUnsigned | column_flag::kNum;
  } else if (starts("NOW(") || starts("SYSDATE(") || u == "CURRENT_TIMESTAMP" || starts("CURRENT_TIMESTAMP(") ||
             u == "LOCALTIMESTAMP") {
    c.type = FieldType::kDatetime;
    c.length = 19;
    c.flags = column_flag::kNotNull | column_flag::kBinary;
  } else if (starts("CURDATE(") || u == "CURRENT_DATE") {
    c.type = FieldType::kDate;
    c.length = 10;
    c.flags = column_flag::kNotNull | column_flag::kBinary;
  } else if (u == "NULL") {
    c.type = FieldType::kNull;
    c.flags = column_flag::kBinary;
  } else if (numeric_literal(decimal, scale)) {
    c.type = decimal ? FieldType::kNewDecimal : FieldType::kLongLong;
    c.length = static_cast<uint32_t>(u.size());
    c.decimals = static_cast<uint8_t>(scale);
    c.flags = column_flag::kNotNull | column_flag::kBinary | column_flag::kNum;
  } else if (starts("@@") && var) {
    if (var->numeric) {
      c.type = FieldType::kLongLong;
      c.length = 21;
      c.flags = column_flag::kBinary | column_flag::kNum;
    } else {
      c.type = FieldType::kVarString;
      c.charset = kCharsetUtf8mb4;
      c.length = static_cast<uint32_t>(std::max<size_t>(var->value.size(), 1) * 4);
    }
  } else if (first_type == SQLITE_INTEGER) {
    c.type = FieldType::kLongLong;
    c.length = 21;
    c.flags = column_flag::kBinary | column_flag::kNum;
  } else if (first_type == SQLITE_FLOAT) {
    c.type = FieldType::kDouble;
    c.length = 22;
    c.decimals = 31;
    c.flags = column_flag::kBinary | column_flag::kNum;
  } else if (first_type == SQLITE_BLOB) {
    c.type = FieldType::kBlob;
    c.length = 65535;
    c.flags = column_flag::kBinary | column_flag::kBlob;
  } else {
    c.type = FieldType::kVarString;
    c.charset = kCharsetUtf8mb4;
    c.length = 1024;
    c.decimals = 39;
  }
  return c;
}

std::string first_word(const std::vector<Token>& t) { return t.empty() ? "" : to_upper(t[0].text); }

// FLUSH [NO_WRITE_TO_BINLOG | LOCAL] option [, option]...: the options
// MySQL has. Each makes halb-sqld re-read the catalog; none has more to do
// here (no logs, caches or host cache of its own).
std::optional<SqlError> flush_options(const std::vector<Token>& t, std::string_view sql) {
  size_t i = 1;
  if (t[i].is_word("NO_WRITE_TO_BINLOG") || t[i].is_word("LOCAL")) ++i;
  for (;;) {
    const Token& o = t[i];
    if (o.is_word("TABLES") || o.is_word("TABLE")) {
      ++i;
      while (t[i].is_name() && !t[i].is_word("WITH") && !t[i].is_word("FOR")) {
        ++i;
        if (t[i].is_op(".") && t[i + 1].is_name()) i += 2;
        if (!t[i].is_op(",")) break;
        ++i;
      }
      if (t[i].is_word("WITH") && t[i + 1].is_word("READ") && t[i + 2].is_word("LOCK")) i += 3;
      else if (t[i].is_word("FOR") && t[i + 1].is_word("EXPORT")) i += 2;
    } else if (o.is_word("PRIVILEGES") || o.is_word("STATUS") || o.is_word("HOSTS") || o.is_word("LOGS") ||
               o.is_word("USER_RESOURCES") || o.is_word("OPTIMIZER_COSTS") || o.is_word("DES_KEY_FILE")) {
      ++i;
    } else if ((o.is_word("BINARY") || o.is_word("ENGINE") || o.is_word("ERROR") || o.is_word("GENERAL") ||
                o.is_word("RELAY") || o.is_word("SLOW")) && t[i + 1].is_word("LOGS")) {
      i += 2;
    } else if (o.is_word("QUERY") && t[i + 1].is_word("CACHE")) {
      i += 2;
    } else {
      return syntax_error(sql, o.offset);
    }
    if (!t[i].is_op(",")) break;
    ++i;
  }
  return unexpected_rest(t, i, sql);
}

}  // namespace

ClusterSession::ClusterSession(EngineShared& shared, const ClientInfo& client, size_t slot)
    : shared_(shared),
      client_(client),
      catalog_(*shared.catalog),
      ctx_(*shared.catalog, *shared.connections[slot % shared.connections.size()]),
      statements_(shared.options.statement_cache) {
  ctx_.connection_id = client.connection_id;
  ctx_.current_db = client.database;
  ctx_.found_rows = (client.client_flags & 0x2) != 0;  // CLIENT_FOUND_ROWS
  fast_path_ = shared.options.sql_fast_path;
  if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
    return;
  }
  std::string error;
  if (!register_cluster_tables(db_, ctx_, *this, error)) {
    if (shared_.logger) shared_.logger->error("cannot set up SQLite for a session: " + error);
    sqlite3_close(db_);
    db_ = nullptr;
  }
}

ClusterSession::~ClusterSession() {
  close();
  for (auto& [id, p] : prepared_)
    if (p.stmt) sqlite3_finalize(p.stmt);
  prepared_.clear();
  statements_.clear();
  if (db_) sqlite3_close_v2(db_);
}

uint16_t ClusterSession::status_flags() const {
  uint16_t f = 0;
  if (ctx_.autocommit) f |= server_status::kAutocommit;
  if (ctx_.in_transaction) f |= server_status::kInTrans;
  return f;
}

std::string ClusterSession::current_database() const { return ctx_.current_db; }

std::string ClusterSession::current_statement() const {
  std::lock_guard<std::mutex> lk(statement_mu_);
  return statement_;
}

void ClusterSession::interrupt() {
  ctx_.interrupted = true;
  if (db_) sqlite3_interrupt(db_);
}

void ClusterSession::close() {
  if (ctx_.in_transaction || ctx_.tx) ctx_.rollback();
  ctx_.in_transaction = false;
}

void ClusterSession::reset() {
  ctx_.rollback();
  ctx_.in_transaction = false;
  ctx_.autocommit = true;
  for (auto& [id, p] : prepared_)
    if (p.stmt) sqlite3_finalize(p.stmt);
  prepared_.clear();
  forget_statements();
  session_vars_.clear();
  user_vars_.clear();
  last_warnings_.clear();
  last_insert_id_ = 0;
}

// ---- dispatch -----------------------------------------------------------------

std::vector<StatementResult> ClusterSession::query(std::string_view sql, bool multi_statements) {
  std::vector<StatementResult> out;
  auto error = [&](SqlError e) {
    StatementResult r;
    r.error = std::move(e);
    out.push_back(std::move(r));
    return out;
  };
  if (!db_) return error(SqlError{er::kUnknown, "HY000", "the session has no SQL engine"});
  TokenizeResult tr = tokenize(sql);
  if (!tr.error.empty()) return error(syntax_error(sql, tr.error_offset));
  auto statements = split_statements(tr.tokens, sql);
  if (statements.empty()) return error(make_sql_error(er::kEmptyQuery));
  if (!multi_statements && statements.size() > 1) return error(syntax_error(sql, statements[1].begin));
  for (auto& st : statements) {
    std::string_view text = sql.substr(st.begin, st.end - st.begin);
    {
      std::lock_guard<std::mutex> lk(statement_mu_);
      statement_ = std::string(text);
    }
    ctx_.interrupted = false;
    // Tokens again for the statement alone: offsets relative to `text`.
    StatementResult r;
    try {
      r = run_statement(tokenize(text).tokens, text);
    } catch (const std::exception& e) {
      // Never let one statement take the daemon down.
      if (shared_.logger) shared_.logger->error("statement failed internally: " + std::string(e.what()));
      ctx_.rollback();
      ctx_.in_transaction = false;
      r = StatementResult{};
      r.error = SqlError{er::kUnknown, "HY000", std::string("internal error: ") + e.what()};
    }
    bool failed = r.error.has_value();
    out.push_back(std::move(r));
    if (failed) break;
  }
  {
    std::lock_guard<std::mutex> lk(statement_mu_);
    statement_.clear();
  }
  return out;
}

StatementResult ClusterSession::run_statement(const std::vector<Token>& tokens, std::string_view sql) {
  // The statement parsers look a few tokens ahead: pad with end tokens so
  // a short (malformed) statement never indexes past the vector.
  std::vector<Token> t = tokens;
  t.resize(t.size() + 8, t.empty() ? Token{} : t.back());
  std::string w = first_word(t);
  StatementResult r;
  auto ok = [] { return StatementResult{}; };
  // Plans name the virtual tables they were made for: anything that may
  // change a table or the current database starts over.
  if (w == "CREATE" || w == "DROP" || w == "TRUNCATE" || w == "ALTER" || w == "RENAME" || w == "USE" ||
      w == "FLUSH")
    forget_statements();
  if (w == "SELECT" || w == "INSERT" || w == "UPDATE" || w == "DELETE" || w == "REPLACE" || w == "WITH" ||
      w == "VALUES" || (t[0].is_op("(") && t.size() > 1 && t[1].is_word("SELECT")))
    return run_sql(t, sql);
  if (w == "SET") return do_set(t, sql);
  if (w == "SHOW") return do_show(t, sql);
  if (w == "USE") return do_use(t, sql);
  auto refused = [](SqlError e) {
    StatementResult r;
    r.error = std::move(e);
    return r;
  };
  if (w == "BEGIN" || (w == "START" && t[1].is_word("TRANSACTION"))) {
    size_t i = 1;
    if (w == "BEGIN") {
      if (t[i].is_word("WORK")) ++i;
    } else {
      // Every transaction reads committed rows; the characteristics must
      // still be MySQL's.
      ++i;
      while (t[i].kind != Token::Kind::kEnd) {
        if (t[i].is_word("WITH") && t[i + 1].is_word("CONSISTENT") && t[i + 2].is_word("SNAPSHOT")) i += 3;
        else if (t[i].is_word("READ") && (t[i + 1].is_word("ONLY") || t[i + 1].is_word("WRITE"))) i += 2;
        else return refused(syntax_error(sql, t[i].offset));
        if (t[i].is_op(",") && t[i + 1].kind != Token::Kind::kEnd) ++i;
        else break;
      }
    }
    if (auto e = unexpected_rest(t, i, sql)) return refused(*e);
    return do_begin();
  }
  if (w == "COMMIT" || (w == "ROLLBACK" && !(t[1].is_word("TO") || (t[1].is_word("WORK") && t[2].is_word("TO"))))) {
    // COMMIT|ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]
    size_t i = 1;
    if (t[i].is_word("WORK")) ++i;
    bool chain = false;
    if (t[i].is_word("AND")) {
      const size_t no = t[i + 1].is_word("NO") ? 1 : 0;
      if (!t[i + 1 + no].is_word("CHAIN")) return refused(syntax_error(sql, t[i + 1 + no].offset));
      chain = no == 0;
      i += 2 + no;
    }
    if (t[i].is_word("NO") && t[i + 1].is_word("RELEASE")) i += 2;
    else if (t[i].is_word("RELEASE")) return refused(make_sql_error(er::kNotSupportedYet, {w + " ... RELEASE"}));
    if (auto e = unexpected_rest(t, i, sql)) return refused(*e);
    StatementResult done = w == "COMMIT" ? do_commit() : do_rollback();
    if (chain && !done.error) ctx_.in_transaction = true;  // the next one starts at once
    return done;
  }
  if (w == "ROLLBACK") return do_savepoint(t, sql);
  if (w == "SAVEPOINT" || w == "RELEASE") return do_savepoint(t, sql);
  if (w == "KILL") return do_kill(t, sql);
  if (w == "CREATE") return do_create(t, sql);
  if (w == "DROP") return do_drop(t, sql);
  if (w == "TRUNCATE") return do_truncate(t, sql);
  if (w == "ALTER") return do_alter(t, sql);
  if (w == "GRANT") return do_grant(t, sql, false);
  if (w == "REVOKE") return do_grant(t, sql, true);
  if (w == "DESCRIBE" || w == "DESC" || w == "EXPLAIN") return do_describe(t, sql);
  if (w == "FLUSH") {
    if (auto e = flush_options(t, sql)) return refused(*e);
    if (auto e = check_global_access(priv::kReload, "RELOAD")) return refused(*e);
    catalog_.reload();
    return ok();
  }
  if (w == "LOCK" || w == "UNLOCK") {
    // Table locks are not kept (every statement runs on the cluster's row
    // locks); the statement's kind must still be one MySQL has.
    if (!(t[1].is_word("TABLES") || t[1].is_word("TABLE") || t[1].is_word("INSTANCE")))
      return refused(syntax_error(sql, t[1].offset));
    if (w == "UNLOCK")
      if (auto e = unexpected_rest(t, 2, sql)) return refused(*e);
    implicit_commit(nullptr);
    return ok();
  }
  if (w == "DO") {
    // DO expr [, expr]...: each evaluated, the values thrown away.
    size_t b = 1;
    while (b < tokens.size()) {
      size_t e = b;
      for (int depth = 0; e < tokens.size() && t[e].kind != Token::Kind::kEnd && !(depth == 0 && t[e].is_op(",")); ++e) {
        if (t[e].is_op("(")) ++depth;
        if (t[e].is_op(")")) --depth;
      }
      SqlError error;
      bool is_null = false;
      if (!eval_scalar(t, b, e, sql, error, is_null)) return refused(error);
      if (!t[e].is_op(",")) break;
      b = e + 1;
    }
    return r;
  }
  if (w == "ANALYZE" || w == "OPTIMIZE" || w == "CHECK" || w == "REPAIR") return table_maintenance(t, sql);
  if (w == "RENAME") return refused(make_sql_error(er::kNotSupportedYet, {"RENAME " + to_upper(t[1].text)}));
  r.error = syntax_error(sql, t[0].offset);
  return r;
}

// ---- transactions ---------------------------------------------------------------

void ClusterSession::implicit_commit(StatementResult* into) {
  if (!ctx_.in_transaction && !ctx_.tx) return;
  api::NdbError e = ctx_.commit();
  ctx_.in_transaction = false;
  if (e && into) into->error = ctx_.map_error(e, nullptr);
}

StatementResult ClusterSession::do_begin() {
  StatementResult r;
  implicit_commit(&r);  // BEGIN inside a transaction commits it
  if (r.error) return r;
  ctx_.in_transaction = true;
  return r;
}

StatementResult ClusterSession::do_commit() {
  StatementResult r;
  ctx_.warnings.clear();
  api::NdbError e = ctx_.commit();
  ctx_.in_transaction = false;
  if (e) {
    r.error = ctx_.map_error(e, nullptr);
    last_warnings_ = ctx_.warnings;  // the cluster's error, for SHOW WARNINGS
  }
  return r;
}

StatementResult ClusterSession::do_rollback() {
  ctx_.rollback();
  ctx_.in_transaction = false;
  return StatementResult{};
}

void ClusterSession::end_statement(bool ok, size_t mark, StatementResult& r) {
  if (!ctx_.autocommit && !ctx_.in_transaction && ctx_.tx) ctx_.in_transaction = true;
  if (ok) {
    api::NdbError e = ctx_.in_transaction ? ctx_.flush() : ctx_.commit();
    if (e) {
      r.error = ctx_.map_error(e, nullptr);
      if (ctx_.in_transaction) {
        // the cluster aborted the whole transaction
        ctx_.drop_transaction();
        ctx_.in_transaction = false;
      }
    }
    return;
  }
  if (!ctx_.in_transaction) {
    ctx_.rollback();
    return;
  }
  if (ctx_.tx_rolled_back || ctx_.flushed_in_statement) {
    // The cluster aborted the transaction (lock wait timeout, a row gone
    // under a locking read, a data node lost): all of it is gone, as with
    // NDB's mysqld, and the next statement starts afresh. A statement that
    // had executed part of its writes cannot be undone alone either.
    ctx_.rollback();
    ctx_.in_transaction = false;
    return;
  }
  // Statement-level undo: drop what this statement buffered.
  if (ctx_.tx) ctx_.tx->discard_buffered_from(mark);
  ctx_.undo_statement_writes();
}

// ---- queries through SQLite --------------------------------------------------------

RewriteEnv ClusterSession::rewrite_env() {
  RewriteEnv env;
  env.current_db = ctx_.current_db;
  env.sysvar = [this](const std::string& n) { return sysvar_literal(n); };
  env.uservar = [this](const std::string& n) {
    auto it = user_vars_.find(to_lower(n));
    return it == user_vars_.end() ? std::string("NULL") : it->second;
  };
  return env;
}

std::optional<SqlError> ClusterSession::ensure_tables(const std::vector<TableRef>& tables) {
  for (const auto& ref : tables) {
    if (is_information_schema_name(ref.db)) {  // filled for this statement and account
      catalog_.sync();  // a GRANT or DDL on another SQL node a moment ago shows
      if (auto e = load_information_schema(db_, ref.name, catalog_, privileges())) return e;
      continue;
    }
    auto t = catalog_.table(ref.db, ref.name);
    std::string vt = ref.vtab();
    auto it = vtabs_.find(vt);
    std::string quoted = "\"";
    for (char c : vt) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    if (!t) {
      if (it != vtabs_.end()) {
        forget_statements();
        sqlite3_exec(db_, ("DROP TABLE IF EXISTS " + quoted).c_str(), nullptr, nullptr, nullptr);
        vtabs_.erase(it);
      }
      if (!catalog_.database_exists(ref.db)) return make_sql_error(er::kBadDb, {ref.db});
      return make_sql_error(er::kNoSuchTable, {ref.db + "." + ref.name});
    }
    if (it != vtabs_.end() && it->second == t) continue;
    forget_statements();
    if (it != vtabs_.end()) {
      sqlite3_exec(db_, ("DROP TABLE IF EXISTS " + quoted).c_str(), nullptr, nullptr, nullptr);
      vtabs_.erase(it);
    }
    std::string create = "CREATE VIRTUAL TABLE " + quoted + " USING halb(" + sqlite_literal(ref.db) + ", " +
                         sqlite_literal(ref.name) + ")";
    char* err = nullptr;
    if (sqlite3_exec(db_, create.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "cannot open table";
      sqlite3_free(err);
      return SqlError{er::kUnknown, "HY000", m};
    }
    vtabs_[vt] = t;
  }
  return std::nullopt;
}

SqlError ClusterSession::sqlite_error(std::string_view sql) {
  if (ctx_.error) return *ctx_.error;
  int code = sqlite3_errcode(db_);
  std::string m = sqlite3_errmsg(db_);
  if (code == SQLITE_INTERRUPT || ctx_.interrupted.load()) return make_sql_error(er::kQueryInterrupted);
  if (m.rfind("no such column: ", 0) == 0) return make_sql_error(er::kBadField, {m.substr(16), "field list"});
  if (m.rfind("no such function: ", 0) == 0)
    return SqlError{1305, "42000", "FUNCTION " + ctx_.current_db + "." + m.substr(18) + " does not exist"};
  if (m.rfind("ambiguous column name: ", 0) == 0)
    return SqlError{1052, "23000", "Column '" + m.substr(23) + "' in field list is ambiguous"};
  size_t near = m.find("near \"");
  if (near != std::string::npos) {
    std::string tok = m.substr(near + 6, m.find('"', near + 6) - near - 6);
    size_t pos = sql.find(tok);
    return syntax_error(sql, pos == std::string_view::npos ? 0 : pos);
  }
  if (m.find("syntax error") != std::string::npos || m.find("incomplete input") != std::string::npos)
    return syntax_error(sql, sql.size());
  if (m.find("table") != std::string::npos && m.find("has") != std::string::npos && m.find("columns") != std::string::npos)
    return SqlError{1136, "21S01", "Column count doesn't match value count at row 1"};
  return SqlError{er::kUnknown, "HY000", m};
}

std::optional<SqlError> ClusterSession::prepare_sqlite(const Rewritten& r, std::string_view sql, sqlite3_stmt** out) {
  if (auto e = ensure_tables(r.tables)) return e;
  ctx_.error.reset();
  if (sqlite3_prepare_v3(db_, r.sql.c_str(), static_cast<int>(r.sql.size()), SQLITE_PREPARE_PERSISTENT, out,
                         nullptr) != SQLITE_OK) {
    SqlError e = sqlite_error(sql);
    if (*out) sqlite3_finalize(*out);
    *out = nullptr;
    return e;
  }
  if (!*out) return make_sql_error(er::kEmptyQuery);
  return std::nullopt;
}

std::vector<ColumnDef> ClusterSession::describe(sqlite3_stmt* s, const std::vector<TableRef>& tables, bool after_step) {
  std::vector<ColumnDef> cols;
  int n = sqlite3_column_count(s);
  for (int i = 0; i < n; ++i) {
    const char* name = sqlite3_column_name(s, i);
    const char* table = sqlite3_column_table_name(s, i);
    const char* origin = sqlite3_column_origin_name(s, i);
    std::shared_ptr<const CatalogTable> t;
    if (table) {
      auto it = vtabs_.find(table);
      if (it != vtabs_.end()) t = it->second;
    }
    const ColumnMeta* meta = t && origin ? t->def.column(origin) : nullptr;
    if (meta) {
      cols.push_back(table_column_def(*t, *meta, name ? name : meta->name));
      continue;
    }
    std::string nm = name ? name : "";
    std::optional<SystemVar> var;
    if (nm.rfind("@@", 0) == 0) var = sysvar(nm.substr(2));
    cols.push_back(expression_column(nm, after_step ? sqlite3_column_type(s, i) : SQLITE_NULL, var));
  }
  (void)tables;
  return cols;
}

StatementResult ClusterSession::run_sql(const std::vector<Token>& t, std::string_view sql) {
  StatementResult r;
  // INSERT ... ON DUPLICATE KEY UPDATE: done by the front end.
  if (size_t on = on_duplicate_position(t)) return run_upsert(t, sql, on);
  if (fast_path_ && t[0].is_word("SELECT"))
    if (auto ps = recognise_point_select(t))
      if (auto fast = run_point_select(*ps, {}, nullptr)) return std::move(*fast);
  Rewritten rw = rewrite_for_sqlite(t, sql, rewrite_env());
  if (rw.error) {
    r.error = rw.error;
    return r;
  }
  if (auto e = check_dml_access(first_word(t), rw)) {
    r.error = e;
    return r;
  }
  if (rw.placeholders) {
    r.error = syntax_error(sql, sql.find('?'));
    return r;
  }
  if (catalog_.version() != statements_version_) {
    forget_statements();
    statements_version_ = catalog_.version();
  }
  sqlite3_stmt* stmt = statements_.take(rw.sql);
  if (stmt) {
    // The tables as the catalog has them now; one made again means the
    // plan is gone with the rest of the cache.
    const uint64_t generation = statements_generation_;
    if (auto e = ensure_tables(rw.tables)) {
      sqlite3_finalize(stmt);
      r.error = e;
      return r;
    }
    if (generation != statements_generation_) {
      sqlite3_finalize(stmt);
      stmt = nullptr;
    }
  }
  if (!stmt) {
    if (auto e = prepare_sqlite(rw, sql, &stmt)) {
      r.error = e;
      return r;
    }
  }
  const uint64_t generation = statements_generation_;
  r = run_prepared(stmt, rw, sql, nullptr);
  if (generation == statements_generation_) statements_.give_back(rw.sql, stmt);
  else sqlite3_finalize(stmt);
  return r;
}

void ClusterSession::forget_statements() {
  statements_.clear();
  ++statements_generation_;
}

StatementResult ClusterSession::run_prepared(sqlite3_stmt* stmt, const Rewritten& rw, std::string_view sql,
                                             const std::vector<ColumnDef>* known_columns) {
  StatementResult r;
  std::vector<ColumnDef> columns;
  bool described = false;
  int ncols = 0;
  // Another SQL node may just have dropped and re-created or rebuilt a table
  // this node still caches (the catalog refresher is up to kRefreshInterval
  // behind): the cluster then reports the old table gone and the catalog
  // reloads. A statement that is the first work of its transaction simply
  // runs again on the new table instead of failing with 1146.
  const bool first_work = !ctx_.tx || (!ctx_.tx_executed && ctx_.tx->buffered().empty());
  const bool was_in_transaction = ctx_.in_transaction;
  for (int attempt = 0;; ++attempt) {
    r = StatementResult{};
    ctx_.begin_statement();
    ctx_.stmt_lock = rw.lock;
    ctx_.read_only_statement = sqlite3_stmt_readonly(stmt) != 0;
    ctx_.insert_columns = rw.insert_columns.empty() ? nullptr : &rw.insert_columns;
    if (!ctx_.autocommit) ctx_.in_transaction = true;
    const size_t mark = ctx_.tx ? ctx_.tx->buffered().size() : 0;
    columns.clear();
    if (known_columns) columns = *known_columns;
    described = known_columns != nullptr;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      ncols = sqlite3_column_count(stmt);
      if (!described) {
        columns = describe(stmt, rw.tables, true);
        described = true;
      }
      Row row;
      row.reserve(static_cast<size_t>(ncols));
      for (int i = 0; i < ncols; ++i) row.push_back(value_for(stmt, i, columns[static_cast<size_t>(i)]));
      r.rows.push_back(std::move(row));
    }
    ncols = sqlite3_column_count(stmt);
    bool ok = rc == SQLITE_DONE;
    if (!ok) {
      r.error = sqlite_error(sql);
      r.rows.clear();
    }
    sqlite3_reset(stmt);
    end_statement(ok, mark, r);
    if (!r.error || attempt > 0 || !first_work || !ctx_.stale_table || ctx_.interrupted.load()) break;
    if (ctx_.tx) ctx_.rollback();
    ctx_.in_transaction = was_in_transaction;
    if (ensure_tables(rw.tables)) break;  // really gone: the first answer stands
  }
  if (r.error) {
    r.rows.clear();
    last_warnings_ = ctx_.warnings;
    return r;
  }
  if (ncols > 0) {
    if (!described) columns = describe(stmt, rw.tables, false);
    r.has_result_set = true;
    r.columns = std::move(columns);
    found_rows_ = r.rows.size();
  } else {
    std::string w = first_word({});
    r.affected_rows = ctx_.affected;
    bool is_update = rw.lock == engine::LockMode::kExclusive && sql.size() >= 6 &&
                     iequals(sql.substr(0, 6), "UPDATE");
    if (is_update) {
      if (ctx_.found_rows) r.affected_rows = ctx_.matched;
      r.info = "Rows matched: " + std::to_string(ctx_.matched) + "  Changed: " + std::to_string(ctx_.changed) +
               "  Warnings: " + std::to_string(ctx_.warnings.size());
    } else if (ctx_.rows_seen > 1) {
      uint64_t dups = ctx_.rows_seen >= ctx_.affected ? ctx_.rows_seen - ctx_.affected : 0;
      r.info = "Records: " + std::to_string(ctx_.rows_seen) + "  Duplicates: " + std::to_string(dups) +
               "  Warnings: " + std::to_string(ctx_.warnings.size());
    }
    if (ctx_.first_insert_id) last_insert_id_ = ctx_.first_insert_id;
    r.last_insert_id = ctx_.first_insert_id;
    if (ctx_.explicit_insert_id) r.last_insert_id = *ctx_.explicit_insert_id;
  }
  if (ctx_.explicit_insert_id) last_insert_id_ = *ctx_.explicit_insert_id;  // LAST_INSERT_ID(expr)
  last_warnings_ = ctx_.warnings;
  r.warning_count = static_cast<uint16_t>(std::min<size_t>(ctx_.warnings.size(), 65535));
  return r;
}

// ---- COM_INIT_DB / COM_FIELD_LIST -------------------------------------------------

StatementResult ClusterSession::init_db(std::string_view database) {
  StatementResult r;
  std::string db(database);
  if (!can_use_database(db)) {
    r.error = make_sql_error(er::kDbAccessDenied, {client_.user, client_.host, db});
    return r;
  }
  if (!is_information_schema_name(db) && !catalog_.database_exists(db)) {
    r.error = make_sql_error(er::kBadDb, {db});
    return r;
  }
  ctx_.current_db = db;
  forget_statements();
  return r;
}

StatementResult ClusterSession::field_list(std::string_view table, std::string_view wildcard) {
  StatementResult r;
  if (ctx_.current_db.empty()) {
    r.error = make_sql_error(er::kNoDb);
    return r;
  }
  if (auto e = check_table_visible(ctx_.current_db, std::string(table))) {
    r.error = e;
    return r;
  }
  auto t = catalog_.table(ctx_.current_db, std::string(table));
  if (!t) {
    r.error = make_sql_error(er::kNoSuchTable, {ctx_.current_db + "." + std::string(table)});
    return r;
  }
  r.has_result_set = true;
  for (const auto& m : t->def.columns) {
    if (!wildcard.empty() && wildcard != "%" && !iequals(m.name, wildcard)) continue;
    ColumnDef c;
    c.schema = t->def.db;
    c.table = c.org_table = t->def.name;
    c.name = c.org_name = m.name;
    c.charset = m.is_string() ? kCharsetUtf8mb4 : kCharsetBinary;
    c.length = m.display_length();
    c.type = m.field_type();
    if (!m.nullable) c.flags |= column_flag::kNotNull;
    if (m.is_unsigned) c.flags |= column_flag::kUnsigned;
    if (m.auto_increment) c.flags |= column_flag::kAutoIncrement;
    if (const IndexMeta* pk = t->def.primary())
      if (std::find(pk->columns.begin(), pk->columns.end(), m.name) != pk->columns.end()) c.flags |= column_flag::kPriKey;
    c.default_value = m.default_value ? *m.default_value : std::string();
    r.columns.push_back(c);
  }
  return r;
}

// ---- prepared statements ------------------------------------------------------------

PrepareResult ClusterSession::prepare(std::string_view sql) {
  try {
    return prepare_statement(sql);
  } catch (const std::exception& e) {
    PrepareResult out;
    out.error = SqlError{er::kUnknown, "HY000", std::string("internal error: ") + e.what()};
    return out;
  }
}

StatementResult ClusterSession::execute(uint32_t statement_id, const std::vector<Value>& params) {
  try {
    return execute_statement(statement_id, params);
  } catch (const std::exception& e) {
    ctx_.rollback();
    ctx_.in_transaction = false;
    StatementResult r;
    r.error = SqlError{er::kUnknown, "HY000", std::string("internal error: ") + e.what()};
    return r;
  }
}

PrepareResult ClusterSession::prepare_statement(std::string_view sql) {
  PrepareResult out;
  if (!db_) {
    out.error = SqlError{er::kUnknown, "HY000", "the session has no SQL engine"};
    return out;
  }
  TokenizeResult tr = tokenize(sql);
  if (!tr.error.empty()) {
    out.error = syntax_error(sql, tr.error_offset);
    return out;
  }
  auto statements = split_statements(tr.tokens, sql);
  if (statements.empty()) {
    out.error = make_sql_error(er::kEmptyQuery);
    return out;
  }
  if (statements.size() > 1) {
    out.error = syntax_error(sql, statements[1].begin);
    return out;
  }
  Prepared p;
  p.sql = std::string(sql.substr(statements[0].begin, statements[0].end - statements[0].begin));
  // Tokens refer to offsets of `p.sql` from here on.
  p.tokens = tokenize(p.sql).tokens;
  std::string w = first_word(p.tokens);
  bool dml = w == "SELECT" || w == "INSERT" || w == "UPDATE" || w == "DELETE" || w == "REPLACE";
  if (!dml) {
    bool has_param = false;
    for (auto& tk : p.tokens) has_param = has_param || tk.kind == Token::Kind::kPlaceholder;
    bool replayable = w == "BEGIN" || w == "COMMIT" || w == "ROLLBACK" || w == "START" || w == "SET" || w == "USE" ||
                      w == "DO" || w == "LOCK" || w == "UNLOCK";
    if (!replayable || has_param) {
      out.error = make_sql_error(er::kUnsupportedPs);
      return out;
    }
    p.text_replay = true;
  } else {
    p.rewritten = rewrite_for_sqlite(p.tokens, p.sql, rewrite_env());
    if (p.rewritten.error) {
      out.error = p.rewritten.error;
      return out;
    }
    if (auto e = check_dml_access(w, p.rewritten)) {
      out.error = e;
      return out;
    }
  }
  if (on_duplicate_position(p.tokens)) {
    // Run as text at execute, with the parameters inlined.
    for (auto& tk : p.tokens) p.params += tk.kind == Token::Kind::kPlaceholder ? 1 : 0;
    p.upsert = true;
  } else if (dml) {
    if (auto e = prepare_sqlite(p.rewritten, p.sql, &p.stmt)) {
      out.error = e;
      return out;
    }
    p.params = static_cast<uint16_t>(sqlite3_bind_parameter_count(p.stmt));
    p.columns = describe(p.stmt, p.rewritten.tables, false);
    if (w == "SELECT") {
      p.fast = recognise_point_select(p.tokens);
      if (p.fast && p.fast->params != p.params) p.fast.reset();
    }
  }
  out.statement_id = next_statement_id_++;
  if (next_statement_id_ == 0) next_statement_id_ = 1;
  out.param_count = p.params;
  for (uint16_t i = 0; i < p.params; ++i) {
    ColumnDef c;
    c.name = "?";
    c.type = FieldType::kVarString;
    c.charset = kCharsetBinary;
    c.flags = column_flag::kBinary;
    out.params.push_back(c);
  }
  out.columns = p.columns;
  prepared_[out.statement_id] = std::move(p);
  return out;
}

StatementResult ClusterSession::execute_statement(uint32_t statement_id, const std::vector<Value>& params) {
  StatementResult r;
  auto it = prepared_.find(statement_id);
  if (it == prepared_.end()) {
    r.error = make_sql_error(er::kUnknownStmtHandler, {std::to_string(statement_id), "mysqld_stmt_execute"});
    return r;
  }
  Prepared& p = it->second;
  {
    std::lock_guard<std::mutex> lk(statement_mu_);
    statement_ = p.sql;
  }
  ctx_.interrupted = false;
  if (p.text_replay) {
    r = run_statement(p.tokens, p.sql);
  } else if (p.upsert) {
    if (params.size() != p.params) {
      r.error = SqlError{1210, "HY000", "Incorrect arguments to mysqld_stmt_execute"};
      return r;
    }
    std::string text = inline_parameters(p.tokens, p.sql, params);
    r = run_statement(tokenize(text).tokens, text);
  } else {
    if (params.size() != p.params) {
      r.error = SqlError{1210, "HY000", "Incorrect arguments to mysqld_stmt_execute"};
      return r;
    }
    std::optional<StatementResult> fast;
    if (p.fast && fast_path_) fast = run_point_select(*p.fast, params, &p.columns);
    if (fast) {
      r = std::move(*fast);
      std::lock_guard<std::mutex> lk(statement_mu_);
      statement_.clear();
      return r;
    }
    // A table changed since prepare (another node's DDL): refresh the
    // virtual tables; SQLite re-prepares the statement on its own.
    if (auto e = ensure_tables(p.rewritten.tables)) {
      r.error = e;
      return r;
    }
    if (auto e = check_dml_access(first_word(p.tokens), p.rewritten)) {  // a REVOKE since prepare
      r.error = e;
      return r;
    }
    sqlite3_clear_bindings(p.stmt);
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      const Value& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) sqlite3_bind_null(p.stmt, idx);
      else if (auto* x = std::get_if<int64_t>(&v)) sqlite3_bind_int64(p.stmt, idx, *x);
      else if (auto* u = std::get_if<uint64_t>(&v)) {
        if (*u > static_cast<uint64_t>(INT64_MAX)) sqlite3_bind_double(p.stmt, idx, static_cast<double>(*u));
        else sqlite3_bind_int64(p.stmt, idx, static_cast<int64_t>(*u));
      } else if (auto* d = std::get_if<double>(&v)) sqlite3_bind_double(p.stmt, idx, *d);
      else {
        const std::string& s = std::get<std::string>(v);
        sqlite3_bind_text(p.stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
    }
    r = run_prepared(p.stmt, p.rewritten, p.sql, &p.columns);
    sqlite3_clear_bindings(p.stmt);
  }
  {
    std::lock_guard<std::mutex> lk(statement_mu_);
    statement_.clear();
  }
  return r;
}

void ClusterSession::close_statement(uint32_t statement_id) {
  auto it = prepared_.find(statement_id);
  if (it == prepared_.end()) return;
  if (it->second.stmt) sqlite3_finalize(it->second.stmt);
  prepared_.erase(it);
}

}  // namespace halb::cluster::sqld
