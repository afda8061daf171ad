// director/daemon/director.h: what halb-director does between its checks
// and the virtual server table.
//
// Check results arrive from a RealChecks (the monitor in director/checks,
// or a fake in unit tests); after every change of state, and after start
// and reload, the director computes the wanted table with the pure
// reconcile::desired_table(), diffs it against what the backend holds for
// the services of this configuration, applies the difference and logs each
// change with ldirectord's words (op_log.h). It never forks a tool to
// change the table; it only runs the operator's fallbackcommand, callback
// and sendmail (commands.h).
//
// ldirectord's rules kept here rather than in the pure function, because
// they depend on history:
//  - at start, a real already in the table with weight > 0 is trusted as
//    up until its first check says otherwise;
//  - fallbackcommand runs `start` when a virtual enters "no real up" (also
//    at start, when every real begins down) and `stop` when it leaves it;
//  - readdquiescent=no: a quiescent real someone removed from the table by
//    hand is not put back while it stays down;
//  - on stop, services with cleanstop=yes are purged.
// halb also runs `fallbackcommand stop` at shutdown for a virtual it
// started it for (users asked ldirectord for this, ClusterLabs #750).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "director/backend/backend.h"
#include "director/config/model.h"
#include "director/daemon/commands.h"
#include "director/daemon/op_log.h"
#include "director/reconcile/desired.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::director::daemon {

using reconcile::CheckState;
using reconcile::RealId;

// The checks as the director sees them: given a configuration, keep a check
// running for every real of it and report each verdict.
class RealChecks {
 public:
  using Report = std::function<void(const RealId& id, CheckState state, const std::string& reason)>;
  virtual ~RealChecks() = default;
  virtual void set_report(Report report) = 0;
  // A real trusted as up before its first check (already serving at start),
  // so its failurecount applies as for any up real.
  virtual void assume(const RealId& id, CheckState state) {}
  // Start, keep or stop checks so they match `config`; reals whose check did
  // not change keep their state and timers.
  virtual void configure(const config::Config& config) = 0;
  virtual void stop() = 0;
};

// Where alerts go; the program passes a sendmail-backed one.
using MailSender = std::function<void(const std::vector<std::string>& to, const std::string& from,
                                      const std::string& subject, const std::string& body)>;

class Director {
 public:
  Director(event::Loop& loop, log::Logger& logger, backend::Backend& backend, RealChecks& checks,
           CommandRunner& commands, MailSender mail);
  ~Director();

  void start(config::Config config);
  // A new configuration (reload, autoreload): services and reals that did
  // not change keep their state and connections.
  void reload(config::Config config);
  // Purge the services with cleanstop=yes, stop the fallback commands.
  void stop();

  // A check verdict (public for the RealChecks callback and tests).
  void on_check(const RealId& id, CheckState state, const std::string& reason);
  // Re-read the backend and put right whatever differs (someone ran
  // halb-adm -C, halb-lvsd restarted); also run by a timer.
  void resync();

  const config::Config& config() const { return config_; }
  const reconcile::CheckStates& states() const { return states_; }
  // Ops that failed on the last pass (the daemon retries on the next resync).
  size_t failed_ops() const { return failed_ops_; }

 private:
  // reread: take the backend's table instead of the one last left there.
  void reconcile(Phase phase, const config::Config* previous, bool reread);
  void apply(const reconcile::Op& op, Phase phase);
  void run_fallback_commands(bool stopping);
  void send_alert(const config::Virtual& v, const std::string& subject);
  void remind();

  event::Loop& loop_;
  log::Logger& logger_;
  backend::Backend& backend_;
  RealChecks& checks_;
  CommandRunner& commands_;
  MailSender mail_;
  config::Config config_;
  reconcile::CheckStates states_;
  std::optional<backend::Table> known_;  // our services as we last left them
  std::map<backend::ServiceKey, bool> fallback_started_;  // fallbackcommand start ran, no stop yet
  std::map<RealId, double> last_reminder_;
  size_t failed_ops_ = 0;
  bool stopping_ = false;
  bool reloading_ = false;
  event::Timer resync_timer_;
  event::Timer reminder_timer_;
};

}  // namespace halb::director::daemon
