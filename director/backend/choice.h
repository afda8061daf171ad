// director/backend/choice.h: which backend a program talks to.
//
//   kernel  the kernel's IPVS over generic netlink
//   lvsd    halb-lvsd over its control socket
//   auto    kernel when the IPVS family resolves in this namespace, else
//           halb-lvsd
// halb-director, halb-adm and halb-syncswap all choose the same way.
#pragma once

#include <memory>
#include <string>

#include "director/backend/backend.h"

namespace halb::director::backend {

// nullptr with `error` set (a sentence for the operator) when the choice
// cannot be honoured.
std::unique_ptr<Backend> make_backend(const std::string& which, const std::string& lvsd_socket, std::string& error);

}  // namespace halb::director::backend
