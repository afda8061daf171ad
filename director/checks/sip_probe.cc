// director/checks/sip_probe.cc: service=sip as ldirectord checks it: an
// OPTIONS request for sip:<login> over the virtual's protocol (UDP or TCP)
// to the real; up when the answer's first line is "SIP/2.0 200 OK".
#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/replies.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

class SipCheck : public Attempt {
 public:
  SipCheck(event::Loop& loop, const Spec& spec, Done done)
      : Attempt(loop, std::move(done)),
        what_("sip check of " + target_name(spec)),
        login_(spec.login),
        udp_(spec.udp),
        stream_(loop, {[this] { send_options(); }, [this] { on_readable(); },
                       [this](std::string why) { finish(false, what_ + ": " + why); }}) {
    if (!open_stream(stream_, spec, udp_, what_, spec.checktimeout)) return;
    if (udp_) send_options();
    arm_deadline(spec.negotiatetimeout, what_ + ": no answer");
  }
  void halt() override { stream_.close(); }

 private:
  void send_options() {
    IpAddress local;
    uint16_t port = 0;
    stream_.local_endpoint(local, port);
    std::string via = endpoint_str(local, port);
    std::string uri = "sip:" + login_;
    stream_.write("OPTIONS " + uri + " SIP/2.0\r\n" + "Via: SIP/2.0/" + (udp_ ? "UDP " : "TCP ") + via +
                  ";branch=z9hG4bK-halb-" + std::to_string(port) + "\r\n" + "Max-Forwards: 70\r\n" + "To: <" + uri +
                  ">\r\n" + "From: <" + uri + ">;tag=halb" + std::to_string(port) + "\r\n" +
                  "Call-ID: halb-director-" + std::to_string(port) + "\r\n" + "CSeq: 1 OPTIONS\r\n" + "Contact: <" +
                  uri + ">\r\n" + "Accept: application/sdp\r\n" + "Content-Length: 0\r\n\r\n");
  }

  void on_readable() {
    auto line = sip_first_line(stream_.input(), stream_.eof() || udp_);
    if (!line) return;
    if (line->rfind("SIP/2.0 200 OK", 0) == 0) return finish(true, what_ + ": " + printable(*line));
    finish(false, what_ + ": unexpected answer \"" + printable(*line) + "\"");
  }

  std::string what_;
  std::string login_;
  bool udp_;
  Stream stream_;
};

}  // namespace

std::unique_ptr<Check> start_sip(event::Loop& loop, const Spec& spec, Done done) {
  return std::make_unique<SipCheck>(loop, spec, std::move(done));
}

}  // namespace halb::director::checks
