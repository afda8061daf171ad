// director/daemon/director.cc: see director.h.
#include "director/daemon/director.h"

#include <algorithm>

#include "director/reconcile/diff.h"

namespace halb::director::daemon {

namespace {

std::string proto_word(const config::Virtual& v) {
  if (v.fwmark) return "fwm";
  return v.protocol == config::Protocol::udp ? "udp" : "tcp";
}

// The services a configuration owns; the director never touches others.
std::set<backend::ServiceKey> owned(const config::Config& c) {
  std::set<backend::ServiceKey> keys;
  for (const auto& v : c.virtuals) keys.insert(reconcile::service_key(v));
  return keys;
}

backend::Table only(const backend::Table& t, const std::set<backend::ServiceKey>& keys) {
  backend::Table out;
  for (const auto& s : t.services)
    if (keys.count(s.key)) out.services.push_back(s);
  return out;
}

const config::Virtual* virtual_of(const config::Config& c, const backend::ServiceKey& key) {
  for (const auto& v : c.virtuals)
    if (reconcile::service_key(v) == key) return &v;
  return nullptr;
}

// emailalertstatus: which of the daemon's states may send mail.
bool status_allows(const config::EmailStatus& s, Phase phase, bool stopping, bool reloading) {
  if (stopping) return s.stopping;
  if (reloading) return s.reloading;
  return phase == Phase::start ? s.starting : s.running;
}

}  // namespace

Director::Director(event::Loop& loop, log::Logger& logger, backend::Backend& backend, RealChecks& checks,
                   CommandRunner& commands, MailSender mail)
    : loop_(loop),
      logger_(logger),
      backend_(backend),
      checks_(checks),
      commands_(commands),
      mail_(std::move(mail)),
      resync_timer_(loop, [this] { resync(); }),
      reminder_timer_(loop, [this] { remind(); }) {
  checks_.set_report([this](const RealId& id, CheckState s, const std::string& why) { on_check(id, s, why); });
}

Director::~Director() { checks_.set_report(nullptr); }

void Director::start(config::Config config) {
  config_ = std::move(config);
  states_.clear();
  // ldirectord trusts a real already serving (weight > 0) until checked.
  try {
    backend::Table current = backend_.table();
    for (const auto& v : config_.virtuals) {
      auto key = reconcile::service_key(v);
      for (const auto& s : current.services) {
        if (s.key != key) continue;
        for (const auto& r : v.reals) {
          uint16_t port = reconcile::dest_port(v, r.forward, r.port);
          for (const auto& d : s.dests)
            if (d.addr == r.addr && d.port == port && d.weight > 0) states_[reconcile::real_id(v, r)] = CheckState::up;
        }
      }
    }
  } catch (const backend::BackendError& e) {
    logger_.error(std::string("cannot read the virtual server table: ") + e.what());
  }
  reconcile(Phase::start, nullptr, true);
  for (const auto& [id, state] : states_) checks_.assume(id, state);
  checks_.configure(config_);
  resync_timer_.start(10, 10);
  reminder_timer_.start(1, 1);
}

void Director::reload(config::Config config) {
  config::Config previous = std::move(config_);
  config_ = std::move(config);
  // Reals that are still configured keep their verdict; others are forgotten.
  reconcile::CheckStates kept;
  for (const auto& v : config_.virtuals)
    for (const auto& r : v.reals) {
      auto id = reconcile::real_id(v, r);
      if (auto it = states_.find(id); it != states_.end()) kept[id] = it->second;
    }
  states_ = std::move(kept);
  reloading_ = true;
  reconcile(Phase::start, &previous, true);
  reloading_ = false;
  checks_.configure(config_);
}

void Director::stop() {
  stopping_ = true;
  checks_.stop();
  resync_timer_.stop();
  reminder_timer_.stop();
  run_fallback_commands(true);
  backend::Table current;
  try {
    current = only(backend_.table(), owned(config_));
  } catch (const backend::BackendError& e) {
    logger_.error(std::string("cannot read the virtual server table: ") + e.what());
    return;
  }
  for (const auto& s : current.services) {
    const config::Virtual* v = virtual_of(config_, s.key);
    if (!v || !v->effective.cleanstop) continue;
    backend::Service attrs = s;
    attrs.dests.clear();
    for (const auto& d : s.dests) apply(reconcile::Op{reconcile::OpKind::del_dest, attrs, d}, Phase::stop);
    apply(reconcile::Op{reconcile::OpKind::del_service, attrs, {}}, Phase::stop);
  }
}

void Director::on_check(const RealId& id, CheckState state, const std::string& reason) {
  if (stopping_) return;
  auto it = states_.find(id);
  CheckState before = it == states_.end() ? CheckState::down : it->second;
  bool known = it != states_.end();
  states_[id] = state;
  if (known && before == state) return;
  if (!reason.empty()) logger_.debug("check " + endpoint_str(id.addr, id.port) + ": " + reason);
  reconcile(Phase::running, nullptr, false);
}

void Director::resync() {
  if (!stopping_) reconcile(Phase::running, nullptr, true);
}

void Director::reconcile(Phase phase, const config::Config* previous, bool reread) {
  std::set<backend::ServiceKey> keys = owned(config_);
  if (previous) {
    auto old = owned(*previous);
    keys.insert(old.begin(), old.end());
  }
  // A check verdict diffs against the table as we last left it: reading and
  // parsing the whole backend table per verdict made a thousand reals'
  // first checks quadratic. Start, reload and the resync timer read it.
  if (reread || !known_) {
    try {
      known_ = only(backend_.table(), keys);
    } catch (const backend::BackendError& e) {
      known_.reset();
      logger_.limited("table-read", log::Level::error,
                      std::string("cannot read the virtual server table: ") + e.what());
      return;
    }
  }
  backend::Table current = only(*known_, keys);
  backend::Table wanted = reconcile::desired_table(config_, states_);
  failed_ops_ = 0;
  bool skipped = false;
  for (const auto& op : reconcile::diff(current, wanted)) {
    // readdquiescent=no: a down real someone removed stays out.
    if (phase == Phase::running && op.kind == reconcile::OpKind::add_dest && op.dest.weight == 0 &&
        !config_.global.readdquiescent) {
      skipped = true;
      continue;
    }
    apply(op, phase);
  }
  if (failed_ops_ == 0 && !skipped)
    known_ = std::move(wanted);
  else
    known_.reset();  // unsure what the backend holds: read it next time
  run_fallback_commands(false);
}

void Director::apply(const reconcile::Op& op, Phase phase) {
  using reconcile::OpKind;
  try {
    switch (op.kind) {
      case OpKind::add_service: backend_.add_service(op.service); break;
      case OpKind::edit_service: backend_.edit_service(op.service); break;
      case OpKind::del_service: backend_.del_service(op.service.key); break;
      case OpKind::add_dest: backend_.add_dest(op.service.key, op.dest); break;
      case OpKind::edit_dest: backend_.edit_dest(op.service.key, op.dest); break;
      case OpKind::del_dest: backend_.del_dest(op.service.key, op.dest); break;
    }
  } catch (const backend::BackendError& e) {
    ++failed_ops_;
    logger_.error("Failed to " + reconcile::describe(op) + ": " + e.what());
    return;
  }
  std::string line = op_log_line(op, config_, phase);
  if (phase == Phase::running && op.kind == OpKind::add_dest && op.dest.weight == 0) line = "Readd " + line;
  logger_.info(line);
  bool real_change = op.kind == OpKind::add_dest || op.kind == OpKind::edit_dest || op.kind == OpKind::del_dest;
  if (real_change)
    if (const config::Virtual* v = virtual_of(config_, op.service.key)) {
      if (status_allows(v->effective.emailalertstatus, phase, stopping_, reloading_)) send_alert(*v, line);
    }
}

void Director::run_fallback_commands(bool stopping) {
  for (const auto& v : config_.virtuals) {
    const std::string& cmd = v.effective.fallbackcommand;
    if (cmd.empty()) continue;
    auto key = reconcile::service_key(v);
    bool started = fallback_started_[key];
    bool want = !stopping && v.checktype != config::CheckType::off && !reconcile::any_real_up(v, states_);
    if (want == started) continue;
    fallback_started_[key] = want;
    std::string target = v.fwmark ? std::to_string(*v.fwmark) : endpoint_str(v.addr, v.port);
    std::string line = cmd + (want ? " start " : " stop ") + target + " " + proto_word(v);
    logger_.info("Running fallbackcommand: " + line);
    commands_.run_shell(line, "fallbackcommand");
  }
}

void Director::send_alert(const config::Virtual& v, const std::string& subject) {
  const auto& to = v.effective.emailalert;
  if (to.empty() || !mail_) return;
  std::string body = subject + "\n";
  if (!v.servicename.empty()) body += "Service: " + v.servicename + "\n";
  if (!v.comment.empty()) body += "Comment: " + v.comment + "\n";
  mail_(to, v.effective.emailalertfrom, subject, body);
}

// emailalertfreq: "Inaccessible real server" reminders while a real stays down.
void Director::remind() {
  double now = loop_.now();
  for (const auto& v : config_.virtuals) {
    if (v.effective.emailalert.empty() || v.effective.emailalertfreq <= 0 || !v.effective.emailalertstatus.running)
      continue;
    for (const auto& r : v.reals) {
      auto id = reconcile::real_id(v, r);
      auto st = states_.find(id);
      if (st == states_.end() || st->second == CheckState::up) {
        last_reminder_.erase(id);
        continue;
      }
      auto [it, fresh] = last_reminder_.emplace(id, now);
      if (fresh || now - it->second < v.effective.emailalertfreq) continue;
      it->second = now;
      send_alert(v, "Inaccessible real server: " + endpoint_str(r.addr, reconcile::dest_port(v, r.forward, r.port)) +
                        " (" + virtual_name(reconcile::service_key(v)) + ")");
    }
  }
}

}  // namespace halb::director::daemon
