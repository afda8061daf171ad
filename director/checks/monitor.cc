// director/checks/monitor.cc
#include "director/checks/monitor.h"

#include <unistd.h>

#include <ctime>
#include <functional>
#include <memory>

namespace halb::director::checks {

struct Monitor::Watched {
  Watched(event::Loop& loop, RealId id_, Spec spec_, std::optional<CheckState> initial)
      : id(std::move(id_)),
        spec(std::move(spec_)),
        health(spec.failurecount, initial),
        alternation(spec.combined_every),
        timer(loop, [this] { fire(); }) {}

  RealId id;
  Spec spec;
  std::string real_name;     // "10.0.0.2:80"
  std::string virtual_name;  // "tcp:10.0.0.1:80", "fwm:7"
  Health health;
  Alternation alternation;
  std::shared_ptr<char> token = std::make_shared<char>();  // outlived by buried attempts' callbacks
  std::function<void()> fire;  // the timer's work: the next check
  event::Timer timer;
  std::unique_ptr<Check> running;
  Probe probe = Probe::connect;
  int attempt = 0;
};

namespace {

std::string virtual_id(const config::Virtual& v) {
  if (v.fwmark) return "fwm:" + std::to_string(*v.fwmark);
  return std::string(v.protocol == config::Protocol::udp ? "udp:" : "tcp:") + endpoint_str(v.addr, v.port);
}

}  // namespace

Monitor::Monitor(event::Loop& loop, log::Logger& logger) : Monitor(loop, logger, Options{}) {}

Monitor::Monitor(event::Loop& loop, log::Logger& logger, Options options)
    : loop_(loop),
      logger_(logger),
      options_(options),
      checker_(loop),
      reaper_(loop, [this] { graveyard_.clear(); }),
      rng_(std::random_device{}()) {}

Monitor::~Monitor() {
  reals_.clear();
  graveyard_.clear();
}

void Monitor::stop() {
  for (auto& [id, w] : reals_) bury(std::move(w->running));
  reals_.clear();
}

void Monitor::assume(const RealId& id, CheckState state) {
  auto it = reals_.find(id);
  if (it != reals_.end() && !it->second->health.state())
    it->second->health = Health(it->second->spec.failurecount, state);
  else
    assumed_[id] = state;
}

std::optional<CheckState> Monitor::state(const RealId& id) const {
  auto it = reals_.find(id);
  if (it == reals_.end()) return std::nullopt;
  return it->second->health.state();
}

void Monitor::warn_unsupported(const config::Virtual& v) {
  if (v.checktype != CheckType::negotiate && v.checktype != CheckType::combined) return;
  if (negotiate_supported(v.service)) return;
  std::string key = virtual_id(v) + "/" + service_name(v.service);
  if (!warned_.insert(key).second) return;
  logger_.warn("service=" + std::string(service_name(v.service)) + " of virtual " + virtual_id(v) +
               " (line " + std::to_string(v.line) +
               ") is not negotiated by halb-director; its reals are checked with a TCP connect");
}

void Monitor::configure(const config::Config& config) {
  std::map<RealId, std::unique_ptr<Watched>> next;
  std::uniform_real_distribution<double> spread(0, options_.first_spread * options_.time_scale);
  for (const auto& v : config.virtuals) {
    if (v.checktype == CheckType::off) continue;
    warn_unsupported(v);
    for (const auto& r : v.reals) {
      RealId id = reconcile::real_id(v, r);
      if (next.count(id)) continue;  // listed twice: one check serves both
      Spec spec = make_spec(v, r);
      auto old = reals_.find(id);
      if (old != reals_.end() && old->second->spec == spec) {
        next[id] = std::move(old->second);
        reals_.erase(old);
        continue;
      }
      std::optional<CheckState> initial;
      if (old != reals_.end()) initial = old->second->health.state();
      if (auto a = assumed_.find(id); a != assumed_.end() && !initial) initial = a->second;
      auto w = std::make_unique<Watched>(loop_, id, spec, initial);
      w->real_name = endpoint_str(r.addr, spec.port);
      w->virtual_name = virtual_id(v);
      schedule(*w, old != reals_.end() ? 0 : spread(rng_));
      next[id] = std::move(w);
    }
  }
  assumed_.clear();
  // What is left of the old map is dropped and its attempts cancelled. One
  // of them may be reporting right now (a report handler that reloads), so
  // attempts die on the next iteration.
  for (auto& [id, w] : reals_) bury(std::move(w->running));
  reals_ = std::move(next);
}

void Monitor::schedule(Watched& w, double delay) {
  Watched* wp = &w;
  w.fire = [this, wp] { begin_check(*wp); };
  w.timer.start(delay);
}

void Monitor::bury(std::unique_ptr<Check> check) {
  if (!check) return;
  graveyard_.push_back(std::move(check));
  if (!reaper_.active()) reaper_.start(0);
}

void Monitor::begin_check(Watched& w) {
  w.attempt = 0;
  w.probe = w.spec.checktype == CheckType::combined ? w.alternation.next() : probe_for(w.spec);
  if (w.probe == Probe::negotiate && !negotiate_supported(w.spec.service)) w.probe = Probe::connect;
  if (w.probe == Probe::connect && w.spec.udp) w.probe = Probe::ping;
  begin_attempt(w);
}

void Monitor::begin_attempt(Watched& w) {
  w.attempt++;
  Watched* wp = &w;
  std::weak_ptr<char> alive = w.token;
  w.running = checker_.start(w.spec, w.probe, [this, wp, alive](Result r) {
    if (!alive.expired()) attempt_done(*wp, std::move(r));
  });
}

void Monitor::attempt_done(Watched& w, Result result) {
  bury(std::move(w.running));  // we are inside its callback
  if (!result.up && w.attempt < w.spec.checkcount) {
    logger_.debug("check " + std::to_string(w.attempt) + "/" + std::to_string(w.spec.checkcount) + " of " +
                  w.real_name + " (" + w.virtual_name + ") failed: " + result.reason);
    return begin_attempt(w);
  }
  check_done(w, std::move(result));
}

void Monitor::append_monitorfile(const Watched& w, const Result& result) {
  std::string id = w.virtual_name + " " + w.real_name, spaced;
  for (char c : id)
    if (c != ':' || spaced.empty() || spaced.back() != ' ') spaced += c == ':' ? ' ' : c;
  time_t now = time(nullptr);
  struct tm tm {};
  localtime_r(&now, &tm);
  char stamp[64];
  strftime(stamp, sizeof stamp, "%a %b %e %H:%M:%S %Y", &tm);
  FILE* f = fopen(w.spec.monitorfile.c_str(), "ae");
  if (!f) {
    logger_.limited("monitorfile:" + w.spec.monitorfile, log::Level::warn,
                    "cannot append to monitorfile " + w.spec.monitorfile);
    return;
  }
  fprintf(f, "[%s] [%d] %s [%s] %s\n", stamp, static_cast<int>(getpid()), spaced.c_str(), result.up ? "up" : "down",
          result.reason.c_str());
  fclose(f);
}

void Monitor::check_done(Watched& w, Result result) {
  if (!w.spec.monitorfile.empty()) append_monitorfile(w, result);
  if (w.spec.checktype == CheckType::combined) w.alternation.record(w.probe, result.up);
  Health::Change c = w.health.record(result.up);
  if (c.reset) logger_.info("Resetting soft failure count: " + w.real_name + " (" + w.virtual_name + ")");
  if (c.soft_failure) {
    logger_.info("Soft failure real server: " + w.real_name + " (" + w.virtual_name + ") failure " +
                 std::to_string(c.failures) + "/" + std::to_string(w.spec.failurecount));
    logger_.debug(w.real_name + " (" + w.virtual_name + "): " + result.reason);
  }
  double jitter = std::uniform_real_distribution<double>(-0.05, 0.05)(rng_);
  schedule(w, w.spec.checkinterval * options_.time_scale * (1 + jitter));
  if (c.changed && report_) {
    CheckState state = *w.health.state();
    RealId id = w.id;
    report_(id, state, result.reason);  // may reconfigure: w may be gone now
  }
}

}  // namespace halb::director::checks
