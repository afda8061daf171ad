// director/backend/ipvs_attrs.h: the IPVS generic netlink attributes, as
// pure functions from halb's table structs to libnl attributes and back.
//
// Everything the kernel is picky about lives here, so host unit tests can
// pin it without a kernel: ports are big-endian, the IPv4 persistence mask
// travels as its network-order bytes while the IPv6 one is a plain prefix
// length, flags are a {flags, mask} pair, addresses are always 16 bytes,
// and counters come as STATS64 (all u64) or the older STATS (u32 with u64
// byte counts).
//
// put_* append to a message under construction and return false only when
// the message ran out of room. parse_* read a nested attribute the kernel
// sent; a missing or malformed attribute gives std::nullopt (or an Error),
// never a crash, and a service whose protocol halb's table cannot express
// (SCTP) is reported as such so callers can skip it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "director/backend/backend.h"

struct nl_msg;
struct nlattr;

namespace halb::director::backend::ipvs {

// Encoding -----------------------------------------------------------------

// IPVS_CMD_ATTR_SERVICE with the identifying fields only (AF + FWMARK, or
// AF + PROTOCOL + ADDR + PORT): for DEL_SERVICE, the dest commands, ZERO
// and GET_DEST.
bool put_service_key(nl_msg* msg, const ServiceKey& key);
// IPVS_CMD_ATTR_SERVICE with everything NEW/SET_SERVICE need: the key plus
// SCHED_NAME, FLAGS {flags, ~0}, TIMEOUT, NETMASK and PE_NAME when set.
bool put_service(nl_msg* msg, const Service& svc);
// IPVS_CMD_ATTR_DEST. With full, FWD_METHOD, WEIGHT and both thresholds
// too (NEW/SET_DEST); without, the address and port (DEL_DEST).
bool put_dest(nl_msg* msg, const Dest& dest, bool full);
// IPVS_CMD_ATTR_DAEMON for NEW_DAEMON: STATE, MCAST_IFN, SYNC_ID, and the
// optional fields that are non-zero.
bool put_daemon(nl_msg* msg, const SyncDaemon& d);
// IPVS_CMD_ATTR_DAEMON with STATE only (DEL_DAEMON).
bool put_daemon_role(nl_msg* msg, SyncRole role);
// The three top-level TIMEOUT_* attributes (SET_CONFIG; 0 = unchanged).
bool put_timeouts(nl_msg* msg, const Timeouts& t);

// The NETMASK attribute's 32 bits as they go on the wire (and come back):
// the IPv4 mask's network-order bytes, or the IPv6 prefix length.
uint32_t netmask_to_wire(Family family, uint32_t netmask);
uint32_t netmask_from_wire(Family family, uint32_t wire);

// Decoding -----------------------------------------------------------------

struct Unsupported {
  std::string what;  // "SCTP service 10.0.0.1:80"
};
struct Malformed {
  std::string what;
};

// A service from IPVS_CMD_ATTR_SERVICE (dests left empty). The kernel's
// internal HASHED flag is dropped.
std::variant<ServiceStatus, Unsupported, Malformed> parse_service(const nlattr* service);
// A dest from IPVS_CMD_ATTR_DEST; `service_family` when it has no
// ADDR_FAMILY (kernels before mixed-family support).
std::variant<DestStatus, Malformed> parse_dest(const nlattr* dest, Family service_family);
// Counters from a STATS64 or STATS nest (each field read by its length).
Stats parse_stats(const nlattr* stats);
std::variant<SyncDaemon, Malformed> parse_daemon(const nlattr* daemon);

}  // namespace halb::director::backend::ipvs
