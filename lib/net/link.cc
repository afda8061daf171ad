// lib/net/link.cc: rtnetlink through libnl-route-3 (see link.h).
//
// libnl hands out reference-counted objects; each is wrapped in a
// unique_ptr with its put/free function at the point it is obtained, so no
// early return can leak one.
#include "lib/net/link.h"

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <cstring>

namespace halb::net {

namespace {

struct SockFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct CacheFree {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct RtAddrPut {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrPut {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using CachePtr = std::unique_ptr<nl_cache, CacheFree>;
using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;
using RtAddrPtr = std::unique_ptr<rtnl_addr, RtAddrPut>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrPut>;

Error nl_error(std::string_view what, int err) {
  return Error{std::string(what) + ": " + nl_geterror(err)};
}

// An nl_addr (network order bytes) as an Address; nullopt for other families.
std::optional<Address> from_nl(const nl_addr* a) {
  if (!a) return std::nullopt;
  Address out;
  int fam = nl_addr_get_family(a);
  unsigned len = nl_addr_get_len(a);
  if (fam == AF_INET && len == 4) {
    out.family = Family::v4;
  } else if (fam == AF_INET6 && len == 16) {
    out.family = Family::v6;
  } else {
    return std::nullopt;
  }
  std::memcpy(out.bytes.data(), nl_addr_get_binary_addr(a), len);
  return out;
}

NlAddrPtr to_nl(const Address& a, int prefix_len) {
  NlAddrPtr n(nl_addr_build(a.is_v4() ? AF_INET : AF_INET6, a.bytes.data(), a.size()));
  if (n) nl_addr_set_prefixlen(n.get(), prefix_len);
  return n;
}

}  // namespace

Result<std::unique_ptr<Netlink>> Netlink::open() {
  std::unique_ptr<nl_sock, SockFree> s(nl_socket_alloc());
  if (!s) return Error{"netlink: cannot allocate a socket"};
  if (int err = nl_connect(s.get(), NETLINK_ROUTE); err < 0) return nl_error("netlink connect", err);
  return std::unique_ptr<Netlink>(new Netlink(s.release()));
}

Netlink::~Netlink() { nl_socket_free(sock_); }

// The kernel's view of one link, fetched by name (RTM_GETLINK, no dump).
static Result<LinkPtr> get_link(nl_sock* sock, int index, std::string_view name) {
  if (index == 0 && (name.empty() || name.size() >= IFNAMSIZ)) return Error{"invalid interface name '" + std::string(name) + "'"};
  std::string n(name);
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(sock, index, index ? nullptr : n.c_str(), &raw);
  LinkPtr link(raw);
  if (err < 0 || !link) {
    std::string who = index ? "interface index " + std::to_string(index) : "interface " + n;
    return Error{who + ": No such device"};
  }
  return link;
}

Result<int> Netlink::ifindex(std::string_view name) {
  auto link = get_link(sock_, 0, name);
  if (!link) return Error{link.error()};
  return rtnl_link_get_ifindex(link->get());
}

Result<std::string> Netlink::ifname(int index) {
  auto link = get_link(sock_, index, {});
  if (!link) return Error{link.error()};
  const char* n = rtnl_link_get_name(link->get());
  return std::string(n ? n : "");
}

Status Netlink::set_up(std::string_view name) {
  auto link = get_link(sock_, 0, name);
  if (!link) return Error{link.error()};
  if (rtnl_link_get_flags(link->get()) & IFF_UP) return Ok{};
  LinkPtr change(rtnl_link_alloc());
  if (!change) return Error{"out of memory"};
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock_, link->get(), change.get(), 0); err < 0)
    return nl_error("ip link set " + std::string(name) + " up", err);
  return Ok{};
}

Result<Mac> Netlink::mac(std::string_view name) {
  auto link = get_link(sock_, 0, name);
  if (!link) return Error{link.error()};
  nl_addr* a = rtnl_link_get_addr(link->get());
  if (!a || nl_addr_get_len(a) != 6) return Error{std::string(name) + ": no Ethernet address"};
  Mac m{};
  std::memcpy(m.data(), nl_addr_get_binary_addr(a), 6);
  return m;
}

Result<std::vector<InterfaceAddress>> Netlink::addresses(std::string_view name) {
  auto index = ifindex(name);
  if (!index) return Error{index.error()};
  auto all = all_addresses();
  if (!all) return all;
  std::vector<InterfaceAddress> out;
  for (auto& a : *all)
    if (a.ifindex == *index) out.push_back(std::move(a));
  return out;
}

Result<std::vector<InterfaceAddress>> Netlink::all_addresses() {
  nl_cache* raw = nullptr;
  if (int err = rtnl_addr_alloc_cache(sock_, &raw); err < 0) return nl_error("address dump", err);
  CachePtr cache(raw);
  std::vector<InterfaceAddress> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    auto local = from_nl(rtnl_addr_get_local(a));
    if (!local) continue;
    InterfaceAddress ia;
    ia.prefix = Prefix{*local, rtnl_addr_get_prefixlen(a)};
    if (const char* l = rtnl_addr_get_label(a)) ia.label = l;
    ia.broadcast = from_nl(rtnl_addr_get_broadcast(a));
    ia.ifindex = rtnl_addr_get_ifindex(a);
    out.push_back(std::move(ia));
  }
  return out;
}

// The request both add and delete send: which address, on which device.
static Result<RtAddrPtr> addr_request(int ifindex, const Prefix& p) {
  RtAddrPtr req(rtnl_addr_alloc());
  NlAddrPtr local = to_nl(p.addr, p.len);
  if (!req || !local) return Error{"out of memory"};
  rtnl_addr_set_ifindex(req.get(), ifindex);
  rtnl_addr_set_family(req.get(), p.addr.is_v4() ? AF_INET : AF_INET6);
  if (int err = rtnl_addr_set_local(req.get(), local.get()); err < 0) return nl_error("address", err);
  rtnl_addr_set_prefixlen(req.get(), p.len);
  return req;
}

Status Netlink::add_address(std::string_view name, const Prefix& p, const std::optional<Address>& brd,
                            std::string_view label) {
  if (!label.empty()) {
    // The kernel (and iproute2 before it) insists that an IPv4 label is the
    // device name or the device name, a colon and a suffix.
    bool prefixed = label.size() > name.size() && label.substr(0, name.size()) == name && label[name.size()] == ':';
    if (label != name && !prefixed)
      return Error{"label " + std::string(label) + " must be " + std::string(name) + " or start with " +
                   std::string(name) + ":"};
    if (label.size() >= IFNAMSIZ) return Error{"label " + std::string(label) + " is longer than 15 characters"};
    if (!p.addr.is_v4()) return Error{"labels are for IPv4 addresses only"};
  }
  if (brd && (!p.addr.is_v4() || !brd->is_v4())) return Error{"broadcast is for IPv4 addresses only"};
  auto index = ifindex(name);
  if (!index) return Error{index.error()};
  auto req = addr_request(*index, p);
  if (!req) return Error{req.error()};
  if (brd) {
    NlAddrPtr b = to_nl(*brd, 32);
    if (!b) return Error{"out of memory"};
    if (int err = rtnl_addr_set_broadcast(req->get(), b.get()); err < 0) return nl_error("broadcast", err);
  }
  if (!label.empty()) {
    std::string l(label);
    if (int err = rtnl_addr_set_label(req->get(), l.c_str()); err < 0) return nl_error("label", err);
  }
  // NLM_F_EXCL as `ip addr add`: an address already there is an error, not
  // a silent replace of its broadcast and label.
  if (int err = rtnl_addr_add(sock_, req->get(), NLM_F_EXCL); err < 0)
    return nl_error("add " + p.str() + " on " + std::string(name), err);
  return Ok{};
}

Status Netlink::del_address(std::string_view name, const Prefix& p) {
  auto index = ifindex(name);
  if (!index) return Error{index.error()};
  auto req = addr_request(*index, p);
  if (!req) return Error{req.error()};
  if (int err = rtnl_addr_delete(sock_, req->get(), 0); err < 0)
    return nl_error("delete " + p.str() + " from " + std::string(name), err);
  return Ok{};
}

Result<ConnectedRoute> Netlink::find_interface_for(const Address& ip, std::optional<int> within) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_route_alloc_cache(sock_, ip.is_v4() ? AF_INET : AF_INET6, 0, &raw); err < 0)
    return nl_error("route dump", err);
  CachePtr cache(raw);
  std::optional<ConnectedRoute> best;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    // Only the main table's unicast routes: local/broadcast entries of the
    // local table describe addresses already held, not where one belongs.
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST) continue;
    nl_addr* dst = rtnl_route_get_dst(r);
    auto net = from_nl(dst);
    if (!net) continue;
    int len = static_cast<int>(nl_addr_get_prefixlen(dst));
    // A default route covers everything and says nothing about the LAN.
    if (len == 0) continue;
    if (within && len > *within) continue;
    Prefix route{*net, len};
    if (!route.contains(ip)) continue;
    // Connected means reached directly: one next hop, no gateway.
    if (rtnl_route_get_nnexthops(r) != 1) continue;
    rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
    if (!nh || rtnl_route_nh_get_gateway(nh) || rtnl_route_nh_get_ifindex(nh) <= 0) continue;
    if (best && best->route.len >= len) continue;
    best = ConnectedRoute{{}, rtnl_route_nh_get_ifindex(nh), route};
  }
  if (!best) return Error{"no connected route covers " + ip.str()};
  auto name = ifname(best->ifindex);
  if (!name) return Error{name.error()};
  best->ifname = *name;
  return *best;
}

}  // namespace halb::net
