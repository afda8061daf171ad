// director/adm/backend_choice.h: which virtual server table halb-adm talks to.
//
// `--backend lvsd|kernel|auto` (or HALB_ADM_BACKEND) picks halb-lvsd's
// control socket (`--lvsd-socket PATH`) or the kernel's IPVS. These are
// halb's own options, so they are taken out of the command line before
// ipvsadm's grammar sees it and may appear anywhere on it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "director/backend/backend.h"

namespace halb::director::adm {

enum class BackendKind { automatic, lvsd, kernel };

struct BackendChoice {
  BackendKind kind = BackendKind::automatic;
  std::string lvsd_socket = "/run/halb/halb-lvsd.sock";
};

// "lvsd", "kernel", "auto"; nullopt otherwise.
std::optional<BackendKind> parse_backend_kind(std::string_view text);

// Moves --backend[=]KIND and --lvsd-socket[=]PATH from args (args[0] is
// the program) into choice, starting from env_backend (HALB_ADM_BACKEND,
// may be null). Returns an error message for a bad or missing value.
std::optional<std::string> take_backend_options(std::vector<std::string>& args, BackendChoice& choice,
                                                const char* env_backend);

// The backend for a choice. For now "auto" means halb-lvsd: the kernel
// backend is a later issue, and choosing it throws a runtime_error saying
// it is not in this build.
std::unique_ptr<backend::Backend> make_backend(const BackendChoice& choice);

}  // namespace halb::director::adm
