// director/backend/table.cc: see table.h.
#include "director/backend/table.h"

#include <algorithm>

namespace halb::director::backend {

bool same_attributes(const Service& a, const Service& b) {
  return a.key == b.key && a.scheduler == b.scheduler && (a.flags & ~kSvcHashed) == (b.flags & ~kSvcHashed) &&
         a.timeout == b.timeout && a.netmask == b.netmask && a.pe_name == b.pe_name;
}

void sort_table(Table& table) {
  auto dest_less = [](const Dest& a, const Dest& b) {
    return a.addr != b.addr ? a.addr < b.addr : a.port < b.port;
  };
  for (auto& s : table.services) std::sort(s.dests.begin(), s.dests.end(), dest_less);
  std::sort(table.services.begin(), table.services.end(),
            [](const Service& a, const Service& b) { return a.key < b.key; });
}

std::string describe(const ServiceKey& key) {
  switch (key.protocol) {
    case Protocol::fwmark:
      return "FWM " + std::to_string(key.fwmark) + (key.family == Family::v6 ? " IPv6" : "");
    case Protocol::udp:
      return "UDP " + endpoint_str(key.addr, key.port);
    case Protocol::tcp:
      break;
  }
  return "TCP " + endpoint_str(key.addr, key.port);
}

std::string describe(const Dest& dest) { return endpoint_str(dest.addr, dest.port); }

std::string_view forward_word(Forward f) {
  switch (f) {
    case Forward::masq: return "Masq";
    case Forward::local: return "Local";
    case Forward::tunnel: return "Tunnel";
    case Forward::route: return "Route";
  }
  return "?";
}

}  // namespace halb::director::backend
