// director/backend/ipvs_attrs.cc: see ipvs_attrs.h. Layouts follow the
// kernel's ip_vs_genl_parse_service/_dest and ip_vs_genl_fill_* (net/
// netfilter/ipvs/ip_vs_ctl.c, Linux 6.1).
#include "director/backend/ipvs_attrs.h"

#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <cstring>

namespace halb::director::backend::ipvs {

namespace {

uint16_t af_of(Family f) { return f == Family::v6 ? AF_INET6 : AF_INET; }

// The 16-byte nf_inet_addr the kernel expects (an IPv4 address fills the
// first four bytes, the rest stays zero).
bool put_addr(nl_msg* msg, int type, const IpAddress& a) {
  uint8_t raw[16] = {};
  std::memcpy(raw, a.bytes.data(), a.size());
  return nla_put(msg, type, sizeof raw, raw) == 0;
}

std::optional<IpAddress> get_addr(const nlattr* attr, uint16_t af) {
  IpAddress a;
  if (af == AF_INET) {
    a.family = Family::v4;
  } else if (af == AF_INET6) {
    a.family = Family::v6;
  } else {
    return std::nullopt;
  }
  if (nla_len(attr) < static_cast<int>(a.size())) return std::nullopt;
  std::memcpy(a.bytes.data(), nla_data(attr), a.size());
  return a;
}

std::string get_string(const nlattr* attr) {
  // The policy checked for a terminating NUL.
  return std::string(static_cast<const char*>(nla_data(attr)));
}

// libnl's readers take non-const pointers but do not write through them.
nlattr* mut(const nlattr* a) { return const_cast<nlattr*>(a); }

// The identifying fields, inside an open SERVICE nest.
bool put_key_fields(nl_msg* msg, const ServiceKey& key) {
  if (nla_put_u16(msg, IPVS_SVC_ATTR_AF, af_of(key.family)) < 0) return false;
  if (key.protocol == Protocol::fwmark) return nla_put_u32(msg, IPVS_SVC_ATTR_FWMARK, key.fwmark) == 0;
  uint16_t proto = key.protocol == Protocol::udp ? IPPROTO_UDP : IPPROTO_TCP;
  return nla_put_u16(msg, IPVS_SVC_ATTR_PROTOCOL, proto) == 0 && put_addr(msg, IPVS_SVC_ATTR_ADDR, key.addr) &&
         nla_put_u16(msg, IPVS_SVC_ATTR_PORT, htons(key.port)) == 0;
}

}  // namespace

uint32_t netmask_to_wire(Family family, uint32_t netmask) {
  return family == Family::v6 ? netmask : htonl(netmask);
}

uint32_t netmask_from_wire(Family family, uint32_t wire) {
  return family == Family::v6 ? wire : ntohl(wire);
}

bool put_service_key(nl_msg* msg, const ServiceKey& key) {
  nlattr* nest = nla_nest_start(msg, IPVS_CMD_ATTR_SERVICE);
  if (!nest || !put_key_fields(msg, key)) return false;
  nla_nest_end(msg, nest);
  return true;
}

bool put_service(nl_msg* msg, const Service& svc) {
  nlattr* nest = nla_nest_start(msg, IPVS_CMD_ATTR_SERVICE);
  if (!nest || !put_key_fields(msg, svc.key)) return false;
  if (nla_put_string(msg, IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler.c_str()) < 0) return false;
  if (!svc.pe_name.empty() && nla_put_string(msg, IPVS_SVC_ATTR_PE_NAME, svc.pe_name.c_str()) < 0) return false;
  // A mask of all ones replaces every flag, as libipvs does; the kernel
  // sets HASHED again itself.
  ip_vs_flags flags{svc.flags & ~kSvcHashed, ~0u};
  if (nla_put(msg, IPVS_SVC_ATTR_FLAGS, sizeof flags, &flags) < 0) return false;
  if (nla_put_u32(msg, IPVS_SVC_ATTR_TIMEOUT, svc.timeout) < 0) return false;
  if (nla_put_u32(msg, IPVS_SVC_ATTR_NETMASK, netmask_to_wire(svc.key.family, svc.netmask)) < 0) return false;
  nla_nest_end(msg, nest);
  return true;
}

bool put_dest(nl_msg* msg, const Dest& dest, bool full) {
  nlattr* nest = nla_nest_start(msg, IPVS_CMD_ATTR_DEST);
  if (!nest) return false;
  if (!put_addr(msg, IPVS_DEST_ATTR_ADDR, dest.addr)) return false;
  if (nla_put_u16(msg, IPVS_DEST_ATTR_PORT, htons(dest.port)) < 0) return false;
  if (nla_put_u16(msg, IPVS_DEST_ATTR_ADDR_FAMILY, af_of(dest.addr.family)) < 0) return false;
  if (full) {
    if (nla_put_u32(msg, IPVS_DEST_ATTR_FWD_METHOD, static_cast<uint32_t>(dest.forward)) < 0) return false;
    if (nla_put_u32(msg, IPVS_DEST_ATTR_WEIGHT, static_cast<uint32_t>(dest.weight)) < 0) return false;
    if (nla_put_u32(msg, IPVS_DEST_ATTR_U_THRESH, dest.u_threshold) < 0) return false;
    if (nla_put_u32(msg, IPVS_DEST_ATTR_L_THRESH, dest.l_threshold) < 0) return false;
  }
  nla_nest_end(msg, nest);
  return true;
}

bool put_daemon(nl_msg* msg, const SyncDaemon& d) {
  nlattr* nest = nla_nest_start(msg, IPVS_CMD_ATTR_DAEMON);
  if (!nest) return false;
  if (nla_put_u32(msg, IPVS_DAEMON_ATTR_STATE, static_cast<uint32_t>(d.role)) < 0) return false;
  if (nla_put_string(msg, IPVS_DAEMON_ATTR_MCAST_IFN, d.mcast_ifn.c_str()) < 0) return false;
  if (nla_put_u32(msg, IPVS_DAEMON_ATTR_SYNC_ID, d.syncid) < 0) return false;
  if (d.maxlen && nla_put_u16(msg, IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.maxlen) < 0) return false;
  if (d.group) {
    if (d.group->is_v4()) {
      // An in_addr: the address's network-order bytes.
      uint32_t raw;
      std::memcpy(&raw, d.group->bytes.data(), 4);
      if (nla_put_u32(msg, IPVS_DAEMON_ATTR_MCAST_GROUP, raw) < 0) return false;
    } else if (nla_put(msg, IPVS_DAEMON_ATTR_MCAST_GROUP6, 16, d.group->bytes.data()) < 0) {
      return false;
    }
  }
  // The port is a host-order number here, unlike service and dest ports.
  if (d.port && nla_put_u16(msg, IPVS_DAEMON_ATTR_MCAST_PORT, d.port) < 0) return false;
  if (d.ttl && nla_put_u8(msg, IPVS_DAEMON_ATTR_MCAST_TTL, d.ttl) < 0) return false;
  nla_nest_end(msg, nest);
  return true;
}

bool put_daemon_role(nl_msg* msg, SyncRole role) {
  nlattr* nest = nla_nest_start(msg, IPVS_CMD_ATTR_DAEMON);
  if (!nest) return false;
  if (nla_put_u32(msg, IPVS_DAEMON_ATTR_STATE, static_cast<uint32_t>(role)) < 0) return false;
  nla_nest_end(msg, nest);
  return true;
}

bool put_timeouts(nl_msg* msg, const Timeouts& t) {
  return nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp) == 0 &&
         nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin) == 0 &&
         nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp) == 0;
}

Stats parse_stats(const nlattr* stats) {
  Stats s;
  nlattr* a;
  int rem;
  nla_for_each_nested(a, mut(stats), rem) {
    uint64_t v;
    if (nla_len(a) == 8) {
      v = nla_get_u64(a);
    } else if (nla_len(a) == 4) {
      v = nla_get_u32(a);
    } else {
      continue;  // PAD, or something newer than us
    }
    switch (nla_type(a)) {
      case IPVS_STATS_ATTR_CONNS: s.conns = v; break;
      case IPVS_STATS_ATTR_INPKTS: s.inpkts = v; break;
      case IPVS_STATS_ATTR_OUTPKTS: s.outpkts = v; break;
      case IPVS_STATS_ATTR_INBYTES: s.inbytes = v; break;
      case IPVS_STATS_ATTR_OUTBYTES: s.outbytes = v; break;
      case IPVS_STATS_ATTR_CPS: s.cps = v; break;
      case IPVS_STATS_ATTR_INPPS: s.inpps = v; break;
      case IPVS_STATS_ATTR_OUTPPS: s.outpps = v; break;
      case IPVS_STATS_ATTR_INBPS: s.inbps = v; break;
      case IPVS_STATS_ATTR_OUTBPS: s.outbps = v; break;
      default: break;
    }
  }
  return s;
}

std::variant<ServiceStatus, Unsupported, Malformed> parse_service(const nlattr* service) {
  nla_policy policy[IPVS_SVC_ATTR_MAX + 1] = {};
  policy[IPVS_SVC_ATTR_AF].type = NLA_U16;
  policy[IPVS_SVC_ATTR_PROTOCOL].type = NLA_U16;
  policy[IPVS_SVC_ATTR_ADDR].minlen = 4;
  policy[IPVS_SVC_ATTR_PORT].type = NLA_U16;
  policy[IPVS_SVC_ATTR_FWMARK].type = NLA_U32;
  policy[IPVS_SVC_ATTR_SCHED_NAME].type = NLA_STRING;
  policy[IPVS_SVC_ATTR_FLAGS].minlen = sizeof(ip_vs_flags);
  policy[IPVS_SVC_ATTR_TIMEOUT].type = NLA_U32;
  policy[IPVS_SVC_ATTR_NETMASK].type = NLA_U32;
  policy[IPVS_SVC_ATTR_STATS].type = NLA_NESTED;
  policy[IPVS_SVC_ATTR_PE_NAME].type = NLA_STRING;
  policy[IPVS_SVC_ATTR_STATS64].type = NLA_NESTED;
  nlattr* tb[IPVS_SVC_ATTR_MAX + 1];
  if (nla_parse_nested(tb, IPVS_SVC_ATTR_MAX, mut(service), policy) < 0)
    return Malformed{"service attributes fail their length checks"};
  if (!tb[IPVS_SVC_ATTR_AF]) return Malformed{"service without AF"};
  uint16_t af = nla_get_u16(tb[IPVS_SVC_ATTR_AF]);
  if (af != AF_INET && af != AF_INET6) return Malformed{"service of address family " + std::to_string(af)};

  ServiceStatus st;
  Service& svc = st.service;
  svc.key.family = af == AF_INET6 ? Family::v6 : Family::v4;
  svc.key.addr.family = svc.key.family;
  if (tb[IPVS_SVC_ATTR_FWMARK] && nla_get_u32(tb[IPVS_SVC_ATTR_FWMARK]) != 0) {
    svc.key.protocol = Protocol::fwmark;
    svc.key.fwmark = nla_get_u32(tb[IPVS_SVC_ATTR_FWMARK]);
  } else {
    if (!tb[IPVS_SVC_ATTR_PROTOCOL] || !tb[IPVS_SVC_ATTR_ADDR] || !tb[IPVS_SVC_ATTR_PORT])
      return Malformed{"service without fwmark or protocol/address/port"};
    auto addr = get_addr(tb[IPVS_SVC_ATTR_ADDR], af);
    if (!addr) return Malformed{"service address too short"};
    svc.key.addr = *addr;
    svc.key.port = ntohs(nla_get_u16(tb[IPVS_SVC_ATTR_PORT]));
    uint16_t proto = nla_get_u16(tb[IPVS_SVC_ATTR_PROTOCOL]);
    if (proto == IPPROTO_TCP) {
      svc.key.protocol = Protocol::tcp;
    } else if (proto == IPPROTO_UDP) {
      svc.key.protocol = Protocol::udp;
    } else {
      std::string name = proto == IPPROTO_SCTP ? "SCTP" : "protocol " + std::to_string(proto);
      return Unsupported{name + " service " + endpoint_str(svc.key.addr, svc.key.port)};
    }
  }
  svc.scheduler = tb[IPVS_SVC_ATTR_SCHED_NAME] ? get_string(tb[IPVS_SVC_ATTR_SCHED_NAME]) : "none";
  if (tb[IPVS_SVC_ATTR_PE_NAME]) svc.pe_name = get_string(tb[IPVS_SVC_ATTR_PE_NAME]);
  if (tb[IPVS_SVC_ATTR_FLAGS]) {
    ip_vs_flags flags;
    std::memcpy(&flags, nla_data(tb[IPVS_SVC_ATTR_FLAGS]), sizeof flags);
    svc.flags = flags.flags & ~kSvcHashed;
  }
  if (tb[IPVS_SVC_ATTR_TIMEOUT]) svc.timeout = nla_get_u32(tb[IPVS_SVC_ATTR_TIMEOUT]);
  svc.netmask = tb[IPVS_SVC_ATTR_NETMASK]
                    ? netmask_from_wire(svc.key.family, nla_get_u32(tb[IPVS_SVC_ATTR_NETMASK]))
                    : (svc.key.family == Family::v6 ? 128u : 0xffffffffu);
  if (tb[IPVS_SVC_ATTR_STATS64]) {
    st.stats = parse_stats(tb[IPVS_SVC_ATTR_STATS64]);
  } else if (tb[IPVS_SVC_ATTR_STATS]) {
    st.stats = parse_stats(tb[IPVS_SVC_ATTR_STATS]);
  }
  return st;
}

std::variant<DestStatus, Malformed> parse_dest(const nlattr* dest, Family service_family) {
  nla_policy policy[IPVS_DEST_ATTR_MAX + 1] = {};
  policy[IPVS_DEST_ATTR_ADDR].minlen = 4;
  policy[IPVS_DEST_ATTR_PORT].type = NLA_U16;
  policy[IPVS_DEST_ATTR_FWD_METHOD].type = NLA_U32;
  policy[IPVS_DEST_ATTR_WEIGHT].type = NLA_U32;
  policy[IPVS_DEST_ATTR_U_THRESH].type = NLA_U32;
  policy[IPVS_DEST_ATTR_L_THRESH].type = NLA_U32;
  policy[IPVS_DEST_ATTR_ACTIVE_CONNS].type = NLA_U32;
  policy[IPVS_DEST_ATTR_INACT_CONNS].type = NLA_U32;
  policy[IPVS_DEST_ATTR_PERSIST_CONNS].type = NLA_U32;
  policy[IPVS_DEST_ATTR_STATS].type = NLA_NESTED;
  policy[IPVS_DEST_ATTR_ADDR_FAMILY].type = NLA_U16;
  policy[IPVS_DEST_ATTR_STATS64].type = NLA_NESTED;
  nlattr* tb[IPVS_DEST_ATTR_MAX + 1];
  if (nla_parse_nested(tb, IPVS_DEST_ATTR_MAX, mut(dest), policy) < 0)
    return Malformed{"dest attributes fail their length checks"};
  if (!tb[IPVS_DEST_ATTR_ADDR] || !tb[IPVS_DEST_ATTR_PORT]) return Malformed{"dest without address or port"};
  uint16_t af = tb[IPVS_DEST_ATTR_ADDR_FAMILY] ? nla_get_u16(tb[IPVS_DEST_ATTR_ADDR_FAMILY])
                                               : af_of(service_family);
  auto addr = get_addr(tb[IPVS_DEST_ATTR_ADDR], af);
  if (!addr) return Malformed{"dest address of family " + std::to_string(af) + " or too short"};
  DestStatus st;
  Dest& d = st.dest;
  d.addr = *addr;
  d.port = ntohs(nla_get_u16(tb[IPVS_DEST_ATTR_PORT]));
  if (tb[IPVS_DEST_ATTR_FWD_METHOD])
    d.forward = static_cast<Forward>(nla_get_u32(tb[IPVS_DEST_ATTR_FWD_METHOD]) & IP_VS_CONN_F_FWD_MASK);
  if (tb[IPVS_DEST_ATTR_WEIGHT]) d.weight = static_cast<int>(nla_get_u32(tb[IPVS_DEST_ATTR_WEIGHT]));
  if (tb[IPVS_DEST_ATTR_U_THRESH]) d.u_threshold = nla_get_u32(tb[IPVS_DEST_ATTR_U_THRESH]);
  if (tb[IPVS_DEST_ATTR_L_THRESH]) d.l_threshold = nla_get_u32(tb[IPVS_DEST_ATTR_L_THRESH]);
  if (tb[IPVS_DEST_ATTR_ACTIVE_CONNS]) st.active_conns = nla_get_u32(tb[IPVS_DEST_ATTR_ACTIVE_CONNS]);
  if (tb[IPVS_DEST_ATTR_INACT_CONNS]) st.inact_conns = nla_get_u32(tb[IPVS_DEST_ATTR_INACT_CONNS]);
  if (tb[IPVS_DEST_ATTR_PERSIST_CONNS]) st.persist_conns = nla_get_u32(tb[IPVS_DEST_ATTR_PERSIST_CONNS]);
  if (tb[IPVS_DEST_ATTR_STATS64]) {
    st.stats = parse_stats(tb[IPVS_DEST_ATTR_STATS64]);
  } else if (tb[IPVS_DEST_ATTR_STATS]) {
    st.stats = parse_stats(tb[IPVS_DEST_ATTR_STATS]);
  }
  return st;
}

std::variant<SyncDaemon, Malformed> parse_daemon(const nlattr* daemon) {
  nla_policy policy[IPVS_DAEMON_ATTR_MAX + 1] = {};
  policy[IPVS_DAEMON_ATTR_STATE].type = NLA_U32;
  policy[IPVS_DAEMON_ATTR_MCAST_IFN].type = NLA_STRING;
  policy[IPVS_DAEMON_ATTR_SYNC_ID].type = NLA_U32;
  policy[IPVS_DAEMON_ATTR_SYNC_MAXLEN].type = NLA_U16;
  policy[IPVS_DAEMON_ATTR_MCAST_GROUP].type = NLA_U32;
  policy[IPVS_DAEMON_ATTR_MCAST_GROUP6].minlen = 16;
  policy[IPVS_DAEMON_ATTR_MCAST_PORT].type = NLA_U16;
  policy[IPVS_DAEMON_ATTR_MCAST_TTL].type = NLA_U8;
  nlattr* tb[IPVS_DAEMON_ATTR_MAX + 1];
  if (nla_parse_nested(tb, IPVS_DAEMON_ATTR_MAX, mut(daemon), policy) < 0)
    return Malformed{"daemon attributes fail their length checks"};
  if (!tb[IPVS_DAEMON_ATTR_STATE] || !tb[IPVS_DAEMON_ATTR_MCAST_IFN] || !tb[IPVS_DAEMON_ATTR_SYNC_ID])
    return Malformed{"daemon without state, interface or syncid"};
  SyncDaemon d;
  uint32_t state = nla_get_u32(tb[IPVS_DAEMON_ATTR_STATE]);
  if (state != IP_VS_STATE_MASTER && state != IP_VS_STATE_BACKUP)
    return Malformed{"daemon state " + std::to_string(state)};
  d.role = static_cast<SyncRole>(state);
  d.mcast_ifn = get_string(tb[IPVS_DAEMON_ATTR_MCAST_IFN]);
  d.syncid = nla_get_u32(tb[IPVS_DAEMON_ATTR_SYNC_ID]);
  if (tb[IPVS_DAEMON_ATTR_SYNC_MAXLEN]) d.maxlen = nla_get_u16(tb[IPVS_DAEMON_ATTR_SYNC_MAXLEN]);
  if (tb[IPVS_DAEMON_ATTR_MCAST_PORT]) d.port = nla_get_u16(tb[IPVS_DAEMON_ATTR_MCAST_PORT]);
  if (tb[IPVS_DAEMON_ATTR_MCAST_TTL]) d.ttl = nla_get_u8(tb[IPVS_DAEMON_ATTR_MCAST_TTL]);
  if (tb[IPVS_DAEMON_ATTR_MCAST_GROUP]) {
    IpAddress g;
    g.family = Family::v4;
    uint32_t raw = nla_get_u32(tb[IPVS_DAEMON_ATTR_MCAST_GROUP]);
    std::memcpy(g.bytes.data(), &raw, 4);
    d.group = g;
  } else if (tb[IPVS_DAEMON_ATTR_MCAST_GROUP6]) {
    IpAddress g;
    g.family = Family::v6;
    std::memcpy(g.bytes.data(), nla_data(tb[IPVS_DAEMON_ATTR_MCAST_GROUP6]), 16);
    d.group = g;
  }
  return d;
}

}  // namespace halb::director::backend::ipvs
