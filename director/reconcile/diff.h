// director/reconcile/diff.h: the operations that turn one table into another.
//
// diff(current, wanted) lists what a backend must do so that `current`
// becomes `wanted`, and nothing more: equal tables give no ops, so a
// reconcile pass after every check costs nothing when nothing changed, and a
// restart or reload over a live table touches only what differs.
//
// Order (deterministic, and chosen so a service never loses all its dests
// in between):
//   for each wanted service, by key:
//     add_service (then add_dest for each of its dests), or edit_service if
//     its attributes differ; then add_dest / edit_dest by dest; then
//     del_dest for current dests no longer wanted;
//   then del_service for each current service not wanted, by key.
// So when a real comes back the fallback is deleted after the real is
// restored, and when the last real goes the fallback is added before the
// real is quiesced or deleted.
//
// `current` is what the caller manages: like ldirectord, which leaves
// services it never configured alone, the daemon passes only the services
// of its old and new config.
#pragma once

#include <string>
#include <vector>

#include "director/backend/table.h"

namespace halb::director::reconcile {

enum class OpKind { add_service, edit_service, del_service, add_dest, edit_dest, del_dest };

struct Op {
  OpKind kind;
  backend::Service service;  // attributes (no dests); for *_dest the service it belongs to
  backend::Dest dest;        // for *_dest
  bool operator==(const Op& o) const;
};

std::vector<Op> diff(const backend::Table& current, const backend::Table& wanted);

// "add dest 192.168.131.77:3306 to TCP 192.168.131.105:3306 (Route, weight 1)": for logs and tests.
std::string describe(const Op& op);

}  // namespace halb::director::reconcile
