// heartbeat/agents/agent.cc: see agent.h.
#include "heartbeat/agents/agent.h"

#include <cctype>

namespace halb::heartbeat {

std::string_view op_name(AgentOp op) {
  switch (op) {
    case AgentOp::start: return "start";
    case AgentOp::stop: return "stop";
    case AgentOp::status: return "status";
  }
  return "status";
}

static bool says_not_running(std::string_view out) {
  // The ResourceManager's pattern is `*[Nn][Oo][Tt] *[Rr]unning*`.
  for (size_t i = 0; i + 3 <= out.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(out[i])) != 'n' ||
        std::tolower(static_cast<unsigned char>(out[i + 1])) != 'o' ||
        std::tolower(static_cast<unsigned char>(out[i + 2])) != 't')
      continue;
    size_t j = i + 3;
    while (j < out.size() && out[j] == ' ') ++j;
    if (j + 7 <= out.size() && (out[j] == 'r' || out[j] == 'R') && out.substr(j + 1, 6) == "unning") return true;
  }
  return false;
}

bool output_says_running(std::string_view output) {
  if (says_not_running(output)) return false;
  return output.find("running") != std::string_view::npos || output.find("Running") != std::string_view::npos ||
         output.find("OK") != std::string_view::npos;
}

}  // namespace halb::heartbeat
