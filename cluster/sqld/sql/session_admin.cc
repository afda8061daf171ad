// cluster/sqld/sql/session_admin.cc: the statements a session answers
// itself -- SET, SHOW, USE, KILL, DDL, accounts (see cluster_session.h).
#include "cluster/sqld/sql/cluster_session.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <type_traits>
#include <variant>

#include "cluster/sqld/sql/errors.h"
#include "cluster/sqld/sql/information_schema.h"

// GCC 12 reports copies of std::variant rows built from initializer lists as
// "may be used uninitialized" (a known false positive, GCC bug 105562).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace halb::cluster::sqld {

namespace {

using K = Token::Kind;

StatementResult error_result(SqlError e) {
  StatementResult r;
  r.error = std::move(e);
  return r;
}

// SHOW ... LIKE: case-insensitive, backslash escapes.
bool like(std::string_view pattern, std::string_view s) { return wildcard_match(pattern, s, true, true); }

// A text value or NULL (out of line: GCC 12 misreads inline variant copies
// as uninitialised).
[[gnu::noinline]] Value text_or_null(const std::optional<std::string>& s) {
  if (s) return Value(*s);
  return Value(std::monostate{});
}

StatementResult result_set(std::vector<ColumnDef> cols) {
  StatementResult r;
  r.has_result_set = true;
  r.columns = std::move(cols);
  return r;
}

// user@host from tokens at i: 'u'@'h', u@h, `u`@`h`, 'u' (host '%').
bool parse_account(const std::vector<Token>& t, size_t& i, std::string& user, std::string& host) {
  if (!(t[i].is_name() || t[i].kind == K::kString)) return false;
  user = t[i].text;
  ++i;
  host = "%";
  if (t[i].kind == K::kUserVar) {  // the tokenizer reads @'h' / @h as a user variable
    host = t[i].text;
    ++i;
  } else if (t[i].is_op("@")) {
    ++i;
    if (!(t[i].is_name() || t[i].kind == K::kString)) return false;
    host = t[i].text;
    ++i;
  }
  return true;
}

// MySQL 8's limits on an account's name: 32 characters for the user, 255
// for the host (1470).
std::optional<SqlError> check_account_name(const std::string& user, const std::string& host) {
  auto too_long = [](const std::string& s, const char* what, size_t max) {
    return SqlError{1470, "HY000", "String '" + s.substr(0, 64) + "' is too long for " + what +
                                       " (should be no longer than " + std::to_string(max) + ")"};
  };
  if (utf8_length(user) > 32) return too_long(user, "user name", 32);
  if (utf8_length(host) > 255) return too_long(host, "host name", 255);
  return std::nullopt;
}

// An account's [IDENTIFIED [WITH plugin] {BY 'password' | BY PASSWORD 'hash'
// | AS 'hash'}] from tokens at i, into `sha1_sha1` (left alone without
// one). The only plugin is mysql_native_password, whose hash is
// '*' + 40 hex digits.
std::optional<SqlError> parse_identified(const std::vector<Token>& t, size_t& i, std::string_view sql,
                                         std::string& sha1_sha1) {
  if (!t[i].is_word("IDENTIFIED")) return std::nullopt;
  ++i;
  if (t[i].is_word("WITH")) {
    if (!(t[i + 1].is_name() || t[i + 1].kind == K::kString)) return syntax_error(sql, t[i + 1].offset);
    if (!iequals(t[i + 1].text, "mysql_native_password"))
      return make_sql_error(er::kNotSupportedYet, {"the authentication plugin " + t[i + 1].text});
    i += 2;
    // IDENTIFIED WITH plugin alone (SHOW CREATE USER of an account without
    // a password says so): no password.
    if (!t[i].is_word("BY") && !t[i].is_word("AS")) {
      sha1_sha1.clear();
      return std::nullopt;
    }
  }
  bool hashed = true;
  if (t[i].is_word("BY") && t[i + 1].is_word("PASSWORD")) {
    i += 2;
  } else if (t[i].is_word("AS")) {
    ++i;
  } else if (t[i].is_word("BY")) {
    hashed = false;
    ++i;
  } else {
    return syntax_error(sql, t[i].offset);
  }
  if (t[i].kind != K::kString) return syntax_error(sql, t[i].offset);
  const std::string& text = t[i++].text;
  if (!hashed) {
    sha1_sha1 = password_sha1_sha1(text);
    return std::nullopt;
  }
  std::string_view hex = text;
  if (hex.size() == 41 && hex[0] == '*') hex.remove_prefix(1);
  const bool well_formed =
      hex.empty() || (hex.size() == 40 && std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }));
  if (!well_formed) return SqlError{1827, "HY000", "The password hash doesn't have the expected format."};
  sha1_sha1 = hex_decode(hex);
  return std::nullopt;
}

// CREATE/ALTER DATABASE's options from tokens at i: [DEFAULT] CHARACTER SET
// | CHARSET | COLLATE [=] name, ENCRYPTION [=] 'Y'|'N'. The cluster's text is
// utf8mb4 whatever is asked, as SHOW CREATE DATABASE says. False at a token
// that is not an option's.
bool skip_database_options(const std::vector<Token>& t, size_t& i) {
  while (t[i].kind != K::kEnd) {
    if (t[i].is_word("DEFAULT")) ++i;
    if (t[i].is_word("CHARACTER") && t[i + 1].is_word("SET")) i += 2;
    else if (t[i].is_word("CHARSET") || t[i].is_word("COLLATE") || t[i].is_word("ENCRYPTION")) ++i;
    else return false;
    if (t[i].is_op("=")) ++i;
    if (!(t[i].is_name() || t[i].kind == K::kString)) return false;
    ++i;
  }
  return true;
}

// What CREATE USER and ALTER USER may say after the accounts: only the
// settings halb-sqld's accounts always have are taken (no TLS demanded, no
// expiry or password policy, not locked, no resource limits: what MySQL 8's
// SHOW CREATE USER writes for a plain account); any other would be a
// promise the server does not keep.
std::optional<SqlError> account_options(const std::vector<Token>& t, size_t i, std::string_view sql) {
  auto zero = [&](size_t k) { return t[k].kind == K::kNumber && t[k].text == "0"; };
  while (t[i].kind != K::kEnd) {
    if (t[i].is_word("REQUIRE") && t[i + 1].is_word("NONE")) i += 2;
    else if (t[i].is_word("ACCOUNT") && t[i + 1].is_word("UNLOCK")) i += 2;
    else if (t[i].is_word("PASSWORD") && t[i + 1].is_word("EXPIRE") && (t[i + 2].is_word("NEVER") || t[i + 2].is_word("DEFAULT"))) i += 3;
    else if (t[i].is_word("PASSWORD") && t[i + 1].is_word("HISTORY") && t[i + 2].is_word("DEFAULT")) i += 3;
    else if (t[i].is_word("PASSWORD") && t[i + 1].is_word("REUSE") && t[i + 2].is_word("INTERVAL") && t[i + 3].is_word("DEFAULT")) i += 4;
    else if (t[i].is_word("PASSWORD") && t[i + 1].is_word("REQUIRE") && t[i + 2].is_word("CURRENT") &&
             (t[i + 3].is_word("DEFAULT") || t[i + 3].is_word("OPTIONAL")))
      i += 4;
    else if ((t[i].is_word("FAILED_LOGIN_ATTEMPTS") || t[i].is_word("PASSWORD_LOCK_TIME")) && zero(i + 1)) i += 2;
    else if (t[i].is_word("WITH") && (t[i + 1].is_word("MAX_QUERIES_PER_HOUR") || t[i + 1].is_word("MAX_UPDATES_PER_HOUR") ||
                                      t[i + 1].is_word("MAX_CONNECTIONS_PER_HOUR") || t[i + 1].is_word("MAX_USER_CONNECTIONS"))) {
      ++i;  // WITH limit 0 [limit 0]...: no limit
      while ((t[i].is_word("MAX_QUERIES_PER_HOUR") || t[i].is_word("MAX_UPDATES_PER_HOUR") ||
              t[i].is_word("MAX_CONNECTIONS_PER_HOUR") || t[i].is_word("MAX_USER_CONNECTIONS")) && zero(i + 1))
        i += 2;
      if (t[i].is_word("MAX_QUERIES_PER_HOUR") || t[i].is_word("MAX_UPDATES_PER_HOUR") ||
          t[i].is_word("MAX_CONNECTIONS_PER_HOUR") || t[i].is_word("MAX_USER_CONNECTIONS"))
        return make_sql_error(er::kNotSupportedYet, {to_upper(t[i].text) + " other than 0"});
    } else if (t[i].is_word("REQUIRE") || t[i].is_word("WITH") || t[i].is_word("PASSWORD") || t[i].is_word("ACCOUNT") ||
             t[i].is_word("COMMENT") || t[i].is_word("ATTRIBUTE") || t[i].is_word("FAILED_LOGIN_ATTEMPTS") ||
             t[i].is_word("PASSWORD_LOCK_TIME") || t[i].is_word("DEFAULT"))
      return make_sql_error(er::kNotSupportedYet, {to_upper(t[i].text) + " in an account's options"});
    else return syntax_error(sql, t[i].offset);
  }
  return std::nullopt;
}

}  // namespace

std::optional<SystemVar> ClusterSession::sysvar(const std::string& raw) {
  std::string scope;
  std::string n = var_name(raw, &scope);
  if (n == "autocommit") return SystemVar{ctx_.autocommit ? "1" : "0", true, false};
  if (n == "last_insert_id" || n == "identity") return SystemVar{std::to_string(last_insert_id_), true, false};
  if (n == "warning_count") return SystemVar{std::to_string(last_warnings_.size()), true, true};
  if (n == "pseudo_thread_id") return SystemVar{std::to_string(client_.connection_id), true, false};
  if (n == "in_transaction") return SystemVar{ctx_.in_transaction ? "1" : "0", true, true};
  if (scope != "global") {
    auto it = session_vars_.find(n);
    if (it != session_vars_.end()) return it->second;
  }
  return shared_.globals->get(n);
}

std::optional<std::string> ClusterSession::sysvar_literal(const std::string& raw) {
  auto v = sysvar(raw);
  if (!v) return std::nullopt;
  if (v->numeric) return v->value.empty() ? std::string("0") : v->value;
  return sqlite_literal(v->value);
}

std::optional<std::string> ClusterSession::eval_scalar(const std::vector<Token>& t, size_t b, size_t e,
                                                       std::string_view sql, SqlError& error, bool& is_null) {
  is_null = false;
  if (b >= e) {
    error = syntax_error(sql, t[std::min(b, t.size() - 1)].offset);
    return std::nullopt;
  }
  // A single literal or word: no SQLite needed.
  if (e - b == 1) {
    const Token& v = t[b];
    if (v.kind == K::kString || v.kind == K::kNumber || v.kind == K::kHex || v.kind == K::kBit) return v.text;
    if (v.kind == K::kWord) {
      if (v.is_word("NULL")) {
        is_null = true;
        return std::string();
      }
      if (v.is_word("ON") || v.is_word("TRUE")) return std::string("1");
      if (v.is_word("OFF") || v.is_word("FALSE")) return std::string("0");
      return v.text;  // SET sql_mode = TRADITIONAL, SET x = DEFAULT
    }
  }
  // SELECT (expr): in parentheses, so that words after a value are an
  // error as in MySQL rather than the column alias they would be in a
  // select list (SET @x = 1 garbage).
  std::vector<Token> expr;
  auto synthetic = [&](K kind, const char* text, size_t at) {
    Token s;
    s.kind = kind;
    s.text = text;
    s.offset = s.end = at;
    expr.push_back(std::move(s));
  };
  synthetic(K::kWord, "SELECT", t[b].offset);
  synthetic(K::kOperator, "(", t[b].offset);
  for (size_t i = b; i < e; ++i) expr.push_back(t[i]);
  synthetic(K::kOperator, ")", t[e - 1].end);
  Token end;
  end.offset = end.end = sql.size();
  expr.push_back(end);
  Rewritten rw = rewrite_for_sqlite(expr, sql, rewrite_env());
  if (rw.error) {
    error = *rw.error;
    return std::nullopt;
  }
  sqlite3_stmt* stmt = nullptr;
  if (auto err = prepare_sqlite(rw, sql, &stmt)) {
    error = *err;
    return std::nullopt;
  }
  std::optional<std::string> out;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
      is_null = true;
      out = std::string();
    } else {
      out = std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                        static_cast<size_t>(sqlite3_column_bytes(stmt, 0)));
    }
  } else {
    error = sqlite_error(sql);
  }
  sqlite3_finalize(stmt);
  return out;
}

// ---- SET --------------------------------------------------------------------------

StatementResult ClusterSession::do_set(const std::vector<Token>& t, std::string_view sql) {
  StatementResult r;
  size_t i = 1;
  if (t[i].is_word("PASSWORD")) {
    ++i;
    std::string user = client_.user, host = client_.account_host.empty() ? "%" : client_.account_host;
    if (t[i].is_word("FOR")) {
      ++i;
      if (!parse_account(t, i, user, host)) return error_result(syntax_error(sql, t[i].offset));
    }
    if (!t[i].is_op("=")) return error_result(syntax_error(sql, t[i].offset));
    ++i;
    std::string password;
    if (t[i].is_word("PASSWORD") && t[i + 1].is_op("(") && t[i + 2].kind == K::kString && t[i + 3].is_op(")")) {
      password = t[i + 2].text;
      i += 4;
    } else if (t[i].kind == K::kString) {
      password = t[i++].text;
    } else {
      return error_result(syntax_error(sql, t[i].offset));
    }
    if (auto e = unexpected_rest(t, i, sql)) return error_result(*e);
    if (user != client_.user || host != client_.account_host)
      if (auto e = check_global_access(priv::kCreateUser, "CREATE USER")) return error_result(*e);
    implicit_commit(nullptr);
    if (auto e = catalog_.set_password(user, host, password_sha1_sha1(password))) r.error = e;
    return r;
  }
  if (t[i].is_word("TRANSACTION") || ((t[i].is_word("SESSION") || t[i].is_word("GLOBAL")) && t[i + 1].is_word("TRANSACTION"))) {
    // Isolation and access mode: the cluster only reads committed rows,
    // but the characteristics must still be ones MySQL knows.
    i += t[i].is_word("TRANSACTION") ? 1 : 2;
    for (;;) {
      if (t[i].is_word("ISOLATION") && t[i + 1].is_word("LEVEL")) {
        i += 2;
        if ((t[i].is_word("READ") && (t[i + 1].is_word("COMMITTED") || t[i + 1].is_word("UNCOMMITTED"))) ||
            (t[i].is_word("REPEATABLE") && t[i + 1].is_word("READ")))
          i += 2;
        else if (t[i].is_word("SERIALIZABLE"))
          ++i;
        else
          return error_result(syntax_error(sql, t[i].offset));
      } else if (t[i].is_word("READ") && (t[i + 1].is_word("WRITE") || t[i + 1].is_word("ONLY"))) {
        i += 2;
      } else {
        return error_result(syntax_error(sql, t[i].offset));
      }
      if (!t[i].is_op(",")) break;
      ++i;
    }
    if (auto e = unexpected_rest(t, i, sql)) return error_result(*e);
    return r;
  }
  for (;;) {
    // SET NAMES / CHARACTER SET may open or join a list of assignments
    // (SET NAMES utf8mb4, autocommit = 1).
    if (t[i].is_word("NAMES") || (t[i].is_word("CHARACTER") && t[i + 1].is_word("SET")) || t[i].is_word("CHARSET")) {
      i += t[i].is_word("CHARACTER") ? 2 : 1;
      if (!(t[i].is_name() || t[i].kind == K::kString)) return error_result(syntax_error(sql, t[i].offset));
      std::string cs = to_lower(t[i].text);
      if (cs == "default") cs = "utf8mb4";
      ++i;
      std::string coll = cs == "utf8mb4" ? "utf8mb4_general_ci" : cs + "_general_ci";
      if (t[i].is_word("COLLATE")) {
        if (!(t[i + 1].is_name() || t[i + 1].kind == K::kString)) return error_result(syntax_error(sql, t[i + 1].offset));
        coll = to_lower(t[i + 1].text);
        i += 2;
      }
      if (!t[i].is_op(","))
        if (auto e = unexpected_rest(t, i, sql)) return error_result(*e);
      for (const char* n : {"character_set_client", "character_set_connection", "character_set_results"})
        session_vars_[n] = SystemVar{cs, false, false};
      session_vars_["collation_connection"] = SystemVar{coll, false, false};
      if (!t[i].is_op(",")) break;
      ++i;
      continue;
    }
    std::string scope = "session";
    bool user_var = false;
    std::string name;
    if (t[i].is_word("GLOBAL") || t[i].is_word("SESSION") || t[i].is_word("LOCAL") || t[i].is_word("PERSIST")) {
      scope = t[i].is_word("GLOBAL") || t[i].is_word("PERSIST") ? "global" : "session";
      ++i;
    }
    if (t[i].kind == K::kSysVar) {
      std::string sc;
      name = var_name(t[i].text, &sc);
      if (sc == "global") scope = "global";
      ++i;
    } else if (t[i].kind == K::kUserVar) {
      name = to_lower(t[i].text);
      user_var = true;
      ++i;
    } else if (t[i].is_name()) {
      name = to_lower(t[i].text);
      ++i;
    } else {
      return error_result(syntax_error(sql, t[i].offset));
    }
    if (!(t[i].is_op("=") || t[i].is_op(":="))) return error_result(syntax_error(sql, t[i].offset));
    ++i;
    size_t b = i;
    int depth = 0;
    while (t[i].kind != K::kEnd && !(depth == 0 && t[i].is_op(","))) {
      if (t[i].is_op("(")) ++depth;
      if (t[i].is_op(")")) --depth;
      ++i;
    }
    SqlError err;
    bool is_null = false;
    // SET x = DEFAULT resets the session value
    if (!user_var && i - b == 1 && t[b].is_word("DEFAULT")) {
      session_vars_.erase(name);
      if (name == "autocommit") {
        implicit_commit(&r);
        ctx_.autocommit = true;
      }
    } else {
      auto value = eval_scalar(t, b, i, sql, err, is_null);
      if (!value) return error_result(err);
      if (user_var) {
        if (is_null) {
          user_vars_[name] = "NULL";
        } else {
          bool number = !value->empty();
          for (char c : *value) number = number && (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-');
          user_vars_[name] = number ? *value : sqlite_literal(*value);
        }
      } else {
        if (scope == "global")
          if (auto e = check_global_access(priv::kSuper, "SUPER or SYSTEM_VARIABLES_ADMIN")) return error_result(*e);
        auto known = shared_.globals->get(name);
        bool special = name == "autocommit" || name == "sql_mode" || name == "last_insert_id" || name == "identity" ||
                       name == "pseudo_thread_id";
        if (!known && !special) return error_result(make_sql_error(er::kUnknownSystemVariable, {name}));
        if (known && known->read_only)
          return error_result(SqlError{1238, "HY000", "Variable '" + name + "' is a read only variable"});
        std::string v = is_null ? "" : *value;
        if (name == "autocommit") {
          std::string lv = to_lower(v);
          bool on = lv == "1" || lv == "on" || lv == "true";
          bool off = lv == "0" || lv == "off" || lv == "false";
          if (!on && !off)
            return error_result(SqlError{1231, "42000", "Variable 'autocommit' can't be set to the value of '" + v + "'"});
          if (on && !ctx_.autocommit) implicit_commit(&r);  // SET autocommit=1 commits
          ctx_.autocommit = on;
          if (r.error) return r;
        } else if (name == "sql_mode") {
          std::string up = to_upper(v);
          ctx_.strict = up.find("STRICT_") != std::string::npos || up.find("TRADITIONAL") != std::string::npos;
          session_vars_[name] = SystemVar{v, false, false};
          if (scope == "global") {
            bool ro = false;
            shared_.globals->set(name, v, ro);
          }
        } else if (name == "last_insert_id" || name == "identity") {
          last_insert_id_ = std::strtoull(v.c_str(), nullptr, 10);
        } else if (scope == "global") {
          bool ro = false;
          shared_.globals->set(name, v, ro);
        } else {
          session_vars_[name] = SystemVar{v, known ? known->numeric : false, false};
        }
      }
    }
    if (t[i].is_op(",")) {
      ++i;
      continue;
    }
    break;
  }
  return r;
}

// ---- USE / KILL ------------------------------------------------------------------------

StatementResult ClusterSession::do_use(const std::vector<Token>& t, std::string_view sql) {
  if (!t[1].is_name()) return error_result(syntax_error(sql, t[1].offset));
  if (auto e = unexpected_rest(t, 2, sql)) return error_result(*e);
  return init_db(t[1].text);
}

StatementResult ClusterSession::do_kill(const std::vector<Token>& t, std::string_view sql) {
  size_t i = 1;
  bool query_only = false;
  if (t[i].is_word("QUERY")) {
    query_only = true;
    ++i;
  } else if (t[i].is_word("CONNECTION")) {
    ++i;
  }
  if (t[i].kind != K::kNumber) return error_result(syntax_error(sql, t[i].offset));
  if (auto e = unexpected_rest(t, i + 1, sql)) return error_result(*e);
  // Connection ids are 32 bits (the SQL node's id in the top 8): a larger
  // number names no connection, rather than the one its low bits would.
  errno = 0;
  const unsigned long long asked = std::strtoull(t[i].text.c_str(), nullptr, 10);
  if (errno == ERANGE || asked > UINT32_MAX || (asked >> 24) == 0)
    return error_result(make_sql_error(er::kNoSuchThread, {t[i].text}));
  const uint32_t id = static_cast<uint32_t>(asked);
  StatementResult r;
  // MySQL: SUPER (CONNECTION_ADMIN) ends anyone's connection, others only
  // their own user's; the node that owns the connection checks (kill.h).
  const bool may_kill_any = (privileges().global() & priv::kSuper) != 0;
  if ((id >> 24) == shared_.node_id) {
    if (uint16_t code = kill_as(shared_.registry.load(), id, query_only, client_.user, may_kill_any))
      r.error = kill_error(code, id);
    return r;
  }
  // Another SQL node's connection: leave the request for it in the cluster.
  KillRequest request;
  request.query_only = query_only;
  request.may_kill_any = may_kill_any;
  request.user = client_.user;
  SqlError e = catalog_.post_kill(id, request);
  if (e.code) r.error = e;
  return r;
}

// ---- DDL -------------------------------------------------------------------------------

StatementResult ClusterSession::do_create(const std::vector<Token>& t, std::string_view sql) {
  StatementResult r;
  size_t i = 1;
  if (t[i].is_word("OR") && t[i + 1].is_word("REPLACE")) i += 2;
  if (t[i].is_word("DATABASE") || t[i].is_word("SCHEMA")) {
    ++i;
    bool if_not_exists = false;
    if (t[i].is_word("IF") && t[i + 1].is_word("NOT") && t[i + 2].is_word("EXISTS")) {
      if_not_exists = true;
      i += 3;
    }
    if (!t[i].is_name()) return error_result(syntax_error(sql, t[i].offset));
    std::string db = t[i++].text;
    if (!skip_database_options(t, i)) return error_result(syntax_error(sql, t[i].offset));
    if (auto e = check_database_access(db, priv::kCreate)) return error_result(*e);
    if (auto e = check_database_name(db)) return error_result(*e);
    implicit_commit(&r);
    if (r.error) return r;
    bool existed = false;
    if (auto e = catalog_.create_database(db, if_not_exists, existed)) return error_result(*e);
    if (existed) {
      r.warning_count = 1;
      last_warnings_ = {Warning{"Note", 1007, "Can't create database '" + db + "'; database exists"}};
    } else {
      r.affected_rows = 1;
    }
    return r;
  }
  if (t[i].is_word("TABLE") || (t[i].is_word("TEMPORARY") && t[i + 1].is_word("TABLE"))) {
    ParsedCreateTable p = parse_create_table(t);
    if (!p.error.empty()) {
      if (p.error == "syntax") return error_result(syntax_error(sql, p.error_offset));
      return error_result(SqlError{er::kUnknown, "HY000", p.error});
    }
    p.def.db = p.db.empty() ? ctx_.current_db : p.db;
    if (p.def.db.empty()) return error_result(make_sql_error(er::kNoDb));
    if (auto e = check_table_access(p.def.db, p.def.name, priv::kCreate)) return error_result(*e);
    if (!p.like_table.empty())
      if (auto e = copy_definition(p)) return error_result(*e);
    if (auto e = p.def.check_names()) return error_result(*e);
    if (auto e = p.def.check_sizes()) return error_result(*e);
    if (!catalog_.database_exists(p.def.db)) return error_result(make_sql_error(er::kBadDb, {p.def.db}));
    implicit_commit(&r);
    if (r.error) return r;
    bool existed = false;
    if (auto e = catalog_.create_table(p.def, p.if_not_exists, existed)) {
      if (e->code == er::kRecordFileFull) {
        // "full" alone would not tell the operator which limit: the
        // cluster's table limit, as NDB's mysqld says in SHOW WARNINGS.
        const api::NdbError ndb = api::make_error(826);
        last_warnings_ = {Warning{"Warning", er::kGetErrmsg, "Got error 826 '" + ndb.message + "' from NDB"}};
      }
      return error_result(*e);
    }
    last_warnings_.clear();
    for (auto& w : p.warnings) last_warnings_.push_back(Warning{"Warning", 1266, w});
    if (existed) last_warnings_.push_back(Warning{"Note", 1050, "Table '" + p.def.name + "' already exists"});
    r.warning_count = static_cast<uint16_t>(last_warnings_.size());
    return r;
  }
  if (t[i].is_word("INDEX") || t[i].is_word("UNIQUE") || t[i].is_word("FULLTEXT") || t[i].is_word("SPATIAL")) {
    IndexMeta ix;
    if (t[i].is_word("FULLTEXT") || t[i].is_word("SPATIAL"))
      return error_result(SqlError{1214, "HY000", "The used table type doesn't support FULLTEXT indexes"});
    if (t[i].is_word("UNIQUE")) {
      ix.unique = true;
      ++i;
    }
    if (!t[i].is_word("INDEX")) return error_result(syntax_error(sql, t[i].offset));
    ++i;
    if (!t[i].is_name()) return error_result(syntax_error(sql, t[i].offset));
    ix.name = t[i++].text;
    if (t[i].is_word("USING")) i += 2;
    if (!t[i].is_word("ON")) return error_result(syntax_error(sql, t[i].offset));
    ++i;
    std::string db = ctx_.current_db, table;
    if (!read_table_name(t, i, db, table)) return error_result(syntax_error(sql, t[i].offset));
    if (db.empty()) return error_result(make_sql_error(er::kNoDb));
    if (!t[i].is_op("(")) return error_result(syntax_error(sql, t[i].offset));
    ++i;
    while (t[i].is_name()) {
      ix.columns.push_back(t[i++].text);
      if (t[i].is_op("(")) i += 3;  // prefix length
      if (t[i].is_word("ASC") || t[i].is_word("DESC")) ++i;
      if (!t[i].is_op(",")) break;
      ++i;
    }
    if (!t[i].is_op(")") || ix.columns.empty()) return error_result(syntax_error(sql, t[i].offset));
    ++i;
    // Index options that change nothing here: the kind of index, how MySQL
    // would build it, a comment.
    for (;;) {
      if (t[i].is_word("USING") && t[i + 1].kind == K::kWord) {
        i += 2;
      } else if (t[i].is_word("COMMENT") && t[i + 1].kind == K::kString) {
        i += 2;
      } else if ((t[i].is_word("ALGORITHM") || t[i].is_word("LOCK")) && (t[i + 1].is_op("=") || t[i + 1].kind == K::kWord)) {
        i += t[i + 1].is_op("=") ? 3 : 2;
      } else {
        break;
      }
    }
    if (auto e = unexpected_rest(t, i, sql)) return error_result(*e);
    if (utf8_length(ix.name) > 64) return error_result(make_sql_error(er::kTooLongIdent, {ix.name}));
    if (auto e = check_table_access(db, table, priv::kIndex)) return error_result(*e);
    implicit_commit(&r);
    if (r.error) return r;
    if (auto e = catalog_.add_index(db, table, ix)) return error_result(*e);
    return r;
  }
  if (t[i].is_word("USER")) {
    if (auto e = check_global_access(priv::kCreateUser, "CREATE USER")) return error_result(*e);
    ++i;
    bool if_not_exists = false;
    if (t[i].is_word("IF") && t[i + 1].is_word("NOT") && t[i + 2].is_word("EXISTS")) {
      if_not_exists = true;
      i += 3;
    }
    // The whole statement is read before any account is made: a mistake
    // after the first account must not leave it created.
    std::vector<Account> accounts;
    for (;;) {
      Account a;
      if (!parse_account(t, i, a.user, a.host_pattern)) return error_result(syntax_error(sql, t[i].offset));
      if (auto e = check_account_name(a.user, a.host_pattern)) return error_result(*e);
      if (auto e = parse_identified(t, i, sql, a.password_sha1_sha1)) return error_result(*e);
      accounts.push_back(std::move(a));
      if (!t[i].is_op(",")) break;
      ++i;
    }
    if (auto e = account_options(t, i, sql)) return error_result(*e);
    implicit_commit(&r);
    if (r.error) return r;
    for (const auto& a : accounts) {
      bool existed = false;
      if (auto e = catalog_.create_user(a, if_not_exists, existed)) return error_result(*e);
    }
    return r;
  }
  return error_result(syntax_error(sql, t[i].offset));
}

StatementResult ClusterSession::do_drop(const std::vector<Token>& t, std::string_view sql) {
  // Read to the end before anything is dropped or committed: a statement
  // with a mistake in it does nothing.
  StatementResult r;
  size_t i = 1;
  if (t[i].is_word("TEMPORARY")) ++i;
  bool database = t[i].is_word("DATABASE") || t[i].is_word("SCHEMA");
  bool table = t[i].is_word("TABLE") || t[i].is_word("TABLES");
  bool user = t[i].is_word("USER");
  if (t[i].is_word("INDEX")) {
    // DROP INDEX name ON [db.]t
    ++i;
    if (!t[i].is_name() || !t[i + 1].is_word("ON")) return error_result(syntax_error(sql, t[i].offset));
    std::string index = t[i].text, db = ctx_.current_db, name;
    i += 2;
    if (!read_table_name(t, i, db, name)) return error_result(syntax_error(sql, t[i].offset));
    if (auto e = unexpected_rest(t, i, sql)) return error_result(*e);
    if (db.empty()) return error_result(make_sql_error(er::kNoDb));
    if (auto e = check_table_access(db, name, priv::kIndex)) return error_result(*e);
    return drop_index(db, name, index);
  }
  if (!database && !table && !user) return error_result(syntax_error(sql, t[i].offset));
  if (user)
    if (auto e = check_global_access(priv::kCreateUser, "CREATE USER")) return error_result(*e);
  ++i;
  bool if_exists = false;
  if (t[i].is_word("IF") && t[i + 1].is_word("EXISTS")) {
    if_exists = true;
    i += 2;
  }
  std::vector<std::pair<std::string, std::string>> names;  // db.table, or user@host
  if (database) {
    if (!t[i].is_name()) return error_result(syntax_error(sql, t[i].offset));
    names.emplace_back(t[i++].text, std::string());
  } else {
    for (;;) {
      std::string first, second;
      if (user) {
        if (!parse_account(t, i, first, second)) return error_result(syntax_error(sql, t[i].offset));
      } else {
        first = ctx_.current_db;
        if (!read_table_name(t, i, first, second)) return error_result(syntax_error(sql, t[i].offset));
      }
      names.emplace_back(std::move(first), std::move(second));
      if (!t[i].is_op(",")) break;
      ++i;
    }
    if (table && (t[i].is_word("RESTRICT") || t[i].is_word("CASCADE"))) ++i;
  }
  if (auto e = unexpected_rest(t, i, sql)) return error_result(*e);
  if (database)
    if (auto e = check_database_access(names[0].first, priv::kDrop)) return error_result(*e);
  if (table)
    for (const auto& [db, name] : names) {
      if (db.empty()) return error_result(make_sql_error(er::kNoDb));
      if (auto e = check_table_access(db, name, priv::kDrop)) return error_result(*e);
    }
  implicit_commit(&r);
  if (r.error) return r;
  last_warnings_.clear();
  if (database) {
    const std::string& db = names[0].first;
    bool missing = false;
    size_t tables = catalog_.tables(db).size();
    if (auto e = catalog_.drop_database(db, if_exists, missing)) return error_result(*e);
    if (missing) last_warnings_.push_back(Warning{"Note", 1008, "Can't drop database '" + db + "'; database doesn't exist"});
    else r.affected_rows = tables;
    if (db == ctx_.current_db && !missing) ctx_.current_db.clear();
    r.warning_count = static_cast<uint16_t>(last_warnings_.size());
    return r;
  }
  if (user) {
    for (const auto& [u, h] : names) {
      bool missing = false;
      if (auto e = catalog_.drop_user(u, h, if_exists, missing)) return error_result(*e);
    }
    return r;
  }
  std::vector<std::string> unknown;
  for (const auto& [db, name] : names) {
    bool missing = false;
    if (auto e = catalog_.drop_table(db, name, true, missing)) return error_result(*e);
    if (missing) unknown.push_back(db + "." + name);
  }
  if (!unknown.empty()) {
    std::string list;
    for (auto& u : unknown) list += (list.empty() ? "" : ",") + u;
    if (!if_exists) return error_result(make_sql_error(er::kBadTable, {list}));
    for (auto& u : unknown) last_warnings_.push_back(Warning{"Note", 1051, "Unknown table '" + u + "'"});
  }
  r.warning_count = static_cast<uint16_t>(last_warnings_.size());
  return r;
}

StatementResult ClusterSession::do_truncate(const std::vector<Token>& t, std::string_view sql) {
  size_t i = 1;
  if (t[i].is_word("TABLE")) ++i;
  std::string db = ctx_.current_db, name;
  if (!read_table_name(t, i, db, name)) return error_result(syntax_error(sql, t[i].offset));
  if (auto e = unexpected_rest(t, i, sql)) return error_result(*e);
  if (db.empty()) return error_result(make_sql_error(er::kNoDb));
  if (auto e = check_table_access(db, name, priv::kDrop)) return error_result(*e);
  StatementResult r;
  implicit_commit(&r);
  if (r.error) return r;
  if (auto e = catalog_.truncate_table(db, name)) return error_result(*e);
  return r;
}

StatementResult ClusterSession::do_alter(const std::vector<Token>& t, std::string_view sql) {
  // ALTER TABLE t ADD [UNIQUE] {INDEX|KEY} name (cols): the only change the
  // cluster tables support (by rebuilding the table).
  size_t i = 1;
  if (t[i].is_word("USER")) return alter_user(t, sql);
  if (t[i].is_word("DATABASE") || t[i].is_word("SCHEMA")) {
    // Only the character set could change, and the cluster's text is
    // always utf8mb4.
    ++i;
    std::string db = ctx_.current_db;
    if (t[i].is_name() && !t[i].is_word("DEFAULT") && !t[i].is_word("CHARACTER") && !t[i].is_word("CHARSET") &&
        !t[i].is_word("COLLATE") && !t[i].is_word("ENCRYPTION"))
      db = t[i++].text;
    if (!skip_database_options(t, i)) return error_result(syntax_error(sql, t[i].offset));
    if (db.empty()) return error_result(make_sql_error(er::kNoDb));
    if (auto e = check_database_access(db, priv::kAlter)) return error_result(*e);
    if (!catalog_.database_exists(db)) return error_result(make_sql_error(er::kBadDb, {db}));
    return StatementResult{};
  }
  if (!t[i].is_word("TABLE")) return error_result(syntax_error(sql, t[i].offset));
  ++i;
  std::string db = ctx_.current_db, table;
  if (!read_table_name(t, i, db, table)) return error_result(syntax_error(sql, t[i].offset));
  if (db.empty()) return error_result(make_sql_error(er::kNoDb));
  if (auto e = check_table_access(db, table, priv::kAlter)) return error_result(*e);
  StatementResult r;
  if (t[i].is_word("ENGINE")) {
    // Every table is a cluster table whatever it is called.
    i += t[i + 1].is_op("=") ? 2 : 1;
    if (!(t[i].is_name() || t[i].kind == K::kString)) return error_result(syntax_error(sql, t[i].offset));
    if (auto e = unexpected_rest(t, i + 1, sql)) return error_result(*e);
    implicit_commit(&r);
    return r;
  }
  if (t[i].is_word("DROP") && (t[i + 1].is_word("INDEX") || t[i + 1].is_word("KEY")) && t[i + 2].is_name() &&
      t[i + 3].kind == K::kEnd)
    return drop_index(db, table, t[i + 2].text);
  if (!t[i].is_word("ADD"))
    return error_result(SqlError{1235, "42000", "This version of halb-sqld doesn't yet support this ALTER TABLE"});
  ++i;
  IndexMeta ix;
  if (t[i].is_word("CONSTRAINT")) i += t[i + 1].is_name() && !t[i + 1].is_word("UNIQUE") && !t[i + 1].is_word("PRIMARY") ? 2 : 1;
  if (t[i].is_word("PRIMARY"))
    return error_result(SqlError{1235, "42000", "This version of halb-sqld doesn't yet support adding a primary key"});
  if (t[i].is_word("UNIQUE")) {
    ix.unique = true;
    ++i;
    if (!(t[i].is_word("INDEX") || t[i].is_word("KEY"))) --i;  // ADD UNIQUE [INDEX|KEY] name
  }
  if (!(t[i].is_word("INDEX") || t[i].is_word("KEY") || ix.unique))
    return error_result(SqlError{1235, "42000", "This version of halb-sqld doesn't yet support this ALTER TABLE"});
  ++i;
  if (t[i].is_name()) ix.name = t[i++].text;
  if (t[i].is_word("USING")) i += 2;
  if (!t[i].is_op("(")) return error_result(syntax_error(sql, t[i].offset));
  ++i;
  while (t[i].is_name()) {
    ix.columns.push_back(t[i++].text);
    if (t[i].is_op("(")) i += 3;
    if (t[i].is_word("ASC") || t[i].is_word("DESC")) ++i;
    if (!t[i].is_op(",")) break;
    ++i;
  }
  if (!t[i].is_op(")") || ix.columns.empty()) return error_result(syntax_error(sql, t[i].offset));
  if (auto e = unexpected_rest(t, i + 1, sql)) return error_result(*e);
  if (ix.name.empty()) ix.name = ix.columns[0];
  if (utf8_length(ix.name) > 64) return error_result(make_sql_error(er::kTooLongIdent, {ix.name}));
  implicit_commit(&r);
  if (r.error) return r;
  if (auto e = catalog_.add_index(db, table, ix)) return error_result(*e);
  return r;
}

StatementResult ClusterSession::alter_user(const std::vector<Token>& t, std::string_view sql) {
  // ALTER USER [IF EXISTS] account [IDENTIFIED ...] [, ...] [options]:
  // a new password; anything else an account here cannot have is refused.
  size_t i = 2;
  bool if_exists = false;
  if (t[i].is_word("IF") && t[i + 1].is_word("EXISTS")) {
    if_exists = true;
    i += 2;
  }
  struct Change {
    std::string user, host;
    std::optional<std::string> sha1_sha1;
  };
  std::vector<Change> changes;
  for (;;) {
    Change c;
    if (t[i].is_word("USER") && t[i + 1].is_op("(") && t[i + 2].is_op(")")) {  // USER(): the current account
      c.user = client_.user;
      c.host = client_.account_host.empty() ? "%" : client_.account_host;
      i += 3;
    } else if (!parse_account(t, i, c.user, c.host)) {
      return error_result(syntax_error(sql, t[i].offset));
    }
    if (t[i].is_word("IDENTIFIED")) {
      std::string hash;
      if (auto e = parse_identified(t, i, sql, hash)) return error_result(*e);
      c.sha1_sha1 = std::move(hash);
    }
    changes.push_back(std::move(c));
    if (!t[i].is_op(",")) break;
    ++i;
  }
  if (auto e = account_options(t, i, sql)) return error_result(*e);
  // Anyone may change their own password; other accounts need CREATE USER.
  for (const auto& c : changes)
    if (c.user != client_.user || c.host != client_.account_host)
      if (auto e = check_global_access(priv::kCreateUser, "CREATE USER")) return error_result(*e);
  StatementResult r;
  implicit_commit(&r);
  if (r.error) return r;
  catalog_.reload();
  // As MySQL 8: with an account missing nothing changes (IF EXISTS: the
  // others do, and a note names the missing ones).
  std::string missing;
  std::vector<const Change*> found;
  const auto accounts = catalog_.accounts();
  for (const auto& c : changes) {
    bool exists = std::any_of(accounts.begin(), accounts.end(), [&](const AccountRecord& a) {
      return a.account.user == c.user && a.account.host_pattern == c.host;
    });
    if (exists) found.push_back(&c);
    else missing += (missing.empty() ? "'" : ",'") + c.user + "'@'" + c.host + "'";
  }
  if (!missing.empty() && !if_exists) return error_result(SqlError{1396, "HY000", "Operation ALTER USER failed for " + missing});
  for (const Change* c : found)
    if (c->sha1_sha1)
      if (auto e = catalog_.set_password(c->user, c->host, *c->sha1_sha1)) return error_result(*e);
  if (!missing.empty()) {
    last_warnings_ = {Warning{"Note", 3162, "Authorization ID " + missing + " does not exist."}};
    r.warning_count = 1;
  }
  privileges_version_ = ~uint64_t{0};
  return r;
}

std::optional<SqlError> ClusterSession::copy_definition(ParsedCreateTable& p) {
  const std::string db = p.like_db.empty() ? ctx_.current_db : p.like_db;
  if (db.empty()) return make_sql_error(er::kNoDb);
  if (db == p.def.db && p.like_table == p.def.name)
    return SqlError{1066, "42000", "Not unique table/alias: '" + p.def.name + "'"};
  if (auto e = check_table_access(db, p.like_table, priv::kSelect)) return e;
  auto source = catalog_.table(db, p.like_table);
  if (!source) return make_sql_error(er::kNoSuchTable, {db + "." + p.like_table});
  TableDef def = source->def;
  def.db = p.def.db;
  def.name = p.def.name;
  def.auto_increment_start = 1;
  p.def = std::move(def);
  return std::nullopt;
}

StatementResult ClusterSession::drop_index(const std::string& db, const std::string& table, const std::string& index) {
  StatementResult r;
  implicit_commit(&r);
  if (r.error) return r;
  if (auto e = catalog_.drop_index(db, table, index)) return error_result(*e);
  return r;
}

StatementResult ClusterSession::do_grant(const std::vector<Token>& t, std::string_view sql, bool revoke) {
  // GRANT privs ON what TO account [, account] [IDENTIFIED BY 'pw'] [WITH GRANT OPTION]
  // REVOKE privs ON what FROM account [, account]
  // REVOKE ALL [PRIVILEGES], GRANT OPTION FROM account
  size_t on = 0, to = 0;
  for (size_t k = 1; k < t.size() && t[k].kind != K::kEnd; ++k) {
    if (!on && !to && t[k].is_word("ON")) on = k;
    if (!to && ((!revoke && t[k].is_word("TO")) || (revoke && t[k].is_word("FROM")))) to = k;
  }
  bool revoke_everything = revoke && !on && to;
  if (!to || (!on && !revoke_everything) || (on && to < on)) return error_result(syntax_error(sql, t[1].offset));
  uint32_t mask = 0;
  bool all = false;
  std::string why;
  std::vector<ColumnGrant> columns;
  if (!parse_privilege_list(t, 1, on ? on : to, mask, all, why, &columns)) {
    if (why == "a privilege that cannot name columns")
      return error_result(SqlError{1144, "42000",
                                   "Illegal GRANT/REVOKE command; please consult the manual to see which privileges can be used"});
    return error_result(syntax_error(sql, t[1].offset));
  }
  GrantTarget target;
  if (on && !parse_grant_target(t, on + 1, to, ctx_.current_db, target)) {
    if (ctx_.current_db.empty() && to == on + 2) return error_result(make_sql_error(er::kNoDb));
    return error_result(syntax_error(sql, t[on + 1].offset));
  }
  // Column privileges belong to one table, whose columns they must name.
  if (!columns.empty()) {
    if (target.global() || target.database_level())
      return error_result(SqlError{1144, "42000",
                                   "Illegal GRANT/REVOKE command; please consult the manual to see which privileges can be used"});
    auto tab = catalog_.table(target.db, target.table);
    if (!tab) return error_result(make_sql_error(er::kNoSuchTable, {target.db + "." + target.table}));
    for (const auto& g : columns)
      for (const auto& c : g.columns)
        if (!tab->def.column(c) && !revoke)
          return error_result(SqlError{1054, "42S22", "Unknown column '" + c + "' in '" + target.table + "'"});
  }
  size_t i = to + 1;
  std::vector<std::pair<std::string, std::string>> accounts;
  for (;;) {
    std::string user, host;
    if (!parse_account(t, i, user, host)) return error_result(syntax_error(sql, t[i].offset));
    if (auto e = check_account_name(user, host)) return error_result(*e);
    accounts.emplace_back(user, host);
    if (!t[i].is_op(",")) break;
    ++i;
  }
  std::optional<std::string> password;
  if (!revoke && t[i].is_word("IDENTIFIED") && t[i + 1].is_word("BY") && t[i + 2].kind == K::kString) {
    password = t[i + 2].text;
    i += 3;
  }
  if (!revoke && t[i].is_word("WITH") && t[i + 1].is_word("GRANT") && t[i + 2].is_word("OPTION")) {
    mask |= priv::kGrantOption;
    i += 3;
  }
  if (t[i].kind != K::kEnd) return error_result(syntax_error(sql, t[i].offset));
  // The level decides what ALL means and which privileges fit it.
  uint32_t level_all = target.global() ? priv::kAllGlobal : target.database_level() ? priv::kAllDatabase : priv::kAllTable;
  if (all) mask |= level_all;
  if (!revoke_everything && (mask & ~priv::kGrantOption & ~level_all)) {
    if (target.database_level()) return error_result(SqlError{1221, "HY000", "Incorrect usage of DB GRANT and GLOBAL PRIVILEGES"});
    return error_result(SqlError{1144, "42000",
                                 "Illegal GRANT/REVOKE command; please consult the manual to see which privileges can be used"});
  }
  // Who may: GRANT OPTION at that level and (for GRANT) every privilege given.
  if (revoke_everything) {
    if (auto e = check_global_access(priv::kCreateUser, "CREATE USER")) return error_result(*e);
  } else {
    if (auto e = grant_access_error(target)) return error_result(*e);
    uint32_t held = target.global() ? privileges().global()
                    : target.database_level() ? privileges().on_database(target.db)
                                              : privileges().on_table(target.db, target.table);
    uint32_t columns_mask = 0;
    for (const auto& g : columns) columns_mask |= g.bit;
    if (!revoke && ((mask | columns_mask) & ~held & ~priv::kGrantOption)) {
      if (target.global()) return error_result(make_sql_error(er::kAccessDenied, {client_.user, client_.host, "YES"}));
      if (target.database_level())
        return error_result(make_sql_error(er::kDbAccessDenied, {client_.user, client_.host, target.db}));
      return error_result(SqlError{1142, "42000", "GRANT command denied to user '" + client_.user + "'@'" + client_.host +
                                                      "' for table '" + target.table + "'"});
    }
  }
  if (!target.global() && !target.database_level() && !revoke && !catalog_.table(target.db, target.table))
    return error_result(make_sql_error(er::kNoSuchTable, {target.db + "." + target.table}));
  StatementResult r;
  implicit_commit(&r);
  if (r.error) return r;
  catalog_.reload();  // the accounts as they stand, not as this node cached them
  for (auto& [user, host] : accounts) {
    const AccountRecord* record = nullptr;
    auto all_accounts = catalog_.accounts();
    for (auto& a : all_accounts)
      if (a.account.user == user && a.account.host_pattern == host) record = &a;
    if (!record && revoke) return error_result(SqlError{1141, "42000", "There is no such grant defined for user '" + user + "' on host '" + host + "'"});
    if (!record || password) {
      // MySQL 5.x's GRANT ... IDENTIFIED BY creates the account or sets its password
      bool existed = false;
      Account a{user, host, password ? password_sha1_sha1(*password) : std::string()};
      if (!record && !password)
        return error_result(SqlError{1133, "28000", "Can't find any matching row in the user table"});
      if (auto e = catalog_.create_user(a, true, existed)) return error_result(*e);
      if (existed)
        if (auto e = catalog_.set_password(user, host, a.password_sha1_sha1)) return error_result(*e);
    }
    Privileges p = Privileges::from_grants(record ? record->grants : std::vector<std::string>{});
    if (revoke_everything) {
      p = Privileges{};
    } else if (revoke) {
      // A REVOKE of column privileges only, or of both kinds.
      bool revoked_columns = !columns.empty() && p.revoke_columns(target, columns);
      if (!columns.empty() && !revoked_columns && !mask)
        return error_result(SqlError{1147, "42000", "There is no such grant defined for user '" + user + "' on host '" +
                                                        host + "' on table '" + target.table + "'"});
      if (mask && !p.revoke(target, mask)) {
        if (target.global() || target.database_level())
          return error_result(SqlError{1141, "42000", "There is no such grant defined for user '" + user + "' on host '" + host + "'"});
        return error_result(SqlError{1147, "42000", "There is no such grant defined for user '" + user + "' on host '" + host +
                                                        "' on table '" + target.table + "'"});
      }
    } else {
      if (mask || columns.empty()) p.grant(target, mask);
      if (!columns.empty()) p.grant_columns(target, columns);
    }
    if (auto e = catalog_.set_grants(user, host, p.grant_lines(user, host))) return error_result(*e);
  }
  privileges_version_ = ~uint64_t{0};
  return r;
}

// ---- ANALYZE / CHECK / OPTIMIZE / REPAIR TABLE ---------------------------------------

StatementResult ClusterSession::table_maintenance(const std::vector<Token>& t, std::string_view sql) {
  // {ANALYZE|CHECK|OPTIMIZE|REPAIR} [NO_WRITE_TO_BINLOG|LOCAL] TABLE t [, t]...
  // [options]: nothing to do on cluster tables, but each table named is
  // looked up and answered for as MySQL does.
  const std::string op = to_lower(t[0].text);
  size_t i = 1;
  if (op != "check" && (t[i].is_word("NO_WRITE_TO_BINLOG") || t[i].is_word("LOCAL"))) ++i;
  if (!(t[i].is_word("TABLE") || t[i].is_word("TABLES"))) return error_result(syntax_error(sql, t[i].offset));
  ++i;
  std::vector<std::pair<std::string, std::string>> names;
  for (;;) {
    std::string db = ctx_.current_db, name;
    if (!read_table_name(t, i, db, name)) return error_result(syntax_error(sql, t[i].offset));
    if (db.empty()) return error_result(make_sql_error(er::kNoDb));
    names.emplace_back(db, name);
    if (!t[i].is_op(",")) break;
    ++i;
  }
  // CHECK's and REPAIR's options (FOR UPGRADE, QUICK, FAST, MEDIUM,
  // EXTENDED, CHANGED, USE_FRM).
  if (op == "check" && t[i].is_word("FOR") && t[i + 1].is_word("UPGRADE")) i += 2;
  while ((op == "check" || op == "repair") &&
         (t[i].is_word("QUICK") || t[i].is_word("FAST") || t[i].is_word("MEDIUM") || t[i].is_word("EXTENDED") ||
          t[i].is_word("CHANGED") || t[i].is_word("USE_FRM")))
    ++i;
  if (auto e = unexpected_rest(t, i, sql)) return error_result(*e);
  StatementResult r = result_set({text_column("Table", 64), text_column("Op", 10), text_column("Msg_type", 10),
                                  text_column("Msg_text", 64)});
  for (const auto& [db, name] : names) {
    const std::string full = db + "." + name;
    if (auto e = check_table_access(db, name, priv::kSelect | priv::kInsert)) {
      r.rows.push_back({full, op, std::string("Error"), e->message});
      r.rows.push_back({full, op, std::string("status"), std::string("Operation failed")});
    } else if (!catalog_.table(db, name)) {
      r.rows.push_back({full, op, std::string("Error"), "Table '" + full + "' doesn't exist"});
      r.rows.push_back({full, op, std::string("status"), std::string("Operation failed")});
    } else {
      r.rows.push_back({full, op, std::string("status"), std::string("OK")});
    }
  }
  return r;
}

// ---- SHOW / DESCRIBE ------------------------------------------------------------------------

StatementResult ClusterSession::show_columns(const std::string& db, const std::string& table, bool full,
                                             const std::string& pattern) {
  if (db.empty()) return error_result(make_sql_error(er::kNoDb));
  if (auto e = check_table_visible(db, table)) return error_result(*e);
  catalog_.sync();  // DDL on another SQL node a moment ago shows
  auto t = catalog_.table(db, table);
  if (!t) return error_result(make_sql_error(er::kNoSuchTable, {db + "." + table}));
  std::vector<ColumnDef> cols = {text_column("Field", 64), text_column("Type", 64)};
  if (full) cols.push_back(text_column("Collation", 64));
  for (const char* n : {"Null", "Key", "Default", "Extra"}) cols.push_back(text_column(n, 64));
  if (full) {
    cols.push_back(text_column("Privileges", 80));
    cols.push_back(text_column("Comment", 1024));
  }
  StatementResult r = result_set(cols);
  for (const auto& c : t->def.columns) {
    if (!pattern.empty() && !like(pattern, c.name)) continue;
    // With privileges on some columns only, only those are listed.
    const uint32_t held = privileges().on_column(db, table, c.name);
    if (!(held & (priv::kAllTable | priv::kGrantOption))) continue;
    std::string key = column_key(t->def, c);
    std::optional<std::string> def;
    if (c.default_now) def = std::string("current_timestamp()");
    else if (c.default_value) def = *c.default_value;
    Row row = {c.name, c.type_text()};
    if (full) row.push_back(text_or_null(c.is_string() ? std::optional<std::string>("utf8mb4_general_ci") : std::nullopt));
    row.push_back(std::string(c.nullable ? "YES" : "NO"));
    row.push_back(key);
    row.push_back(text_or_null(def));
    row.push_back(std::string(c.auto_increment ? "auto_increment" : ""));
    if (full) {
      row.push_back(column_privilege_list(held));
      row.push_back(std::string());
    }
    r.rows.push_back(std::move(row));
  }
  return r;
}

StatementResult ClusterSession::show_index(const std::string& db, const std::string& table) {
  if (db.empty()) return error_result(make_sql_error(er::kNoDb));
  if (auto e = check_table_visible(db, table)) return error_result(*e);
  catalog_.sync();  // DDL on another SQL node a moment ago shows
  auto t = catalog_.table(db, table);
  if (!t) return error_result(make_sql_error(er::kNoSuchTable, {db + "." + table}));
  StatementResult r = result_set({text_column("Table", 64), int_column("Non_unique", 1), text_column("Key_name", 64),
                                  int_column("Seq_in_index", 2), text_column("Column_name", 64),
                                  text_column("Collation", 1), int_column("Cardinality", 21),
                                  int_column("Sub_part", 3), text_column("Packed", 10), text_column("Null", 3),
                                  text_column("Index_type", 16), text_column("Comment", 16),
                                  text_column("Index_comment", 1024), text_column("Ignored", 3)});
  r.columns[7].flags &= static_cast<uint16_t>(~column_flag::kNotNull);
  r.columns[6].flags &= static_cast<uint16_t>(~column_flag::kNotNull);
  for (const auto& ix : t->def.indexes) {
    for (size_t k = 0; k < ix.columns.size(); ++k) {
      const ColumnMeta* c = t->def.column(ix.columns[k]);
      r.rows.push_back({t->def.name, int64_t{ix.unique ? 0 : 1}, ix.name, static_cast<int64_t>(k + 1), ix.columns[k],
                        std::string(ix.unique && !ix.primary ? "" : "A"), std::monostate{}, std::monostate{},
                        std::monostate{}, std::string(c && c->nullable ? "YES" : ""),
                        std::string(ix.unique ? "HASH" : "BTREE"), std::string(), std::string(), std::string("NO")});
    }
  }
  return r;
}

StatementResult ClusterSession::do_describe(const std::vector<Token>& t, std::string_view sql) {
  size_t i = 1;
  if (t[0].is_word("EXPLAIN") && (t[1].is_word("SELECT") || t[1].is_word("UPDATE") || t[1].is_word("DELETE") ||
                                   t[1].is_word("INSERT") || t[1].is_word("EXTENDED") || t[1].is_word("FORMAT"))) {
    StatementResult r = result_set({int_column("id", 3), text_column("select_type", 19), text_column("table", 64),
                                    text_column("type", 10), text_column("possible_keys", 64), text_column("key", 64),
                                    text_column("key_len", 64), text_column("ref", 64), int_column("rows", 10),
                                    text_column("Extra", 255)});
    r.rows.push_back({int64_t{1}, std::string("SIMPLE"), std::monostate{}, std::string("ALL"), std::monostate{},
                      std::monostate{}, std::monostate{}, std::monostate{}, int64_t{0},
                      std::string("Using NDB virtual table")});
    return r;
  }
  std::string db = ctx_.current_db, table;
  if (!read_table_name(t, i, db, table)) return error_result(syntax_error(sql, t[i].offset));
  std::string pattern;
  if (t[i].is_name() || t[i].kind == K::kString) pattern = t[i++].text;
  if (auto e = unexpected_rest(t, i, sql)) return error_result(*e);
  return show_columns(db, table, false, pattern);
}

StatementResult ClusterSession::do_show(const std::vector<Token>& t, std::string_view sql) {
  size_t where = 0;
  StatementResult r = show_rows(t, sql, where);
  if (where && !r.error && r.has_result_set) filter_rows(r, t, where, sql);
  return r;
}

// SHOW ... WHERE condition: the condition decides row by row, each column
// name in it standing for that row's value (a string, a number or NULL),
// evaluated as any scalar expression is (eval_scalar: MySQL's comparison
// and collation rules). Results are a few hundred rows at most.
void ClusterSession::filter_rows(StatementResult& r, const std::vector<Token>& t, size_t where, std::string_view sql) {
  size_t end = where;
  while (t[end].kind != K::kEnd) ++end;
  std::vector<Row> kept;
  for (Row& row : r.rows) {
    std::vector<Token> cond;
    for (size_t k = where; k < end; ++k) {
      Token tk = t[k];
      const bool qualified = (k > where && t[k - 1].is_op(".")) || t[k + 1].is_op(".") || t[k + 1].is_op("(");
      if (tk.is_name() && !qualified)
        for (size_t c = 0; c < r.columns.size(); ++c) {
          if (!iequals(tk.text, r.columns[c].name)) continue;
          const Value& v = row[c];
          if (std::holds_alternative<std::monostate>(v)) {
            tk.kind = K::kWord;
            tk.text = "NULL";
          } else if (const auto* text = std::get_if<std::string>(&v)) {
            tk.kind = K::kString;
            tk.text = *text;
          } else {
            tk.kind = K::kNumber;
            tk.text = std::visit([](const auto& n) -> std::string {
              if constexpr (std::is_arithmetic_v<std::decay_t<decltype(n)>>) return std::to_string(n);
              else return std::string();
            }, v);
          }
          break;
        }
      cond.push_back(std::move(tk));
    }
    cond.push_back(t[end]);
    SqlError error;
    bool is_null = false;
    auto value = eval_scalar(cond, 0, cond.size() - 1, sql, error, is_null);
    if (!value) {
      r = StatementResult{};
      r.error = error;
      return;
    }
    if (!is_null && std::strtod(value->c_str(), nullptr) != 0) kept.push_back(std::move(row));
  }
  r.rows = std::move(kept);
}

StatementResult ClusterSession::show_rows(const std::vector<Token>& t, std::string_view sql, size_t& where) {
  size_t i = 1;
  bool full = false, global = false;
  if (t[i].is_word("FULL")) {
    full = true;
    ++i;
  }
  if (t[i].is_word("GLOBAL")) {
    global = true;
    ++i;
  } else if (t[i].is_word("SESSION") || t[i].is_word("LOCAL")) {
    ++i;
  }
  std::string what = to_upper(t[i].text);
  ++i;
  // FROM/IN db, LIKE 'p', WHERE condition (do_show applies it). Then the
  // statement must end.
  auto tail = [&](std::string& db, std::string& pattern) -> std::optional<SqlError> {
    for (;;) {
      if ((t[i].is_word("FROM") || t[i].is_word("IN")) && t[i + 1].is_name()) {
        db = t[i + 1].text;
        i += 2;
      } else if (t[i].is_word("LIKE") && t[i + 1].kind == K::kString) {
        pattern = t[i + 1].text;
        i += 2;
      } else if (t[i].is_word("WHERE") && t[i + 1].kind != K::kEnd) {
        where = ++i;
        while (t[i].kind != K::kEnd) ++i;
      } else {
        return unexpected_rest(t, i, sql);
      }
    }
  };
  auto end_here = [&] { return unexpected_rest(t, i, sql); };
  std::string db = ctx_.current_db, pattern;
  if (what == "DATABASES" || what == "SCHEMAS") {
    if (auto e = tail(db, pattern)) return error_result(*e);
    StatementResult r = result_set({text_column(pattern.empty() ? "Database" : "Database (" + pattern + ")", 64)});
    std::vector<std::string> names = catalog_.databases();
    names.push_back("information_schema");
    std::sort(names.begin(), names.end());
    const bool every = privileges().global() & (priv::kShowDatabases | priv::kAllDatabase);
    for (auto& n : names)
      if ((pattern.empty() || like(pattern, n)) && (every || n == "information_schema" || privileges().any_on_database(n)))
        r.rows.push_back({n});
    return r;
  }
  if (what == "TABLES") {
    if (auto e = tail(db, pattern)) return error_result(*e);
    if (db.empty()) return error_result(make_sql_error(er::kNoDb));
    if (!can_use_database(db)) return error_result(make_sql_error(er::kDbAccessDenied, {client_.user, client_.host, db}));
    const bool info = is_information_schema_name(db);
    if (!info && !catalog_.database_exists(db)) return error_result(make_sql_error(er::kBadDb, {db}));
    // With privileges on some tables only, only those are listed.
    const bool every = privileges().on_database(db) & ~priv::kGrantOption;
    std::vector<ColumnDef> cols = {text_column("Tables_in_" + db + (pattern.empty() ? "" : " (" + pattern + ")"), 64)};
    if (full) cols.push_back(text_column("Table_type", 64));
    StatementResult r = result_set(cols);
    auto names = info ? information_schema_table_names() : catalog_.tables(db);
    std::sort(names.begin(), names.end());
    for (auto& n : names) {
      if (!pattern.empty() && !like(pattern, n)) continue;
      if (!info && !every && !privileges().any_on_table(db, n)) continue;
      Row row = {n};
      if (full) row.push_back(std::string(info ? "SYSTEM VIEW" : "BASE TABLE"));
      r.rows.push_back(std::move(row));
    }
    return r;
  }
  if (what == "ENGINES" || (what == "STORAGE" && t[i].is_word("ENGINES"))) {
    if (what == "STORAGE") ++i;
    if (auto e = end_here()) return error_result(*e);
    StatementResult r = result_set({text_column("Engine", 64), text_column("Support", 8), text_column("Comment", 80),
                                    text_column("Transactions", 3), text_column("XA", 3), text_column("Savepoints", 3)});
    r.rows.push_back({std::string("ndbcluster"), std::string("DEFAULT"),
                      std::string("Clustered, fault-tolerant tables (halb cluster)"), std::string("YES"),
                      std::string("NO"), std::string("NO")});
    r.rows.push_back({std::string("ndbinfo"), std::string("NO"), std::string("NDB cluster system information storage engine"),
                      std::string("NO"), std::string("NO"), std::string("NO")});
    for (const char* e : {"InnoDB", "MyISAM", "MEMORY", "Aria", "CSV"})
      r.rows.push_back({std::string(e), std::string("NO"), std::string("Tables are created as ndbcluster tables"),
                        std::string("NO"), std::string("NO"), std::string("NO")});
    return r;
  }
  if (what == "PROCESSLIST") {
    if (auto e = end_here()) return error_result(*e);
    StatementResult r = result_set({int_column("Id", 21), text_column("User", 32), text_column("Host", 64),
                                    text_column("db", 64), text_column("Command", 16), int_column("Time", 7),
                                    text_column("State", 30), text_column("Info", full ? 65535 : 100)});
    r.columns[3].flags = 0;
    if (ConnectionRegistry* reg = shared_.registry.load()) {
      const bool every = privileges().global() & priv::kProcess;
      for (auto& p : reg->processes()) {
        if (!every && p.user != client_.user) continue;
        std::string info = p.info;
        if (!full && info.size() > 100) info.resize(100);
        r.rows.push_back({static_cast<int64_t>(p.id), p.user, p.host,
                          text_or_null(p.db.empty() ? std::nullopt : std::optional<std::string>(p.db)), p.command,
                          static_cast<int64_t>(p.time_s), p.state,
                          text_or_null(info.empty() ? std::nullopt : std::optional<std::string>(info))});
      }
    }
    return r;
  }
  if (what == "VARIABLES") {
    if (auto e = tail(db, pattern)) return error_result(*e);
    StatementResult r = result_set({text_column("Variable_name", 64), text_column("Value", 2048)});
    auto vars = shared_.globals->all();
    if (!global)
      for (auto& [n, v] : session_vars_) vars[n] = v;
    vars["autocommit"] = SystemVar{global ? "ON" : (ctx_.autocommit ? "ON" : "OFF"), false, false};
    for (auto& [n, v] : vars) {
      if (!pattern.empty() && !like(pattern, n)) continue;
      r.rows.push_back({n, v.value});
    }
    return r;
  }
  if (what == "STATUS") {
    if (auto e = tail(db, pattern)) return error_result(*e);
    StatementResult r = result_set({text_column("Variable_name", 64), text_column("Value", 1024)});
    ConnectionRegistry* reg = shared_.registry.load();
    std::map<std::string, std::string> st;
    st["Uptime"] = std::to_string(reg ? reg->uptime_s() : 0);
    st["Questions"] = std::to_string(reg ? reg->questions() : 0);
    st["Threads_connected"] = std::to_string(reg ? reg->processes().size() : 0);
    st["Connections"] = std::to_string(shared_.sessions_opened.load());
    st["Ndb_cluster_node_id"] = std::to_string(ctx_.conn.node_id());  // this session's pool member
    st["Ndb_number_of_data_nodes"] = std::to_string(ctx_.conn.started_nodes().size());
    st["Ndb_catalog_version"] = std::to_string(catalog_.version());
    st["Last_query_cost"] = "0.000000";
    st["Halb_fast_path_selects"] = std::to_string(fast_path_selects_);  // this session's (point_select.h)
    for (auto& [n, v] : st)
      if (pattern.empty() || like(pattern, n)) r.rows.push_back({n, v});
    return r;
  }
  if (what == "WARNINGS" || what == "ERRORS") {
    // LIMIT [offset,] count
    size_t skip = 0, count = SIZE_MAX;
    if (t[i].is_word("LIMIT") && t[i + 1].kind == K::kNumber) {
      count = std::strtoull(t[i + 1].text.c_str(), nullptr, 10);
      i += 2;
      if (t[i].is_op(",") && t[i + 1].kind == K::kNumber) {
        skip = count;
        count = std::strtoull(t[i + 1].text.c_str(), nullptr, 10);
        i += 2;
      }
    }
    if (auto e = end_here()) return error_result(*e);
    StatementResult r = result_set({text_column("Level", 7), int_column("Code", 4), text_column("Message", 512)});
    for (auto& w : last_warnings_) {
      if (what == "ERRORS" && w.level != "Error") continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      if (r.rows.size() >= count) break;
      r.rows.push_back({w.level, static_cast<int64_t>(w.code), w.message});
    }
    return r;
  }
  if (what == "COUNT") {  // SHOW COUNT(*) WARNINGS
    if (!(t[i].is_op("(") && t[i + 1].is_op("*") && t[i + 2].is_op(")") &&
          (t[i + 3].is_word("WARNINGS") || t[i + 3].is_word("ERRORS"))))
      return error_result(syntax_error(sql, t[i].offset));
    i += 4;
    if (auto e = end_here()) return error_result(*e);
    StatementResult r = result_set({int_column("@@session.warning_count", 21)});
    r.rows.push_back({static_cast<int64_t>(last_warnings_.size())});
    return r;
  }
  if (what == "CREATE") {
    std::string kind = to_upper(t[i].text);
    ++i;
    if (kind == "DATABASE" || kind == "SCHEMA") {
      if (t[i].is_word("IF") && t[i + 1].is_word("NOT") && t[i + 2].is_word("EXISTS")) i += 3;
      if (!t[i].is_name()) return error_result(syntax_error(sql, t[i].offset));
      std::string d = t[i++].text;
      if (auto e = end_here()) return error_result(*e);
      if (!can_use_database(d)) return error_result(make_sql_error(er::kDbAccessDenied, {client_.user, client_.host, d}));
      if (!catalog_.database_exists(d)) return error_result(make_sql_error(er::kBadDb, {d}));
      StatementResult r = result_set({text_column("Database", 64), text_column("Create Database", 1024)});
      r.rows.push_back({d, "CREATE DATABASE " + quote_ident(d) + " /*!40100 DEFAULT CHARACTER SET utf8mb4 */"});
      return r;
    }
    if (kind == "TABLE") {
      std::string table;
      if (!read_table_name(t, i, db, table)) return error_result(syntax_error(sql, t[i].offset));
      if (auto e = end_here()) return error_result(*e);
      if (db.empty()) return error_result(make_sql_error(er::kNoDb));
      if (auto e = check_table_visible(db, table)) return error_result(*e);
      auto tab = catalog_.table(db, table);
      if (!tab) return error_result(make_sql_error(er::kNoSuchTable, {db + "." + table}));
      StatementResult r = result_set({text_column("Table", 64), text_column("Create Table", 16384)});
      r.rows.push_back({tab->def.name, tab->def.create_statement()});
      return r;
    }
    if (kind == "USER") {
      std::string u, h;
      if (!parse_account(t, i, u, h)) return error_result(syntax_error(sql, t[i].offset));
      if (auto e = end_here()) return error_result(*e);
      StatementResult r = result_set({text_column("CREATE USER for " + u + "@" + h, 1024)});
      r.rows.push_back({"CREATE USER `" + u + "`@`" + h + "` IDENTIFIED WITH 'mysql_native_password'"});
      return r;
    }
    return error_result(syntax_error(sql, t[i - 1].offset));
  }
  if (what == "COLUMNS" || what == "FIELDS") {
    if (!(t[i].is_word("FROM") || t[i].is_word("IN"))) return error_result(syntax_error(sql, t[i].offset));
    ++i;
    std::string table;
    if (!read_table_name(t, i, db, table)) return error_result(syntax_error(sql, t[i].offset));
    if (auto e = tail(db, pattern)) return error_result(*e);
    return show_columns(db, table, full, pattern);
  }
  if (what == "INDEX" || what == "INDEXES" || what == "KEYS") {
    if (!(t[i].is_word("FROM") || t[i].is_word("IN"))) return error_result(syntax_error(sql, t[i].offset));
    ++i;
    std::string table;
    if (!read_table_name(t, i, db, table)) return error_result(syntax_error(sql, t[i].offset));
    if (auto e = tail(db, pattern)) return error_result(*e);
    return show_index(db, table);
  }
  if (what == "GRANTS") {
    std::string u = client_.user, h = client_.account_host.empty() ? "%" : client_.account_host;
    if (t[i].is_word("FOR")) {
      ++i;
      if (t[i].is_word("CURRENT_USER")) {
        ++i;
        if (t[i].is_op("(") && t[i + 1].is_op(")")) i += 2;
      } else if (!parse_account(t, i, u, h)) {
        return error_result(syntax_error(sql, t[i].offset));
      }
    }
    if (auto e = end_here()) return error_result(*e);
    if (u != client_.user || h != client_.account_host)
      if (auto e = check_global_access(priv::kCreateUser, "CREATE USER")) return error_result(*e);
    StatementResult r = result_set({text_column("Grants for " + u + "@" + h, 1024)});
    bool found = false;
    for (auto& a : catalog_.accounts()) {
      if (a.account.user != u || a.account.host_pattern != h) continue;
      found = true;
      for (auto& g : Privileges::from_grants(a.grants).grant_lines(u, h)) r.rows.push_back({g});
    }
    if (!found)
      return error_result(SqlError{1141, "42000", "There is no such grant defined for user '" + u + "' on host '" + h + "'"});
    return r;
  }
  if (what == "COLLATION") {
    if (auto e = tail(db, pattern)) return error_result(*e);
    StatementResult r = result_set({text_column("Collation", 64), text_column("Charset", 64), int_column("Id", 11),
                                    text_column("Default", 3), text_column("Compiled", 3), int_column("Sortlen", 3)});
    r.rows.push_back({std::string("utf8mb4_general_ci"), std::string("utf8mb4"), int64_t{45}, std::string("Yes"),
                      std::string("Yes"), int64_t{1}});
    r.rows.push_back({std::string("binary"), std::string("binary"), int64_t{63}, std::string("Yes"), std::string("Yes"),
                      int64_t{1}});
    return r;
  }
  if (what == "CHARACTER" || what == "CHARSET") {
    if (what == "CHARACTER") {
      if (!t[i].is_word("SET")) return error_result(syntax_error(sql, t[i].offset));
      ++i;
    }
    if (auto e = tail(db, pattern)) return error_result(*e);
    StatementResult r = result_set({text_column("Charset", 64), text_column("Description", 64),
                                    text_column("Default collation", 64), int_column("Maxlen", 3)});
    r.rows.push_back({std::string("utf8mb4"), std::string("UTF-8 Unicode"), std::string("utf8mb4_general_ci"), int64_t{4}});
    r.rows.push_back({std::string("binary"), std::string("Binary pseudo charset"), std::string("binary"), int64_t{1}});
    return r;
  }
  if (what == "TABLE" && t[i].is_word("STATUS")) {
    ++i;
    if (auto e = tail(db, pattern)) return error_result(*e);
    if (db.empty()) return error_result(make_sql_error(er::kNoDb));
    StatementResult r = result_set({text_column("Name", 64), text_column("Engine", 64), int_column("Version", 21),
                                    text_column("Row_format", 10), int_column("Rows", 21), text_column("Collation", 64),
                                    text_column("Comment", 2048)});
    if (!can_use_database(db)) return error_result(make_sql_error(er::kDbAccessDenied, {client_.user, client_.host, db}));
    for (auto& n : catalog_.tables(db)) {
      if (!pattern.empty() && !like(pattern, n)) continue;
      if (!privileges().any_on_table(db, n)) continue;
      auto tab = catalog_.table(db, n);
      if (!tab) continue;
      r.rows.push_back({n, tab->def.engine_name, int64_t{10}, std::string("Dynamic"), int64_t{0},
                        std::string("utf8mb4_general_ci"), tab->def.comment});
    }
    return r;
  }
  if (what == "MASTER" || what == "SLAVE" || what == "BINARY" || what == "PLUGINS" || what == "TRIGGERS" ||
      what == "EVENTS" || what == "PROCEDURE" || what == "FUNCTION" || what == "OPEN" || what == "PRIVILEGES" ||
      what == "PROFILES") {
    return result_set({text_column("Name", 64)});
  }
  return error_result(syntax_error(sql, t[std::min<size_t>(1, t.size() - 1)].offset));
}

}  // namespace halb::cluster::sqld
