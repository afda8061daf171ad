// lib/control/client.h: one request to a daemon's control socket (for the
// command-line tools; blocking, with a timeout).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace halb::control {

// Send `request` as one line and return the reply. Throws std::runtime_error
// when the socket is absent, refuses, or does not answer within timeout_s.
nlohmann::json request(const std::string& socket_path, const nlohmann::json& request, double timeout_s = 5.0);

}  // namespace halb::control
