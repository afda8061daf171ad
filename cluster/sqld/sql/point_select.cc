// cluster/sqld/sql/point_select.cc: recognising a primary-key point read
// and the value conversions it shares with the SQLite path (see
// point_select.h).
#include "cluster/sqld/sql/point_select.h"
#include "cluster/sqld/sql/rewrite.h"

#include <sqlite3.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

namespace halb::cluster::sqld {

namespace {

using K = Token::Kind;

// Words that are values or syntax, never a column the fast path reads.
const std::set<std::string>& reserved() {
  static const std::set<std::string> words = {
      "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "LIMIT", "OFFSET", "ORDER", "GROUP", "HAVING", "FOR",
      "LOCK", "IN", "IS", "NULL", "TRUE", "FALSE", "UNKNOWN", "DEFAULT", "AS", "DISTINCT", "ALL", "UNION",
      "JOIN", "ON", "USING", "INTO", "WINDOW", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "LOCALTIME",
      "LOCALTIMESTAMP", "CURRENT_USER", "UTC_DATE", "UTC_TIME", "UTC_TIMESTAMP", "BINARY", "INTERVAL", "CASE",
      "EXISTS", "LIKE", "BETWEEN", "DIV", "MOD", "XOR", "REGEXP", "RLIKE", "SOUNDS", "COLLATE", "STRAIGHT_JOIN",
      "PROCEDURE", "NATURAL", "LEFT", "RIGHT", "INNER", "CROSS", "OUTER", "USE", "IGNORE", "FORCE", "PARTITION",
      "SQL_NO_CACHE", "SQL_CACHE", "SQL_CALC_FOUND_ROWS", "HIGH_PRIORITY", "DUAL"};
  return words;
}

bool plain_name(const Token& t) {
  if (t.kind == K::kQuotedIdent) return !t.text.empty();
  return t.kind == K::kWord && !reserved().count(to_upper(t.text));
}

// Digits only (the minus is a token of its own): the integer, or nullopt
// when it does not fit (SQLite would take it as a REAL).
std::optional<int64_t> integer_literal(const Token& t, bool negative) {
  if (t.kind != K::kNumber || t.text.empty()) return std::nullopt;
  for (char c : t.text)
    if (c < '0' || c > '9') return std::nullopt;
  uint64_t u = 0;
  auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), u);
  if (ec != std::errc() || p != t.text.data() + t.text.size()) return std::nullopt;
  if (!negative) {
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  // -9223372036854775808 is an integer to SQLite as well
  if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return std::nullopt;
  return static_cast<int64_t>(0 - u);
}


bool exact_integer_column(const ColumnMeta& c) {
  return c.base == "tinyint" || c.base == "smallint" || c.base == "mediumint" || c.base == "int" ||
         c.base == "bigint";
}

bool is_integer_type(FieldType t) {
  return t == FieldType::kTiny || t == FieldType::kShort || t == FieldType::kLong || t == FieldType::kLongLong ||
         t == FieldType::kInt24 || t == FieldType::kYear || t == FieldType::kBit;
}

}  // namespace

std::optional<PointSelect> recognise_point_select(const std::vector<Token>& t) {
  size_t i = 0;
  auto at = [&](size_t k) -> const Token& {
    static const Token end;
    return k < t.size() ? t[k] : end;
  };
  if (!at(i).is_word("SELECT")) return std::nullopt;
  ++i;
  PointSelect ps;
  if (at(i).is_op("*")) {
    ps.star = true;
    ++i;
  } else {
    for (;;) {
      if (!plain_name(at(i))) return std::nullopt;
      ps.columns.push_back(at(i).text);
      ++i;
      if (!at(i).is_op(",")) break;
      ++i;
    }
  }
  if (!at(i).is_word("FROM")) return std::nullopt;
  ++i;
  if (!plain_name(at(i))) return std::nullopt;
  ps.table = at(i).text;
  ++i;
  if (at(i).is_op(".")) {
    if (!plain_name(at(i + 1))) return std::nullopt;
    ps.db = ps.table;
    ps.table = at(i + 1).text;
    i += 2;
  }
  if (!at(i).is_word("WHERE")) return std::nullopt;
  ++i;
  for (;;) {
    PointSelect::Term term;
    if (!plain_name(at(i)) || !at(i + 1).is_op("=")) return std::nullopt;
    term.column = at(i).text;
    i += 2;
    const Token& v = at(i);
    if (v.kind == K::kPlaceholder) {
      term.kind = PointSelect::Term::Kind::kParam;
      term.param = ps.params++;
      ++i;
    } else if (v.kind == K::kString) {
      term.kind = PointSelect::Term::Kind::kString;
      term.text = v.text;
      ++i;
    } else {
      bool negative = v.is_op("-");
      auto n = integer_literal(negative ? at(i + 1) : v, negative);
      if (!n) return std::nullopt;
      term.kind = PointSelect::Term::Kind::kInteger;
      term.integer = *n;
      i += negative ? 2 : 1;
    }
    ps.terms.push_back(std::move(term));
    if (!at(i).is_word("AND")) break;
    ++i;
  }
  if (at(i).is_word("LIMIT")) {
    auto n = integer_literal(at(i + 1), false);
    if (!n || *n < 1) return std::nullopt;
    i += 2;
  }
  if (at(i).is_op(";")) ++i;
  if (at(i).kind != K::kEnd) return std::nullopt;
  return ps;
}

std::optional<SqlInput> key_input(const ColumnMeta& c, const PointSelect::Term& term, const std::vector<Value>& params) {
  SqlInput in;
  using TK = PointSelect::Term::Kind;
  if (term.kind == TK::kParam) {
    if (term.param >= params.size()) return std::nullopt;
    const Value& v = params[term.param];
    if (auto* x = std::get_if<int64_t>(&v)) {
      in.kind = SqlInput::Kind::kInt;
      in.i = *x;
    } else if (auto* u = std::get_if<uint64_t>(&v)) {
      if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      in.kind = SqlInput::Kind::kInt;
      in.i = static_cast<int64_t>(*u);
    } else if (auto* s = std::get_if<std::string>(&v)) {
      // bound with sqlite3_bind_text: text whatever its bytes, compared
      // with the column's collation
      in.kind = SqlInput::Kind::kText;
      in.s = *s;
    } else {
      return std::nullopt;  // NULL, doubles: SQLite decides
    }
  } else if (term.kind == TK::kInteger) {
    in.kind = SqlInput::Kind::kInt;
    in.i = term.integer;
  } else {
    // The rewrite gives SQLite a string that is not clean UTF-8 as a BLOB
    // literal, which compares differently.
    if (!valid_utf8_text(term.text)) return std::nullopt;
    in.kind = SqlInput::Kind::kText;
    in.s = term.text;
  }
  if (exact_integer_column(c)) {
    if (in.kind != SqlInput::Kind::kInt) return std::nullopt;
    return in;
  }
  if (c.base == "char" || c.base == "varchar") {
    if (in.kind != SqlInput::Kind::kText) return std::nullopt;
    return in;
  }
  return std::nullopt;
}

std::string double_text(double d) {
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e15) {
    char b[32];
    std::snprintf(b, sizeof b, "%.0f", d);
    return b;
  }
  char b[64];
  std::snprintf(b, sizeof b, "%.15g", d);
  return b;
}

std::string fixed_text(double d, int decimals) {
  char b[96];
  std::snprintf(b, sizeof b, "%.*f", decimals, d);
  return b;
}

std::optional<Value> fast_wire_value(const SqlInput& in, const ColumnDef& c) {
  using Kd = SqlInput::Kind;
  if (in.kind == Kd::kNull || (in.kind == Kd::kDouble && std::isnan(in.d))) return Value{std::monostate{}};
  if (is_integer_type(c.type)) {
    if (in.kind != Kd::kInt) return std::nullopt;  // SQLite's own conversions: not mirrored
    if (c.flags & column_flag::kUnsigned) return Value{static_cast<uint64_t>(in.i)};
    return Value{in.i};
  }
  if (c.type == FieldType::kDouble || c.type == FieldType::kFloat) {
    if (in.kind == Kd::kInt) return Value{static_cast<double>(in.i)};
    if (in.kind == Kd::kDouble) return Value{in.d};
    return std::nullopt;
  }
  if (c.type == FieldType::kNewDecimal || c.type == FieldType::kDecimal) {
    if (in.kind == Kd::kInt && c.decimals == 0) return Value{std::to_string(in.i)};
    if (in.kind == Kd::kInt) return Value{fixed_text(static_cast<double>(in.i), c.decimals)};
    if (in.kind == Kd::kDouble) return Value{fixed_text(in.d, c.decimals)};
  }
  if (c.type == FieldType::kNull) return Value{std::monostate{}};
  if (in.kind == Kd::kInt) return Value{std::to_string(in.i)};
  if (in.kind == Kd::kDouble) return Value{double_text(in.d)};
  return Value{in.s};
}

}  // namespace halb::cluster::sqld
