// director/backend/choice.cc: see choice.h.
#include "director/backend/choice.h"

#include "director/backend/kernel_ipvs.h"
#include "director/backend/lvsd_backend.h"

namespace halb::director::backend {

std::unique_ptr<Backend> make_backend(const std::string& which, const std::string& lvsd_socket, std::string& error) {
  if (which == "lvsd") return std::make_unique<LvsdBackend>(lvsd_socket);
  if (which == "kernel" || (which == "auto" && KernelIpvsBackend::available())) {
    try {
      return std::make_unique<KernelIpvsBackend>();
    } catch (const BackendError& e) {
      error = std::string("the kernel's IPVS is not available here (") + e.what() +
              "); load ip_vs, or use --backend lvsd with halb-lvsd running";
      return nullptr;
    }
  }
  if (which == "auto") return std::make_unique<LvsdBackend>(lvsd_socket);
  error = "unknown backend '" + which + "' (auto, lvsd or kernel)";
  return nullptr;
}

}  // namespace halb::director::backend
