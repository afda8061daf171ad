// cluster/sqld/sql/sqlite_tables.h: the cluster's tables as SQLite virtual
// tables ("halb" module), the MySQL collation and the MySQL functions SQLite
// lacks, registered on a session's sqlite3 handle.
//
// xBestIndex picks, in order of preference: a point read (= on every primary
// key column), a unique-index read, a primary-key range, an ordered-index
// range or equality, else a full scan; comparisons on numeric columns are
// also pushed to the data nodes as a scan filter. SQLite re-checks every
// constraint itself, so a plan may fetch more rows than needed but never
// fewer.
#pragma once

#include <sqlite3.h>

#include <string>

#include "cluster/sqld/sql/exec_context.h"

namespace halb::cluster::sqld {

// Registers the module, the mysql_ci collation and the functions (NOW(),
// DATABASE(), IF(), CONCAT(), ...) on `db` for the session `ctx`.
// `session_info` answers DATABASE()/USER()/CONNECTION_ID()/LAST_INSERT_ID().
struct SessionInfo {
  virtual ~SessionInfo() = default;
  virtual std::string database() const = 0;
  virtual std::string user() const = 0;
  virtual uint32_t connection_id() const = 0;
  virtual uint64_t last_insert_id() const = 0;
  virtual uint64_t found_rows() const = 0;
};
bool register_cluster_tables(sqlite3* db, ExecContext& ctx, SessionInfo& info, std::string& error);

// MySQL's default comparison of strings: case-insensitive (ASCII letters),
// trailing spaces ignored.
int mysql_ci_compare(std::string_view a, std::string_view b);

}  // namespace halb::cluster::sqld
