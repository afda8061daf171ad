// tests/fuzz/fuzz_packet.cc: libFuzzer target for halb-sqld's packet
// decoding. The input is everything a client might send on one connection:
// it is framed, parsed as a handshake response, as execute parameters and
// long data, and finally run through a whole connection (greeting,
// login, command loop) against a minimal in-process Engine.
//
//   clang++ -std=c++20 -fsanitize=fuzzer,address ... (tests/fuzz/build-fuzz-packet)
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cluster/sqld/protocol/execute.h"
#include "cluster/sqld/protocol/handshake.h"
#include "cluster/sqld/protocol/packet_channel.h"
#include "cluster/sqld/protocol/results.h"
#include "cluster/sqld/server/connection.h"

using namespace halb::cluster::sqld;

namespace {

class BytesStream : public protocol::Stream {
 public:
  BytesStream(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  protocol::ReadStatus read_some(char* buf, size_t len, int, size_t& got) override {
    if (pos_ >= size_) return protocol::ReadStatus::kClosed;
    got = std::min(len, size_ - pos_);
    if (got > 13) got = 13;  // short reads exercise the reassembly
    memcpy(buf, data_ + pos_, got);
    pos_ += got;
    return protocol::ReadStatus::kOk;
  }
  bool write_all(const char*, size_t) override { return true; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Answers every statement with a one-row result set echoing its text; every
// account has no password.
class EchoSession : public Session {
 public:
  std::vector<StatementResult> query(std::string_view sql, bool) override { return {echo(sql)}; }
  StatementResult init_db(std::string_view) override { return {}; }
  StatementResult field_list(std::string_view t, std::string_view) override {
    StatementResult r;
    ColumnDef c;
    c.name = std::string(t);
    r.columns.push_back(c);
    return r;
  }
  PrepareResult prepare(std::string_view sql) override {
    PrepareResult p;
    p.statement_id = ++next_;
    p.param_count = static_cast<uint16_t>(sql.size() % 5);
    ColumnDef c;
    c.type = static_cast<FieldType>(sql.empty() ? 3 : static_cast<uint8_t>(sql[0]));
    p.columns.push_back(c);
    return p;
  }
  StatementResult execute(uint32_t, const std::vector<Value>& params) override {
    StatementResult r;
    r.has_result_set = true;
    for (size_t i = 0; i < params.size(); ++i) {
      ColumnDef c;
      c.type = static_cast<FieldType>((i * 37) % 256);
      r.columns.push_back(c);
    }
    r.rows.push_back(params);
    return r;
  }
  void close_statement(uint32_t) override {}
  void reset() override {}
  void close() override {}
  uint16_t status_flags() const override { return server_status::kAutocommit; }
  std::string current_database() const override { return {}; }
  std::string current_statement() const override { return {}; }
  void interrupt() override {}

 private:
  static StatementResult echo(std::string_view sql) {
    StatementResult r;
    r.has_result_set = true;
    ColumnDef c;
    c.type = FieldType::kDatetime;
    r.columns.push_back(c);
    Row row;
    row.emplace_back(std::string(sql));
    r.rows.push_back(std::move(row));
    return r;
  }
  uint32_t next_ = 0;
};

class EchoEngine : public Engine {
 public:
  std::optional<Account> find_account(std::string_view user, std::string_view) override {
    return Account{std::string(user), "%", ""};
  }
  bool database_exists(std::string_view db) override { return db.size() < 8; }
  std::unique_ptr<Session> open_session(const ClientInfo&) override { return std::make_unique<EchoSession>(); }
  uint32_t next_connection_id() override { return 1; }
  bool cluster_available() override { return true; }
  void set_registry(ConnectionRegistry*) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  protocol::HandshakeResponse response;
  std::string error;
  protocol::parse_handshake_response(bytes, response, error);
  protocol::PreparedParams params(static_cast<uint16_t>(size % 7));
  std::vector<Value> values;
  protocol::decode_execute_params(bytes, params, values, error);
  protocol::LongData long_data;
  protocol::parse_long_data(bytes, long_data);
  {
    std::string out;
    protocol::append_binary_datetime(out, bytes);
    protocol::append_binary_time(out, bytes);
  }

  // An odd first byte puts a valid login in front, so most runs reach the
  // command phase instead of stopping at a bad handshake.
  std::string input;
  if (size > 0 && (data[0] & 1)) {
    static const std::string kLogin = [] {
      std::string p;
      uint32_t caps = 0x003aa20d & ~(1u << 3);
      for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>(caps >> (8 * i)));
      p.append("\x00\x00\x00\x01\x2d", 5);
      p.append(23, '\0');
      p.append("root\0\0mysql_native_password\0", 28);
      std::string framed;
      framed.push_back(static_cast<char>(p.size()));
      framed.append("\x00\x00\x01", 3);
      return framed + p;
    }();
    input = kLogin;
  }
  input.append(bytes.substr(size > 0 ? 1 : 0));
  BytesStream stream(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  static EchoEngine engine;
  static server::Registry registry;
  static halb::log::Logger logger;
  server::ConnectionSettings settings;
  settings.server_version = "8.0.36-halb";
  settings.max_allowed_packet = 1 << 16;
  server::Peer peer;
  peer.address = "127.0.0.1";
  server::serve_connection(engine, registry, settings, logger, peer, stream);
  return 0;
}
