// director/checks/radius_probe.cc: service=radius as ldirectord checks it
// (Authen::Radius check_pwd): an Access-Request for login/passwd with the
// virtual's secret, over UDP to the real; up on an Access-Accept whose
// response authenticator proves the server knows the secret.
#include <openssl/rand.h>

#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/replies.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

std::string attribute(uint8_t type, const std::string& value) {
  std::string a;
  a += static_cast<char>(type);
  a += static_cast<char>(value.size() + 2);
  return a + value;
}

class RadiusCheck : public Attempt {
 public:
  RadiusCheck(event::Loop& loop, const Spec& spec, Done done)
      : Attempt(loop, std::move(done)),
        what_("radius check of " + target_name(spec)),
        secret_(spec.secret),
        stream_(loop, {[] {}, [this] { on_readable(); },
                       [this](std::string why) { finish(false, what_ + ": " + why); }}) {
    authenticator_.resize(16);
    RAND_bytes(reinterpret_cast<unsigned char*>(authenticator_.data()), 16);
    unsigned char id_byte = 0;
    RAND_bytes(&id_byte, 1);
    id_ = id_byte;
    // User-Password (RFC 2865 5.2): 16-byte blocks XORed with a chained MD5.
    std::string pw = spec.passwd.substr(0, 128);
    pw.resize(std::max<size_t>(16, (pw.size() + 15) / 16 * 16), '\0');
    std::string hidden, prev = authenticator_;
    for (size_t i = 0; i < pw.size(); i += 16) {
      std::string b = md5(secret_ + prev);
      std::string block = pw.substr(i, 16);
      for (int j = 0; j < 16; j++) block[j] ^= b[j];
      hidden += block;
      prev = block;
    }
    std::string attrs = attribute(1, spec.login.substr(0, 200)) + attribute(2, hidden);
    std::string pkt;
    pkt += '\x01';  // Access-Request
    pkt += static_cast<char>(id_);
    size_t len = 20 + attrs.size();
    pkt += static_cast<char>(len >> 8);
    pkt += static_cast<char>(len & 0xff);
    pkt += authenticator_ + attrs;
    if (!open_stream(stream_, spec, true, what_)) return;
    stream_.write(pkt);
    arm_deadline(spec.negotiatetimeout, what_ + ": no answer");
  }
  void halt() override { stream_.close(); }

 private:
  void on_readable() {
    std::string p = stream_.input();
    stream_.input().clear();
    RadiusAnswer a = parse_radius_answer(std::move(p), id_, authenticator_, secret_);
    switch (a.kind) {
      case RadiusAnswer::not_ours: return;  // keep waiting
      case RadiusAnswer::malformed: return finish(false, what_ + ": malformed answer");
      case RadiusAnswer::unsigned_:
        return finish(false, what_ + ": answer not signed with the configured secret");
      case RadiusAnswer::signed_: break;
    }
    if (a.code == 2) return finish(true, what_ + ": Access-Accept");
    finish(false, what_ + (a.code == 3 ? ": Access-Reject" : ": answer code " + std::to_string(a.code)));
  }

  std::string what_;
  std::string secret_;
  std::string authenticator_;
  uint8_t id_ = 0;
  Stream stream_;
};

}  // namespace

std::unique_ptr<Check> start_radius(event::Loop& loop, const Spec& spec, Done done) {
  return std::make_unique<RadiusCheck>(loop, spec, std::move(done));
}

}  // namespace halb::director::checks
