// director/adm/backend_choice.cc: see backend_choice.h.
#include "director/adm/backend_choice.h"

#include <stdexcept>

// LvsdBackend arrives with the halb-lvsd branch; until it is merged this
// file builds without it and says so at run time.
#if __has_include("director/backend/lvsd_backend.h")
#include "director/backend/lvsd_backend.h"
#define HALB_ADM_HAVE_LVSD 1
#endif

namespace halb::director::adm {

std::optional<BackendKind> parse_backend_kind(std::string_view text) {
  if (text == "lvsd") return BackendKind::lvsd;
  if (text == "kernel") return BackendKind::kernel;
  if (text == "auto") return BackendKind::automatic;
  return std::nullopt;
}

std::optional<std::string> take_backend_options(std::vector<std::string>& args, BackendChoice& choice,
                                                const char* env_backend) {
  if (env_backend && *env_backend) {
    auto k = parse_backend_kind(env_backend);
    if (!k) return "HALB_ADM_BACKEND must be lvsd, kernel or auto, not `" + std::string(env_backend) + "'";
    choice.kind = *k;
  }
  std::vector<std::string> kept;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& w = args[i];
    std::optional<std::string> value;
    std::string name;
    for (const char* opt : {"--backend", "--lvsd-socket"}) {
      std::string o = opt;
      if (i > 0 && w == o) {
        name = o;
        if (i + 1 >= args.size()) return o + ": missing argument";
        value = args[++i];
      } else if (i > 0 && w.rfind(o + "=", 0) == 0) {
        name = o;
        value = w.substr(o.size() + 1);
      }
    }
    if (!value) {
      kept.push_back(w);
      continue;
    }
    if (name == "--backend") {
      auto k = parse_backend_kind(*value);
      if (!k) return "--backend must be lvsd, kernel or auto, not `" + *value + "'";
      choice.kind = *k;
    } else {
      if (value->empty()) return "--lvsd-socket needs a path";
      choice.lvsd_socket = *value;
    }
  }
  args = std::move(kept);
  return std::nullopt;
}

std::unique_ptr<backend::Backend> make_backend(const BackendChoice& choice) {
  switch (choice.kind) {
    case BackendKind::kernel: throw std::runtime_error("kernel IPVS backend not available in this build");
    case BackendKind::automatic:
    case BackendKind::lvsd: break;
  }
#ifdef HALB_ADM_HAVE_LVSD
  return std::make_unique<backend::LvsdBackend>(choice.lvsd_socket);
#else
  throw std::runtime_error("halb-lvsd backend not available in this build (socket " + choice.lvsd_socket + ")");
#endif
}

}  // namespace halb::director::adm
