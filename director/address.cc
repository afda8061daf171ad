// director/address.cc: see address.h.
#include "director/address.h"

namespace halb::director {

std::string endpoint_str(const IpAddress& addr, uint16_t port) {
  if (addr.is_v4()) return addr.str() + ":" + std::to_string(port);
  return "[" + addr.str() + "]:" + std::to_string(port);
}

}  // namespace halb::director
