// director/checks/dns_probe.cc: service=dns: one UDP query for the request
// name at the real; up when some A, AAAA or PTR answer matches receive (any
// answer when receive is empty). The request is looked up as PTR when it is
// an address, as AAAA when receive is an IPv6 address, else as A.
#include <cstring>
#include <random>

#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/receive_pattern.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

constexpr uint16_t kA = 1, kPtr = 12, kAaaa = 28;

void put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

uint16_t get16(const std::string& p, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[at]) << 8 | static_cast<uint8_t>(p[at + 1]));
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

// Reads a (possibly compressed) name at `at`; `at` moves past it in the
// record. False on a malformed or looping name.
bool read_name(const std::string& p, size_t& at, std::string& name) {
  size_t pos = at;
  bool jumped = false;
  for (int hops = 0; hops < 64; hops++) {
    if (pos >= p.size()) return false;
    uint8_t len = static_cast<uint8_t>(p[pos]);
    if (len == 0) {
      if (!jumped) at = pos + 1;
      if (name.empty()) name = ".";
      return true;
    }
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= p.size()) return false;
      if (!jumped) at = pos + 2;
      jumped = true;
      pos = ((len & 0x3f) << 8) | static_cast<uint8_t>(p[pos + 1]);
      continue;
    }
    if (pos + 1 + len > p.size()) return false;
    if (!name.empty()) name += '.';
    name.append(p, pos + 1, len);
    pos += 1 + len;
  }
  return false;
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
      qtype_ = kPtr;
    } else if (auto r = IpAddress::parse(receive_); r && !r->is_v4()) {
      qtype_ = kAaaa;
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
    if (p.size() < 12 || get16(p, 0) != id_ || !(p[2] & 0x80)) return;  // not our answer: keep waiting
    int rcode = p[3] & 0x0f;
    if (rcode != 0) return finish(false, what_ + ": " + question_ + ": rcode " + std::to_string(rcode));
    uint16_t qd = get16(p, 4), an = get16(p, 6);
    size_t at = 12;
    for (int i = 0; i < qd; i++) {
      std::string ignored;
      if (!read_name(p, at, ignored) || at + 4 > p.size()) return finish(false, what_ + ": malformed answer");
      at += 4;
    }
    for (int i = 0; i < an; i++) {
      std::string owner;
      if (!read_name(p, at, owner) || at + 10 > p.size()) return finish(false, what_ + ": malformed answer");
      uint16_t type = get16(p, at);
      uint16_t rdlen = get16(p, at + 8);
      at += 10;
      if (at + rdlen > p.size()) return finish(false, what_ + ": malformed answer");
      std::string value;
      if (type == kA && rdlen == 4) {
        IpAddress a;
        memcpy(a.bytes.data(), p.data() + at, 4);
        value = a.str();
      } else if (type == kAaaa && rdlen == 16) {
        IpAddress a;
        a.family = Family::v6;
        memcpy(a.bytes.data(), p.data() + at, 16);
        value = a.str();
      } else if (type == kPtr) {
        size_t n = at;
        if (!read_name(p, n, value)) return finish(false, what_ + ": malformed answer");
      }
      at += rdlen;
      if (value.empty()) continue;
      std::string error;
      if (receive_matches(receive_, value, error)) return finish(true, what_ + ": " + question_ + " -> " + value);
      if (!error.empty()) return finish(false, what_ + ": " + error);
    }
    finish(false, what_ + ": no answer for " + question_ + " matched \"" + receive_ + "\"");
  }

  std::string what_;
  std::string receive_;
  std::string question_;
  uint16_t qtype_ = kA;
  uint16_t id_ = 0;
  Stream stream_;
};

}  // namespace

std::unique_ptr<Check> start_dns(event::Loop& loop, const Spec& spec, Done done) {
  return std::make_unique<DnsCheck>(loop, spec, std::move(done));
}

}  // namespace halb::director::checks
