// director/checks/probes.h: the attempt kinds behind Checker::start().
// One file each; they share Attempt (attempt.h) and Stream (stream.h).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "director/checks/check.h"
#include "director/checks/curl_multi.h"

namespace halb::director::checks {

using Done = Check::Done;

std::unique_ptr<Check> start_connect(event::Loop& loop, const Spec& spec, Done done);
std::unique_ptr<Check> start_ping(event::Loop& loop, const Spec& spec, Done done);
std::unique_ptr<Check> start_external(event::Loop& loop, const Spec& spec, Done done);
std::unique_ptr<Check> start_always_up(event::Loop& loop, std::string reason, Done done);
// http, https, http_proxy, ftp, imaps, pops, ldap, ldaps
std::unique_ptr<Check> start_curl(event::Loop& loop, CurlMulti& multi, const Spec& spec, Done done);
// Plain http by hand; `redirected` starts the libcurl check of the same spec
// for a reply it leaves to libcurl (a redirect to follow).
using RedirectedCheck = std::function<std::unique_ptr<Check>(Done done)>;
std::unique_ptr<Check> start_http(event::Loop& loop, const Spec& spec, RedirectedCheck redirected, Done done);
std::unique_ptr<Check> start_mysql(event::Loop& loop, const Spec& spec, Done done);
std::unique_ptr<Check> start_pgsql(event::Loop& loop, const Spec& spec, Done done);
// smtp, submission, pop, imap, nntp, simpletcp
std::unique_ptr<Check> start_dialog(event::Loop& loop, const Spec& spec, Done done);
std::unique_ptr<Check> start_dns(event::Loop& loop, const Spec& spec, Done done);
std::unique_ptr<Check> start_sip(event::Loop& loop, const Spec& spec, Done done);
std::unique_ptr<Check> start_radius(event::Loop& loop, const Spec& spec, Done done);

// "10.0.0.2:80", "[::1]:80".
std::string target_name(const Spec& spec);
// The request without ldirectord's leading '/' (SQL, simpletcp, dns names).
std::string bare_request(const Spec& spec);
// "scheme://..." (a request naming its own URL).
bool is_absolute_url(const std::string& s);

}  // namespace halb::director::checks
