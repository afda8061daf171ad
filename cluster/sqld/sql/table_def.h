// cluster/sqld/sql/table_def.h: a MySQL table definition as the SQL node
// keeps it -- column types as MySQL shows them, AUTO_INCREMENT, defaults,
// indexes, the engine name as written -- and its mapping onto the cluster
// table ("db/def/t") that holds the rows.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/ndbd/engine/table.h"
#include "cluster/sqld/sql/session.h"
#include "cluster/sqld/sql/tokenizer.h"

namespace halb::cluster::sqld {

struct ColumnMeta {
  std::string name;
  std::string base;          // lower-case type name: int, bigint, varchar, decimal, datetime, ...
  uint32_t length = 0;       // CHAR/VARCHAR/BINARY: characters or bytes; ints: display width
  uint8_t precision = 0;     // DECIMAL
  uint8_t scale = 0;         // DECIMAL
  bool is_unsigned = false;
  bool nullable = true;
  bool auto_increment = false;
  std::optional<std::string> default_value;  // text as MySQL shows it; nullopt = no default
  bool default_is_null = false;               // DEFAULT NULL
  bool default_now = false;                   // DEFAULT CURRENT_TIMESTAMP
  std::vector<std::string> enum_values;       // ENUM/SET

  std::string type_text() const;  // "int(11)", "char(120)", "decimal(10,2) unsigned"
  FieldType field_type() const;
  bool is_string() const;      // compared with the case-insensitive collation
  bool is_binary() const;      // binary/varbinary/blob
  bool is_integer() const;
  bool is_temporal() const;
  uint32_t display_length() const;  // for column definitions (utf8mb4 strings: 4 bytes a character)
};

struct IndexMeta {
  std::string name;  // "PRIMARY" for the primary key
  bool primary = false;
  bool unique = false;
  std::vector<std::string> columns;
  uint32_t engine_index = 0;  // the cluster table's index id (0: the primary key)
};

struct TableDef {
  std::string db, name;
  std::string engine_name = "ndbcluster";
  std::vector<ColumnMeta> columns;
  std::vector<IndexMeta> indexes;  // primary key first
  uint64_t auto_increment_start = 1;
  std::string comment;

  const ColumnMeta* column(std::string_view n) const;
  std::optional<size_t> column_index(std::string_view n) const;
  const IndexMeta* primary() const;
  std::optional<size_t> auto_increment_column() const;
  // The cluster table's name: NDB's "db/def/t" convention.
  std::string cluster_name() const { return db + "/def/" + name; }
  // SHOW CREATE TABLE's text (also how the catalog stores the definition).
  std::string create_statement() const;
  // The cluster table: columns in the same order, primary key, indexes.
  engine::Table to_cluster_table() const;
  // The column list SQLite's virtual table is declared with.
  std::string sqlite_declaration() const;
  // MySQL's limits on column and row sizes: 1074 for a VARCHAR/VARBINARY
  // longer than a row may be, 1118 when the columns other than TEXT/BLOB
  // need more than 65535 bytes together, 1067 for a string default longer
  // than its column, 1628 for a table comment over 2048 characters.
  std::optional<SqlError> check_sizes() const;
  // MySQL's rules for the names: the table's (1103 when empty or ending in
  // a space), its columns' (1166 likewise) and its indexes', none longer
  // than 64 characters (1059).
  std::optional<SqlError> check_names() const;
};

// The same rules for a database name (1102, 1059).
std::optional<SqlError> check_database_name(const std::string& db);

// Parses CREATE TABLE (tokens of the whole statement). Warnings (an engine
// other than NDBCLUSTER) are appended to `warnings`.
struct ParsedCreateTable {
  TableDef def;
  bool if_not_exists = false;
  bool temporary = false;
  std::string db;  // qualified name's database, "" if not given
  // CREATE TABLE t LIKE [like_db.]like_table: `def` holds only the name;
  // the columns and indexes are the source table's.
  std::string like_db, like_table;
  std::string error;  // a 1064-style complaint with the text near it
  size_t error_offset = 0;
  std::vector<std::string> warnings;
};
ParsedCreateTable parse_create_table(const std::vector<Token>& tokens);

// MySQL's quoting of a name in SHOW CREATE output.
std::string quote_ident(std::string_view name);

}  // namespace halb::cluster::sqld
