// director/reconcile/diff.cc: see diff.h.
#include "director/reconcile/diff.h"

#include <algorithm>

namespace halb::director::reconcile {

using backend::Dest;
using backend::Service;

bool Op::operator==(const Op& o) const {
  return kind == o.kind && backend::same_attributes(service, o.service) && dest == o.dest;
}

namespace {

Service attributes_of(const Service& s) {
  Service a = s;
  a.dests.clear();
  return a;
}

const Service* find_service(const backend::Table& t, const backend::ServiceKey& key) {
  auto it = std::lower_bound(t.services.begin(), t.services.end(), key,
                             [](const Service& s, const backend::ServiceKey& k) { return s.key < k; });
  return it != t.services.end() && it->key == key ? &*it : nullptr;
}

const Dest* find_dest(const Service& s, const Dest& d) {
  for (const auto& x : s.dests)
    if (backend::same_dest(x, d)) return &x;
  return nullptr;
}

void diff_dests(const Service& cur, const Service& want, const Service& attrs, std::vector<Op>& ops) {
  for (const auto& d : want.dests) {
    const Dest* c = find_dest(cur, d);
    if (!c) ops.push_back({OpKind::add_dest, attrs, d});
    else if (!(*c == d)) ops.push_back({OpKind::edit_dest, attrs, d});
  }
  for (const auto& d : cur.dests)
    if (!find_dest(want, d)) ops.push_back({OpKind::del_dest, attrs, d});
}

}  // namespace

std::vector<Op> diff(const backend::Table& current_in, const backend::Table& wanted_in) {
  backend::Table current = current_in, wanted = wanted_in;
  backend::sort_table(current);
  backend::sort_table(wanted);
  std::vector<Op> ops;
  for (const auto& want : wanted.services) {
    Service attrs = attributes_of(want);
    const Service* cur = find_service(current, want.key);
    if (!cur) {
      ops.push_back({OpKind::add_service, attrs, {}});
      for (const auto& d : want.dests) ops.push_back({OpKind::add_dest, attrs, d});
      continue;
    }
    if (!backend::same_attributes(*cur, want)) ops.push_back({OpKind::edit_service, attrs, {}});
    diff_dests(*cur, want, attrs, ops);
  }
  for (const auto& cur : current.services)
    if (!find_service(wanted, cur.key)) ops.push_back({OpKind::del_service, attributes_of(cur), {}});
  return ops;
}

std::string describe(const Op& op) {
  std::string svc = backend::describe(op.service.key);
  auto dest_detail = [&] {
    return " (" + std::string(backend::forward_word(op.dest.forward)) + ", weight " + std::to_string(op.dest.weight) + ")";
  };
  switch (op.kind) {
    case OpKind::add_service: return "add service " + svc + " " + op.service.scheduler;
    case OpKind::edit_service: return "edit service " + svc + " " + op.service.scheduler;
    case OpKind::del_service: return "delete service " + svc;
    case OpKind::add_dest: return "add dest " + backend::describe(op.dest) + " to " + svc + dest_detail();
    case OpKind::edit_dest: return "edit dest " + backend::describe(op.dest) + " in " + svc + dest_detail();
    case OpKind::del_dest: return "delete dest " + backend::describe(op.dest) + " from " + svc;
  }
  return "?";
}

}  // namespace halb::director::reconcile
