// cluster/sqld/sql/table_def.cc: MySQL table definitions (see table_def.h).
#include "cluster/sqld/sql/table_def.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "cluster/sqld/sql/errors.h"

namespace halb::cluster::sqld {

namespace {

bool one_of(std::string_view s, std::initializer_list<std::string_view> list) {
  for (auto x : list)
    if (s == x) return true;
  return false;
}

uint32_t default_int_width(const std::string& base, bool is_unsigned) {
  uint32_t w = base == "tinyint" ? 4 : base == "smallint" ? 6 : base == "mediumint" ? 9 : base == "bigint" ? 20 : 11;
  if (is_unsigned && base != "bigint") --w;
  return w;
}

std::string quote_string(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else if (c == '\\') out += "\\\\";
    else out.push_back(c);
  }
  return out + "'";
}

}  // namespace

namespace {

constexpr size_t kMaxNameChars = 64;

// An empty name, or one ending in a space, gets `code`; a longer one than
// MySQL's limit 1059.
std::optional<SqlError> check_name(const std::string& name, uint16_t code) {
  if (name.empty() || name.back() == ' ') return make_sql_error(code, {name});
  if (utf8_length(name) > kMaxNameChars) return make_sql_error(er::kTooLongIdent, {name});
  return std::nullopt;
}

}  // namespace

std::optional<SqlError> check_database_name(const std::string& db) { return check_name(db, er::kWrongDbName); }

std::optional<SqlError> TableDef::check_names() const {
  if (auto e = check_name(name, er::kWrongTableName)) return e;
  for (const auto& c : columns)
    if (auto e = check_name(c.name, er::kWrongColumnName)) return e;
  for (const auto& ix : indexes)
    if (utf8_length(ix.name) > kMaxNameChars) return make_sql_error(er::kTooLongIdent, {ix.name});
  return std::nullopt;
}

std::optional<SqlError> TableDef::check_sizes() const {
  constexpr uint64_t kMaxRow = 65535;
  constexpr size_t kMaxTableComment = 2048;
  if (utf8_length(comment) > kMaxTableComment)
    return SqlError{1628, "HY000", "Comment for table '" + name + "' is too long (max = 2048)"};
  uint64_t row = 0;
  uint32_t nullable = 0;
  for (const auto& c : columns) {
    if (c.nullable) ++nullable;
    // A string default that does not fit its column (strict mode's 1067).
    const bool sized_string = c.base == "char" || c.base == "varchar" || c.base == "binary" || c.base == "varbinary";
    if (sized_string && c.default_value && !c.default_is_null &&
        (c.is_binary() ? c.default_value->size() : utf8_length(*c.default_value)) > c.length)
      return SqlError{1067, "42000", "Invalid default value for '" + c.name + "'"};
    uint64_t bytes = 0;
    const bool multibyte = c.base == "char" || c.base == "varchar";
    if (c.base == "varchar" || c.base == "varbinary") {
      const uint64_t max_chars = multibyte ? kMaxRow / 4 : kMaxRow;
      if (c.length > max_chars)
        return SqlError{1074, "42000", "Column length too big for column '" + c.name + "' (max = " +
                                           std::to_string(max_chars) + "); use BLOB or TEXT instead"};
      bytes = uint64_t{c.length} * (multibyte ? 4 : 1);
      bytes += bytes > 255 ? 2 : 1;
    } else if (c.base == "char" || c.base == "binary") {
      bytes = uint64_t{c.length} * (multibyte ? 4 : 1);
    } else if (c.is_binary() || c.base.find("text") != std::string::npos || c.base == "json") {
      bytes = 12;  // kept apart from the row in MySQL: its pointer counts
    } else if (c.base == "bigint" || c.base == "double" || c.base == "datetime") {
      bytes = 8;
    } else if (c.base == "decimal") {
      bytes = c.precision / 2 + 1;
    } else if (c.base == "bit") {
      bytes = (c.length + 7) / 8;
    } else {
      bytes = 4;
    }
    row += bytes;
  }
  row += (nullable + 7) / 8;
  if (row > kMaxRow)
    return SqlError{1118, "42000",
                    "Row size too large. The maximum row size for the used table type, not counting BLOBs, is 65535. "
                    "This includes storage overhead, check the manual. You have to change some columns to TEXT or BLOBs"};
  return std::nullopt;
}

std::string quote_ident(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += "``";
    else out.push_back(c);
  }
  return out + "`";
}

bool ColumnMeta::is_integer() const {
  return one_of(base, {"tinyint", "smallint", "mediumint", "int", "bigint", "year", "bit"});
}
bool ColumnMeta::is_binary() const {
  return one_of(base, {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"});
}
bool ColumnMeta::is_string() const {
  return one_of(base, {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json"});
}
bool ColumnMeta::is_temporal() const { return one_of(base, {"date", "datetime", "timestamp", "time"}); }

std::string ColumnMeta::type_text() const {
  std::string t = base;
  if (one_of(base, {"tinyint", "smallint", "mediumint", "int", "bigint"})) {
    t += "(" + std::to_string(length ? length : default_int_width(base, is_unsigned)) + ")";
  } else if (base == "decimal") {
    t += "(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
  } else if (one_of(base, {"char", "varchar", "binary", "varbinary", "bit"})) {
    t += "(" + std::to_string(length) + ")";
  } else if (base == "enum" || base == "set") {
    t += "(";
    for (size_t i = 0; i < enum_values.size(); ++i) t += (i ? "," : "") + quote_string(enum_values[i]);
    t += ")";
  }
  if (is_unsigned) t += " unsigned";
  return t;
}

FieldType ColumnMeta::field_type() const {
  if (base == "tinyint") return FieldType::kTiny;
  if (base == "smallint") return FieldType::kShort;
  if (base == "mediumint") return FieldType::kInt24;
  if (base == "int") return FieldType::kLong;
  if (base == "bigint") return FieldType::kLongLong;
  if (base == "float") return FieldType::kFloat;
  if (base == "double") return FieldType::kDouble;
  if (base == "decimal") return FieldType::kNewDecimal;
  if (base == "date") return FieldType::kDate;
  if (base == "datetime") return FieldType::kDatetime;
  if (base == "timestamp") return FieldType::kTimestamp;
  if (base == "time") return FieldType::kTime;
  if (base == "year") return FieldType::kYear;
  if (base == "bit") return FieldType::kBit;
  if (base == "char" || base == "binary" || base == "enum" || base == "set") return FieldType::kString;
  if (base == "varchar" || base == "varbinary") return FieldType::kVarString;
  return FieldType::kBlob;
}

uint32_t ColumnMeta::display_length() const {
  if (one_of(base, {"tinyint", "smallint", "mediumint", "int", "bigint"}))
    return std::max(length, default_int_width(base, is_unsigned));
  if (base == "float") return 12;
  if (base == "double") return 22;
  if (base == "decimal") return precision + (scale ? 1 : 0) + (is_unsigned ? 0 : 1);
  if (base == "date") return 10;
  if (base == "datetime" || base == "timestamp") return 19;
  if (base == "time") return 10;
  if (base == "year") return 4;
  if (base == "bit") return length;
  if (base == "char" || base == "varchar") return length * 4;
  if (base == "binary" || base == "varbinary") return length;
  if (base == "enum" || base == "set") return 255 * 4;
  if (base == "tinytext") return 255 * 4;
  if (base == "tinyblob") return 255;
  if (base == "text" || base == "json") return 65535 * 4;
  if (base == "blob") return 65535;
  if (base == "mediumtext" || base == "mediumblob") return 16777215;
  return 0xFFFFFFFFu;
}

const ColumnMeta* TableDef::column(std::string_view n) const {
  for (const auto& c : columns)
    if (iequals(c.name, n)) return &c;
  return nullptr;
}

std::optional<size_t> TableDef::column_index(std::string_view n) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (iequals(columns[i].name, n)) return i;
  return std::nullopt;
}

const IndexMeta* TableDef::primary() const {
  for (const auto& i : indexes)
    if (i.primary) return &i;
  return nullptr;
}

std::optional<size_t> TableDef::auto_increment_column() const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].auto_increment) return i;
  return std::nullopt;
}

std::string TableDef::create_statement() const {
  std::string s = "CREATE TABLE " + quote_ident(name) + " (\n";
  std::vector<std::string> lines;
  for (const auto& c : columns) {
    std::string l = "  " + quote_ident(c.name) + " " + c.type_text();
    if (!c.nullable) l += " NOT NULL";
    if (c.default_now) {
      l += " DEFAULT current_timestamp()";
    } else if (c.default_value) {
      l += " DEFAULT " + ((c.is_integer() || c.base == "float" || c.base == "double" || c.base == "decimal")
                              ? *c.default_value
                              : quote_string(*c.default_value));
    } else if (c.nullable && !c.auto_increment && !c.is_binary() && c.base.find("text") == std::string::npos) {
      l += " DEFAULT NULL";
    }
    if (c.auto_increment) l += " AUTO_INCREMENT";
    lines.push_back(std::move(l));
  }
  for (const auto& ix : indexes) {
    std::string l = ix.primary ? "  PRIMARY KEY (" : (ix.unique ? "  UNIQUE KEY " : "  KEY ") + quote_ident(ix.name) + " (";
    for (size_t i = 0; i < ix.columns.size(); ++i) l += (i ? "," : "") + quote_ident(ix.columns[i]);
    lines.push_back(l + ")");
  }
  for (size_t i = 0; i < lines.size(); ++i) s += lines[i] + (i + 1 < lines.size() ? ",\n" : "\n");
  s += ") ENGINE=" + engine_name + " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci";
  if (!comment.empty()) s += " COMMENT=" + quote_string(comment);
  return s;
}

engine::Table TableDef::to_cluster_table() const {
  engine::Table t;
  t.name = cluster_name();
  for (const auto& c : columns) {
    engine::Column e;
    e.name = c.name;
    e.nullable = c.nullable;
    e.is_unsigned = c.is_unsigned;
    if (one_of(c.base, {"tinyint", "smallint", "mediumint", "int", "year"})) {
      e.type = engine::ColumnType::kInt;
    } else if (c.base == "bigint" || c.base == "bit") {
      e.type = engine::ColumnType::kBigInt;
      if (c.base == "bit") e.is_unsigned = true;
    } else if (c.base == "float") {
      e.type = engine::ColumnType::kFloat;
    } else if (c.base == "double") {
      e.type = engine::ColumnType::kDouble;
    } else if (c.base == "decimal") {
      e.type = engine::ColumnType::kDecimal;
      e.precision = c.precision;
      e.scale = c.scale;
    } else if (c.base == "datetime") {
      e.type = engine::ColumnType::kDatetime;
    } else if (c.base == "date") {
      e.type = engine::ColumnType::kDate;
    } else if (c.base == "time") {
      e.type = engine::ColumnType::kTime;
    } else if (c.base == "timestamp") {
      e.type = engine::ColumnType::kTimestamp;
    } else if (c.base == "char" || c.base == "varchar") {
      // utf8mb4: up to 4 bytes a character; CHAR keeps no trailing spaces
      e.type = engine::ColumnType::kVarchar;
      e.length = std::max<uint32_t>(1, c.length * 4);
    } else if (c.base == "binary") {
      e.type = engine::ColumnType::kBinary;
      e.length = std::max<uint32_t>(1, c.length);
    } else if (c.base == "varbinary") {
      e.type = engine::ColumnType::kVarbinary;
      e.length = std::max<uint32_t>(1, c.length);
    } else if (c.base == "enum" || c.base == "set") {
      e.type = engine::ColumnType::kVarchar;
      e.length = 1024;
    } else if (c.is_binary()) {
      e.type = engine::ColumnType::kBlob;
      e.length = engine::kInlineBlobLimit;
    } else {
      e.type = engine::ColumnType::kText;
      e.length = engine::kInlineBlobLimit;
    }
    t.columns.push_back(std::move(e));
  }
  uint32_t next_index = 1;
  for (auto& ix : indexes) {
    std::vector<uint32_t> cols;
    for (const auto& n : ix.columns) cols.push_back(static_cast<uint32_t>(*column_index(n)));
    if (ix.primary) {
      t.primary_key = cols;
      continue;
    }
    engine::Index e;
    e.id = next_index++;
    e.name = ix.name;
    e.kind = ix.unique ? engine::IndexKind::kUniqueHash : engine::IndexKind::kOrdered;
    e.columns = cols;
    t.indexes.push_back(e);
    if (ix.unique) {
      // NDB gives a unique key an ordered index too, for range scans.
      engine::Index o = e;
      o.id = next_index++;
      o.name = ix.name + "$ordered";
      o.kind = engine::IndexKind::kOrdered;
      t.indexes.push_back(o);
    }
  }
  return t;
}

std::string TableDef::sqlite_declaration() const {
  std::string s = "CREATE TABLE x(";
  for (size_t i = 0; i < columns.size(); ++i) {
    const auto& c = columns[i];
    std::string q = "\"";
    for (char ch : c.name) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    q += "\"";
    s += (i ? ", " : "") + q;
    if (c.is_integer()) s += " INTEGER";
    else if (c.base == "float" || c.base == "double" || c.base == "decimal") s += " REAL";
    else if (c.is_binary()) s += " BLOB";
    else if (c.is_temporal()) s += " TEXT";
    else s += " TEXT COLLATE mysql_ci";
    // SQLite hands a virtual table NULL for a column an INSERT leaves out
    // whatever the declaration says (xUpdate applies MySQL's defaults); the
    // defaults are declared for what reads the declaration.
    if (c.auto_increment) continue;
    if (c.default_now) {
      s += " DEFAULT CURRENT_TIMESTAMP";
    } else if (c.default_value) {
      std::string v = *c.default_value;
      bool numeric = c.is_integer() || c.base == "float" || c.base == "double" || c.base == "decimal";
      if (numeric && !v.empty() && (std::isdigit(static_cast<unsigned char>(v[0])) || v[0] == '-')) {
        s += " DEFAULT " + v;
      } else {
        std::string q = "'";
        for (char ch : v) q += ch == '\'' ? std::string("''") : std::string(1, ch);
        s += " DEFAULT " + q + "'";
      }
    }
  }
  return s + ")";
}

// ---- CREATE TABLE parser ----------------------------------------------------

namespace {

class CreateParser {
 public:
  explicit CreateParser(const std::vector<Token>& t) : t_(t) {}

  ParsedCreateTable run() {
    ParsedCreateTable r;
    if (!word("CREATE")) return fail(r);
    if (word("TEMPORARY")) r.temporary = true;
    if (!word("TABLE")) return fail(r);
    if (word("IF")) {
      if (!word("NOT") || !word("EXISTS")) return fail(r);
      r.if_not_exists = true;
    }
    std::string n;
    if (!name(n)) return fail(r);
    if (peek().is_op(".")) {
      ++i_;
      r.db = n;
      if (!name(n)) return fail(r);
    }
    r.def.name = n;
    const bool parenthesised = peek().is_op("(") && peek(1).is_word("LIKE");
    if (word("LIKE") || (parenthesised && op("(") && word("LIKE"))) {
      if (!name(r.like_table)) return fail(r);
      if (op(".")) {
        r.like_db = r.like_table;
        if (!name(r.like_table)) return fail(r);
      }
      if (parenthesised && !op(")")) return fail(r);
      if (peek().kind != Token::Kind::kEnd) return fail(r);
      return r;
    }
    if (peek().is_word("AS") || peek().is_word("SELECT") || peek().is_word("IGNORE") || peek().is_word("REPLACE")) {
      r.error = "CREATE TABLE ... SELECT is not supported; use CREATE TABLE ... LIKE, then INSERT ... SELECT";
      r.error_offset = peek().offset;
      return r;
    }
    if (!op("(")) return fail(r);
    for (;;) {
      if (!element(r)) return fail(r);
      if (op(",")) continue;
      if (op(")")) break;
      return fail(r);
    }
    // table options
    while (peek().kind != Token::Kind::kEnd) {
      if (op(",")) continue;
      if (word("DEFAULT")) continue;
      if (word("ENGINE") || word("TYPE")) {
        op("=");
        std::string e;
        if (!name(e)) return fail(r);
        if (!iequals(e, "ndbcluster") && !iequals(e, "ndb")) {
          r.warnings.push_back("Using storage engine NDBCLUSTER for table '" + r.def.name + "' (" + e +
                               " is not available)");
        }
        r.def.engine_name = e;
        continue;
      }
      if (word("AUTO_INCREMENT")) {
        op("=");
        unsigned long long n = 0;
        if (!number(n)) return fail(r);
        r.def.auto_increment_start = n;
        continue;
      }
      if (word("COMMENT")) {
        op("=");
        if (peek().kind != Token::Kind::kString) return fail(r);
        r.def.comment = t_[i_++].text;
        continue;
      }
      if (word("CHARACTER")) {
        if (!word("SET")) return fail(r);
      } else if (!(word("CHARSET") || word("COLLATE") || peek().kind == Token::Kind::kWord)) {
        return fail(r);
      } else if (peek().kind == Token::Kind::kWord && !peek().is_word("CHARSET") && !peek().is_word("COLLATE")) {
        ++i_;  // any other option name: ROW_FORMAT, MAX_ROWS, ...
      }
      op("=");
      if (peek().kind == Token::Kind::kEnd) return fail(r);
      ++i_;  // its value
    }
    if (!finish(r)) return r;
    return r;
  }

 private:
  const Token& peek(size_t k = 0) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  bool word(std::string_view w) {
    if (peek().is_word(w)) {
      ++i_;
      return true;
    }
    return false;
  }
  bool op(std::string_view o) {
    if (peek().is_op(o)) {
      ++i_;
      return true;
    }
    return false;
  }
  // A whole number token (no sign, point or exponent) that fits 64 bits.
  bool number(unsigned long long& out) {
    const Token& t = peek();
    if (t.kind != Token::Kind::kNumber || t.text.empty() || t.text.size() > 19) return false;
    out = 0;
    for (char c : t.text) {
      if (c < '0' || c > '9') return false;
      out = out * 10 + static_cast<unsigned long long>(c - '0');
    }
    ++i_;
    return true;
  }
  bool name(std::string& out) {
    if (!peek().is_name()) return false;
    out = t_[i_++].text;
    return true;
  }
  ParsedCreateTable& fail(ParsedCreateTable& r) {
    if (r.error.empty()) {
      r.error = "syntax";
      r.error_offset = peek().offset;
    }
    return r;
  }

  bool column_list(std::vector<std::string>& cols) {
    if (!op("(")) return false;
    for (;;) {
      std::string c;
      if (!name(c)) return false;
      if (op("(")) {  // prefix length
        if (peek().kind != Token::Kind::kNumber) return false;
        ++i_;
        if (!op(")")) return false;
      }
      word("ASC") || word("DESC");
      cols.push_back(c);
      if (op(",")) continue;
      return op(")");
    }
  }

  bool index_options() {
    for (;;) {
      if (word("USING")) {
        if (!peek().is_name()) return false;
        ++i_;
      } else if (word("COMMENT")) {
        if (peek().kind != Token::Kind::kString) return false;
        ++i_;
      } else {
        return true;
      }
    }
  }

  bool element(ParsedCreateTable& r) {
    if (word("CONSTRAINT")) {
      if (peek().is_name() && !peek().is_word("PRIMARY") && !peek().is_word("UNIQUE") && !peek().is_word("FOREIGN"))
        ++i_;
    }
    if (word("PRIMARY")) {
      if (!word("KEY")) return false;
      IndexMeta ix;
      ix.name = "PRIMARY";
      ix.primary = ix.unique = true;
      if (peek().is_name() && !peek().is_op("(")) ++i_;
      if (word("USING")) ++i_;
      if (!column_list(ix.columns) || !index_options()) return false;
      r.def.indexes.insert(r.def.indexes.begin(), ix);
      return true;
    }
    if (peek().is_word("UNIQUE") || peek().is_word("KEY") || peek().is_word("INDEX")) {
      IndexMeta ix;
      ix.unique = word("UNIQUE");
      word("KEY") || word("INDEX");
      if (peek().is_name() && !peek().is_word("USING")) ix.name = t_[i_++].text;
      if (word("USING")) ++i_;
      if (!column_list(ix.columns) || !index_options()) return false;
      r.def.indexes.push_back(ix);
      return true;
    }
    if (word("FULLTEXT") || word("SPATIAL")) {
      r.error = "FULLTEXT and SPATIAL indexes are not supported";
      r.error_offset = peek().offset;
      return false;
    }
    if (word("FOREIGN")) {
      r.error = "FOREIGN KEY is not supported by halb-sqld";
      r.error_offset = peek().offset;
      return false;
    }
    if (word("CHECK")) {  // accepted and ignored, as MySQL < 8.0.16 did
      int depth = 0;
      do {
        if (peek().is_op("(")) ++depth;
        if (peek().is_op(")")) --depth;
        if (peek().kind == Token::Kind::kEnd) return false;
        ++i_;
      } while (depth > 0);
      return true;
    }
    return column(r);
  }

  bool column(ParsedCreateTable& r) {
    ColumnMeta c;
    if (!name(c.name)) return false;
    if (!peek().is_name()) return false;
    std::string type = to_lower(t_[i_++].text);
    if (type == "integer") type = "int";
    if (type == "int1" || type == "bool" || type == "boolean") {
      if (type != "int1") c.length = 1;
      type = "tinyint";
    }
    if (type == "int2") type = "smallint";
    if (type == "int3" || type == "middleint") type = "mediumint";
    if (type == "int4") type = "int";
    if (type == "int8") type = "bigint";
    if (type == "real") type = "double";
    if (type == "double") word("PRECISION");
    if (type == "numeric" || type == "dec" || type == "fixed") type = "decimal";
    if (type == "character") type = "char";
    if (type == "char" && word("VARYING")) type = "varchar";
    if (type == "national" || type == "nchar" || type == "nvarchar") {
      if (type == "national") {
        if (!peek().is_name()) return false;
        type = to_lower(t_[i_++].text);
      }
      type = (type == "nvarchar" || type == "varchar") ? "varchar" : "char";
    }
    if (type == "long") {
      type = word("VARBINARY") ? "mediumblob" : "mediumtext";
      word("VARCHAR");
    }
    static const std::set<std::string> kKnown = {
        "tinyint", "smallint", "mediumint", "int", "bigint", "float", "double", "decimal", "date", "datetime",
        "timestamp", "time", "year", "char", "varchar", "binary", "varbinary", "tinytext", "text", "mediumtext",
        "longtext", "tinyblob", "blob", "mediumblob", "longblob", "enum", "set", "bit", "json"};
    if (!kKnown.count(type)) {
      r.error = "unknown column type '" + type + "'";
      r.error_offset = t_[i_ - 1].offset;
      return false;
    }
    c.base = type;
    if (type == "decimal") {
      c.precision = 10;
      c.scale = 0;
    }
    if (type == "char" || type == "binary" || type == "bit") c.length = 1;
    if (op("(")) {
      if (type == "enum" || type == "set") {
        for (;;) {
          if (peek().kind != Token::Kind::kString) return false;
          c.enum_values.push_back(t_[i_++].text);
          if (op(",")) continue;
          break;
        }
      } else {
        unsigned long long n = 0;
        if (!number(n)) return false;
        if (type == "decimal") {
          c.precision = static_cast<uint8_t>(std::min<unsigned long long>(n, 65));
          c.scale = 0;
        } else if (type == "text" || type == "blob") {
          // TEXT(n) picks the smallest type that holds n
          if (n < 256) c.base = type == "text" ? "tinytext" : "tinyblob";
        } else if (type != "datetime" && type != "timestamp" && type != "time" && type != "float" &&
                   type != "double") {
          if (n > 0xFFFFFFull) return false;
          c.length = static_cast<uint32_t>(n);
        }
        if (op(",")) {
          unsigned long long s = 0;
          if (!number(s)) return false;
          if (type == "decimal") c.scale = static_cast<uint8_t>(std::min<unsigned long long>(s, 30));
        }
      }
      if (!op(")")) return false;
    }
    if ((type == "varchar" || type == "varbinary") && c.length == 0 && !t_[i_ - 1].is_op(")")) {
      r.error = "VARCHAR needs a length";
      r.error_offset = peek().offset;
      return false;
    }
    if (type == "decimal" && c.precision > 18) {
      r.error = "DECIMAL precision above 18 is not supported by the cluster";
      r.error_offset = peek().offset;
      return false;
    }
    bool inline_primary = false, inline_unique = false;
    for (;;) {
      if (word("UNSIGNED")) {
        c.is_unsigned = true;
      } else if (word("SIGNED") || word("ZEROFILL") || word("BINARY") || word("ASCII") || word("UNICODE")) {
      } else if (word("CHARACTER")) {
        if (!word("SET") || !peek().is_name()) return false;
        ++i_;
      } else if (word("CHARSET") || word("COLLATE")) {
        if (!peek().is_name() && peek().kind != Token::Kind::kString) return false;
        ++i_;
      } else if (word("NOT")) {
        if (!word("NULL")) return false;
        c.nullable = false;
      } else if (word("NULL")) {
        c.nullable = true;
      } else if (word("DEFAULT")) {
        const Token& v = peek();
        if (v.is_word("NULL")) {
          c.default_is_null = true;
          c.default_value.reset();
          ++i_;
        } else if (v.is_word("CURRENT_TIMESTAMP") || v.is_word("NOW") || v.is_word("LOCALTIMESTAMP") ||
                   v.is_word("current_timestamp")) {
          c.default_now = true;
          ++i_;
          if (op("(")) {
            if (peek().kind == Token::Kind::kNumber) ++i_;
            if (!op(")")) return false;
          }
        } else if (v.is_op("-") && peek(1).kind == Token::Kind::kNumber) {
          c.default_value = "-" + peek(1).text;
          i_ += 2;
        } else if (v.kind == Token::Kind::kString || v.kind == Token::Kind::kNumber || v.kind == Token::Kind::kHex) {
          c.default_value = v.text;
          ++i_;
        } else if (v.is_word("TRUE") || v.is_word("FALSE")) {
          c.default_value = v.is_word("TRUE") ? "1" : "0";
          ++i_;
        } else {
          return false;
        }
      } else if (word("AUTO_INCREMENT")) {
        c.auto_increment = true;
      } else if (word("PRIMARY")) {
        if (!word("KEY")) return false;
        inline_primary = true;
      } else if (word("UNIQUE")) {
        word("KEY");
        inline_unique = true;
      } else if (word("KEY")) {
        inline_primary = true;
      } else if (word("COMMENT")) {
        if (peek().kind != Token::Kind::kString) return false;
        ++i_;
      } else if (word("ON")) {
        if (!word("UPDATE")) return false;
        if (!peek().is_name()) return false;
        ++i_;
        if (op("(")) {
          if (peek().kind == Token::Kind::kNumber) ++i_;
          if (!op(")")) return false;
        }
      } else if (word("COLUMN_FORMAT") || word("STORAGE")) {
        if (!peek().is_name()) return false;
        ++i_;
      } else if (word("CHECK")) {
        int depth = 0;
        do {
          if (peek().is_op("(")) ++depth;
          if (peek().is_op(")")) --depth;
          if (peek().kind == Token::Kind::kEnd) return false;
          ++i_;
        } while (depth > 0);
      } else {
        break;
      }
    }
    if (inline_primary) {
      IndexMeta ix;
      ix.name = "PRIMARY";
      ix.primary = ix.unique = true;
      ix.columns = {c.name};
      r.def.indexes.insert(r.def.indexes.begin(), ix);
    }
    if (inline_unique) {
      IndexMeta ix;
      ix.unique = true;
      ix.columns = {c.name};
      r.def.indexes.push_back(ix);
    }
    r.def.columns.push_back(std::move(c));
    return true;
  }

  bool finish(ParsedCreateTable& r) {
    TableDef& d = r.def;
    if (d.columns.empty()) {
      r.error = "A table must have at least 1 column";
      return false;
    }
    int primaries = 0;
    std::set<std::string> names;
    for (auto& c : d.columns) {
      if (!names.insert(to_lower(c.name)).second) {
        r.error = "Duplicate column name '" + c.name + "'";
        return false;
      }
    }
    std::set<std::string> index_names;
    for (auto& ix : d.indexes) {
      if (ix.primary) ++primaries;
      for (auto& col : ix.columns) {
        auto pos = d.column_index(col);
        if (!pos) {
          r.error = "Key column '" + col + "' doesn't exist in table";
          return false;
        }
        col = d.columns[*pos].name;
        if (ix.primary) d.columns[*pos].nullable = false;
      }
      if (!ix.primary && ix.name.empty()) {
        // MySQL names an unnamed key after its first column (c, c_2, ...)
        std::string base = ix.columns.front(), n = base;
        for (int k = 2; index_names.count(to_lower(n)); ++k) n = base + "_" + std::to_string(k);
        ix.name = n;
      }
      if (!index_names.insert(to_lower(ix.name)).second) {
        r.error = "Duplicate key name '" + ix.name + "'";
        return false;
      }
    }
    if (primaries > 1) {
      r.error = "Multiple primary key defined";
      return false;
    }
    // A column with AUTO_INCREMENT must be a key (MySQL error 1075); NDB
    // needs no more than that.
    for (auto& c : d.columns) {
      if (!c.auto_increment) continue;
      bool keyed = false;
      for (auto& ix : d.indexes)
        if (iequals(ix.columns.front(), c.name)) keyed = true;
      if (!keyed) {
        r.error = "Incorrect table definition; there can be only one auto column and it must be defined as a key";
        return false;
      }
      c.nullable = false;
    }
    return true;
  }

  const std::vector<Token>& t_;
  size_t i_ = 0;
};

}  // namespace

ParsedCreateTable parse_create_table(const std::vector<Token>& tokens) { return CreateParser(tokens).run(); }

}  // namespace halb::cluster::sqld
