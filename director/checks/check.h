// director/checks/check.h: one check attempt against one real.
//
// An attempt is an object living on the daemon's event::Loop: a Checker
// starts it, it works through non-blocking sockets, libcurl's multi
// interface or (external checks only) a child process, and calls `done`
// exactly once with the verdict. It never blocks the loop, so a real that
// hangs on connect costs a file descriptor and a timer, never another
// real's check.
//
// `done` is never called from inside Checker::start() (a verdict known at once
// is delivered on the next loop iteration), and it may destroy the attempt.
// Destroying an attempt before it reports stops its watchers, closes its
// sockets, removes its curl handle and kills its child: it never reports.
//
// Timeouts (ldirectord's): connect, ping (per try) and external run under
// checktimeout; a negotiate exchange as a whole under negotiatetimeout, its
// TCP connect under checktimeout as well.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "director/checks/spec.h"
#include "lib/event/loop.h"

namespace halb::director::checks {

struct Result {
  bool up = false;
  std::string reason;  // why, in words for the log ("connect to 10.0.0.2:80: Connection refused")
};

class Check {
 public:
  using Done = std::function<void(Result)>;
  virtual ~Check() = default;
};

// What one attempt does. checktype=N alternates negotiate and connect
// (the monitor picks); a connect to a UDP virtual's real is a ping.
enum class Probe { connect, ping, negotiate, external, always_up };

// The probe for a spec's checktype (combined: its negotiate pass; off: none
// is ever run, the monitor does not check such reals).
Probe probe_for(const Spec& spec);

class CurlMulti;

// Starts attempts on one loop; holds what attempts share (libcurl's multi
// handle, made on the first check that needs it). Outlives every attempt it started.
class Checker {
 public:
  explicit Checker(event::Loop& loop);
  ~Checker();
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  std::unique_ptr<Check> start(const Spec& spec, Probe probe, Check::Done done);
  event::Loop& loop() { return loop_; }

 private:
  CurlMulti& curl();  // made on the first check that needs libcurl

  event::Loop& loop_;
  std::unique_ptr<CurlMulti> curl_;
};

}  // namespace halb::director::checks
