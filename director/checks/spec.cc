// director/checks/spec.cc: resolving a real's check from ldirectord.cf.
#include "director/checks/spec.h"

namespace halb::director::checks {

uint16_t well_known_port(Service s) {
  switch (s) {
    case Service::ftp: return 21;
    case Service::smtp: return 25;
    case Service::dns: return 53;
    case Service::http: return 80;
    case Service::pop: return 110;
    case Service::nntp: return 119;
    case Service::imap: return 143;
    case Service::ldap: return 389;
    case Service::https: return 443;
    case Service::submission: return 587;
    case Service::ldaps: return 636;
    case Service::imaps: return 993;
    case Service::pops: return 995;
    case Service::oracle: return 1521;
    case Service::radius: return 1812;
    case Service::http_proxy: return 3128;
    case Service::mysql: return 3306;
    case Service::sip: return 5060;
    case Service::pgsql: return 5432;
    case Service::none:
    case Service::simpletcp: return 0;
  }
  return 0;
}

const char* service_name(Service s) {
  switch (s) {
    case Service::none: return "none";
    case Service::dns: return "dns";
    case Service::ftp: return "ftp";
    case Service::http: return "http";
    case Service::https: return "https";
    case Service::http_proxy: return "http_proxy";
    case Service::imap: return "imap";
    case Service::imaps: return "imaps";
    case Service::ldap: return "ldap";
    case Service::ldaps: return "ldaps";
    case Service::mysql: return "mysql";
    case Service::nntp: return "nntp";
    case Service::oracle: return "oracle";
    case Service::pgsql: return "pgsql";
    case Service::pop: return "pop";
    case Service::pops: return "pops";
    case Service::radius: return "radius";
    case Service::sip: return "sip";
    case Service::simpletcp: return "simpletcp";
    case Service::smtp: return "smtp";
    case Service::submission: return "submission";
  }
  return "?";
}

bool negotiate_supported(Service s) {
  switch (s) {
    case Service::oracle:
      return false;
    default:
      return true;
  }
}

Spec make_spec(const config::Virtual& v, const config::Real& r) {
  Spec s;
  s.checktype = v.checktype;
  s.combined_every = v.combined_every;
  s.service = v.service;
  s.udp = v.protocol == config::Protocol::udp;
  s.fwmark = v.fwmark;
  s.vip = v.addr;
  s.vport = v.port;
  s.rip = r.addr;
  if (v.checkport)
    s.port = *v.checkport;
  else if (r.port > 0)
    s.port = r.port;
  else if (!v.fwmark && v.port > 0)
    s.port = v.port;
  else
    s.port = well_known_port(v.service);
  s.request = r.request.value_or(v.request);
  s.receive = r.receive.value_or(v.receive);
  s.checkcommand = v.checkcommand;
  s.login = v.login;
  s.passwd = v.passwd;
  s.database = v.database;
  s.secret = v.secret;
  s.virtualhost = v.virtualhost;
  s.httpmethod = v.httpmethod;
  s.monitorfile = v.monitorfile;
  s.checktimeout = v.effective.checktimeout;
  s.negotiatetimeout = v.effective.negotiatetimeout;
  s.checkinterval = v.effective.checkinterval;
  s.checkcount = v.effective.checkcount < 1 ? 1 : v.effective.checkcount;
  s.failurecount = v.effective.failurecount < 1 ? 1 : v.effective.failurecount;
  return s;
}

}  // namespace halb::director::checks
