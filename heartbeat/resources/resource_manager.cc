// heartbeat/resources/resource_manager.cc: see resource_manager.h.
#include "heartbeat/resources/resource_manager.h"

#include <sstream>

namespace halb::heartbeat {

struct ResourceManager::Op {
  bool acquiring = true;
  std::vector<std::string> groups;
  Done done;
  size_t g = 0;         // current group
  int r = 0;            // current resource index
  int started_upto = -1;  // acquire: last index started by us (for rollback)
  bool rolling_back = false;
  int retries = 0;
  std::vector<std::string> failed;
};

ResourceManager::ResourceManager(event::Loop& loop, log::Logger& logger, AgentRegistry& agents,
                                 const HaResources& resources)
    : loop_(loop), logger_(logger), agents_(agents), resources_(resources) {
  retry_timer_ = std::make_unique<event::Timer>(loop_, [this] { stop_resource(); });
}

ResourceManager::~ResourceManager() { *alive_ = false; }

const ResourceGroup* ResourceManager::group(const std::string& key) const {
  for (auto& g : resources_.groups)
    if (g.key() == key) return &g;
  return nullptr;
}

static std::string describe(const ResourceGroup& g) {
  std::ostringstream s;
  s << g.node;
  for (auto& r : g.resources) s << ' ' << r.text;
  return s.str();
}

static std::string command_line(const std::string& path, const std::vector<std::string>& args, AgentOp op) {
  std::string s = path;
  for (auto& a : args) s += " " + a;
  return s + " " + std::string(op_name(op));
}

void ResourceManager::call(const ResourceSpec& spec, AgentOp op, std::function<void(AgentResult, bool)> done) {
  std::string error;
  Resolved res = agents_.resolve(spec, error);
  if (!res.agent) {
    logger_.error(error);
    done(AgentResult{5, error, false}, false);
    return;
  }
  if (op != AgentOp::status) logger_.info("Running " + command_line(res.path, res.args, op));
  std::weak_ptr<bool> alive = alive_;
  std::string agent_name = spec.agent;
  res.agent->run(op, res.args, [this, alive, op, agent_name, done = std::move(done)](AgentResult r) {
    if (alive.expired()) return;
    if (op != AgentOp::status) {
      std::istringstream lines(r.output);
      for (std::string line; std::getline(lines, line);)
        if (!line.empty()) logger_.info(agent_name + ": " + line);
    }
    done(std::move(r), true);
  });
}

void ResourceManager::acquire(std::vector<std::string> keys, Done done) {
  auto op = std::make_unique<Op>();
  op->acquiring = true;
  op->groups = std::move(keys);
  op->done = std::move(done);
  queue_.push_back(std::move(op));
  if (!current_) next();
}

void ResourceManager::release(std::vector<std::string> keys, Done done) {
  auto op = std::make_unique<Op>();
  op->acquiring = false;
  op->groups = std::move(keys);
  op->done = std::move(done);
  queue_.push_back(std::move(op));
  if (!current_) next();
}

void ResourceManager::next() {
  if (current_ || queue_.empty()) return;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  current_->g = 0;
  step();
}

// Begin the current group of the current op, or finish the op.
void ResourceManager::step() {
  Op& op = *current_;
  if (op.g >= op.groups.size()) {
    auto finished = std::move(current_);
    // Report from a fresh stack: the callback may queue more work.
    loop_.defer([this, finished = std::shared_ptr<Op>(std::move(finished))] {
      finished->done(finished->failed);
      next();
    });
    return;
  }
  const ResourceGroup* g = group(op.groups[op.g]);
  if (!g || g->resources.empty()) {
    logger_.error("unknown resource group " + op.groups[op.g]);
    op.failed.push_back(op.groups[op.g]);
    ++op.g;
    step();
    return;
  }
  op.retries = 0;
  op.rolling_back = false;
  op.started_upto = -1;
  if (op.acquiring) {
    logger_.info("Acquiring resource group: " + describe(*g));
    op.r = 0;
    start_resource();
  } else {
    logger_.info("Releasing resource group: " + describe(*g));
    op.r = static_cast<int>(g->resources.size()) - 1;
    stop_resource();
  }
}

void ResourceManager::finish_group(bool failed) {
  Op& op = *current_;
  if (failed) op.failed.push_back(op.groups[op.g]);
  ++op.g;
  step();
}

void ResourceManager::start_resource() {
  Op& op = *current_;
  const ResourceGroup& g = *group(op.groups[op.g]);
  if (op.r >= static_cast<int>(g.resources.size())) {
    finish_group(false);
    return;
  }
  const ResourceSpec& spec = g.resources[op.r];
  call(spec, AgentOp::status, [this, &spec](AgentResult st, bool located) {
    Op& op = *current_;
    if (located && output_says_running(st.output)) {
      ++op.r;  // already running: heartbeat skips it
      start_resource();
      return;
    }
    call(spec, AgentOp::start, [this, &spec](AgentResult r, bool) {
      Op& op = *current_;
      if (r.exit_code == 0 && !r.timed_out) {
        op.started_upto = op.r;
        ++op.r;
        start_resource();
        return;
      }
      logger_.error("Return code " + std::to_string(r.exit_code) + " from " + spec.text + " start" +
                    (r.timed_out ? " (timed out)" : ""));
      logger_.crit("Giving up resources due to failure of " + spec.text);
      // Undo what this group started, right to left.
      op.rolling_back = true;
      op.r = op.started_upto;
      stop_resource();
    });
  });
}

void ResourceManager::stop_resource() {
  Op& op = *current_;
  const ResourceGroup& g = *group(op.groups[op.g]);
  if (op.r < 0) {
    finish_group(op.rolling_back);
    return;
  }
  const ResourceSpec& spec = g.resources[op.r];
  call(spec, AgentOp::stop, [this, &spec](AgentResult r, bool located) {
    Op& op = *current_;
    if ((r.exit_code == 0 && !r.timed_out) || !located) {
      op.retries = 0;
      --op.r;
      stop_resource();
      return;
    }
    if (++op.retries < kStopRetries) {
      logger_.warn("Resource " + spec.text + " stop failed (rc=" + std::to_string(r.exit_code) + "), retrying");
      retry_timer_->start(1.0);
      return;
    }
    call(spec, AgentOp::status, [this, &spec](AgentResult st, bool) {
      Op& op = *current_;
      if (output_says_running(st.output)) {
        // heartbeat reboots the machine here; halb leaves that to the operator.
        logger_.crit("Resource STOP failure. Reboot required! (" + spec.text + ")");
        if (!op.rolling_back) op.failed.push_back(op.groups[op.g]);
      } else {
        logger_.warn("Resource " + spec.text + " stop failed but status says stopped: probably not LSB-compliant");
      }
      op.retries = 0;
      --op.r;
      stop_resource();
    });
  });
}

void ResourceManager::group_status(const std::string& key, std::function<void(bool)> done) {
  const ResourceGroup* g = group(key);
  if (!g) {
    done(false);
    return;
  }
  auto remaining = std::make_shared<size_t>(g->resources.size());
  auto all = std::make_shared<bool>(true);
  for (auto& spec : g->resources)
    call(spec, AgentOp::status, [remaining, all, done](AgentResult r, bool) {
      *all = *all && output_says_running(r.output);
      if (--*remaining == 0) done(*all);
    });
}

}  // namespace halb::heartbeat
