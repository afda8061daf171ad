// director/checks/monitor.h: keeps a check running for every real of a
// configuration and reports when a real goes up or down.
//
// Per real: a check every checkinterval (plus a few percent of jitter, and
// first checks spread over up to a second, so a thousand reals do not fire
// together); up to checkcount attempts make one check; failurecount
// consecutive failed checks bring an up real down, one passed check brings
// it up (health.h). Every real's attempt runs on its own sockets and
// timers, so one hanging real never delays another.
//
// configure() may be called again with a new configuration (reload): a real
// whose check is unchanged (same RealId, same Spec) keeps its state,
// failure count, running attempt and timer; a real whose check changed
// keeps its state and is checked again at once; reals no longer configured
// are dropped, their attempts cancelled. checktype=off virtuals are not
// checked at all.
//
// monitorfile=: every check's verdict is appended to that file as
// ldirectord does: "[localtime] [pid] tcp 10.0.0.1 80 10.0.0.2 80 [up] why"
// (the virtual and real ids with ':' runs turned into spaces).
//
// Logs (ldirectord's words): "Soft failure real server: R (tcp:V) failure
// k/N", "Resetting soft failure count: R (tcp:V)", and one warning per
// virtual whose service halb checks with a plain connect.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "director/checks/check.h"
#include "director/checks/health.h"
#include "director/checks/spec.h"
#include "director/config/model.h"
#include "director/reconcile/desired.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::director::checks {

using reconcile::RealId;

class Monitor {
 public:
  // A real's state flipped, or was decided by its first check.
  using Report = std::function<void(const RealId& id, CheckState state, const std::string& reason)>;

  struct Options {
    // Multiplies checkinterval and the first-check spread (tests run fast).
    double time_scale = 1.0;
    // First checks start within this many seconds (before time_scale).
    double first_spread = 1.0;
  };

  Monitor(event::Loop& loop, log::Logger& logger);
  Monitor(event::Loop& loop, log::Logger& logger, Options options);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  void set_report(Report report) { report_ = std::move(report); }
  // Start, keep or stop checks to match `config`.
  void configure(const config::Config& config);
  // Cancel every check; configure() starts again.
  void stop();
  // Seed a real's state before its first check (ldirectord trusts a real
  // already in the table with weight > 0 as up, so failurecount applies).
  void assume(const RealId& id, CheckState state);

  // What the checks say now; nullopt before a real's first verdict.
  std::optional<CheckState> state(const RealId& id) const;
  size_t watched() const { return reals_.size(); }

 private:
  struct Watched;
  void schedule(Watched& w, double delay);
  void begin_check(Watched& w);
  void begin_attempt(Watched& w);
  void attempt_done(Watched& w, Result result);
  void check_done(Watched& w, Result result);
  void warn_unsupported(const config::Virtual& v);
  void append_monitorfile(const Watched& w, const Result& result);
  // Destroy a finished or abandoned attempt on the next loop iteration.
  void bury(std::unique_ptr<Check> check);

  event::Loop& loop_;
  log::Logger& logger_;
  Options options_;
  Checker checker_;
  Report report_;
  std::map<RealId, std::unique_ptr<Watched>> reals_;
  std::vector<std::unique_ptr<Check>> graveyard_;
  event::Timer reaper_;
  std::map<RealId, CheckState> assumed_;
  std::set<std::string> warned_;
  std::minstd_rand rng_;
};

}  // namespace halb::director::checks
