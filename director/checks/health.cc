// director/checks/health.cc
#include "director/checks/health.h"

namespace halb::director::checks {

Health::Change Health::record(bool up) {
  Change c;
  if (up) {
    c.reset = failures_ > 0 && state_ == CheckState::up;
    failures_ = 0;
    c.changed = state_ != CheckState::up;
    state_ = CheckState::up;
    return c;
  }
  c.failures = ++failures_;
  if (state_ == CheckState::up && failures_ < failurecount_) {
    c.soft_failure = true;
    return c;
  }
  c.changed = state_ != CheckState::down;
  state_ = CheckState::down;
  return c;
}

void Alternation::record(Probe probe, bool up) {
  if (probe == Probe::negotiate)
    good_connects_ = up ? std::optional<int>(0) : std::nullopt;
  else
    good_connects_ = up ? std::optional<int>(good_connects_.value_or(0) + 1) : std::nullopt;
}

}  // namespace halb::director::checks
