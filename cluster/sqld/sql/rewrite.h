// cluster/sqld/sql/rewrite.h: one MySQL statement (tokens) -> SQL SQLite
// runs the same way: literals re-quoted, backslash escapes resolved, @@vars
// and @vars as literals, MySQL-only syntax stripped or translated (FOR
// UPDATE, INSERT IGNORE, index hints, DUAL, ||, DIV, `/`), table names
// mapped to the session's virtual tables ("db/t"), and every select-list
// expression named by its text, as MySQL names result columns.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/ndbd/engine/operation.h"
#include "cluster/sqld/sql/session.h"
#include "cluster/sqld/sql/tokenizer.h"

namespace halb::cluster::sqld {

struct TableRef {
  std::string db, name;
  std::string vtab() const { return db + "/" + name; }
};

struct SelectItem {
  std::string text;       // as written
  bool is_column = false; // a plain [t.]column reference
  bool is_star = false;
};

struct Rewritten {
  std::string sql;
  engine::LockMode lock = engine::LockMode::kCommitted;
  std::vector<TableRef> tables;
  std::vector<SelectItem> select_items;  // top-level SELECT only
  uint16_t placeholders = 0;
  // INSERT/REPLACE with a column list: the columns named (others take
  // their defaults, which SQLite does not apply to virtual tables).
  std::vector<std::string> insert_columns;
  std::optional<SqlError> error;
};

// What DEFAULT in a VALUES row (or `SET col = DEFAULT`) becomes: a value
// the virtual table replaces by the column's default, as it does for a
// column an INSERT leaves out (an AUTO_INCREMENT column gets the next value).
// SQLite has no DEFAULT in an expression, and a pointer value (see
// sqlite3_result_pointer) does not survive the temporary tables an UPDATE of
// a virtual table and some INSERT ... SELECT go through. So DEFAULT is a BLOB
// with 16 random bytes drawn once per process: the virtual table replaces it
// before storing anything and the rewrite only emits it where it is a whole
// value, so it never reaches a client, and no client can send it on purpose
// or by accident.
std::string_view default_marker();

// `sysvar` gives @@name's value as SQL literal text (nullopt: unknown,
// 1193); `uservar` gives @name's (NULL when unset).
struct RewriteEnv {
  std::string current_db;
  std::function<std::optional<std::string>(const std::string&)> sysvar;
  std::function<std::string(const std::string&)> uservar;
  // A top-level `VALUES (...)` whose rows an INSERT takes (the rows of an
  // INSERT ... ON DUPLICATE KEY UPDATE, upsert.cc): DEFAULT is allowed there.
  bool values_feed_insert = false;
};

// `tokens` hold one statement ending with kEnd; `sql` is its source.
Rewritten rewrite_for_sqlite(const std::vector<Token>& tokens, std::string_view sql, const RewriteEnv& env);

// A string as an SQLite literal ('...' or X'..' for bytes SQLite text cannot hold).
std::string sqlite_literal(std::string_view s);
// Valid UTF-8 without NUL bytes: a literal SQLite may take as TEXT.
bool valid_utf8_text(std::string_view s);

// MySQL's "near '...' at line N" error for a position in `sql`.
SqlError syntax_error(std::string_view sql, size_t offset);
// For a statement the session parses itself, whose grammar ended at
// tokens[i]: a syntax error at whatever is left. MySQL refuses such a
// statement, and ignoring the rest would run another statement than the one
// typed ("CREATE DATABASE IF NOT EXIST x" would create a database `IF`).
std::optional<SqlError> unexpected_rest(const std::vector<Token>& tokens, size_t i, std::string_view sql);

}  // namespace halb::cluster::sqld
