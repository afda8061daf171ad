// director/checks/mysql_probe.cc: service=mysql as ldirectord checks it
// (DBI connect with login/passwd, the request as SQL, at least one row),
// spoken directly on a non-blocking socket: greeting, HandshakeResponse41
// with a mysql_native_password token (an AuthSwitch to native is followed),
// the optional database, COM_QUERY, count rows, COM_QUIT.
#include "director/checks/attempt.h"
#include "director/checks/mysql_wire.h"
#include "director/checks/probes.h"
#include "director/checks/replies.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

using namespace mysql;

class MysqlCheck : public Attempt {
 public:
  MysqlCheck(event::Loop& loop, const Spec& spec, Done done)
      : Attempt(loop, std::move(done)),
        what_("mysql check of " + target_name(spec)),
        login_(spec.login),
        passwd_(spec.passwd),
        database_(spec.database),
        query_(bare_request(spec)),
        stream_(loop, {[] {}, [this] { on_readable(); },
                       [this](std::string why) { finish(false, what_ + ": " + why); }}) {
    if (login_.empty() || query_.empty()) {
      finish_soon(false, "Error: Must specify a login and request string for mysql check of " + target_name(spec));
      return;
    }
    if (!open_stream(stream_, spec, false, what_, spec.checktimeout)) return;
    arm_deadline(spec.negotiatetimeout, what_ + ": timed out");
  }
  void halt() override { stream_.close(); }

 private:
  enum class State { greeting, auth, result_head, columns, rows };

  void on_readable() {
    bool too_big = false;
    while (auto p = take_packet(stream_.input(), too_big)) {
      if (!on_packet(*p)) return;  // finished: *this may be gone
    }
    if (too_big) return finish(false, what_ + ": packet too large");
    if (stream_.eof()) return finish(false, what_ + ": connection closed by the server");
  }

  // false when the attempt finished.
  bool on_packet(const Packet& p) {
    const std::string& d = p.payload;
    uint8_t first = d.empty() ? 0 : static_cast<uint8_t>(d[0]);
    if (first == 0xff && state_ != State::rows && state_ != State::columns) return fail(error_text(d));
    switch (state_) {
      case State::greeting: {
        std::string error;
        auto g = parse_greeting(d, error);
        if (!g) return fail(error);
        if (!(g->capabilities & kProtocol41) || !(g->capabilities & kSecureConnection))
          return fail("server " + printable(g->server_version) + " lacks 4.1 authentication");
        stream_.write(frame(p.seq + 1, handshake_response(g->capabilities, login_, native_token(passwd_, g->scramble),
                                                          database_)));
        state_ = State::auth;
        return true;
      }
      case State::auth:
        if (first == 0x00) {
          std::string q = "\x03" + query_;
          stream_.write(frame(0, q));
          state_ = State::result_head;
          return true;
        }
        if (first == 0xfe) {  // AuthSwitchRequest
          std::string plugin;
          auto sw = parse_auth_switch(d, plugin);
          if (!sw || sw->plugin != "mysql_native_password")
            return fail("server asks for the unsupported auth plugin " + printable(plugin));
          stream_.write(frame(p.seq + 1, native_token(passwd_, sw->scramble)));
          return true;
        }
        return fail("unexpected packet during authentication");
      case State::result_head: {
        if (first == 0x00) return fail("\"" + query_ + "\" returned no result set");
        size_t at = 0;
        auto n = lenenc(d, at);
        if (!n || *n == 0) return fail("malformed result set header");
        columns_left_ = *n;
        state_ = State::columns;
        return true;
      }
      case State::columns:
        if (first == 0xff) return fail(error_text(d));
        if (columns_left_ > 0) {
          columns_left_--;
          return true;
        }
        if (first != 0xfe || d.size() >= 9) return fail("malformed result set");
        state_ = State::rows;
        return true;
      case State::rows:
        if (first == 0xff) return fail(error_text(d));
        if (first == 0xfe && d.size() < 9) {
          stream_.write(frame(0, "\x01"));  // COM_QUIT
          if (rows_ == 0) return fail("\"" + query_ + "\" returned no rows");
          finish(true, what_ + ": \"" + query_ + "\" returned " + std::to_string(rows_) + " row(s)");
          return false;
        }
        rows_++;
        return true;
    }
    return true;
  }

  bool fail(const std::string& why) {
    finish(false, what_ + ": " + why);
    return false;
  }

  std::string what_;
  std::string login_, passwd_, database_, query_;
  Stream stream_;
  State state_ = State::greeting;
  uint64_t columns_left_ = 0;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<Check> start_mysql(event::Loop& loop, const Spec& spec, Done done) {
  return std::make_unique<MysqlCheck>(loop, spec, std::move(done));
}

}  // namespace halb::director::checks
