// director/config/model.h: ldirectord.cf as plain data.
//
// What the reader (ldirectord_cf.h) produces and everything downstream
// (checks, the desired-table function, halb-adm) consumes. No parser, libev
// or kernel includes here, so any part of the director can hold a Config
// without dragging the reader in (haproxy's "-t.h" idea).
//
// Directives that may appear both globally and in a virtual block are kept
// as they were written (`Shared`, all optional) in both places; the reader
// then resolves each virtual's effective values (`Effective`) once, with
// ldirectord's defaults, so consumers never repeat the fallback rules.
// Times are whole seconds, as ldirectord takes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "director/address.h"

namespace halb::director::config {

// Packet forwarding method of a real (ipvsadm -g / -m / -i).
enum class Forward { gate, masq, ipip };

// tcp/udp services are keyed by address and port; fwm by firewall mark.
enum class Protocol { tcp, udp, fwm };

enum class CheckType {
  negotiate,      // speak the service's protocol (default)
  connect,        // TCP connect only
  ping,           // ICMP echo
  external,       // fork+exec checkcommand
  external_perl,  // ldirectord ran it as a Perl sub; halb runs it like external
  off,            // nothing is ever added for this virtual
  on,             // every real is always up
  combined,       // "checktype=N": negotiate every N-th pass, connect otherwise
};

// The `service=` values ldirectord knows (the negotiate check's protocol).
enum class Service {
  none, dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, mysql, nntp,
  oracle, pgsql, pop, pops, radius, sip, simpletcp, smtp, submission,
};

enum class HttpMethod { get, head };

// emailalertstatus: in which daemon states alerts are sent.
struct EmailStatus {
  bool starting = true;
  bool running = true;
  bool stopping = true;
  bool reloading = true;
  bool operator==(const EmailStatus&) const = default;
};

// fallback= / fallback6=: where traffic goes when no real is up.
struct Fallback {
  IpAddress addr;
  std::optional<uint16_t> port;  // none: the virtual's port
  Forward forward = Forward::gate;
  bool operator==(const Fallback&) const = default;
};

// logfile=: a quoted path, or a bare syslog facility name.
struct LogTarget {
  std::string file = "/var/log/ldirectord.log";
  std::optional<std::string> syslog_facility;  // set: log to syslog instead of a file
  bool operator==(const LogTarget&) const = default;
};

// Directives allowed both globally and per virtual, as written.
struct Shared {
  std::optional<int> checktimeout;
  std::optional<int> negotiatetimeout;
  std::optional<int> checkinterval;
  std::optional<int> checkcount;
  std::optional<int> failurecount;
  std::optional<Fallback> fallback;
  std::optional<Fallback> fallback6;
  std::optional<std::string> fallbackcommand;
  std::optional<bool> quiescent;
  std::optional<bool> cleanstop;
  std::optional<std::vector<std::string>> emailalert;
  std::optional<std::string> emailalertfrom;
  std::optional<int> emailalertfreq;
  std::optional<EmailStatus> emailalertstatus;
  std::optional<std::string> smtp;
};

// The resolved per-virtual values of the Shared directives, ldirectord's
// defaults applied (see ldirectord_cf.h for the rules).
struct Effective {
  int checktimeout = 5;
  int negotiatetimeout = 30;
  int checkinterval = 10;
  int checkcount = 1;
  int failurecount = 1;
  std::optional<Fallback> fallback;  // fallback6 for a virtual6
  std::string fallbackcommand;       // empty: none
  bool quiescent = false;            // ldirectord's code default (its man page says yes)
  bool cleanstop = true;
  std::vector<std::string> emailalert;
  std::string emailalertfrom;
  int emailalertfreq = 0;
  EmailStatus emailalertstatus;
  std::string smtp;
};

// real= / real6=: one line may expand to several Reals (an address range).
struct Real {
  IpAddress addr;
  uint16_t port = 0;  // 0: not given
  Forward forward = Forward::gate;
  int weight = 1;
  std::optional<std::string> request;  // per-real override, '/' prefixed like the virtual's
  std::optional<std::string> receive;
  uint32_t lower_threshold = 0;  // l:N (ipvsadm -y)
  uint32_t upper_threshold = 0;  // u:N (ipvsadm -x); 0 = unlimited
  int line = 0;
  bool operator==(const Real&) const = default;
};

struct Virtual {
  int line = 0;
  bool v6 = false;                // virtual6=
  std::optional<uint32_t> fwmark;  // set: a firewall-mark virtual (addr/port unused)
  IpAddress addr;
  uint16_t port = 0;
  Protocol protocol = Protocol::tcp;
  std::vector<Real> reals;

  CheckType checktype = CheckType::negotiate;
  int combined_every = 0;  // N of checktype=N
  Service service = Service::none;
  std::string request = "/";
  std::string receive;
  std::string checkcommand = "/bin/true";
  std::optional<uint16_t> checkport;
  std::string login;
  std::string passwd;
  std::string database;
  std::string secret;
  std::string scheduler = "wrr";
  std::optional<int> persistent;  // seconds (ipvsadm -p)
  // ipvsadm -M: IPv4 mask in host order, or the IPv6 prefix length.
  std::optional<uint32_t> netmask;
  HttpMethod httpmethod = HttpMethod::get;
  std::string virtualhost;   // empty: the real's IP
  std::string monitorfile;   // empty: none
  bool ops = false;          // one-packet scheduling (UDP only)
  std::vector<std::string> schedflags;  // ipvsadm -b names
  std::string servicename;
  std::string comment;

  Shared shared;        // as written in the block
  Effective effective;  // resolved by the reader
};

struct Global {
  bool autoreload = false;
  std::string callback;  // empty: none
  LogTarget logfile;
  std::vector<std::string> execute;
  bool supervised = false;
  bool fork = false;
  bool readdquiescent = false;
  std::string maintenancedir;  // empty: off
  Shared shared;
};

// A warning the reader wants logged (deprecated or ignored directives).
struct Warning {
  int line = 0;
  std::string message;
};

struct Config {
  std::string path;
  Global global;
  std::vector<Virtual> virtuals;
  std::vector<Warning> warnings;
};

}  // namespace halb::director::config
