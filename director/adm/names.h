// director/adm/names.h: host and service names, the way ipvsadm finds them.
//
// Without -n ipvsadm prints a reverse-resolved host name (gethostbyaddr,
// falling back to the address) and a service name for the port
// (getservbyport for the service's protocol, falling back to the number);
// on input it accepts host and service names as well as numbers. All of
// that goes through this interface so that unit tests can inject a fixed
// table and stay deterministic; SystemNames asks the C library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "director/address.h"

namespace halb::director::adm {

// IP protocol numbers as ipvsadm passes them to the service lookups; 0
// (fwmark services, "IP" templates) never has a service name.
inline constexpr int kProtoTcp = 6;
inline constexpr int kProtoUdp = 17;
inline constexpr int kProtoSctp = 132;

class Names {
 public:
  virtual ~Names() = default;
  // The host name for an address, or nullopt when it has none.
  virtual std::optional<std::string> host_name(const IpAddress& addr) = 0;
  // The service name of a port for protocol 6/17/132, or nullopt.
  virtual std::optional<std::string> service_name(uint16_t port, int proto) = 0;
  // The first IPv4 address of a host name (ipvsadm resolves names to IPv4
  // only), or nullopt.
  virtual std::optional<IpAddress> host_address(const std::string& name) = 0;
  // The port of a service name for protocol 6/17/132, or nullopt.
  virtual std::optional<uint16_t> service_port(const std::string& name, int proto) = 0;
};

// The C library's resolver: getnameinfo, getservbyport_r, getaddrinfo,
// getservbyname_r.
class SystemNames : public Names {
 public:
  std::optional<std::string> host_name(const IpAddress& addr) override;
  std::optional<std::string> service_name(uint16_t port, int proto) override;
  std::optional<IpAddress> host_address(const std::string& name) override;
  std::optional<uint16_t> service_port(const std::string& name, int proto) override;
};

// "addr:port" as ipvsadm prints an endpoint: IPv6 in brackets; with
// `numeric` the address and port as numbers, otherwise names where they
// resolve. Cut to 59 characters, as ipvsadm's 60-byte buffer does.
std::string endpoint_name(const IpAddress& addr, uint16_t port, int proto, bool numeric, Names& names);

}  // namespace halb::director::adm
