// heartbeat/agents/registry.cc: see registry.h.
#include "heartbeat/agents/registry.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>

#include "heartbeat/agents/script_agent.h"
#include "lib/config/reader.h"

namespace halb::heartbeat {

static bool executable_file(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

static std::string own_dir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string p(buf, static_cast<size_t>(n));
  auto slash = p.rfind('/');
  return slash == std::string::npos ? std::string() : p.substr(0, slash);
}

AgentRegistry::AgentRegistry(event::Loop& loop, log::Logger& logger, Options options)
    : loop_(loop), logger_(logger), options_(std::move(options)) {
  if (options_.program_dir.empty()) options_.program_dir = own_dir();
}

void AgentRegistry::add_builtin(const std::string& classic_name, Factory factory) {
  factories_[config::lower(classic_name)] = std::move(factory);
}

void AgentRegistry::add_program(const std::string& classic_name, const std::string& program) {
  programs_[config::lower(classic_name)] = program;
}

Agent* AgentRegistry::script(const std::string& path) {
  auto& slot = instances_[path];
  if (!slot) slot = std::make_unique<ScriptAgent>(loop_, logger_, path, options_.timeout_s);
  return slot.get();
}

Resolved AgentRegistry::resolve(const ResourceSpec& spec, std::string& error) {
  std::string key = config::lower(spec.agent);
  if (auto f = factories_.find(key); f != factories_.end()) {
    auto& slot = instances_["builtin:" + key];
    if (!slot) slot = f->second();
    return Resolved{slot.get(), "built-in " + spec.agent, spec.args};
  }
  if (auto p = programs_.find(key); p != programs_.end()) {
    std::string path = options_.program_dir + "/" + p->second;
    if (executable_file(path)) return Resolved{script(path), path, spec.args};
  }
  for (const std::string& dir : {options_.config_dir + "/resource.d", options_.init_dir}) {
    std::string path = dir + "/" + spec.agent;
    if (executable_file(path)) return Resolved{script(path), path, spec.args};
  }
  error = "Cannot locate resource script " + spec.agent;
  return {};
}

void AgentRegistry::cancel_all() {
  for (auto& [_, a] : instances_) a->cancel();
}

}  // namespace halb::heartbeat
