// director/adm/backend_choice.cc: see backend_choice.h.
#include "director/adm/backend_choice.h"

#include <stdexcept>

#include "director/backend/choice.h"

namespace halb::director::adm {

namespace {

bool known(const std::string& which) { return which == "auto" || which == "lvsd" || which == "kernel"; }

}  // namespace

std::optional<std::string> take_backend_options(std::vector<std::string>& args, BackendChoice& choice,
                                                const char* env_backend) {
  if (env_backend && *env_backend) {
    if (!known(env_backend))
      return "HALB_ADM_BACKEND must be lvsd, kernel or auto, not `" + std::string(env_backend) + "'";
    choice.which = env_backend;
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
      if (!known(*value)) return "--backend must be lvsd, kernel or auto, not `" + *value + "'";
      choice.which = *value;
    } else {
      if (value->empty()) return "--lvsd-socket needs a path";
      choice.lvsd_socket = *value;
    }
  }
  args = std::move(kept);
  return std::nullopt;
}

std::unique_ptr<backend::Backend> make_backend(const BackendChoice& choice) {
  std::string error;
  auto b = backend::make_backend(choice.which, choice.lvsd_socket, error);
  if (!b) throw std::runtime_error(error);
  return b;
}

}  // namespace halb::director::adm
