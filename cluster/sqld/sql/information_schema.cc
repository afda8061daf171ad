// cluster/sqld/sql/information_schema.cc: information_schema tables from the
// catalog, filtered by the account's privileges (see information_schema.h).
#include "cluster/sqld/sql/information_schema.h"

#include <algorithm>

#include "cluster/sqld/sql/catalog.h"

namespace halb::cluster::sqld {

namespace {

const Value kNull = std::monostate{};
Value text(std::string s) { return Value(std::move(s)); }
Value num(int64_t v) { return Value(v); }

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

bool sees_every_database(const Privileges& p) {
  return (p.global() & (priv::kShowDatabases | priv::kAllDatabase)) != 0;
}

// The listed tables of every visible database, sorted, with definitions.
template <typename F>
void for_each_visible_table(const SchemaSource& src, const Privileges& p, F&& f) {
  auto dbs = src.databases();
  std::sort(dbs.begin(), dbs.end());
  for (const auto& db : dbs) {
    auto names = src.tables(db);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      if (!p.any_on_table(db, n)) continue;
      auto def = src.table(db, n);
      if (def) f(db, *def, p.on_table(db, n));
    }
  }
}

Value text_or_null(const std::optional<std::string>& s) { return s ? text(*s) : kNull; }

// CHARACTER_MAXIMUM_LENGTH: characters for strings, bytes for binary types.
std::optional<int64_t> max_length(const ColumnMeta& c) {
  if (c.base == "char" || c.base == "varchar" || c.base == "binary" || c.base == "varbinary") return c.length;
  if (c.base == "tinytext" || c.base == "tinyblob") return 255;
  if (c.base == "text" || c.base == "blob") return 65535;
  if (c.base == "mediumtext" || c.base == "mediumblob") return 16777215;
  if (c.base == "longtext" || c.base == "longblob" || c.base == "json") return 4294967295;
  if (c.base == "enum" || c.base == "set") {
    size_t longest = 0;
    for (auto& v : c.enum_values) longest = std::max(longest, v.size());
    return static_cast<int64_t>(longest);
  }
  return std::nullopt;
}

std::optional<int64_t> numeric_precision(const ColumnMeta& c) {
  if (c.base == "tinyint") return 3;
  if (c.base == "smallint") return 5;
  if (c.base == "mediumint") return 7;
  if (c.base == "int") return 10;
  if (c.base == "bigint") return c.is_unsigned ? 20 : 19;
  if (c.base == "decimal") return c.precision;
  if (c.base == "float") return 12;
  if (c.base == "double") return 22;
  if (c.base == "bit") return c.length;
  return std::nullopt;
}

std::optional<int64_t> numeric_scale(const ColumnMeta& c) {
  if (c.is_integer() && c.base != "year" && c.base != "bit") return 0;
  if (c.base == "decimal") return c.scale;
  return std::nullopt;
}

Value opt(const std::optional<int64_t>& v) { return v ? num(*v) : kNull; }

SchemaTable schemata(const SchemaSource& src, const Privileges& p) {
  SchemaTable t{"SCHEMATA",
                {"CATALOG_NAME", "SCHEMA_NAME", "DEFAULT_CHARACTER_SET_NAME", "DEFAULT_COLLATION_NAME", "SQL_PATH",
                 "DEFAULT_ENCRYPTION"},
                {}};
  auto dbs = src.databases();
  dbs.push_back("information_schema");
  std::sort(dbs.begin(), dbs.end());
  const bool every = sees_every_database(p);
  for (const auto& db : dbs) {
    if (!every && !is_information_schema_name(db) && !p.any_on_database(db)) continue;
    t.rows.push_back({text("def"), text(db), text("utf8mb4"), text("utf8mb4_general_ci"), kNull, text("NO")});
  }
  return t;
}

SchemaTable tables(const SchemaSource& src, const Privileges& p) {
  SchemaTable t{"TABLES",
                {"TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "ENGINE", "VERSION", "ROW_FORMAT",
                 "TABLE_ROWS", "AVG_ROW_LENGTH", "DATA_LENGTH", "MAX_DATA_LENGTH", "INDEX_LENGTH", "DATA_FREE",
                 "AUTO_INCREMENT", "CREATE_TIME", "UPDATE_TIME", "CHECK_TIME", "TABLE_COLLATION", "CHECKSUM",
                 "CREATE_OPTIONS", "TABLE_COMMENT"},
                {}};
  // information_schema's own tables: every account sees them.
  for (const auto& n : information_schema_table_names())
    t.rows.push_back({text("def"), text("information_schema"), text(n), text("SYSTEM VIEW"), kNull, num(10), kNull,
                      kNull, kNull, kNull, kNull, kNull, kNull, kNull, kNull, kNull, kNull, text("utf8mb4_general_ci"),
                      kNull, text(""), text("")});
  for_each_visible_table(src, p, [&](const std::string& db, const TableDef& def, uint32_t) {
    t.rows.push_back({text("def"), text(db), text(def.name), text("BASE TABLE"), text(def.engine_name), num(10),
                      text("Dynamic"), num(0), num(0), num(0), num(0), num(0), num(0), kNull, kNull, kNull, kNull,
                      text("utf8mb4_general_ci"), kNull, text(""), text(def.comment)});
  });
  return t;
}

SchemaTable columns(const SchemaSource& src, const Privileges& p) {
  SchemaTable t{"COLUMNS",
                {"TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION", "COLUMN_DEFAULT",
                 "IS_NULLABLE", "DATA_TYPE", "CHARACTER_MAXIMUM_LENGTH", "CHARACTER_OCTET_LENGTH",
                 "NUMERIC_PRECISION", "NUMERIC_SCALE", "DATETIME_PRECISION", "CHARACTER_SET_NAME", "COLLATION_NAME",
                 "COLUMN_TYPE", "COLUMN_KEY", "EXTRA", "PRIVILEGES", "COLUMN_COMMENT", "GENERATION_EXPRESSION",
                 "SRS_ID"},
                {}};
  for_each_visible_table(src, p, [&](const std::string& db, const TableDef& def, uint32_t) {
    int64_t pos = 0;
    for (const auto& c : def.columns) {
      ++pos;
      // With privileges on some columns only, only those are listed.
      const uint32_t held = p.on_column(db, def.name, c.name);
      if (!(held & (priv::kAllTable | priv::kGrantOption))) continue;
      std::optional<std::string> dflt;
      if (c.default_now) dflt = "CURRENT_TIMESTAMP";
      else if (c.default_value) dflt = *c.default_value;
      auto len = max_length(c);
      std::optional<int64_t> octets = len;
      if (len && c.is_string() && (c.base == "char" || c.base == "varchar" || c.base == "enum" || c.base == "set"))
        octets = *len * 4;
      t.rows.push_back({text("def"), text(db), text(def.name), text(c.name), num(pos), text_or_null(dflt),
                        text(c.nullable ? "YES" : "NO"), text(c.base), opt(len), opt(octets),
                        opt(numeric_precision(c)), opt(numeric_scale(c)),
                        c.is_temporal() && c.base != "date" ? num(0) : kNull,
                        c.is_string() ? text("utf8mb4") : kNull, c.is_string() ? text("utf8mb4_general_ci") : kNull,
                        text(c.type_text()), text(column_key(def, c)), text(c.auto_increment ? "auto_increment" : ""),
                        text(column_privilege_list(held)), text(""), text(""), kNull});
    }
  });
  return t;
}

SchemaTable statistics(const SchemaSource& src, const Privileges& p) {
  SchemaTable t{"STATISTICS",
                {"TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "NON_UNIQUE", "INDEX_SCHEMA", "INDEX_NAME",
                 "SEQ_IN_INDEX", "COLUMN_NAME", "COLLATION", "CARDINALITY", "SUB_PART", "PACKED", "NULLABLE",
                 "INDEX_TYPE", "COMMENT", "INDEX_COMMENT", "IS_VISIBLE", "EXPRESSION"},
                {}};
  for_each_visible_table(src, p, [&](const std::string& db, const TableDef& def, uint32_t) {
    for (const auto& ix : def.indexes) {
      for (size_t k = 0; k < ix.columns.size(); ++k) {
        const ColumnMeta* c = def.column(ix.columns[k]);
        // The cluster's unique indexes are hash indexes (no order), the
        // primary key and the others ordered ones, as SHOW INDEX says.
        const bool hash = ix.unique && !ix.primary;
        t.rows.push_back({text("def"), text(db), text(def.name), num(ix.unique ? 0 : 1), text(db), text(ix.name),
                          num(static_cast<int64_t>(k + 1)), text(ix.columns[k]), hash ? kNull : text("A"), kNull,
                          kNull, kNull, text(c && c->nullable ? "YES" : ""), text(ix.unique ? "HASH" : "BTREE"),
                          text(""), text(""), text("YES"), kNull});
      }
    }
  });
  return t;
}

std::string quote(std::string_view name) {
  std::string q = "\"";
  for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void bind(sqlite3_stmt* s, int idx, const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) sqlite3_bind_int64(s, idx, *i);
  else if (auto* u = std::get_if<uint64_t>(&v)) sqlite3_bind_int64(s, idx, static_cast<int64_t>(*u));
  else if (auto* d = std::get_if<double>(&v)) sqlite3_bind_double(s, idx, *d);
  else if (auto* str = std::get_if<std::string>(&v))
    sqlite3_bind_text(s, idx, str->data(), static_cast<int>(str->size()), SQLITE_TRANSIENT);
  else sqlite3_bind_null(s, idx);
}

}  // namespace

std::string column_privilege_list(uint32_t mask) {
  std::string out;
  for (auto [bit, name] : {std::pair{priv::kSelect, "select"}, std::pair{priv::kInsert, "insert"},
                           std::pair{priv::kUpdate, "update"}, std::pair{priv::kReferences, "references"}})
    if (mask & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out;
}

const std::vector<std::string>& information_schema_table_names() {
  static const std::vector<std::string> names = {"COLUMNS", "SCHEMATA", "STATISTICS", "TABLES"};
  return names;
}

std::string column_key(const TableDef& def, const ColumnMeta& c) {
  std::string key;
  for (const auto& ix : def.indexes) {
    if (ix.columns.empty() || ix.columns[0] != c.name) continue;
    std::string k = ix.primary ? "PRI" : (ix.unique && ix.columns.size() == 1) ? "UNI" : "MUL";
    if (key.empty() || k == "PRI" || (k == "UNI" && key == "MUL")) key = k;
  }
  return key;
}

std::optional<SchemaTable> information_schema_table(std::string_view name, const SchemaSource& source,
                                                     const Privileges& privileges) {
  std::string n = upper(name);
  if (n == "SCHEMATA") return schemata(source, privileges);
  if (n == "TABLES") return tables(source, privileges);
  if (n == "COLUMNS") return columns(source, privileges);
  if (n == "STATISTICS") return statistics(source, privileges);
  return std::nullopt;
}

std::optional<SqlError> load_information_schema(sqlite3* db, const std::string& name, Catalog& catalog,
                                                const Privileges& privileges) {
  SchemaSource source;
  source.databases = [&] { return catalog.databases(); };
  source.tables = [&](const std::string& d) { return catalog.tables(d); };
  source.table = [&](const std::string& d, const std::string& t) -> std::shared_ptr<const TableDef> {
    auto ct = catalog.table(d, t);
    if (!ct) return nullptr;
    return std::shared_ptr<const TableDef>(ct, &ct->def);
  };
  auto table = information_schema_table(name, source, privileges);
  if (!table) return SqlError{1109, "42S02", "Unknown table '" + name + "' in information_schema"};
  // Columns without a type: values keep the types given (SQLite's BLOB affinity).
  const std::string q = quote("information_schema/" + table->name);
  std::string create = "CREATE TEMP TABLE IF NOT EXISTS " + q + "(";
  std::string insert = "INSERT INTO " + q + " VALUES (";
  for (size_t i = 0; i < table->columns.size(); ++i) {
    create += (i ? ", " : "") + quote(table->columns[i]);
    insert += i ? ", ?" : "?";
  }
  create += ")";
  insert += ")";
  auto fail = [&] { return SqlError{1105, "HY000", std::string("information_schema: ") + sqlite3_errmsg(db)}; };
  if (sqlite3_exec(db, create.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return fail();
  if (sqlite3_exec(db, ("DELETE FROM " + q).c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return fail();
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, insert.c_str(), -1, &s, nullptr) != SQLITE_OK) return fail();
  for (const auto& row : table->rows) {
    for (size_t i = 0; i < row.size(); ++i) bind(s, static_cast<int>(i + 1), row[i]);
    if (sqlite3_step(s) != SQLITE_DONE) {
      SqlError e = fail();
      sqlite3_finalize(s);
      return e;
    }
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  return std::nullopt;
}

}  // namespace halb::cluster::sqld
