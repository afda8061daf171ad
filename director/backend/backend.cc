// director/backend/backend.cc: see backend.h.
#include "director/backend/backend.h"

namespace halb::director::backend {

Table Backend::table() {
  Table t;
  for (auto& s : services()) {
    Service svc = std::move(s.service);
    svc.dests.clear();
    for (auto& d : s.dests) svc.dests.push_back(d.dest);
    t.services.push_back(std::move(svc));
  }
  sort_table(t);
  return t;
}

}  // namespace halb::director::backend
