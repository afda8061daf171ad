// director/checks/health.h: the bookkeeping between check verdicts and a
// real's state, with no clock and no sockets so every rule is a unit test.
//
// Health (failurecount): a real starts unknown; its first check decides
// up or down at once. While up, a failed check is a "soft failure" until
// failurecount consecutive ones bring it down; one passed check brings a
// down real up and resets the count (ldirectord's rules).
//
// Alternation (checktype=N): the first pass negotiates; then passes connect
// while fewer than N connects in a row have passed; after N good connects
// the next pass negotiates again. A failed connect forces a negotiate next,
// and so does a failed negotiate (halb keeps negotiating until the service
// answers, rather than letting a bare connect bring the real back).
#pragma once

#include <optional>

#include "director/checks/check.h"
#include "director/reconcile/desired.h"

namespace halb::director::checks {

using reconcile::CheckState;

class Health {
 public:
  struct Change {
    bool changed = false;     // the state flipped (or was decided the first time)
    bool soft_failure = false;  // failed while up, below failurecount
    bool reset = false;       // passed after soft failures
    int failures = 0;         // consecutive failed checks
  };

  explicit Health(int failurecount, std::optional<CheckState> initial = std::nullopt)
      : failurecount_(failurecount < 1 ? 1 : failurecount), state_(initial) {}

  Change record(bool up);
  std::optional<CheckState> state() const { return state_; }
  int failures() const { return failures_; }
  void set_failurecount(int n) { failurecount_ = n < 1 ? 1 : n; }

 private:
  int failurecount_;
  std::optional<CheckState> state_;
  int failures_ = 0;
};

class Alternation {
 public:
  explicit Alternation(int every) : every_(every < 1 ? 1 : every) {}
  Probe next() const { return good_connects_ && *good_connects_ < every_ ? Probe::connect : Probe::negotiate; }
  void record(Probe probe, bool up);

 private:
  int every_;
  std::optional<int> good_connects_;  // none: negotiate next
};

}  // namespace halb::director::checks
