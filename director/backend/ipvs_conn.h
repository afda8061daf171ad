// director/backend/ipvs_conn.h: the kernel's connection table as text.
//
// IPVS has no netlink command for connections; ipvsadm -L -c reads
// /proc/net/ip_vs_conn, and so do we. Each line is
//   Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires [PEName PEData]
// with IPv4 addresses as 8 hex digits (host order), IPv6 ones in full
// colon form, ports as 4 hex digits and Expires in seconds. The file says
// nothing of the TEMPLATE flag: a persistence template is recognised the way
// an operator does, by its client port 0 and template state (NONE/ASSURED),
// or by protocol "IP" (a fwmark service's template).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "director/backend/backend.h"

namespace halb::director::backend::ipvs {

inline constexpr const char* kConnTablePath = "/proc/net/ip_vs_conn";

// Parses the whole file. The header line and lines halb's table cannot
// express (SCTP, ICMP entries) or cannot read are skipped; `skipped`, when
// given, counts them.
std::vector<Connection> parse_conn_table(std::string_view text, size_t* skipped = nullptr);

}  // namespace halb::director::backend::ipvs
