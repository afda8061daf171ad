// director/config/resolve.h: host and service names in ldirectord.cf.
//
// ldirectord resolves host names in virtual=, real= and fallback= and
// service names in ports. halb resolves only what needs no network: numeric
// addresses and the hosts file (parsed here, so no resolver library can reach
// for DNS), and service names through getservbyname (/etc/services). A
// director must start when DNS is down, and tests must not touch it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "director/address.h"

namespace halb::director::config {

struct Resolver {
  std::string hosts_path = "/etc/hosts";

  // A numeric address of the wanted family, else the first entry of that
  // family for `name` (case-insensitive, canonical name or alias) in the
  // hosts file; nullopt when neither.
  std::optional<IpAddress> host(std::string_view name, Family family) const;
  // A decimal port 0..65535, else a service name known for `proto` ("tcp",
  // "udp") in the services database; nullopt otherwise.
  std::optional<uint16_t> port(std::string_view text, std::string_view proto) const;
};

}  // namespace halb::director::config
