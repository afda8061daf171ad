// director/checks/curl_probe.cc: service=http, https, http_proxy and ftp
// through libcurl's multi interface (curl_multi.h).
//
// http(s): GET or HEAD of scheme://RIP:port/request (an absolute request
// URL is used as it is), Host = virtualhost or the real's address,
// redirects followed, certificates not verified (a real behind a VIP
// rarely has a certificate for its own address). Up = status 2xx and the
// body matches receive. http_proxy: the real is the proxy, the request the
// URL fetched through it. ftp: login (anonymous by default), passive,
// fetch the request file, its content matches receive. imaps/pops: TLS,
// the greeting and capabilities, and a login where one is configured
// (libcurl's connection phase, CONNECT_ONLY). ldap/ldaps: bind (anonymous
// without login), base-scope search of the request DN; up when exactly one
// entry comes back and its DN matches receive.
// The whole exchange runs under negotiatetimeout, its connect under
// checktimeout.
#include <curl/curl.h>

#include <vector>

#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/receive_pattern.h"

namespace halb::director::checks {
namespace {

constexpr size_t kMaxBody = 1 << 20;  // enough for any receive pattern

std::string host_part(const IpAddress& addr) { return addr.is_v4() ? addr.str() : "[" + addr.str() + "]"; }

class CurlCheck : public Attempt {
 public:
  CurlCheck(event::Loop& loop, CurlMulti& multi, const Spec& spec, Done done)
      : Attempt(loop, std::move(done)), multi_(multi), receive_(spec.receive) {
    easy_ = curl_easy_init();
    if (!easy_) {
      finish_soon(false, "curl_easy_init failed");
      return;
    }
    std::string request = bare_request(spec);
    std::string server = host_part(spec.rip) + ":" + std::to_string(spec.port);
    std::string scheme = spec.service == Service::https  ? "https"
                         : spec.service == Service::ftp  ? "ftp"
                         : spec.service == Service::imaps ? "imaps"
                         : spec.service == Service::pops  ? "pop3s"
                         : spec.service == Service::ldap  ? "ldap"
                         : spec.service == Service::ldaps ? "ldaps"
                                                          : "http";
    ldap_ = spec.service == Service::ldap || spec.service == Service::ldaps;
    mail_ = spec.service == Service::imaps || spec.service == Service::pops;
    if (is_absolute_url(request))
      url_ = request;
    else if (spec.service == Service::http_proxy)
      url_ = "http://" + (spec.virtualhost.empty() ? host_part(spec.rip) : spec.virtualhost) + "/" + request;
    else
      url_ = scheme + "://" + server + "/" + request;
    what_ = std::string(service_name(spec.service)) + " check of " + url_;
    if (spec.service == Service::http_proxy) what_ += " via " + server;

    curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(spec.negotiatetimeout * 1000));
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(spec.checktimeout * 1000));
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https,ftp,imaps,pop3s,ldap,ldaps");
    curl_easy_setopt(easy_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy_, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(easy_, CURLOPT_USERAGENT, "halb-director (ldirectord check)");
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &CurlCheck::on_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
    // Never a proxy from the daemon's environment; only http_proxy's own.
    proxy_ = spec.service == Service::http_proxy ? "http://" + server : "";
    curl_easy_setopt(easy_, CURLOPT_PROXY, proxy_.c_str());
    if (ldap_) {
      char* dn = curl_easy_escape(easy_, request.data(), static_cast<int>(request.size()));
      url_ = scheme + "://" + server + "/" + (dn ? dn : "") + "?1.1?base?(objectClass=*)";
      curl_free(dn);
      curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
      what_ = std::string(service_name(spec.service)) + " check of " + server + " for \"" + request + "\"";
      if (!spec.login.empty()) {
        curl_easy_setopt(easy_, CURLOPT_USERNAME, spec.login.c_str());
        curl_easy_setopt(easy_, CURLOPT_PASSWORD, spec.passwd.c_str());
      }
    } else if (mail_) {
      url_ = scheme + "://" + server + "/";
      curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
      what_ = std::string(service_name(spec.service)) + " check of " + server;
      curl_easy_setopt(easy_, CURLOPT_CONNECT_ONLY, 1L);
      if (!spec.login.empty()) {
        curl_easy_setopt(easy_, CURLOPT_USERNAME, spec.login.c_str());
        curl_easy_setopt(easy_, CURLOPT_PASSWORD, spec.passwd.c_str());
      }
    } else if (spec.service == Service::ftp) {
      curl_easy_setopt(easy_, CURLOPT_USERNAME, spec.login.empty() ? "anonymous" : spec.login.c_str());
      curl_easy_setopt(easy_, CURLOPT_PASSWORD, spec.passwd.c_str());
    } else {
      if (spec.httpmethod == config::HttpMethod::head) curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
      std::string host = spec.virtualhost.empty() ? host_part(spec.rip) : spec.virtualhost;
      if (spec.service != Service::http_proxy) {
        headers_ = curl_slist_append(headers_, ("Host: " + host).c_str());
        curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
      }
    }
    multi_.add(easy_, [this](CURLcode code) { on_done(code); });
  }

  ~CurlCheck() override {
    halt();
    if (easy_) curl_easy_cleanup(easy_);
    if (headers_) curl_slist_free_all(headers_);
  }

  void halt() override {
    if (easy_) multi_.remove(easy_);
  }

 private:
  static size_t on_body(char* data, size_t size, size_t n, void* self) {
    auto* c = static_cast<CurlCheck*>(self);
    size_t len = size * n;
    if (c->body_.size() < kMaxBody) c->body_.append(data, std::min(len, kMaxBody - c->body_.size()));
    return len;
  }

  void on_done(CURLcode code) {
    if (code != CURLE_OK) {
      std::string why = curl_easy_strerror(code);
      if (code == CURLE_OPERATION_TIMEDOUT) why = "timed out";
      return finish(false, what_ + ": " + why);
    }
    if (mail_) return finish(true, what_ + ": greeting accepted");
    if (ldap_) return ldap_verdict();
    long status = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    bool ftp = url_.rfind("ftp:", 0) == 0;
    if (!ftp && (status < 200 || status > 299))
      return finish(false, what_ + ": status " + std::to_string(status));
    std::string error;
    if (!receive_matches(receive_, body_, error))
      return finish(false, what_ + ": " + (error.empty() ? "content did not match \"" + receive_ + "\"" : error));
    finish(true, what_ + ": status " + std::to_string(status));
  }

  // curl writes the entries as LDIF: "DN: <dn>" then "\t<attr>: <value>" lines.
  void ldap_verdict() {
    std::vector<std::string> dns;
    size_t at = 0;
    while (at < body_.size()) {
      size_t nl = body_.find('\n', at);
      std::string line = body_.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
      if (line.rfind("DN: ", 0) == 0) dns.push_back(line.substr(4));
      if (nl == std::string::npos) break;
      at = nl + 1;
    }
    if (dns.size() != 1) return finish(false, what_ + ": " + std::to_string(dns.size()) + " entries, wanted 1");
    std::string error;
    if (!receive_matches(receive_, dns[0], error))
      return finish(false, what_ + ": " + (error.empty() ? "DN \"" + dns[0] + "\" did not match \"" + receive_ + "\"" : error));
    finish(true, what_ + ": found " + dns[0]);
  }

  CurlMulti& multi_;
  bool ldap_ = false;  // ldap / ldaps: one entry, its DN matched
  bool mail_ = false;  // imaps / pops: the connection phase is the check
  std::string receive_;
  std::string url_;
  std::string what_;
  std::string proxy_;
  std::string body_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
};

}  // namespace

std::unique_ptr<Check> start_curl(event::Loop& loop, CurlMulti& multi, const Spec& spec, Done done) {
  return std::make_unique<CurlCheck>(loop, multi, spec, std::move(done));
}

}  // namespace halb::director::checks
