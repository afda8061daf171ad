// director/address.h: the IP address vocabulary of the director room.
//
// ldirectord.cf, the virtual server table and the schedulers all speak of
// IPv4 and IPv6 addresses; they use libhalb's net::Address so a real's
// address flows from the parsed config to an IPVS dest, and to the
// heartbeat agents, without conversions.
#pragma once

#include <cstdint>
#include <string>

#include "lib/net/address.h"

namespace halb::director {

using Family = net::Family;
using IpAddress = net::Address;

// "addr:port" as ipvsadm and ldirectord print it; IPv6 as "[addr]:port".
std::string endpoint_str(const IpAddress& addr, uint16_t port);

}  // namespace halb::director
