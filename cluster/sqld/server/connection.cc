// cluster/sqld/server/connection.cc
#include "cluster/sqld/server/connection.h"

#include <algorithm>

#include "cluster/sqld/protocol/handshake.h"
#include "cluster/sqld/protocol/results.h"
#include "cluster/sqld/protocol/wire.h"
#include "cluster/sqld/server/socket_stream.h"
#include "cluster/sqld/sql/errors.h"

namespace halb::cluster::sqld::server {

using protocol::PacketChannel;
using protocol::ReadResult;
namespace cap = protocol::cap;

namespace {

enum Command : uint8_t {
  kQuit = 0x01, kInitDb = 0x02, kQuery = 0x03, kFieldList = 0x04, kStatistics = 0x09,
  kProcessKill = 0x0C, kPing = 0x0E, kChangeUser = 0x11, kStmtPrepare = 0x16,
  kStmtExecute = 0x17, kStmtSendLongData = 0x18, kStmtClose = 0x19, kStmtReset = 0x1A,
  kSetOption = 0x1B, kResetConnection = 0x1F,
};

// Handshake-time refusal when no data node is reachable: the director's
// mysql check must see this node down, and a client must not mistake it for
// a wrong password.
SqlError cluster_unavailable_error() {
  return SqlError{er::kUnknown, "HY000", "Cluster unavailable: no data node of the cluster is reachable"};
}

constexpr size_t kMaxProcessInfo = 64 * 1024;
// Login packets are a few hundred bytes; a client that has not logged in
// does not get to make us buffer max_allowed_packet.
constexpr size_t kMaxLoginPacket = 64 * 1024;
constexpr size_t kMaxPreparedStatements = 16382;

struct Prepared {
  protocol::PreparedParams params;
  std::vector<ColumnDef> columns;
  std::string sql;        // for SHOW PROCESSLIST while it executes
  bool long_data_too_large = false;
};

class Connection {
 public:
  Connection(Engine& engine, Registry& registry, const ConnectionSettings& settings, log::Logger& logger,
             const Peer& peer, protocol::Stream& stream)
      : engine_(engine), registry_(registry), settings_(settings), logger_(logger), peer_(peer),
        channel_(&stream) {
    channel_.set_net_read_timeout(settings.net_read_timeout_s * 1000);
  }

  void run();

 private:
  bool handshake();
  bool authenticate(protocol::HandshakeResponse& response, const std::string& scramble);
  bool command_loop();
  bool dispatch(std::string_view payload);

  void send_error(const SqlError& e) {
    protocol::encode_err(channel_.begin(), e);
    channel_.end();
  }
  void send_ok(uint64_t affected = 0, uint64_t insert_id = 0, uint16_t warnings = 0, std::string_view info = {}) {
    protocol::encode_ok(channel_.begin(), affected, insert_id, status(), warnings, info);
    channel_.end();
  }
  uint16_t status() const { return session_ ? session_->status_flags() : server_status::kAutocommit; }
  void send_results(const std::vector<StatementResult>& results);
  void send_result_set(const StatementResult& r, uint16_t more, bool binary);
  void send_column_defs(const std::vector<ColumnDef>& columns, bool with_default);

  void do_prepare(std::string_view sql);
  void do_execute(std::string_view body);
  void do_change_user(std::string_view body);
  void close_session();

  Engine& engine_;
  Registry& registry_;
  const ConnectionSettings& settings_;
  log::Logger& logger_;
  const Peer& peer_;
  PacketChannel channel_;
  std::unique_ptr<TlsStream> tls_;
  uint32_t id_ = 0;
  uint32_t caps_ = 0;  // negotiated: client's ∩ server's
  bool multi_statements_ = false;
  std::string user_, account_host_, scramble_;
  uint16_t charset_ = kCharsetUtf8mb4;
  std::unique_ptr<Session> session_;
  std::map<uint32_t, Prepared> statements_;
  std::string payload_;
  std::vector<Value> params_;
};

void Connection::run() {
  id_ = engine_.next_connection_id();
  if (!registry_.add(id_, peer_.fd, peer_.shown, settings_.max_connections)) {
    channel_.reset_sequence();
    send_error(make_sql_error(er::kConCount));
    channel_.flush();
    return;
  }
  if (handshake()) command_loop();
  close_session();
  registry_.remove(id_);
}

void Connection::close_session() {
  if (!session_) return;
  registry_.detach_session(id_);
  session_->close();
  session_.reset();
}

bool Connection::handshake() {
  channel_.reset_sequence();
  protocol::Greeting g;
  g.server_version = settings_.server_version;
  g.connection_id = id_;
  g.scramble = scramble_ = protocol::make_scramble();
  if (settings_.tls) g.capabilities |= cap::kSsl;
  protocol::encode_greeting(channel_.begin(), g);
  channel_.end();
  if (!channel_.flush()) return false;

  int timeout_ms = settings_.connect_timeout_s * 1000;
  channel_.set_exact_reads(settings_.tls != nullptr);
  ReadResult rr = channel_.read_packet(payload_, kMaxLoginPacket, timeout_ms);
  channel_.set_exact_reads(false);
  if (rr != ReadResult::kOk) {
    if (rr == ReadResult::kBadSequence || rr == ReadResult::kTooLarge) {
      send_error(make_sql_error(er::kHandshake));
      channel_.flush();
    }
    return false;
  }
  protocol::HandshakeResponse response;
  std::string error;
  if (!protocol::parse_handshake_response(payload_, response, error)) {
    logger_.limited("sqld-bad-handshake", log::Level::warn, "bad handshake from " + peer_.shown + ": " + error);
    send_error(make_sql_error(er::kHandshake));
    channel_.flush();
    return false;
  }
  if (response.ssl_request) {
    if (!settings_.tls || channel_.buffered_input() != 0) {
      send_error(make_sql_error(er::kHandshake));
      channel_.flush();
      return false;
    }
    tls_ = std::make_unique<TlsStream>(*settings_.tls, peer_.fd);
    tls_->set_write_timeout(settings_.net_write_timeout_s * 1000);
    if (!tls_->accept(timeout_ms, error)) {
      logger_.limited("sqld-tls", log::Level::warn, "TLS handshake with " + peer_.shown + " failed: " + error);
      return false;
    }
    channel_.set_stream(tls_.get());
    rr = channel_.read_packet(payload_, kMaxLoginPacket, timeout_ms);
    if (rr != ReadResult::kOk) return false;
    if (!protocol::parse_handshake_response(payload_, response, error) || response.ssl_request) {
      send_error(make_sql_error(er::kHandshake));
      channel_.flush();
      return false;
    }
  }
  // Refused after the client's response rather than instead of the
  // greeting: clients then print the server's error as it is (libmariadb
  // distrusts an error that arrives before the handshake).
  if (!engine_.cluster_available()) {
    send_error(cluster_unavailable_error());
    channel_.flush();
    logger_.limited("sqld-unavailable", log::Level::warn,
                    "refusing MySQL clients: no data node of the cluster is reachable");
    return false;
  }
  caps_ = response.capabilities & (cap::kServerDefault | (settings_.tls ? cap::kSsl : 0));
  multi_statements_ = caps_ & cap::kMultiStatements;
  charset_ = response.charset ? response.charset : kCharsetUtf8mb4;
  if (!authenticate(response, scramble_)) return false;

  if (response.has_database && !response.database.empty() && !engine_.database_exists(response.database)) {
    send_error(make_sql_error(er::kBadDb, {response.database}));
    channel_.flush();
    return false;
  }
  ClientInfo info;
  info.connection_id = id_;
  info.user = user_;
  info.host = peer_.address;
  info.account_host = account_host_;
  info.database = response.has_database ? response.database : "";
  info.client_flags = caps_;
  info.charset = charset_;
  session_ = engine_.open_session(info);
  if (!session_) {
    send_error(cluster_unavailable_error());
    channel_.flush();
    return false;
  }
  if (!info.database.empty()) {  // the account may lack any privilege on it: 1044
    if (StatementResult use = session_->init_db(info.database); use.error) {
      send_error(*use.error);
      channel_.flush();
      return false;
    }
  }
  registry_.logged_in(id_, user_, session_->current_database(), session_.get());
  send_ok();
  return channel_.flush();
}

// mysql_native_password, switching a client that asked for another plugin.
bool Connection::authenticate(protocol::HandshakeResponse& response, const std::string& scramble) {
  std::string token = response.auth_token;
  if (!response.plugin.empty() && response.plugin != protocol::kNativePlugin && (caps_ & cap::kPluginAuth)) {
    scramble_ = protocol::make_scramble();
    protocol::encode_auth_switch(channel_.begin(), protocol::kNativePlugin, scramble_);
    channel_.end();
    if (!channel_.flush()) return false;
    if (channel_.read_packet(payload_, kMaxLoginPacket, settings_.connect_timeout_s * 1000) !=
        ReadResult::kOk)
      return false;
    token = payload_;
  } else {
    scramble_ = scramble;
  }
  user_ = response.user;
  auto account = engine_.find_account(user_, peer_.address);
  bool ok = account && protocol::check_native_password(scramble_, token, account->password_sha1_sha1);
  if (!ok) {
    logger_.limited("sqld-denied", log::Level::info,
                    "access denied for user '" + user_ + "'@'" + peer_.address + "'");
    send_error(make_sql_error(er::kAccessDenied, {user_, peer_.address, token.empty() ? "NO" : "YES"}));
    channel_.flush();
    return false;
  }
  account_host_ = account->host_pattern;
  return true;
}

bool Connection::command_loop() {
  bool interactive = caps_ & cap::kInteractive;
  int timeout_s = interactive ? settings_.interactive_timeout_s : settings_.wait_timeout_s;
  for (;;) {
    channel_.reset_sequence();
    ReadResult rr = channel_.read_packet(payload_, settings_.max_allowed_packet,
                                         timeout_s > 0 ? timeout_s * 1000 : -1, false);
    if (rr == ReadResult::kTooLarge) {
      send_error(make_sql_error(er::kNetPacketTooLarge));
      channel_.flush();
      return false;
    }
    if (rr != ReadResult::kOk) return false;  // closed, timed out (wait_timeout) or killed
    if (payload_.empty()) {
      send_error(make_sql_error(er::kUnknownCom));
      if (!channel_.flush()) return false;
      continue;
    }
    if (!dispatch(payload_)) return false;
    if (!channel_.flush() || registry_.killed(id_)) return false;
    if (payload_.capacity() > (4u << 20)) std::string().swap(payload_);
  }
}

bool Connection::dispatch(std::string_view payload) {
  auto command = static_cast<uint8_t>(payload[0]);
  std::string_view body = payload.substr(1);
  // Questions counts what clients ask, as MySQL: not pings, statistics
  // requests or the replies-less statement commands.
  if (command != kQuit && command != kPing && command != kStatistics && command != kStmtClose &&
      command != kStmtSendLongData)
    registry_.count_question();
  switch (command) {
    case kQuit:
      return false;
    case kQuery: {
      // PROCESSLIST shows the statement; a 500 KB INSERT is not copied whole.
      registry_.set_command(id_, "Query", body.substr(0, kMaxProcessInfo), session_->current_database());
      auto results = session_->query(body, multi_statements_);
      send_results(results);
      registry_.set_command(id_, "Sleep", {}, session_->current_database());
      return true;
    }
    case kInitDb: {
      registry_.set_command(id_, "Init DB", body, session_->current_database());
      StatementResult r = session_->init_db(body);
      if (r.error)
        send_error(*r.error);
      else
        send_ok(0, 0, r.warning_count);
      registry_.set_command(id_, "Sleep", {}, session_->current_database());
      return true;
    }
    case kFieldList: {
      protocol::Reader r(body);
      std::string_view table = r.nul_string(true);
      std::string_view wildcard = r.rest();
      registry_.set_command(id_, "Field List", table, session_->current_database());
      StatementResult res = session_->field_list(table, wildcard);
      if (res.error) {
        send_error(*res.error);
      } else {
        send_column_defs(res.columns, true);
        protocol::encode_eof(channel_.begin(), res.warning_count, status());
        channel_.end();
      }
      registry_.set_command(id_, "Sleep", {}, session_->current_database());
      return true;
    }
    case kStatistics:
      // A bare string, no OK header: what mysqladmin status and the CLI print.
      channel_.write_packet(registry_.statistics());
      return true;
    case kProcessKill: {
      protocol::Reader r(body);
      uint32_t target = r.u32();
      if (r.failed()) {
        send_error(make_sql_error(er::kUnknownCom));
        return true;
      }
      // KILL's rules: only one's own connections without SUPER, and a
      // connection on another SQL node too (the session knows both).
      auto results = session_->query("KILL " + std::to_string(target), false);
      if (!results.empty() && results.front().error) {
        send_error(*results.front().error);
        return true;
      }
      if (target == id_) return false;
      send_ok();
      return true;
    }
    case kPing:
      send_ok();
      return true;
    case kChangeUser:
      do_change_user(body);
      return session_ != nullptr;
    case kStmtPrepare:
      registry_.set_command(id_, "Prepare", body, session_->current_database());
      do_prepare(body);
      registry_.set_command(id_, "Sleep", {}, session_->current_database());
      return true;
    case kStmtExecute:
      do_execute(body);
      registry_.set_command(id_, "Sleep", {}, session_->current_database());
      return true;
    case kStmtSendLongData: {
      protocol::LongData d;
      if (!protocol::parse_long_data(body, d)) return true;  // no reply, ever
      auto it = statements_.find(d.statement_id);
      if (it == statements_.end() || d.param >= it->second.params.count) return true;
      auto& slot = it->second.params.long_data[d.param];
      if (!slot) slot.emplace();
      if (slot->size() + d.data.size() > settings_.max_allowed_packet)
        it->second.long_data_too_large = true;
      else
        slot->append(d.data);
      return true;
    }
    case kStmtClose: {
      protocol::Reader r(body);
      uint32_t stmt = r.u32();
      if (!r.failed() && statements_.erase(stmt)) session_->close_statement(stmt);
      return true;
    }
    case kStmtReset: {
      protocol::Reader r(body);
      uint32_t stmt = r.u32();
      auto it = r.failed() ? statements_.end() : statements_.find(stmt);
      if (it == statements_.end()) {
        send_error(make_sql_error(er::kUnknownStmtHandler, {std::to_string(stmt), "mysqld_stmt_reset"}));
      } else {
        it->second.params.clear_long_data();
        it->second.long_data_too_large = false;
        send_ok();
      }
      return true;
    }
    case kSetOption: {
      protocol::Reader r(body);
      uint16_t option = r.u16();
      if (r.failed() || option > 1) {
        send_error(make_sql_error(er::kUnknownCom));
      } else {
        multi_statements_ = option == 0;
        // MariaDB answers with an EOF packet; libmariadb expects exactly that.
        protocol::encode_eof(channel_.begin(), 0, status());
        channel_.end();
      }
      return true;
    }
    case kResetConnection:
      session_->reset();
      statements_.clear();
      multi_statements_ = caps_ & cap::kMultiStatements;
      send_ok();
      return true;
    default:
      send_error(make_sql_error(er::kUnknownCom));
      return true;
  }
}

void Connection::send_column_defs(const std::vector<ColumnDef>& columns, bool with_default) {
  for (const ColumnDef& c : columns) {
    protocol::encode_column_def(channel_.begin(), c, with_default);
    channel_.end();
  }
}

void Connection::send_result_set(const StatementResult& r, uint16_t more, bool binary) {
  uint16_t st = static_cast<uint16_t>(status() | more);
  protocol::put_lenenc(channel_.begin(), r.columns.size());
  channel_.end();
  send_column_defs(r.columns, false);
  protocol::encode_eof(channel_.begin(), 0, st);
  channel_.end();
  for (const Row& row : r.rows) {
    std::string& out = channel_.begin();
    if (binary)
      protocol::encode_binary_row(out, row, r.columns);
    else
      protocol::encode_text_row(out, row);
    channel_.end();
    // Very large result sets go out as they are built instead of piling up.
    if (channel_.pending_output() > (8u << 20) && !channel_.flush()) return;
  }
  protocol::encode_eof(channel_.begin(), r.warning_count, st);
  channel_.end();
}

void Connection::send_results(const std::vector<StatementResult>& results) {
  if (results.empty()) {
    send_error(make_sql_error(er::kEmptyQuery));
    return;
  }
  for (size_t i = 0; i < results.size(); ++i) {
    const StatementResult& r = results[i];
    uint16_t more = i + 1 < results.size() ? server_status::kMoreResults : 0;
    if (r.error) {
      send_error(*r.error);
      return;  // nothing runs after an error
    }
    if (r.has_result_set) {
      send_result_set(r, more, false);
    } else {
      protocol::encode_ok(channel_.begin(), r.affected_rows, r.last_insert_id, static_cast<uint16_t>(status() | more),
                          r.warning_count, r.info);
      channel_.end();
    }
  }
}

void Connection::do_prepare(std::string_view sql) {
  if (statements_.size() >= kMaxPreparedStatements) {
    // MySQL's max_prepared_stmt_count, here per connection: a client that
    // never closes its statements cannot grow us without bound.
    send_error(SqlError{1461, "42000",
                        "Can't create more than max_prepared_stmt_count statements (current value: " +
                            std::to_string(kMaxPreparedStatements) + ")"});
    return;
  }
  PrepareResult p = session_->prepare(sql);
  if (p.error) {
    send_error(*p.error);
    return;
  }
  std::string& out = channel_.begin();
  protocol::put_u8(out, 0x00);
  protocol::put_u32(out, p.statement_id);
  protocol::put_u16(out, static_cast<uint16_t>(p.columns.size()));
  protocol::put_u16(out, p.param_count);
  protocol::put_u8(out, 0x00);
  protocol::put_u16(out, p.warning_count);
  channel_.end();
  if (p.param_count > 0) {
    for (uint16_t i = 0; i < p.param_count; ++i) {
      ColumnDef def;
      if (i < p.params.size()) {
        def = p.params[i];
      } else {
        def.name = "?";
        def.type = FieldType::kNull;
        def.flags = column_flag::kBinary;
      }
      protocol::encode_column_def(channel_.begin(), def);
      channel_.end();
    }
    protocol::encode_eof(channel_.begin(), 0, status());
    channel_.end();
  }
  if (!p.columns.empty()) {
    send_column_defs(p.columns, false);
    protocol::encode_eof(channel_.begin(), 0, status());
    channel_.end();
  }
  Prepared& st = statements_[p.statement_id];
  st.params = protocol::PreparedParams(p.param_count);
  st.columns = std::move(p.columns);
  st.sql.assign(sql);
}

void Connection::do_execute(std::string_view body) {
  protocol::ExecuteHeader h;
  if (!protocol::parse_execute_header(body, h)) {
    send_error(make_sql_error(er::kUnknownCom));
    return;
  }
  auto it = statements_.find(h.statement_id);
  if (it == statements_.end()) {
    send_error(make_sql_error(er::kUnknownStmtHandler, {std::to_string(h.statement_id), "mysqld_stmt_execute"}));
    return;
  }
  Prepared& st = it->second;
  registry_.set_command(id_, "Execute", st.sql, session_->current_database());
  if (st.long_data_too_large) {
    st.params.clear_long_data();
    st.long_data_too_large = false;
    send_error(make_sql_error(er::kNetPacketTooLarge));
    return;
  }
  std::string error;
  bool ok = protocol::decode_execute_params(body, st.params, params_, error);
  st.params.clear_long_data();
  if (!ok) {
    send_error(SqlError{1210, "HY000", "Incorrect arguments to mysqld_stmt_execute"});
    return;
  }
  StatementResult r = session_->execute(h.statement_id, params_);
  if (r.error) {
    send_error(*r.error);
  } else if (r.has_result_set) {
    send_result_set(r, 0, true);
  } else {
    send_ok(r.affected_rows, r.last_insert_id, r.warning_count, r.info);
  }
}

// COM_CHANGE_USER: a new login on the same connection, checked against the
// scramble of the greeting; a failure ends the connection as in MySQL.
void Connection::do_change_user(std::string_view body) {
  protocol::Reader r(body);
  std::string user(r.nul_string());
  std::string token(caps_ & cap::kSecureConnection ? r.bytes(r.u8()) : r.nul_string(true));
  std::string db(r.at_end() ? std::string_view{} : r.nul_string(true));
  if (r.remaining() >= 2) charset_ = static_cast<uint16_t>(r.u16() & 0xFF);
  std::string plugin(r.at_end() ? std::string_view{} : r.nul_string(true));
  close_session();
  statements_.clear();
  if (r.failed()) {
    send_error(make_sql_error(er::kUnknownCom));
    return;
  }
  protocol::HandshakeResponse resp;
  resp.user = user;
  resp.auth_token = token;
  resp.plugin = plugin;
  if (!authenticate(resp, scramble_)) return;
  if (!db.empty() && !engine_.database_exists(db)) {
    send_error(make_sql_error(er::kBadDb, {db}));
    return;
  }
  ClientInfo info;
  info.connection_id = id_;
  info.user = user_;
  info.host = peer_.address;
  info.account_host = account_host_;
  info.database = db;
  info.client_flags = caps_;
  info.charset = charset_;
  session_ = engine_.open_session(info);
  if (!session_) {
    send_error(cluster_unavailable_error());
    return;
  }
  if (!db.empty()) {
    if (StatementResult use = session_->init_db(db); use.error) {
      close_session();
      send_error(*use.error);
      return;
    }
  }
  registry_.logged_in(id_, user_, session_->current_database(), session_.get());
  send_ok();
}

}  // namespace

void serve_connection(Engine& engine, Registry& registry, const ConnectionSettings& settings, log::Logger& logger,
                      const Peer& peer, protocol::Stream& stream) {
  Connection(engine, registry, settings, logger, peer, stream).run();
}

}  // namespace halb::cluster::sqld::server
