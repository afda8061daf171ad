// lib/net/link.h: the interfaces, addresses and connected routes of this
// host (or of the network namespace the process runs in), over rtnetlink
// with libnl-route-3. What `ip link`, `ip addr` and heartbeat's findif did
// for the IPaddr2 shell agent, done in-process.
//
// Calls are synchronous netlink requests to the local kernel: they are
// answered in the same system call round trip and never wait on the
// network, so they are fit to run on the daemon loop. Failures come back
// as Result/Status with libnl's reason, never as exceptions.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/net/address.h"

struct nl_sock;

namespace halb::net {

// One address as `ip addr show` lists it.
struct InterfaceAddress {
  Prefix prefix;                     // local address and prefix length
  std::string label;                 // IPv4 label ("eth0", "eth0:0"); empty for IPv6
  std::optional<Address> broadcast;  // IPv4 only, when set
  int ifindex = 0;
};

// heartbeat's findif answer: where an address belongs.
struct ConnectedRoute {
  std::string ifname;
  int ifindex = 0;
  Prefix route;  // the covering route (network address / its length)
};

// Owns one NETLINK_ROUTE socket. Not thread-safe: one per loop thread.
class Netlink {
 public:
  // Opens and connects the socket; an Error when netlink is unavailable.
  static Result<std::unique_ptr<Netlink>> open();
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  // Interface index by name ("No such device" style error when absent).
  Result<int> ifindex(std::string_view name);
  // Interface name by index.
  Result<std::string> ifname(int index);
  // `ip link set NAME up`.
  Status set_up(std::string_view name);
  // The link-layer address of an Ethernet-like interface; an Error when the
  // interface has none of 6 bytes (lo has 00:00:00:00:00:00, which is returned).
  Result<Mac> mac(std::string_view name);
  // Every address on the interface, both families, in kernel order.
  Result<std::vector<InterfaceAddress>> addresses(std::string_view name);
  // Every address of every interface, in kernel order.
  Result<std::vector<InterfaceAddress>> all_addresses();
  // `ip addr add P [brd B] dev NAME [label L]`. The kernel requires an IPv4
  // label to start with the device name; that is checked here first so the
  // message says why. Adding an address that is already there fails
  // ("Object exists"): callers check first.
  Status add_address(std::string_view name, const Prefix& p, const std::optional<Address>& brd = std::nullopt,
                     std::string_view label = {});
  // `ip addr del P dev NAME`.
  Status del_address(std::string_view name, const Prefix& p);
  // heartbeat's findif: the connected route (no gateway, not a default
  // route) of the main table that covers `ip`, the most specific one when
  // several do. With `within`, only routes at least as wide as that prefix
  // length count (findif's `match IP/CIDR`).
  Result<ConnectedRoute> find_interface_for(const Address& ip, std::optional<int> within = std::nullopt);

 private:
  explicit Netlink(nl_sock* sock) : sock_(sock) {}
  nl_sock* sock_;
};

}  // namespace halb::net
