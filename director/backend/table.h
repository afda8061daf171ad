// director/backend/table.h: the virtual server table as plain data.
//
// One model for what the kernel's IPVS holds and what halb-lvsd holds:
// services (tcp/udp address:port, or a firewall mark) with their scheduler,
// flags and persistence, each with its dests. The reconciler computes a
// wanted Table, reads the current one from a backend, and hands the backend
// the difference (reconcile/diff.h); backends translate to generic netlink
// or to halb-lvsd's control socket. Values use IPVS's own numbering
// (forwarding methods, service flags) so that translation is a copy.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "director/address.h"

namespace halb::director::backend {

enum class Protocol : uint8_t { tcp, udp, fwmark };

// IP_VS_CONN_F_* forwarding methods (uapi ip_vs.h).
enum class Forward : uint32_t { masq = 0, local = 1, tunnel = 2, route = 3 };

// IP_VS_SVC_F_* service flags.
inline constexpr uint32_t kSvcPersistent = 0x1;
inline constexpr uint32_t kSvcHashed = 0x2;  // kernel-internal; ignored when comparing
inline constexpr uint32_t kSvcOnePacket = 0x4;
inline constexpr uint32_t kSvcSched1 = 0x8;   // sh/mh: fallback
inline constexpr uint32_t kSvcSched2 = 0x10;  // sh/mh: port
inline constexpr uint32_t kSvcSched3 = 0x20;

// What identifies a service. For fwmark services addr/port are unused and
// left zero; `family` still matters (ipvsadm -f N -6).
struct ServiceKey {
  Protocol protocol = Protocol::tcp;
  Family family = Family::v4;
  uint32_t fwmark = 0;
  IpAddress addr;
  uint16_t port = 0;
  auto operator<=>(const ServiceKey&) const = default;
};

struct Dest {
  IpAddress addr;
  uint16_t port = 0;
  Forward forward = Forward::route;
  int weight = 1;          // 0 = quiescent: no new connections
  uint32_t u_threshold = 0;  // 0 = no limit
  uint32_t l_threshold = 0;
  auto operator<=>(const Dest&) const = default;
};

struct Service {
  ServiceKey key;
  std::string scheduler = "wlc";
  uint32_t flags = 0;    // kSvc* bits
  uint32_t timeout = 0;  // persistence timeout in seconds (with kSvcPersistent)
  // ipvsadm -M: an IPv4 mask in host order (0xffffffff = /32), or for IPv6
  // the prefix length (128).
  uint32_t netmask = 0xffffffff;
  std::string pe_name;  // persistence engine ("sip"); empty: none
  std::vector<Dest> dests;  // sorted by (addr, port), see sort_table()
};

struct Table {
  std::vector<Service> services;  // sorted by key, see sort_table()
};

// A dest's identity within its service.
inline bool same_dest(const Dest& a, const Dest& b) { return a.addr == b.addr && a.port == b.port; }

// Whether two services have equal attributes (not dests); the kernel's
// internal HASHED flag is ignored.
bool same_attributes(const Service& a, const Service& b);

// Sorts services by key and dests by (addr, port), so that tables built or
// read in any order compare and diff deterministically.
void sort_table(Table& table);

// "TCP 192.168.131.105:3306", "FWM 7", "UDP [2001:db8::1]:53": the way
// ipvsadm and ldirectord name a service in logs.
std::string describe(const ServiceKey& key);
std::string describe(const Dest& dest);  // "192.168.131.77:3306"
std::string_view forward_word(Forward f);  // ipvsadm -L: Masq, Local, Tunnel, Route

}  // namespace halb::director::backend
