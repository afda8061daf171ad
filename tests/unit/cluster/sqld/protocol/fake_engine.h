// A tiny in-test Engine for the protocol side's unit tests: two accounts,
// one database, and a Session answering a handful of fixed statements.
// Never part of the product.
#pragma once

// g++ 12 sees the std::variant of a moved Value as maybe-uninitialized (a
// known false positive of its inliner).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/sqld/protocol/handshake.h"
#include "cluster/sqld/sql/errors.h"
#include "cluster/sqld/sql/session.h"

namespace fake {

using namespace halb::cluster::sqld;

class FakeSession : public Session {
 public:
  FakeSession(const ClientInfo& info, std::atomic<int>& open, ConnectionRegistry* const* registry = nullptr)
      : info_(info), open_(open), registry_(registry) {
    db_ = info.database;
    ++open_;
  }
  ~FakeSession() override { --open_; }

  std::vector<StatementResult> query(std::string_view sql, bool multi) override {
    std::vector<StatementResult> out;
    std::string text(sql);
    if (multi && text == "select 1; select 2") {
      out.push_back(one_value("1", int64_t{1}));
      out.push_back(one_value("2", int64_t{2}));
      return out;
    }
    if (text == "select 1; select 2") {
      out.push_back(error(make_sql_error(er::kParse, {"select 2", "1"})));
      return out;
    }
    if (text.rfind("KILL ", 0) == 0) {  // what COM_PROCESS_KILL asks
      uint32_t id = static_cast<uint32_t>(std::stoul(text.substr(5)));
      if (registry_ && *registry_ && (*registry_)->kill(id, false)) out.push_back(StatementResult{});
      else out.push_back(error(make_sql_error(er::kNoSuchThread, {std::to_string(id)})));
      return out;
    }
    if (text == "select 1") {
      out.push_back(one_value("1", int64_t{1}));
    } else if (text == "select null, 'a'") {
      StatementResult r = one_value("NULL", Value(std::monostate{}));
      ColumnDef c;
      c.name = "a";
      c.type = FieldType::kVarString;
      c.charset = kCharsetUtf8mb4;
      r.columns.push_back(c);
      r.rows[0].push_back(std::string("a"));
      out.push_back(r);
    } else if (text == "insert") {
      StatementResult r;
      r.affected_rows = 1;
      r.last_insert_id = 7;
      out.push_back(r);
    } else if (text == "begin") {
      in_trans_ = true;
      out.push_back(StatementResult{});
    } else if (text == "big") {
      StatementResult r = one_value("b", std::string(17u << 20, 'b'));
      out.push_back(r);
    } else if (text == "sleep") {
      interrupted_ = false;
      for (int i = 0; i < 500 && !interrupted_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (interrupted_) {
        out.push_back(error(make_sql_error(er::kQueryInterrupted)));
      } else {
        out.push_back(one_value("slept", int64_t{1}));
      }
    } else if (text.rfind("echo ", 0) == 0) {
      out.push_back(one_value("echo", text.substr(5)));
    } else {
      out.push_back(error(make_sql_error(er::kParse, {text, "1"})));
    }
    return out;
  }
  StatementResult init_db(std::string_view db) override {
    if (db != "test") return error(make_sql_error(er::kBadDb, {db}));
    db_ = db;
    return {};
  }
  StatementResult field_list(std::string_view table, std::string_view) override {
    if (table != "t1") return error(make_sql_error(er::kNoSuchTable, {db_ + "." + std::string(table)}));
    StatementResult r;
    ColumnDef id;
    id.schema = db_;
    id.table = id.org_table = "t1";
    id.name = id.org_name = "id";
    id.type = FieldType::kLong;
    id.length = 11;
    id.flags = column_flag::kNotNull | column_flag::kPriKey;
    id.default_value = "0";
    r.columns.push_back(id);
    return r;
  }
  PrepareResult prepare(std::string_view sql) override {
    PrepareResult p;
    if (sql == "select ?, ?") {
      p.statement_id = ++next_stmt_;
      p.param_count = 2;
      ColumnDef a, b;
      a.name = "a";
      a.type = FieldType::kLongLong;
      b.name = "b";
      b.type = FieldType::kVarString;
      p.columns = {a, b};
    } else if (sql == "begin") {
      p.statement_id = ++next_stmt_;
    } else {
      p.error = make_sql_error(er::kUnsupportedPs);
    }
    return p;
  }
  StatementResult execute(uint32_t id, const std::vector<Value>& params) override {
    if (id != 1 && params.empty()) return {};
    StatementResult r;
    r.has_result_set = true;
    ColumnDef a, b;
    a.name = "a";
    a.type = FieldType::kLongLong;
    b.name = "b";
    b.type = FieldType::kVarString;
    r.columns = {a, b};
    r.rows.push_back(params);
    return r;
  }
  void close_statement(uint32_t) override { ++closed_statements; }
  void reset() override { in_trans_ = false; }
  void close() override { closed = true; }
  uint16_t status_flags() const override {
    return static_cast<uint16_t>(server_status::kAutocommit | (in_trans_ ? server_status::kInTrans : 0));
  }
  std::string current_database() const override { return db_; }
  std::string current_statement() const override { return {}; }
  void interrupt() override { interrupted_ = true; }

  int closed_statements = 0;
  bool closed = false;

 private:
  static StatementResult error(SqlError e) {
    StatementResult r;
    r.error = std::move(e);
    return r;
  }
  static StatementResult one_value(std::string name, Value v) {
    StatementResult r;
    r.has_result_set = true;
    ColumnDef c;
    c.name = std::move(name);
    c.type = std::holds_alternative<std::string>(v) ? FieldType::kVarString : FieldType::kLongLong;
    r.columns.push_back(c);
    Row row;
    row.push_back(std::move(v));
    r.rows.push_back(std::move(row));
    return r;
  }

  ClientInfo info_;
  std::atomic<int>& open_;
  ConnectionRegistry* const* registry_;
  std::string db_;
  bool in_trans_ = false;
  uint32_t next_stmt_ = 0;
  std::atomic<bool> interrupted_{false};
};

class FakeEngine : public Engine {
 public:
  std::optional<Account> find_account(std::string_view user, std::string_view) override {
    if (user == "root") return Account{"root", "%", ""};
    if (user == "sb") return Account{"sb", "%", halb::cluster::sqld::protocol::native_password_hash("sbpass")};
    return std::nullopt;
  }
  bool database_exists(std::string_view db) override { return db == "test"; }
  std::unique_ptr<Session> open_session(const ClientInfo& client) override {
    std::lock_guard lock(mu_);
    last_client = client;
    return std::make_unique<FakeSession>(client, open_sessions, &registry);
  }
  uint32_t next_connection_id() override { return ++next_id_; }
  bool cluster_available() override { return available; }
  void set_registry(ConnectionRegistry* r) override { registry = r; }

  std::atomic<bool> available{true};
  std::atomic<int> open_sessions{0};
  ConnectionRegistry* registry = nullptr;
  ClientInfo last_client;

 private:
  std::mutex mu_;
  std::atomic<uint32_t> next_id_{0};
};

}  // namespace fake
