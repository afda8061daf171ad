// cluster/sqld/sql/information_schema.h: the information_schema tables
// tools read (SCHEMATA, TABLES, COLUMNS, STATISTICS), built from the
// catalog for one account at the moment a statement names them.
//
// Like MySQL, an account sees only what it holds some privilege on: a
// database when it holds any privilege in it (every database with a global
// one or SHOW DATABASES), a table and its columns and indexes when it holds
// any privilege on that table (globally, on its database or on the table).
//
// A statement reads them as ordinary SQLite tables: load_information_schema
// (re)fills "information_schema/<NAME>" in the session's SQLite database,
// the name rewrite.h gives `information_schema.name`.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include "cluster/sqld/sql/privileges.h"
#include "cluster/sqld/sql/session.h"
#include "cluster/sqld/sql/table_def.h"

namespace halb::cluster::sqld {

class Catalog;

inline bool is_information_schema_name(std::string_view db) {
  return iequals(db, "information_schema");
}

// What the catalog holds, as the listings need it (a fake in unit tests).
struct SchemaSource {
  std::function<std::vector<std::string>()> databases;
  std::function<std::vector<std::string>(const std::string& db)> tables;
  std::function<std::shared_ptr<const TableDef>(const std::string& db, const std::string& table)> table;
};

struct SchemaTable {
  std::string name;  // upper case, as MySQL lists it
  std::vector<std::string> columns;
  std::vector<Row> rows;
};

// The upper-case names of the tables served.
const std::vector<std::string>& information_schema_table_names();

// information_schema.`name` (any case) as `privileges` may see it; nullopt
// for a table this server does not have.
std::optional<SchemaTable> information_schema_table(std::string_view name, const SchemaSource& source,
                                                     const Privileges& privileges);

// SHOW FULL COLUMNS' and COLUMNS.PRIVILEGES: "select,insert,update,references"
// or the part of it `mask` holds.
std::string column_privilege_list(uint32_t mask);

// SHOW COLUMNS' and COLUMNS.COLUMN_KEY: PRI, UNI, MUL or "".
std::string column_key(const TableDef& def, const ColumnMeta& column);

// Fills "information_schema/<NAME>" in `db` for the statement about to
// run; 1109 for a table this server does not have.
std::optional<SqlError> load_information_schema(sqlite3* db, const std::string& name, Catalog& catalog,
                                                const Privileges& privileges);

}  // namespace halb::cluster::sqld
