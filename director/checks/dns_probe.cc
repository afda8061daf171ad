// director/checks/dns_probe.cc: service=dns: one UDP query for the request
// name at the real; up when some A, AAAA or PTR answer matches receive (any
// answer when receive is empty). The request is looked up as PTR when it is
// an address, as AAAA when receive is an IPv6 address, else as A.
#include <random>

#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/receive_pattern.h"
#include "director/checks/replies.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

void put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

std::string reverse_name(const IpAddress& a) {
  std::string out;
  if (a.is_v4()) {
    for (int i = 3; i >= 0; i--) out += std::to_string(a.bytes[i]) + ".";
    return out + "in-addr.arpa";
  }
  const char* hex = "0123456789abcdef";
  for (int i = 15; i >= 0; i--) {
    out += hex[a.bytes[i] & 0xf];
    out += '.';
    out += hex[a.bytes[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

class DnsCheck : public Attempt {
 public:
  DnsCheck(event::Loop& loop, const Spec& spec, Done done)
      : Attempt(loop, std::move(done)),
        what_("dns check of " + target_name(spec)),
        receive_(spec.receive),
        stream_(loop, {[] {}, [this] { on_readable(); },
                       [this](std::string why) { finish(false, what_ + ": " + why); }}) {
    std::string name = bare_request(spec);
    if (name.empty()) {
      finish_soon(false, what_ + ": no request name to look up");
      return;
    }
    if (auto addr = IpAddress::parse(name)) {
      name = reverse_name(*addr);
      qtype_ = kDnsPtr;
    } else if (auto r = IpAddress::parse(receive_); r && !r->is_v4()) {
      qtype_ = kDnsAaaa;
    }
    std::random_device rd;
    id_ = static_cast<uint16_t>(rd());
    std::string q;
    put16(q, id_);
    put16(q, 0x0100);  // recursion desired
    put16(q, 1);
    put16(q, 0);
    put16(q, 0);
    put16(q, 0);
    size_t start = 0;
    while (start <= name.size()) {
      size_t dot = name.find('.', start);
      if (dot == std::string::npos) dot = name.size();
      size_t len = dot - start;
      if (len > 63) {
        finish_soon(false, what_ + ": bad name " + name);
        return;
      }
      if (len > 0) {
        q += static_cast<char>(len);
        q.append(name, start, len);
      }
      start = dot + 1;
    }
    q += '\0';
    put16(q, qtype_);
    put16(q, 1);  // IN
    question_ = name;
    if (!open_stream(stream_, spec, true, what_)) return;
    stream_.write(q);
    arm_deadline(spec.negotiatetimeout, what_ + ": no answer for " + name);
  }
  void halt() override { stream_.close(); }

 private:
  void on_readable() {
    std::string p;
    p.swap(stream_.input());
    DnsAnswer answer = parse_dns_answer(p, id_);
    if (!answer.ours) return;  // keep waiting
    if (answer.rcode != 0)
      return finish(false, what_ + ": " + question_ + ": rcode " + std::to_string(answer.rcode));
    for (const std::string& value : answer.values) {
      std::string error;
      if (receive_matches(receive_, value, error))
        return finish(true, what_ + ": " + question_ + " -> " + printable(value));
      if (!error.empty()) return finish(false, what_ + ": " + error);
    }
    if (answer.malformed) return finish(false, what_ + ": malformed answer");
    finish(false, what_ + ": no answer for " + question_ + " matched \"" + receive_ + "\"");
  }

  std::string what_;
  std::string receive_;
  std::string question_;
  uint16_t qtype_ = kDnsA;
  uint16_t id_ = 0;
  Stream stream_;
};

}  // namespace

std::unique_ptr<Check> start_dns(event::Loop& loop, const Spec& spec, Done done) {
  return std::make_unique<DnsCheck>(loop, spec, std::move(done));
}

}  // namespace halb::director::checks
