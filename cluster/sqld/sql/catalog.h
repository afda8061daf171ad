// cluster/sqld/sql/catalog.h: databases, table definitions, accounts and
// AUTO_INCREMENT sequences, kept in one hidden cluster table
// ("halb/def/catalog", key -> value) so every SQL node of the cluster sees
// another's CREATE DATABASE/TABLE/USER.
//
// Each SQL node caches the catalog. A DDL statement bumps a version row in
// the same transaction; a background thread reads that row every
// kRefreshInterval and reloads on change, and a lookup that misses reloads
// at once -- so a statement never pays a catalog round trip, yet a table
// another node just created is found by the very next statement.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/api/connection.h"
#include "cluster/sqld/sql/kill.h"
#include "cluster/sqld/sql/session.h"
#include "cluster/sqld/sql/table_def.h"
#include "lib/log/log.h"

namespace halb::cluster::sqld {

struct CatalogTable {
  TableDef def;
  std::string cluster_name;  // "db/def/t" (or "db/def/t#N" after a rebuild)
  std::shared_ptr<const engine::Table> ndb;
  // The parts tables of its MEDIUM/LONG TEXT/BLOB columns, by column
  // (long_values.h; a table created before they existed has none). Each is
  // a CatalogTable of its own (def: this table's name, no columns) so that
  // the session tracks its rows like any table's (savepoints, errors).
  std::map<size_t, std::shared_ptr<const CatalogTable>> parts;
};

struct AccountRecord {
  Account account;
  std::vector<std::string> grants;  // GRANT ... texts for SHOW GRANTS
};

class Catalog {
 public:
  static constexpr const char* kTableName = "halb/def/catalog";
  static constexpr double kRefreshInterval = 0.25;
  // A KILL request or answer row older than this (by the wall-clock time in
  // its nonce) has no asker waiting (post_kill waits 12 refresh intervals):
  // every node's refresher deletes it, and an owner does not act on it. Far
  // above the wait, for clocks of SQL nodes on different hosts that differ.
  static constexpr double kKillRowLifetime = 30;

  Catalog(std::vector<api::Connection*> connections, log::Logger& logger);
  ~Catalog();

  // Creates the catalog table on first start (and the initial root
  // accounts when there are none), loads everything, starts the refresher.
  bool open(const std::string& initial_root_password, std::string& error);

  // Called by the refresher for each KILL request addressed to this node;
  // returns kill_as's code (0, 1094, 1095), which goes back to the asker.
  using KillHandler = std::function<uint16_t(uint32_t id, const KillRequest& request)>;
  void set_kill_handler(KillHandler h);
  // Leaves a KILL request for the SQL node owning `id` and waits (a few
  // refresh intervals) for that node's answer: code 0 when done, else the
  // error to return (1094 also when no node answered: none serves `id`).
  SqlError post_kill(uint32_t id, KillRequest request);

  bool database_exists(const std::string& db);
  // Listings (SHOW DATABASES/TABLES, information_schema) check the version
  // row first (one round trip): a DROP on another node is not listed.
  std::vector<std::string> databases();
  std::vector<std::string> tables(const std::string& db);
  // nullptr if there is no such table (after reloading once on a miss).
  std::shared_ptr<const CatalogTable> table(const std::string& db, const std::string& name);
  // Forces a reload (e.g. the cluster said a cached table no longer exists).
  void reload();
  // Reads the version row (one round trip) and reloads when it moved: what
  // another SQL node just changed is seen now, not at the next refresh.
  void sync() { refresh(); }
  // Reloads without reusing the cached db.name: the cluster says its table is
  // gone, though another node may have re-created it with the same text.
  void invalidate(const std::string& db, const std::string& name);
  // The same for every table (which one is stale is not known).
  void invalidate_all();
  uint64_t version() const { return version_.load(); }

  std::optional<SqlError> create_database(const std::string& db, bool if_not_exists, bool& existed);
  std::optional<SqlError> drop_database(const std::string& db, bool if_exists, bool& missing);
  std::optional<SqlError> create_table(const TableDef& def, bool if_not_exists, bool& existed);
  std::optional<SqlError> drop_table(const std::string& db, const std::string& name, bool if_exists, bool& missing);
  // Empties the table (a fresh cluster table) and restarts its sequence.
  std::optional<SqlError> truncate_table(const std::string& db, const std::string& name);
  // Adds an index by building a new cluster table and copying the rows.
  std::optional<SqlError> add_index(const std::string& db, const std::string& name, const IndexMeta& index);
  // Drops a secondary index the same way (1091 when there is none by that name).
  std::optional<SqlError> drop_index(const std::string& db, const std::string& name, const std::string& index);

  // AUTO_INCREMENT: the next value for db.t (ranges taken per SQL node, so
  // values may have gaps across nodes). 0 with `error` set on failure.
  uint64_t next_auto_increment(const CatalogTable& t, api::NdbError& error);
  // An explicit value was inserted: later automatic ones start above it.
  void note_explicit_auto_increment(const CatalogTable& t, uint64_t value);
  // An insert of a generated value met a row that has it already: the
  // shared sequence is behind the table (a cluster fault lost one of its
  // updates). Moves it past the largest value from `value` up, so the next
  // insert does not fail the same way, and says so in the log.
  void auto_increment_collided(const CatalogTable& t, uint64_t value);

  std::vector<AccountRecord> accounts();
  std::optional<Account> find_account(std::string_view user, std::string_view host);
  std::optional<SqlError> create_user(const Account& a, bool if_not_exists, bool& existed);
  std::optional<SqlError> drop_user(const std::string& user, const std::string& host, bool if_exists, bool& missing);
  std::optional<SqlError> set_password(const std::string& user, const std::string& host, const std::string& sha1_sha1);
  // Replaces the account's GRANT lines (what SHOW GRANTS prints).
  std::optional<SqlError> set_grants(const std::string& user, const std::string& host,
                                     const std::vector<std::string>& grants);
  std::optional<SqlError> add_grant(const std::string& user, const std::string& host, const std::string& grant_text,
                                    bool revoke);

  api::Connection& connection_for(size_t slot) { return *connections_[slot % connections_.size()]; }

 private:
  std::optional<SqlError> write_account_grants(const Account& account, const std::vector<std::string>& grants);
  struct Snapshot {
    std::set<std::string> databases;
    std::map<std::pair<std::string, std::string>, std::shared_ptr<const CatalogTable>> tables;
    std::vector<AccountRecord> accounts;
  };
  api::Connection& conn() { return *connections_.front(); }
  // Reads every catalog row; false on a cluster error.
  bool load(Snapshot& out, uint64_t& version, std::string& error);
  bool read_version(uint64_t& v, std::string* why = nullptr);
  static constexpr int kOpenAttempts = 50;  // 200 ms apart
  static constexpr int kLeftoverLooks = 10;  // 200 ms apart: a concurrent CREATE's catalog row
  // Reloads when the version row moved.
  void refresh();
  // Writes (or with nullopt deletes) rows and bumps the version, in one
  // transaction; `must_not_exist` keys make it fail with 630 if present.
  api::NdbError write_rows(const std::vector<std::pair<std::string, std::optional<std::string>>>& rows,
                           const std::vector<std::string>& must_not_exist = {});
  std::optional<std::string> read_row(const std::string& key, api::NdbError& error);
  std::shared_ptr<const CatalogTable> find_cached(const std::string& db, const std::string& name);
  // Builds db.name anew with `change` applied to its definition, copies
  // the rows, switches the catalog entry over and drops the old table.
  std::optional<SqlError> rebuild(const std::string& db, const std::string& name,
                                  const std::function<std::optional<SqlError>(TableDef&)>& change);
  std::optional<SqlError> copy_rows(const CatalogTable& from, const engine::Table& to);
  // The parts tables of `def`'s long TEXT/BLOB columns for the cluster
  // table `main` (long_values.h); dropping them ignores those missing.
  api::NdbError create_parts_tables(const TableDef& def, const engine::Table& main);
  void drop_parts_tables(const TableDef& def, const std::string& cluster_name);
  std::optional<SqlError> copy_parts(const CatalogTable& from, const std::string& to_name);
  void refresher();
  void check_kills();

  std::vector<api::Connection*> connections_;
  log::Logger& logger_;
  uint32_t catalog_id_ = 0;
  std::shared_ptr<const engine::Table> catalog_table_;

  mutable std::mutex mu_;
  Snapshot snap_;
  std::atomic<uint64_t> version_{0};
  std::mutex reload_mu_;  // one reload at a time

  std::mutex seq_mu_;
  struct Range {
    uint64_t next = 0, end = 0;  // [next, end)
    uint64_t chunk = 16;
    uint64_t known_floor = 0;  // the shared sequence was seen at least here
  };
  std::map<std::string, Range> ranges_;

  KillHandler kill_handler_;
  std::atomic<uint64_t> kill_seq_{0};
  std::thread refresher_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
};

// MySQL's mysql_native_password stored hash: SHA1(SHA1(password)) (raw bytes).
std::string password_sha1_sha1(std::string_view password);
std::string hex_encode(std::string_view bytes);
std::string hex_decode(std::string_view hex);
// MySQL LIKE-style host pattern match ('%' any run, '_' one character).
bool host_matches(std::string_view pattern, std::string_view host);

}  // namespace halb::cluster::sqld
