// director/checks/spec.h: everything one real's check needs, resolved once.
//
// The monitor turns each (config::Virtual, config::Real) into a Spec: the
// address and port to probe, which probe, the strings and timeouts, all
// with ldirectord's defaults applied. Two Specs compare equal exactly when
// the check would behave the same, which is how a reload decides that a
// real's check did not change and keeps its state and timers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "director/address.h"
#include "director/config/model.h"

namespace halb::director::checks {

using config::CheckType;
using config::Service;

struct Spec {
  CheckType checktype = CheckType::negotiate;
  int combined_every = 0;  // N of checktype=N
  Service service = Service::none;
  bool udp = false;  // the virtual is protocol=udp

  // What external checks pass as arguments: VIP (or the mark) and VPORT.
  std::optional<uint32_t> fwmark;
  IpAddress vip;
  uint16_t vport = 0;

  IpAddress rip;
  uint16_t port = 0;  // the port probed: checkport, the real's, the virtual's, the service's

  std::string request = "/";
  std::string receive;
  std::string checkcommand = "/bin/true";
  std::string login;
  std::string passwd;
  std::string database;
  std::string secret;       // radius
  std::string virtualhost;  // empty: the real's address
  config::HttpMethod httpmethod = config::HttpMethod::get;
  std::string monitorfile;  // empty: none; else every check's verdict is appended

  double checktimeout = 5;      // connect, ping (per try), external
  double negotiatetimeout = 30;  // a whole negotiate exchange
  double checkinterval = 10;
  int checkcount = 1;    // attempts per check
  int failurecount = 1;  // failed checks before an up real goes down

  bool operator==(const Spec&) const = default;
};

Spec make_spec(const config::Virtual& v, const config::Real& r);

// The port ldirectord assumes for a service (80 for http, 0 for none).
uint16_t well_known_port(Service service);

// ldirectord's name for the service ("http", "mysql", ...).
const char* service_name(Service service);

// Whether halb speaks this service's protocol; the others are checked
// with a TCP connect (the monitor warns once).
bool negotiate_supported(Service service);

}  // namespace halb::director::checks
