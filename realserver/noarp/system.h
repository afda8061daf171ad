// realserver/noarp/system.h: the host side of halb-noarp: addresses on lo,
// the interfaces ARP leaves by, sysctl files, and running nft/arptables.
#pragma once

#include <string>
#include <vector>

#include "lib/net/link.h"
#include "realserver/noarp/plan.h"

namespace halb::realserver {

struct ToolResult {
  int rc = 0;
  std::string output;  // stdout and stderr together
};

// Run argv (PATH lookup) with `input` on stdin and wait for it. rc 127 when
// it cannot be run.
ToolResult run_tool(const std::vector<std::string>& argv, const std::string& input = "");

// Every UP non-loopback interface with an IPv4 address that is not a VIP,
// with its first such address.
net::Result<std::vector<Uplink>> find_uplinks(net::Netlink& nl, const std::vector<net::Address>& vips);

bool vip_on_lo(net::Netlink& nl, const net::Address& vip);

// /proc/sys/<key>; empty when unreadable.
std::string read_sysctl(const std::string& key);
bool write_sysctl(const std::string& key, const std::string& value, std::string& error);

}  // namespace halb::realserver
