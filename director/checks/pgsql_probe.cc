// director/checks/pgsql_probe.cc: service=pgsql as ldirectord checks it
// (DBI connect with login/passwd to the database, the request as SQL, at
// least one row), spoken directly: protocol 3.0 startup, trust, cleartext
// or md5 password authentication, one simple query, count DataRows,
// Terminate. SCRAM is not spoken (the check says so and fails).
#include <openssl/evp.h>

#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/replies.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

void put32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; i--) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string md5_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; i++) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

std::string message(char type, const std::string& body) {
  std::string out(1, type);
  put32(out, static_cast<uint32_t>(body.size() + 4));
  return out + body;
}

class PgsqlCheck : public Attempt {
 public:
  PgsqlCheck(event::Loop& loop, const Spec& spec, Done done)
      : Attempt(loop, std::move(done)),
        what_("pgsql check of " + target_name(spec)),
        login_(spec.login),
        passwd_(spec.passwd),
        query_(bare_request(spec)),
        stream_(loop, {[this] { on_connected(); }, [this] { on_readable(); },
                       [this](std::string why) { finish(false, what_ + ": " + why); }}) {
    if (login_.empty() || query_.empty()) {
      finish_soon(false, "Error: Must specify a login and request string for pgsql check of " + target_name(spec));
      return;
    }
    database_ = spec.database.empty() ? login_ : spec.database;
    if (!open_stream(stream_, spec, false, what_, spec.checktimeout)) return;
    arm_deadline(spec.negotiatetimeout, what_ + ": timed out");
  }
  void halt() override { stream_.close(); }

 private:
  void on_connected() {
    std::string body;
    put32(body, 196608);  // protocol 3.0
    body += std::string("user") + '\0' + login_ + '\0' + "database" + '\0' + database_ + '\0' + '\0';
    std::string out;
    put32(out, static_cast<uint32_t>(body.size() + 4));
    stream_.write(out + body);
  }

  void on_readable() {
    std::string& in = stream_.input();
    bool malformed = false;
    while (auto m = take_pg_message(in, malformed)) {
      if (!on_message(m->type, m->body)) return;
    }
    if (malformed) return finish(false, what_ + ": malformed message");
    if (stream_.eof()) return finish(false, what_ + ": connection closed by the server");
  }

  // false when finished.
  bool on_message(char type, const std::string& body) {
    switch (type) {
      case 'E': return fail(pg_error_message(body));
      case 'R': {
        if (body.size() < 4) return fail("malformed authentication request");
        uint32_t kind = get32be(body, 0);
        if (kind == 0) return true;
        if (kind == 3) {
          stream_.write(message('p', passwd_ + '\0'));
          return true;
        }
        if (kind == 5 && body.size() >= 8) {
          std::string inner = md5_hex(passwd_ + login_);
          stream_.write(message('p', "md5" + md5_hex(inner + body.substr(4, 4)) + '\0'));
          return true;
        }
        return fail("unsupported authentication method " + std::to_string(kind));
      }
      case 'Z':
        if (!queried_) {
          queried_ = true;
          stream_.write(message('Q', query_ + '\0'));
          return true;
        }
        stream_.write(message('X', ""));
        if (rows_ == 0) return fail("\"" + query_ + "\" returned no rows");
        finish(true, what_ + ": \"" + query_ + "\" returned " + std::to_string(rows_) + " row(s)");
        return false;
      case 'D':
        rows_++;
        return true;
      default:  // ParameterStatus, BackendKeyData, RowDescription, CommandComplete, notices
        return true;
    }
  }

  bool fail(const std::string& why) {
    finish(false, what_ + ": " + why);
    return false;
  }

  std::string what_;
  std::string login_, passwd_, query_, database_;
  Stream stream_;
  bool queried_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<Check> start_pgsql(event::Loop& loop, const Spec& spec, Done done) {
  return std::make_unique<PgsqlCheck>(loop, spec, std::move(done));
}

}  // namespace halb::director::checks
