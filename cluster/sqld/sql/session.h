// cluster/sqld/sql/session.h: the seam between halb-sqld's MySQL protocol
// side (cluster/sqld/protocol, cluster/sqld/server) and its SQL side
// (cluster/sqld/sql).
//
// The protocol side owns bytes: packets, handshake, authentication
// exchange, text and binary row encodings, prepared-statement parameter
// decoding (with the types remembered per statement), connection ids and
// the list of live connections. The SQL side owns meaning: tokenizing,
// session state (database, autocommit, transaction, variables, warnings),
// the catalog and accounts kept in the cluster, and running statements
// against the cluster's tables. Everything crossing this seam is typed
// values and column definitions; neither side sees the other's internals.
//
// Threading: one Session per client connection, used by one thread at a
// time. Engine is shared by every connection thread and is thread-safe.
// Session::interrupt() may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace halb::cluster::sqld {

// MySQL column types as they go on the wire (ColumnDefinition41 type byte).
enum class FieldType : uint8_t {
  kDecimal = 0, kTiny = 1, kShort = 2, kLong = 3, kFloat = 4, kDouble = 5, kNull = 6,
  kTimestamp = 7, kLongLong = 8, kInt24 = 9, kDate = 10, kTime = 11, kDatetime = 12,
  kYear = 13, kVarchar = 15, kBit = 16, kJson = 245, kNewDecimal = 246, kEnum = 247,
  kSet = 248, kTinyBlob = 249, kMediumBlob = 250, kLongBlob = 251, kBlob = 252,
  kVarString = 253, kString = 254, kGeometry = 255,
};

// Column flag bits (ColumnDefinition41 flags).
namespace column_flag {
inline constexpr uint16_t kNotNull = 0x1, kPriKey = 0x2, kUniqueKey = 0x4, kMultipleKey = 0x8,
                          kBlob = 0x10, kUnsigned = 0x20, kBinary = 0x80, kAutoIncrement = 0x200,
                          kNoDefaultValue = 0x1000, kNum = 0x8000;
}

// Server status bits carried by OK and EOF packets.
namespace server_status {
inline constexpr uint16_t kInTrans = 0x1, kAutocommit = 0x2, kMoreResults = 0x8,
                          kNoIndexUsed = 0x20, kDbDropped = 0x100;
}

inline constexpr uint16_t kCharsetBinary = 63;
inline constexpr uint16_t kCharsetUtf8mb4 = 45;

struct ColumnDef {
  std::string schema;     // database, "" for expressions
  std::string table;      // alias as written
  std::string org_table;
  std::string name;       // alias as written (or the expression's text)
  std::string org_name;
  uint16_t charset = kCharsetBinary;
  uint32_t length = 0;    // display length in bytes
  FieldType type = FieldType::kVarString;
  uint16_t flags = 0;
  uint8_t decimals = 0;
  std::optional<std::string> default_value;  // COM_FIELD_LIST only
};

// A value in a row or a statement parameter. Temporal values travel as
// their MySQL text ('2021-03-04 05:06:07', '2020-01-02', '-01:02:03') and
// DECIMAL as its exact text ('3.00'); the column's FieldType says how the
// binary protocol encodes them. Strings are bytes in the connection charset.
using Value = std::variant<std::monostate, int64_t, uint64_t, double, std::string>;
using Row = std::vector<Value>;

struct SqlError {
  uint16_t code = 1105;
  std::string sqlstate = "HY000";
  std::string message;
};

// What one statement produced: an error, or a result set (columns given,
// possibly zero rows), or an OK (affected rows, insert id, info text).
struct StatementResult {
  std::optional<SqlError> error;
  bool has_result_set = false;
  std::vector<ColumnDef> columns;
  std::vector<Row> rows;
  uint64_t affected_rows = 0;
  uint64_t last_insert_id = 0;
  std::string info;         // "Rows matched: 1  Changed: 1  Warnings: 0", "Records: 3  Duplicates: 0  Warnings: 0"
  uint16_t warning_count = 0;
};

struct PrepareResult {
  std::optional<SqlError> error;  // 1295 makes sysbench fall back to text
  uint32_t statement_id = 0;      // chosen by the Session, never 0 on success
  uint16_t param_count = 0;
  std::vector<ColumnDef> params;  // param_count entries (name "?", type kNull is fine)
  std::vector<ColumnDef> columns; // the result set's columns, identical at execute
  uint16_t warning_count = 0;
};

// What the protocol side tells a new session about its client.
struct ClientInfo {
  uint32_t connection_id = 0;  // cluster-unique (see Engine::next_connection_id)
  std::string user;            // as authenticated
  std::string host;            // client address as MySQL shows it ("127.0.0.1")
  std::string account_host;    // the matched account's host pattern ("%")
  std::string database;        // CONNECT_WITH_DB, "" if none
  uint32_t client_flags = 0;   // negotiated capability bits
  uint16_t charset = kCharsetUtf8mb4;
};

class Session {
 public:
  virtual ~Session() = default;

  // COM_QUERY. With `multi_statements`, `sql` may hold several statements
  // separated by ';' and yields one result per statement, stopping after the
  // first error; without it a second statement is a syntax error (1064).
  virtual std::vector<StatementResult> query(std::string_view sql, bool multi_statements) = 0;
  // COM_INIT_DB: OK, or 1049 Unknown database.
  virtual StatementResult init_db(std::string_view database) = 0;
  // COM_FIELD_LIST: columns of `table` in the current database (with
  // default_value set), or 1046/1146.
  virtual StatementResult field_list(std::string_view table, std::string_view wildcard) = 0;

  virtual PrepareResult prepare(std::string_view sql) = 0;
  // `params` are the decoded parameters (long data already appended).
  virtual StatementResult execute(uint32_t statement_id, const std::vector<Value>& params) = 0;
  virtual void close_statement(uint32_t statement_id) = 0;

  // COM_RESET_CONNECTION: roll back, drop statements, variables and temp
  // state; keeps the user and database.
  virtual void reset() = 0;
  // COM_QUIT or a dropped connection: roll back any open transaction.
  virtual void close() = 0;

  // Bits IN_TRANS and AUTOCOMMIT as they stand now, for OK/EOF packets.
  virtual uint16_t status_flags() const = 0;
  virtual std::string current_database() const = 0;
  // For SHOW PROCESSLIST and COM_STATISTICS: what the session runs now.
  virtual std::string current_statement() const = 0;

  // KILL QUERY from another thread: the running statement ends with 1317
  // as soon as it next checks. Thread-safe.
  virtual void interrupt() = 0;
};

// One row of SHOW PROCESSLIST.
struct ProcessInfo {
  uint32_t id = 0;
  std::string user, host, db, command, state, info;
  uint32_t time_s = 0;
};

// What the SQL side may ask of the protocol side: the connections this
// halb-sqld serves (for SHOW PROCESSLIST, KILL, COM_STATISTICS).
class ConnectionRegistry {
 public:
  virtual ~ConnectionRegistry() = default;
  virtual std::vector<ProcessInfo> processes() const = 0;
  // KILL [QUERY] id for a connection of this process: true if it exists.
  virtual bool kill(uint32_t connection_id, bool query_only) = 0;
  virtual uint64_t uptime_s() const = 0;
  virtual uint64_t questions() const = 0;
};

struct Account {
  std::string user;
  std::string host_pattern;  // '%', 'localhost', '10.0.%', ...
  // SHA1(SHA1(password)), 20 bytes; empty = no password.
  std::string password_sha1_sha1;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // The most specific account matching user@host (MySQL's ordering), if any.
  virtual std::optional<Account> find_account(std::string_view user, std::string_view client_host) = 0;
  // True if `database` exists (for CONNECT_WITH_DB at login: 1049 otherwise).
  virtual bool database_exists(std::string_view database) = 0;
  virtual std::unique_ptr<Session> open_session(const ClientInfo& client) = 0;
  // A connection id no other halb-sqld of the cluster hands out.
  virtual uint32_t next_connection_id() = 0;
  // False when no started data node is reachable: the server then refuses
  // logins and the director's mysql check sees this node down.
  virtual bool cluster_available() = 0;
  virtual void set_registry(ConnectionRegistry* registry) = 0;
};

}  // namespace halb::cluster::sqld
