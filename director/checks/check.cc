// director/checks/check.cc: choosing and starting an attempt.
#include "director/checks/check.h"

#include "director/checks/curl_multi.h"
#include "director/checks/probes.h"

namespace halb::director::checks {

Probe probe_for(const Spec& spec) {
  switch (spec.checktype) {
    case CheckType::connect: return spec.udp ? Probe::ping : Probe::connect;
    case CheckType::ping: return Probe::ping;
    case CheckType::external:
    case CheckType::external_perl: return Probe::external;
    case CheckType::on:
    case CheckType::off: return Probe::always_up;
    case CheckType::negotiate:
    case CheckType::combined: return Probe::negotiate;
  }
  return Probe::connect;
}

std::string target_name(const Spec& spec) { return endpoint_str(spec.rip, spec.port); }

std::string bare_request(const Spec& spec) {
  if (!spec.request.empty() && spec.request[0] == '/') return spec.request.substr(1);
  return spec.request;
}

bool is_absolute_url(const std::string& s) {
  size_t at = s.find("://");
  if (at == std::string::npos || at == 0) return false;
  for (size_t i = 0; i < at; i++)
    if (!isalpha(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

Checker::Checker(event::Loop& loop) : loop_(loop) {}
Checker::~Checker() = default;

CurlMulti& Checker::curl() {
  if (!curl_) curl_ = std::make_unique<CurlMulti>(loop_);
  return *curl_;
}

std::unique_ptr<Check> Checker::start(const Spec& spec, Probe probe, Check::Done done) {
  switch (probe) {
    case Probe::connect: return start_connect(loop_, spec, std::move(done));
    case Probe::ping: return start_ping(loop_, spec, std::move(done));
    case Probe::external: return start_external(loop_, spec, std::move(done));
    case Probe::always_up: return start_always_up(loop_, "checktype on", std::move(done));
    case Probe::negotiate: break;
  }
  switch (spec.service) {
    case Service::http:
      if (!is_absolute_url(bare_request(spec)))
        return start_http(loop_, spec, [this, spec](Check::Done d) { return start_curl(loop_, curl(), spec, std::move(d)); },
                          std::move(done));
      [[fallthrough]];
    case Service::https:
    case Service::http_proxy:
    case Service::ftp:
    case Service::imaps:
    case Service::pops:
    case Service::ldap:
    case Service::ldaps:
      return start_curl(loop_, curl(), spec, std::move(done));
    case Service::mysql: return start_mysql(loop_, spec, std::move(done));
    case Service::pgsql: return start_pgsql(loop_, spec, std::move(done));
    case Service::smtp:
    case Service::submission:
    case Service::pop:
    case Service::imap:
    case Service::nntp:
    case Service::simpletcp: return start_dialog(loop_, spec, std::move(done));
    case Service::dns: return start_dns(loop_, spec, std::move(done));
    case Service::sip: return start_sip(loop_, spec, std::move(done));
    case Service::radius: return start_radius(loop_, spec, std::move(done));
    case Service::none: return start_always_up(loop_, "service none", std::move(done));
    default: return start_connect(loop_, spec, std::move(done));  // see negotiate_supported()
  }
}

}  // namespace halb::director::checks
