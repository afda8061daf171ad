// cluster/sqld/sql/point_select.h: the primary-key point read that skips
// SQLite. sysbench's point_select (and most key lookups an application
// makes) is `SELECT cols FROM t WHERE pk = <value>`: the session reads the
// row by its key and builds the result itself instead of preparing and
// stepping an SQLite statement over the virtual table.
//
// The recogniser only looks at tokens: one table (unaliased, optionally
// db-qualified), a select list of plain unqualified column names or a lone
// '*', WHERE as an AND of `column = value` (value: an integer literal, a
// string literal or '?'), an optional `LIMIT n` with n >= 1, nothing else
// (no locking clause, no hints, no parentheses). Whether the statement may
// really take the fast path is decided later against the table: the terms
// must name every primary key column exactly once and nothing else, and
// each value must convert exactly to its column (see key_input()); in every
// other case the statement runs through SQLite as before, so the fast path
// never changes an answer, only its cost.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/sqld/sql/session.h"
#include "cluster/sqld/sql/table_def.h"
#include "cluster/sqld/sql/tokenizer.h"
#include "cluster/sqld/sql/value_codec.h"

namespace halb::cluster::sqld {

struct PointSelect {
  struct Term {
    std::string column;  // as written
    enum class Kind { kInteger, kString, kParam } kind = Kind::kInteger;
    int64_t integer = 0;  // kInteger
    std::string text;     // kString (decoded)
    uint16_t param = 0;   // kParam: 0-based placeholder number
  };
  std::string db;                    // "" = the session's current database
  std::string table;
  bool star = false;
  std::vector<std::string> columns;  // the select list as written (empty with star)
  std::vector<Term> terms;
  uint16_t params = 0;
};

// `tokens` hold one statement ending with kEnd (padding kEnd tokens after
// it are fine). nullopt: not of the fast path's shape.
std::optional<PointSelect> recognise_point_select(const std::vector<Token>& tokens);

// The value a term compares its column with, as SQLite would see it
// (a literal, or the bound parameter from `params`), when the fast path can
// match it exactly against column `c`: integers for integer columns (no
// strings, no fractions, nothing above INT64_MAX), strings SQLite holds as
// text for CHAR/VARCHAR columns; nullopt otherwise (the statement then goes
// through SQLite).
std::optional<SqlInput> key_input(const ColumnMeta& c, const PointSelect::Term& term, const std::vector<Value>& params);

// A row's value (from_stored()) as the wire Value for result column `c`,
// exactly as the SQLite path makes it from the same value stepped out of
// SQLite; nullopt where that path relies on one of SQLite's own type
// conversions (the statement then runs through SQLite).
std::optional<Value> fast_wire_value(const SqlInput& in, const ColumnDef& c);

// How the SQLite path writes a REAL for a text column / a DECIMAL column.
std::string double_text(double d);
std::string fixed_text(double d, int decimals);

}  // namespace halb::cluster::sqld
