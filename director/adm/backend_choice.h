// director/adm/backend_choice.h: which virtual server table halb-adm talks to.
//
// `--backend lvsd|kernel|auto` (or HALB_ADM_BACKEND) and `--lvsd-socket
// PATH` are halb's own options, so they are taken out of the command line
// before ipvsadm's grammar sees it and may appear anywhere on it. The
// choice itself is the one every halb program makes
// (director/backend/choice.h): the kernel's IPVS, halb-lvsd, or auto = the
// kernel when its IPVS family resolves here, else halb-lvsd.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "director/backend/backend.h"

namespace halb::director::adm {

struct BackendChoice {
  std::string which = "auto";  // "auto", "lvsd" or "kernel"
  std::string lvsd_socket = "/run/halb/halb-lvsd.sock";
};

// Moves --backend[=]KIND and --lvsd-socket[=]PATH from args (args[0] is
// the program) into choice, starting from env_backend (HALB_ADM_BACKEND,
// may be null). Returns an error message for a bad or missing value.
std::optional<std::string> take_backend_options(std::vector<std::string>& args, BackendChoice& choice,
                                                const char* env_backend);

// The backend for a choice; throws std::runtime_error with a sentence for
// the operator when it cannot be had (no IPVS in this kernel, ...).
std::unique_ptr<backend::Backend> make_backend(const BackendChoice& choice);

}  // namespace halb::director::adm
