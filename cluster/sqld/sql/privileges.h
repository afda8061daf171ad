// cluster/sqld/sql/privileges.h: MySQL account privileges at the global,
// database and table levels, read from and written back to the GRANT texts
// the catalog keeps per account (the same lines SHOW GRANTS prints).
//
// A privilege held at a level applies below it: a global SELECT reads every
// table, a database-level one every table of that database (the database
// name may hold the LIKE wildcards '%' and '_', as in MySQL).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/sqld/sql/session.h"
#include "cluster/sqld/sql/tokenizer.h"

namespace halb::cluster::sqld {

namespace priv {
// Bit i is kNames[i]; the order is SHOW GRANTS's.
inline constexpr uint32_t kSelect = 1u << 0, kInsert = 1u << 1, kUpdate = 1u << 2, kDelete = 1u << 3,
                          kCreate = 1u << 4, kDrop = 1u << 5, kReload = 1u << 6, kShutdown = 1u << 7,
                          kProcess = 1u << 8, kFile = 1u << 9, kReferences = 1u << 10, kIndex = 1u << 11,
                          kAlter = 1u << 12, kShowDatabases = 1u << 13, kSuper = 1u << 14,
                          kCreateTemporaryTables = 1u << 15, kLockTables = 1u << 16, kExecute = 1u << 17,
                          kReplicationSlave = 1u << 18, kReplicationClient = 1u << 19, kCreateView = 1u << 20,
                          kShowView = 1u << 21, kCreateRoutine = 1u << 22, kAlterRoutine = 1u << 23,
                          kCreateUser = 1u << 24, kEvent = 1u << 25, kTrigger = 1u << 26,
                          kCreateTablespace = 1u << 27, kGrantOption = 1u << 31;
inline constexpr uint32_t kCount = 28;
// ALL [PRIVILEGES] at each level (GRANT OPTION is never part of ALL).
inline constexpr uint32_t kAllGlobal = (1u << kCount) - 1;
inline constexpr uint32_t kAllDatabase = kSelect | kInsert | kUpdate | kDelete | kCreate | kDrop | kReferences |
                                         kIndex | kAlter | kCreateTemporaryTables | kLockTables | kExecute |
                                         kCreateView | kShowView | kCreateRoutine | kAlterRoutine | kEvent | kTrigger;
inline constexpr uint32_t kAllTable = kSelect | kInsert | kUpdate | kDelete | kCreate | kDrop | kReferences | kIndex |
                                      kAlter | kCreateView | kShowView | kTrigger;
// MySQL's name of one privilege bit ("SELECT", "CREATE TEMPORARY TABLES").
std::string name(uint32_t bit);
// The lowest bit of `mask`'s names, comma separated, ALL PRIVILEGES when all.
std::string list(uint32_t mask, uint32_t all);
}  // namespace priv

// ON *.* / db.* / db.t
struct GrantTarget {
  std::string db = "*";     // "*": every database
  std::string table = "*";  // "*": every table of db
  bool global() const { return db == "*"; }
  bool database_level() const { return db != "*" && table == "*"; }
};

// Privileges on some columns of a table: GRANT SELECT (a, b), INSERT (a).
// Only SELECT, INSERT, UPDATE and REFERENCES may name columns.
inline constexpr uint32_t kColumnPrivileges = priv::kSelect | priv::kInsert | priv::kUpdate | priv::kReferences;
struct ColumnGrant {
  uint32_t bit = 0;
  std::vector<std::string> columns;
};

// Parses a privilege list (tokens [b, e)): "SELECT, INSERT", "ALL
// [PRIVILEGES]", "USAGE", "GRANT OPTION", "SELECT (a, b)". `all` is set for
// ALL, whose bits depend on the level. A privilege with a column list goes
// to `columns` instead of `mask` (an error when `columns` is null). Error
// text on an unknown privilege or a malformed list.
bool parse_privilege_list(const std::vector<Token>& t, size_t b, size_t e, uint32_t& mask, bool& all,
                          std::string& error, std::vector<ColumnGrant>* columns = nullptr);
// Parses "*.*", "*", "db.*", "db.t", "t" (tokens [b, e)); `current_db`
// stands in for a missing database. False when it is none of those.
bool parse_grant_target(const std::vector<Token>& t, size_t b, size_t e, const std::string& current_db,
                        GrantTarget& out);

class Privileges {
 public:
  // From the stored lines "GRANT <privs> ON <target> TO ... [WITH GRANT OPTION]";
  // lines that do not parse are skipped.
  static Privileges from_grants(const std::vector<std::string>& lines);
  // The stored (and SHOW GRANTS) form: the global line first (USAGE when
  // nothing is held globally), then databases, then tables.
  std::vector<std::string> grant_lines(const std::string& user, const std::string& host) const;

  void grant(const GrantTarget& on, uint32_t mask);
  // False when the account holds none of `mask` at exactly that level.
  bool revoke(const GrantTarget& on, uint32_t mask);
  // Column privileges of table `on` (column names compare without case).
  void grant_columns(const GrantTarget& on, const std::vector<ColumnGrant>& grants);
  // False when the account holds none of them.
  bool revoke_columns(const GrantTarget& on, const std::vector<ColumnGrant>& grants);

  uint32_t global() const;
  uint32_t on_database(const std::string& db) const;  // global and database level
  uint32_t on_table(const std::string& db, const std::string& table) const;
  // Table privileges and those held on `column` of the table.
  uint32_t on_column(const std::string& db, const std::string& table, const std::string& column) const;
  // The privileges held on some column of the table (not on the table).
  uint32_t column_bits(const std::string& db, const std::string& table) const;
  bool has_column_grants() const;
  // Any privilege on the database or on one of its tables (USE, SHOW DATABASES).
  bool any_on_database(const std::string& db) const;
  // Any privilege that applies to a table or one of its columns (not
  // global-only ones such as SHOW DATABASES or PROCESS): SHOW TABLES and
  // information_schema list it.
  bool any_on_table(const std::string& db, const std::string& table) const {
    return (on_table(db, table) & (priv::kAllTable | priv::kGrantOption)) != 0 || column_bits(db, table) != 0;
  }

 private:
  struct Entry {
    GrantTarget on;
    uint32_t mask = 0;
    std::vector<std::pair<std::string, uint32_t>> columns;  // table level only, as granted
    bool empty() const { return mask == 0 && columns.empty(); }
  };
  Entry* find(const GrantTarget& on);
  std::vector<Entry> entries_;
};

}  // namespace halb::cluster::sqld
