// cluster/sqld/sql/rewrite.cc: MySQL statement -> SQLite SQL (see rewrite.h).
#include "cluster/sqld/sql/rewrite.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <sys/random.h>

#include "cluster/sqld/sql/errors.h"

namespace halb::cluster::sqld {

namespace {

using K = Token::Kind;

const std::set<std::string> kNotAlias = {
    "WHERE", "SET", "JOIN", "INNER", "LEFT", "RIGHT", "CROSS", "OUTER", "NATURAL", "ON", "USING", "GROUP",
    "ORDER", "LIMIT", "HAVING", "UNION", "FOR", "LOCK", "VALUES", "VALUE", "SELECT", "STRAIGHT_JOIN", "USE",
    "FORCE", "IGNORE", "PARTITION", "WINDOW", "INTO", "EXCEPT", "INTERSECT", "RETURNING", "FROM", "AS", "AND",
    "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "END", "ASC", "DESC", "DEFAULT", "BETWEEN", "LIKE", "IN",
    "PROCEDURE", "DUPLICATE", "ELSE", "THEN", "WHEN"};

const std::set<std::string> kSelectEnd = {"FROM", "INTO", "WHERE", "GROUP", "HAVING", "ORDER",
                                          "LIMIT", "UNION", "FOR", "LOCK", "WINDOW", "PROCEDURE"};

std::string quote_name(std::string_view n) {
  std::string out = "\"";
  for (char c : n) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  return out + "\"";
}


// X'..': a BLOB even when the bytes would be valid text.
std::string blob_literal(std::string_view s) {
  static const char* d = "0123456789ABCDEF";
  std::string out = "X'";
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out + "'";
}

}  // namespace

std::string_view default_marker() {
  static const std::string marker = [] {
    unsigned char raw[16];
    if (getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw)) {
      std::random_device rd;
      for (auto& b : raw) b = static_cast<unsigned char>(rd());
    }
    std::string m = "\x01halb-default\x01";
    m.append(reinterpret_cast<const char*>(raw), sizeof raw);
    return m;
  }();
  return marker;
}

namespace {

class Rewriter {
 public:
  Rewriter(const std::vector<Token>& t, std::string_view sql, const RewriteEnv& env) : t_(t), sql_(sql), env_(env) {}

  Rewritten run() {
    if (t_.empty() || t_[0].kind == K::kEnd) {
      r_.error = make_sql_error(er::kEmptyQuery);
      return r_;
    }
    std::string first = to_upper(t_[0].text);
    statement_ = first;
    if (first == "SELECT") plan_select_list(1);
    while (i_ < t_.size() && t_[i_].kind != K::kEnd && !r_.error) step();
    for (auto& piece : out_) {
      if (!r_.sql.empty()) r_.sql.push_back(' ');
      r_.sql += piece;
    }
    return r_;
  }

 private:
  const Token& at(size_t k) const { return t_[std::min(k, t_.size() - 1)]; }
  void emit(std::string s) { out_.push_back(std::move(s)); }

  // Names each select-list expression by its text (MySQL's result column
  // names), unless it has an alias or is a plain column or '*'.
  void plan_select_list(size_t start) {
    size_t i = start;
    while (at(i).is_word("DISTINCT") || at(i).is_word("ALL") || at(i).is_word("DISTINCTROW") ||
           at(i).is_word("SQL_NO_CACHE") || at(i).is_word("SQL_CACHE") || at(i).is_word("SQL_CALC_FOUND_ROWS") ||
           at(i).is_word("HIGH_PRIORITY") || at(i).is_word("STRAIGHT_JOIN") || at(i).is_word("SQL_SMALL_RESULT") ||
           at(i).is_word("SQL_BIG_RESULT") || at(i).is_word("SQL_BUFFER_RESULT"))
      ++i;
    size_t item_start = i;
    int depth = 0;
    for (;; ++i) {
      const Token& tk = at(i);
      bool end = tk.kind == K::kEnd || (depth == 0 && tk.kind == K::kWord && kSelectEnd.count(to_upper(tk.text)));
      if (tk.is_op("(")) ++depth;
      if (tk.is_op(")")) {
        if (depth == 0) end = true;
        else --depth;
      }
      if (end || (depth == 0 && tk.is_op(","))) {
        if (i > item_start) close_item(item_start, i);
        item_start = i + 1;
        if (end) break;
      }
    }
  }

  void close_item(size_t b, size_t e) {
    SelectItem item;
    item.text = std::string(sql_.substr(at(b).offset, at(e - 1).end - at(b).offset));
    size_t n = e - b;
    if (n == 1 && at(b).is_op("*")) item.is_star = true;
    if (n == 3 && at(b).is_name() && at(b + 1).is_op(".") && at(b + 2).is_op("*")) item.is_star = true;
    if (n == 1 && at(b).is_name() && !kNotAlias.count(to_upper(at(b).text)) && at(b).kind != K::kEnd)
      item.is_column = true;
    if (n == 3 && at(b).is_name() && at(b + 1).is_op(".") && at(b + 2).is_name()) item.is_column = true;
    if (n == 5 && at(b).is_name() && at(b + 1).is_op(".") && at(b + 2).is_name() && at(b + 3).is_op(".") &&
        at(b + 4).is_name())
      item.is_column = true;
    bool has_alias = false;
    if (n >= 2) {
      const Token& last = at(e - 1);
      const Token& before = at(e - 2);
      if (before.is_word("AS")) has_alias = true;
      else if ((last.kind == K::kQuotedIdent || (last.kind == K::kWord && !kNotAlias.count(to_upper(last.text)))) &&
               !before.is_op(".") && !item.is_column)
        has_alias = true;
      else if (last.kind == K::kString && (before.kind != K::kOperator || before.is_op(")")) && !before.is_word("AS") &&
               before.kind != K::kWord)
        has_alias = true;  // SELECT 1 'one'
      if (last.kind == K::kString && before.is_word("AS")) has_alias = true;
    }
    if (has_alias) {
      const Token& last = at(e - 1);
      item.text = last.text;
      if (last.kind == K::kString) string_alias_.insert(e - 1);
    } else if (!item.is_column && !item.is_star) {
      alias_after_[e - 1] = item.text;
    }
    r_.select_items.push_back(item);
  }

  // [db.]name [[AS] alias]
  bool table_ref() {
    if (!at(i_).is_name()) return false;
    TableRef ref;
    ref.name = at(i_).text;
    if (at(i_ + 1).is_op(".") && at(i_ + 2).is_name()) {
      ref.db = ref.name;
      ref.name = at(i_ + 2).text;
      i_ += 3;
    } else {
      ++i_;
    }
    if (ref.db.empty()) {
      if (env_.current_db.empty()) {
        r_.error = make_sql_error(er::kNoDb);
        return false;
      }
      ref.db = env_.current_db;
    }
    r_.tables.push_back(ref);
    emit(quote_name(ref.vtab()));
    if (at(i_).is_word("AS") && at(i_ + 1).is_name()) {
      emit("AS");
      emit(quote_name(at(i_ + 1).text));
      i_ += 2;
    } else if (at(i_).is_name() && !(at(i_).kind == K::kWord && kNotAlias.count(to_upper(at(i_).text)))) {
      emit("AS");
      emit(quote_name(at(i_).text));
      ++i_;
    } else {
      emit("AS");
      emit(quote_name(ref.name));
    }
    skip_index_hints();
    return true;
  }

  void skip_index_hints() {
    while ((at(i_).is_word("USE") || at(i_).is_word("FORCE") || at(i_).is_word("IGNORE")) &&
           (at(i_ + 1).is_word("INDEX") || at(i_ + 1).is_word("KEY"))) {
      i_ += 2;
      if (at(i_).is_word("FOR")) {
        ++i_;
        if (at(i_).is_word("JOIN")) ++i_;
        else if (at(i_).is_word("ORDER") || at(i_).is_word("GROUP")) i_ += 2;
      }
      if (at(i_).is_op("(")) {
        while (!at(i_).is_op(")") && at(i_).kind != K::kEnd) ++i_;
        ++i_;
      }
    }
  }

  void from_list() {
    for (;;) {
      if (at(i_).is_op("(")) return;  // a derived table: handled token by token
      if (!table_ref()) return;
      if (at(i_).is_op(",")) {
        emit(",");
        ++i_;
        continue;
      }
      return;
    }
  }

  void literal_token(const Token& tk) {
    switch (tk.kind) {
      case K::kString:
        emit(sqlite_literal(tk.text));
        // MySQL compares strings case-insensitively, trailing spaces ignored
        if (valid_utf8_text(tk.text)) emit("COLLATE mysql_ci");
        if (i_ >= 1 && at(i_ - 1).is_word("LIKE") && tk.text.find('\\') != std::string::npos) emit("ESCAPE '\\'");
        break;
      case K::kHex:
        emit(sqlite_literal(tk.text));
        break;
      default:
        emit(tk.text);
        break;
    }
  }

  void step() {
    const Token& tk = at(i_);
    size_t here = i_;
    auto finish_token = [&] {
      auto a = alias_after_.find(here);
      if (a != alias_after_.end()) {
        emit("AS");
        emit(quote_name(a->second));
      }
    };
    if (string_alias_.count(here)) {
      emit(quote_name(tk.text));
      ++i_;
      return;
    }
    if (tk.kind == K::kWord) {
      std::string u = to_upper(tk.text);
      // statement heads
      if (here == 0 && (u == "INSERT" || u == "REPLACE")) {
        ++i_;
        emit(u);
        bool ignore = false;
        while (at(i_).is_word("LOW_PRIORITY") || at(i_).is_word("DELAYED") || at(i_).is_word("HIGH_PRIORITY") ||
               at(i_).is_word("IGNORE")) {
          if (at(i_).is_word("IGNORE")) ignore = true;
          ++i_;
        }
        if (ignore && u == "INSERT") emit("OR IGNORE");
        emit("INTO");
        if (at(i_).is_word("INTO")) ++i_;
        table_ref();
        if (at(i_).is_op("(")) {
          for (size_t k = i_ + 1; at(k).is_name() || at(k).is_op(","); ++k)
            if (at(k).is_name()) r_.insert_columns.push_back(at(k).text);
        }
        return;
      }
      if (here == 0 && u == "UPDATE") {
        ++i_;
        emit("UPDATE");
        bool ignore = false;
        while (at(i_).is_word("LOW_PRIORITY") || at(i_).is_word("IGNORE")) {
          if (at(i_).is_word("IGNORE")) ignore = true;
          ++i_;
        }
        if (ignore) emit("OR IGNORE");
        r_.lock = engine::LockMode::kExclusive;
        table_ref();
        return;
      }
      if (here == 0 && u == "DELETE") {
        ++i_;
        emit("DELETE");
        while (at(i_).is_word("LOW_PRIORITY") || at(i_).is_word("QUICK") || at(i_).is_word("IGNORE")) ++i_;
        r_.lock = engine::LockMode::kExclusive;
        return;
      }
      if (u == "FROM") {
        ++i_;
        if (at(i_).is_word("DUAL")) {
          ++i_;
          return;
        }
        emit("FROM");
        from_list();
        return;
      }
      if (u == "JOIN" || u == "STRAIGHT_JOIN") {
        ++i_;
        emit("JOIN");
        table_ref();
        return;
      }
      if (u == "DEFAULT" && default_value_position()) {
        ++i_;
        emit(blob_literal(default_marker()));
        return;
      }
      if (u == "VALUE" && statement_ != "SELECT") {
        ++i_;
        emit("VALUES");
        return;
      }
      if (u == "FOR" && at(i_ + 1).is_word("UPDATE")) {
        r_.lock = engine::LockMode::kExclusive;
        i_ += 2;
        if (at(i_).is_word("NOWAIT")) ++i_;
        if (at(i_).is_word("SKIP") && at(i_ + 1).is_word("LOCKED")) i_ += 2;
        return;
      }
      if (u == "FOR" && at(i_ + 1).is_word("SHARE")) {
        if (r_.lock == engine::LockMode::kCommitted) r_.lock = engine::LockMode::kShared;
        i_ += 2;
        return;
      }
      if (u == "LOCK" && at(i_ + 1).is_word("IN") && at(i_ + 2).is_word("SHARE") && at(i_ + 3).is_word("MODE")) {
        if (r_.lock == engine::LockMode::kCommitted) r_.lock = engine::LockMode::kShared;
        i_ += 4;
        return;
      }
      if (u == "SQL_NO_CACHE" || u == "SQL_CACHE" || u == "SQL_CALC_FOUND_ROWS" || u == "HIGH_PRIORITY" ||
          u == "SQL_SMALL_RESULT" || u == "SQL_BIG_RESULT" || u == "SQL_BUFFER_RESULT") {
        ++i_;
        return;
      }
      if (u == "BINARY" && !at(i_ + 1).is_op("(") && !at(i_ - 1).is_word("AS")) {
        ++i_;
        return;
      }
      if (u == "DIV") {
        ++i_;
        emit("/");
        return;
      }
      if (u == "MOD" && !at(i_ + 1).is_op("(")) {
        ++i_;
        emit("%");
        return;
      }
      if ((u == "CURRENT_TIMESTAMP" || u == "LOCALTIMESTAMP" || u == "LOCALTIME" || u == "CURRENT_DATE" ||
           u == "CURRENT_TIME") &&
          !at(i_ - 1).is_word("DEFAULT")) {
        ++i_;
        emit(u == "CURRENT_DATE" ? "curdate()" : u == "CURRENT_TIME" ? "curtime()" : "now()");
        if (at(i_).is_op("(") && at(i_ + 1).is_op(")")) i_ += 2;
        finish_token_at(i_ - 1);
        return;
      }
      if (at(i_ + 1).is_op("(")) {
        if (u == "IF") {
          ++i_;
          emit("iif");
          return;
        }
        if (u == "LEFT" || u == "RIGHT") {
          ++i_;
          emit(u == "LEFT" ? "halb_left" : "halb_right");
          return;
        }
        if (u == "LCASE" || u == "UCASE") {
          ++i_;
          emit(u == "LCASE" ? "lower" : "upper");
          return;
        }
        if (u == "CAST" || u == "CONVERT") {
          cast_expression(u == "CONVERT");
          return;
        }
      }
      // db.t.c -> t.c
      if (at(i_ + 1).is_op(".") && at(i_ + 2).is_name() && at(i_ + 3).is_op(".") && at(i_ + 4).is_name()) {
        i_ += 2;
        return;
      }
      emit(tk.text);
      ++i_;
      finish_token();
      return;
    }
    if (tk.kind == K::kQuotedIdent) {
      if (at(i_ + 1).is_op(".") && at(i_ + 2).is_name() && at(i_ + 3).is_op(".") && at(i_ + 4).is_name()) {
        i_ += 2;
        return;
      }
      emit(quote_name(tk.text));
      ++i_;
      finish_token();
      return;
    }
    if (tk.kind == K::kSysVar) {
      auto v = env_.sysvar ? env_.sysvar(tk.text) : std::nullopt;
      if (!v) {
        std::string name = tk.text;
        for (const char* p : {"session.", "global.", "local."})
          if (name.rfind(p, 0) == 0) name = name.substr(std::string(p).size());
        r_.error = make_sql_error(er::kUnknownSystemVariable, {name});
        return;
      }
      emit(*v);
      ++i_;
      finish_token();
      return;
    }
    if (tk.kind == K::kUserVar) {
      emit(env_.uservar ? env_.uservar(tk.text) : "NULL");
      ++i_;
      finish_token();
      return;
    }
    if (tk.kind == K::kPlaceholder) {
      ++r_.placeholders;
      emit("?");
      ++i_;
      finish_token();
      return;
    }
    if (tk.kind == K::kBit) {
      emit(tk.text);
      ++i_;
      finish_token();
      return;
    }
    if (tk.kind == K::kOperator) {
      ++i_;
      if (tk.text == "||") emit("OR");
      else if (tk.text == "&&") emit("AND");
      else if (tk.text == "<=>") emit("IS");
      else if (tk.text == "!" ) emit("NOT");
      else if (tk.text == "/") emit("* 1.0 /");
      else if (tk.text == ":=") emit("=");
      else emit(tk.text);
      finish_token();
      return;
    }
    literal_token(tk);
    ++i_;
    finish_token();
  }

  // DEFAULT as a whole value, as MySQL takes it: an item of a row of the
  // VALUES list of INSERT/REPLACE (or of the VALUES statement an upsert
  // builds), or the whole right side of `col = DEFAULT` in UPDATE ... SET,
  // INSERT ... SET and ON DUPLICATE KEY UPDATE. Anywhere else (inside an
  // expression, a function's arguments, a SELECT) it stays DEFAULT, which
  // SQLite refuses, so the marker can only reach the virtual table.
  bool default_value_position() const {
    if (i_ < 2) return false;
    const bool values_statement = statement_ == "VALUES" && env_.values_feed_insert;
    if (statement_ != "INSERT" && statement_ != "REPLACE" && statement_ != "UPDATE" && !values_statement)
      return false;
    const Token& before = at(i_ - 1);
    const Token& after = at(i_ + 1);
    if (before.is_op("=")) {
      if (values_statement || !at(i_ - 2).is_name()) return false;
      if (!(after.is_op(",") || after.kind == K::kEnd || after.is_word("WHERE") || after.is_word("ORDER") ||
            after.is_word("LIMIT")))
        return false;
      // an assignment: `[t.]col = DEFAULT` after SET, (KEY) UPDATE or a
      // comma outside parentheses -- not a comparison in WHERE
      size_t k = i_ - 2;
      while (k >= 2 && at(k - 1).is_op(".") && at(k - 2).is_name()) k -= 2;
      if (k == 0) return false;
      const Token& lead = at(k - 1);
      if (lead.is_word("SET") || lead.is_word("UPDATE")) return true;
      return lead.is_op(",") && enclosing_paren(k - 1) == kNone;
    }
    if (statement_ == "UPDATE") return false;
    if (!(before.is_op("(") || before.is_op(",")) || !(after.is_op(",") || after.is_op(")"))) return false;
    // The enclosing parenthesis must open one row of the list after VALUES.
    size_t open = enclosing_paren(i_);
    while (open != kNone && open > 0) {
      const Token& prior = at(open - 1);
      if (prior.is_word("VALUES") || prior.is_word("VALUE")) return true;
      if (!(prior.is_op(",") && open >= 2 && at(open - 2).is_op(")"))) return false;
      open = enclosing_paren(open - 2);  // the previous row's "("
    }
    return false;
  }

  static constexpr size_t kNone = static_cast<size_t>(-1);
  // The "(" left of token `k` that is not closed before it (for a ")" at
  // `k`: the "(" it closes).
  size_t enclosing_paren(size_t k) const {
    int depth = 0;
    for (size_t j = k; j-- > 0;) {
      if (at(j).is_op(")")) ++depth;
      if (at(j).is_op("(") && depth-- == 0) return j;
    }
    return kNone;
  }

  void finish_token_at(size_t idx) {
    auto a = alias_after_.find(idx);
    if (a != alias_after_.end()) {
      emit("AS");
      emit(quote_name(a->second));
    }
  }

  // CAST(x AS type) / CONVERT(x, type): MySQL type names -> SQLite's.
  void cast_expression(bool convert) {
    emit("CAST");
    emit("(");
    i_ += 2;
    int depth = 0;
    while (at(i_).kind != K::kEnd) {
      const Token& tk = at(i_);
      if (depth == 0 && ((!convert && tk.is_word("AS")) || (convert && tk.is_op(",")))) break;
      if (tk.is_op("(")) ++depth;
      if (tk.is_op(")")) --depth;
      step();
      if (r_.error) return;
    }
    if (at(i_).kind == K::kEnd) return;
    ++i_;
    emit("AS");
    std::string type = to_upper(at(i_).text);
    ++i_;
    if (type == "UNSIGNED" || type == "SIGNED") {
      if (at(i_).is_word("INTEGER") || at(i_).is_word("INT")) ++i_;
      emit("INTEGER");
    } else if (type == "DECIMAL" || type == "DOUBLE" || type == "FLOAT" || type == "REAL") {
      emit("REAL");
    } else if (type == "BINARY") {
      emit("BLOB");
    } else {
      emit("TEXT");
    }
    // skip a length / charset
    if (at(i_).is_op("(")) {
      while (!at(i_).is_op(")") && at(i_).kind != K::kEnd) ++i_;
      ++i_;
    }
    while (at(i_).is_word("CHARACTER") || at(i_).is_word("SET") || at(i_).is_word("CHARSET")) {
      ++i_;
      if (at(i_).is_name()) ++i_;
    }
    if (at(i_).is_op(")")) {
      size_t close = i_;
      emit(")");
      ++i_;
      finish_token_at(close);
    }
  }

  const std::vector<Token>& t_;
  std::string_view sql_;
  const RewriteEnv& env_;
  size_t i_ = 0;
  std::string statement_;
  std::vector<std::string> out_;
  std::map<size_t, std::string> alias_after_;
  std::set<size_t> string_alias_;
  Rewritten r_;
};

}  // namespace

bool valid_utf8_text(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

std::string sqlite_literal(std::string_view s) {
  if (valid_utf8_text(s)) {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'') out += "''";
      else out.push_back(c);
    }
    return out + "'";
  }
  return blob_literal(s);
}

SqlError syntax_error(std::string_view sql, size_t offset) {
  offset = std::min(offset, sql.size());
  size_t line = 1 + static_cast<size_t>(std::count(sql.begin(), sql.begin() + static_cast<long>(offset), '\n'));
  std::string near(sql.substr(offset, 80));
  return make_sql_error(er::kParse, {near, std::to_string(line)});
}

std::optional<SqlError> unexpected_rest(const std::vector<Token>& tokens, size_t i, std::string_view sql) {
  if (i >= tokens.size() || tokens[i].kind == Token::Kind::kEnd) return std::nullopt;
  return syntax_error(sql, tokens[i].offset);
}

Rewritten rewrite_for_sqlite(const std::vector<Token>& tokens, std::string_view sql, const RewriteEnv& env) {
  return Rewriter(tokens, sql, env).run();
}

}  // namespace halb::cluster::sqld
