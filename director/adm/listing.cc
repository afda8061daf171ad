// director/adm/listing.cc: see listing.h. The printf formats are the ones
// ipvsadm 1.31 uses, kept as printf formats so widths stay checkable
// against its source line by line.
#include "director/adm/listing.h"

#include <cstdarg>
#include <cstdio>

namespace halb::director::adm {

using backend::Connection;
using backend::DestStatus;
using backend::Forward;
using backend::Protocol;
using backend::ServiceKey;
using backend::ServiceStatus;

namespace {

__attribute__((format(printf, 1, 2))) std::string strf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < static_cast<int>(sizeof small)) return std::string(small, n);
  std::string big(n + 1, '\0');
  va_start(ap, fmt);
  vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  big.resize(n);
  return big;
}

using ull = unsigned long long;

// Word i (0..3) of an address in host order, as libipvs reads
// addr.in6.s6_addr32[i] through ntohl; word 0 of IPv4 is the address.
uint32_t word(const IpAddress& a, int i) {
  const auto* b = a.bytes.data() + 4 * i;
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

int af_number(Family f) { return f == Family::v6 ? 10 : 2; }  // AF_INET6, AF_INET

// libipvs's address comparison: unsigned differences taken as int.
int compare_addr(Family af, const IpAddress& a, const IpAddress& b) {
  int r = 0;
  if (af == Family::v6) {
    for (int i = 0; !r && i < 4; i++) r = static_cast<int>(word(a, i) - word(b, i));
  } else {
    r = static_cast<int>(word(a, 0) - word(b, 0));
  }
  return r;
}

int compare_services(const ServiceStatus& x, const ServiceStatus& y) {
  const ServiceKey& a = x.service.key;
  const ServiceKey& b = y.service.key;
  bool fa = a.protocol == Protocol::fwmark, fb = b.protocol == Protocol::fwmark;
  int r = static_cast<int>((fa ? a.fwmark : 0u) - (fb ? b.fwmark : 0u));
  if (r) return r;
  r = af_number(a.family) - af_number(b.family);
  if (r) return r;
  r = key_protocol(a) - key_protocol(b);
  if (r) return r;
  // The kernel reports no address or port for fwmark services.
  static const IpAddress zero{};
  r = compare_addr(a.family, fa ? zero : a.addr, fb ? zero : b.addr);
  if (r) return r;
  return int{fa ? 0 : a.port} - int{fb ? 0 : b.port};
}

int compare_dests(const DestStatus& x, const DestStatus& y) {
  int r = compare_addr(x.dest.addr.family, x.dest.addr, y.dest.addr);
  if (r) return r;
  return int{x.dest.port} - int{y.dest.port};
}

// glibc 2.36's qsort for these element sizes: a top-down merge sort that
// takes from the left run while cmp <= 0. Reproducing it (rather than
// std::sort) keeps ipvsadm's order even where the comparator is not a
// consistent order.
template <class T, class Cmp>
void merge_sort(std::vector<T>& v, size_t lo, size_t n, std::vector<T>& tmp, Cmp cmp) {
  if (n <= 1) return;
  size_t n1 = n / 2, n2 = n - n1;
  merge_sort(v, lo, n1, tmp, cmp);
  merge_sort(v, lo + n1, n2, tmp, cmp);
  size_t i = lo, j = lo + n1, k = 0;
  while (n1 > 0 && n2 > 0) {
    if (cmp(v[i], v[j]) <= 0) {
      tmp[k++] = std::move(v[i++]);
      --n1;
    } else {
      tmp[k++] = std::move(v[j++]);
      --n2;
    }
  }
  while (n1 > 0) {
    tmp[k++] = std::move(v[i++]);
    --n1;
  }
  for (size_t m = 0; m < k; m++) v[lo + m] = std::move(tmp[m]);
}

template <class T, class Cmp>
void glibc_qsort(std::vector<T>& v, Cmp cmp) {
  std::vector<T> tmp(v.size());
  merge_sort(v, 0, v.size(), tmp, cmp);
}

const char* protocol_title(const ServiceKey& k) { return k.protocol == Protocol::udp ? "UDP" : "TCP"; }
const char* protocol_switch(const ServiceKey& k) { return k.protocol == Protocol::udp ? "-u" : "-t"; }

std::string sched_flags_text(const backend::Service& s) {
  std::string out;
  auto add = [&](uint32_t bit, const char* word) {
    if (s.flags & bit) out += std::string(word) + ",";
  };
  if (s.scheduler == "sh") {
    add(backend::kSvcSched1, "sh-fallback");
    add(backend::kSvcSched2, "sh-port");
  } else if (s.scheduler == "mh") {
    add(backend::kSvcSched1, "mh-fallback");
    add(backend::kSvcSched2, "mh-port");
  } else {
    add(backend::kSvcSched1, "flag-1");
    add(backend::kSvcSched2, "flag-2");
    add(backend::kSvcSched3, "flag-3");
  }
  if (!out.empty()) out.pop_back();
  return out;
}

constexpr uint32_t kSchedFlags = backend::kSvcSched1 | backend::kSvcSched2 | backend::kSvcSched3;

// " mask ..." / " -M ...": only when not the whole address.
std::string mask_text(const backend::Service& s, const char* word) {
  if (s.key.family == Family::v4) {
    if (s.netmask != 0xffffffffu) return strf(" %s %s", word, IpAddress::v4(s.netmask).str().c_str());
  } else if (s.netmask != 128) {
    return strf(" %s %i", word, static_cast<int>(s.netmask));
  }
  return "";
}

std::string service_label(const ServiceStatus& st, const ListFormat& f, Names& names) {
  const ServiceKey& k = st.service.key;
  if (k.protocol == Protocol::fwmark) {
    int mark = static_cast<int>(k.fwmark);  // ipvsadm prints it with %d
    bool v6 = k.family == Family::v6;
    if (f.rule) return v6 ? strf("-f %d -6", mark) : strf("-f %d", mark);
    return v6 ? strf("FWM  %d IPv6", mark) : strf("FWM  %d", mark);
  }
  std::string vname = endpoint_name(k.addr, k.port, key_protocol(k), f.numeric, names);
  if (f.rule) return strf("%s %s", protocol_switch(k), vname.c_str());
  std::string label = strf("%-4s %s", protocol_title(k), vname.c_str());
  if (k.family != Family::v6 && label.size() > 33) label.resize(33);
  return label;
}

std::string service_line(const ServiceStatus& st, const std::string& label, const ListFormat& f) {
  const backend::Service& s = st.service;
  std::string out;
  if (f.rule) {
    out = strf("-A %s -s %s", label.c_str(), s.scheduler.c_str());
    if (s.flags & backend::kSvcPersistent) {
      out += strf(" -p %u", s.timeout);
      out += mask_text(s, "-M");
    }
    if (!s.pe_name.empty()) out += " --pe " + s.pe_name;
    if (s.flags & backend::kSvcOnePacket) out += " -o";
    if (s.flags & kSchedFlags) out += " -b " + sched_flags_text(s);
  } else if (f.stats || f.rate) {
    const backend::Stats& x = st.stats;
    out = strf("%-33s", label.c_str());
    if (f.stats) {
      for (uint64_t v : {x.conns, x.inpkts, x.outpkts, x.inbytes, x.outbytes}) out += large_number(v, f.exact);
    } else {
      for (uint64_t v : {x.cps, x.inpps, x.outpps, x.inbps, x.outbps}) out += large_number(v, f.exact);
    }
  } else {
    out = label + " " + s.scheduler;
    if (s.flags & kSchedFlags) out += " (" + sched_flags_text(s) + ")";
    if (s.flags & backend::kSvcPersistent) {
      out += strf(" persistent %u", s.timeout);
      out += mask_text(s, "mask");
      if (!s.pe_name.empty()) out += " pe " + s.pe_name;
    }
    if (s.flags & backend::kSvcOnePacket) out += " ops";
  }
  return out + "\n";
}

const char* forward_switch(Forward f) {
  switch (f) {
    case Forward::masq: return "-m";
    case Forward::tunnel: return "-i";
    case Forward::local:
    case Forward::route: break;
  }
  return "-g";
}

std::string dest_line(const ServiceStatus& st, const std::string& label, const DestStatus& d, const ListFormat& f,
                      Names& names) {
  std::string dname = endpoint_name(d.dest.addr, d.dest.port, key_protocol(st.service.key), f.numeric, names);
  if (!f.rule && d.dest.addr.is_v4() && dname.size() > 28) dname.resize(28);
  const char* n = dname.c_str();
  // libipvs reads a dest's STATS64 with its 32-bit parser, so ipvsadm shows
  // a dest's connections, packets and rates modulo 2^32 (bytes in full);
  // the Debian 1.31 binary does this. Services are read correctly.
  backend::Stats x = d.stats;
  for (uint64_t* v : {&x.conns, &x.inpkts, &x.outpkts, &x.cps, &x.inpps, &x.outpps, &x.inbps, &x.outbps})
    *v &= 0xffffffffULL;
  const char* fwd = backend::forward_word(d.dest.forward).data();
  if (f.rule) {
    std::string line = strf("-a %s -r %s %s -w %d", label.c_str(), n, forward_switch(d.dest.forward), d.dest.weight);
    // halb's dests only know IPIP encapsulation, the kernel's type 0.
    if (d.dest.forward == Forward::tunnel) line += " --tun-type ipip";
    return line + "\n";
  }
  if (f.stats) {
    std::string line = strf("  -> %-28s", n);
    for (uint64_t v : {x.conns, x.inpkts, x.outpkts, x.inbytes, x.outbytes}) line += large_number(v, f.exact);
    return line + "\n";
  }
  if (f.rate) {
    std::string line = strf("  -> %-28s %8llu %8llu %8llu", n, ull{x.cps}, ull{x.inpps}, ull{x.outpps});
    line += large_number(x.inbps, f.exact);
    line += large_number(x.outbps, f.exact);
    return line + "\n";
  }
  if (f.thresholds)
    return strf("  -> %-28s %-10u %-10u %-10u %-10u\n", n, d.dest.u_threshold, d.dest.l_threshold, d.active_conns,
                d.inact_conns);
  if (f.persistent_conn)
    return strf("  -> %-28s %-9u %-11u %-10u %-10u\n", n, static_cast<unsigned>(d.dest.weight), d.persist_conns,
                d.active_conns, d.inact_conns);
  if (f.tun_info)
    return strf("  -> %-28s %-7s %-13s %-6d %-10u %-10u\n", n, fwd, d.dest.forward == Forward::tunnel ? "ipip" : "n/a",
                d.dest.weight, d.active_conns, d.inact_conns);
  return strf("  -> %-28s %-7s %-6d %-10u %-10u\n", n, fwd, d.dest.weight, d.active_conns, d.inact_conns);
}

std::string title(const ListFormat& f) {
  if (f.stats)
    return strf("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Conns", "InPkts",
                "OutPkts", "InBytes", "OutBytes");
  if (f.rate)
    return strf("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "CPS", "InPPS",
                "OutPPS", "InBPS", "OutBPS");
  if (f.thresholds)
    return strf("%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Uthreshold",
                "Lthreshold", "ActiveConn", "InActConn");
  if (f.persistent_conn)
    return strf("%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port", "Weight",
                "PersistConn", "ActiveConn", "InActConn");
  if (f.tun_info)
    return "Prot LocalAddress:Port Scheduler Flags\n"
           "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n";
  if (!f.rule)
    return "Prot LocalAddress:Port Scheduler Flags\n"
           "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
  return "";
}

std::string service_entry(ServiceStatus& st, const ListFormat& f, Names& names) {
  std::string label = service_label(st, f, names);
  std::string out = service_line(st, label, f);
  if (!f.nosort) sort_dests(st.dests);
  for (const auto& d : st.dests) out += dest_line(st, label, d, f, names);
  return out;
}

}  // namespace

int key_protocol(const ServiceKey& key) {
  switch (key.protocol) {
    case Protocol::tcp: return kProtoTcp;
    case Protocol::udp: return kProtoUdp;
    case Protocol::fwmark: break;
  }
  return 0;
}

std::string large_number(uint64_t i, bool exact) {
  if (exact) {
    int len = static_cast<int>(std::to_string(i).size());
    return strf("%*llu", len <= 8 ? 9 : len + 1, ull{i});
  }
  if (i < 100000000ULL) return strf("%9llu", ull{i});
  if (i < 1000000000ULL) return strf("%8lluK", ull{i / 1000});
  if (i < 100000000000ULL) return strf("%8lluM", ull{i / 1000000});
  if (i < 100000000000000ULL) return strf("%8lluG", ull{i / 1000000000ULL});
  return strf("%8lluT", ull{i / 1000000000000ULL});
}

void sort_services(std::vector<ServiceStatus>& services) { glibc_qsort(services, compare_services); }
void sort_dests(std::vector<DestStatus>& dests) { glibc_qsort(dests, compare_dests); }

std::string format_table(const backend::Info& info, std::vector<ServiceStatus> services, const ListFormat& f,
                         Names& names) {
  std::string out;
  if (!f.rule)
    out += strf("IP Virtual Server version %u.%u.%u (size=%d)\n", (info.version >> 16) & 0xff,
                (info.version >> 8) & 0xff, info.version & 0xff, static_cast<int>(info.conn_tab_size));
  if (!f.nosort) sort_services(services);
  out += title(f);
  for (auto& st : services) out += service_entry(st, f, names);
  return out;
}

std::string format_one_service(ServiceStatus service, const ListFormat& f, Names& names) {
  return title(f) + service_entry(service, f, names);
}

std::string format_timeouts(const backend::Timeouts& t) {
  return strf("Timeout (tcp tcpfin udp): %d %d %d\n", static_cast<int>(t.tcp), static_cast<int>(t.tcp_fin),
              static_cast<int>(t.udp));
}

std::string format_daemons(const std::vector<backend::SyncDaemon>& daemons) {
  std::string out;
  for (const auto& d : daemons) {
    const char* role = d.role == backend::SyncRole::master ? "master" : "backup";
    out += strf("%s sync daemon (mcast=%s, syncid=%d", role, d.mcast_ifn.c_str(), static_cast<int>(d.syncid));
    if (d.maxlen) out += strf(", maxlen=%u", unsigned{d.maxlen});
    if (d.group) out += ", group=" + d.group->str();
    if (d.port) out += strf(", port=%u", unsigned{d.port});
    if (d.ttl) out += strf(", ttl=%u", unsigned{d.ttl});
    out += ")\n";
  }
  return out;
}

std::string format_connections(const std::vector<Connection>& conns, const ListFormat& f, Names& names) {
  std::string out = "IPVS connection entries\n";
  if (f.persistent_conn)
    out += strf("pro expire %-11s %-18s %-18s %-18s %-16s %s\n", "state", "source", "virtual", "destination",
                "pe name", "pe_data");
  else
    out += strf("pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual", "destination");
  for (const auto& c : conns) {
    const char* proto = c.protocol == Protocol::tcp ? "TCP" : c.protocol == Protocol::udp ? "UDP" : "IP";
    int pnum = c.protocol == Protocol::tcp ? kProtoTcp : c.protocol == Protocol::udp ? kProtoUdp : 0;
    std::string cname = endpoint_name(c.client_addr, c.client_port, pnum, f.numeric, names);
    std::string vname = endpoint_name(c.virtual_addr, c.virtual_port, pnum, f.numeric, names);
    std::string dname = endpoint_name(c.dest_addr, c.dest_port, pnum, f.numeric, names);
    std::string expire = strf("%02d:%02d", static_cast<int>(c.expires_s / 60), static_cast<int>(c.expires_s % 60));
    out += strf("%-3s %-6s %-11s %-18s %-18s %s\n", proto, expire.c_str(), c.state.c_str(), cname.c_str(),
                vname.c_str(), dname.c_str());
  }
  return out;
}

}  // namespace halb::director::adm
