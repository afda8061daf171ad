// director/checks/attempt.h: what every check attempt shares: the deadline,
// and reporting exactly once.
#pragma once

#include <string>

#include "director/checks/check.h"
#include "lib/event/loop.h"

namespace halb::director::checks {

class Attempt : public Check {
 protected:
  Attempt(event::Loop& loop, Done done);

  // Fail with `reason` if no verdict came within `seconds`.
  void arm_deadline(double seconds, std::string reason);
  // Report the verdict. The owner may destroy *this inside: the caller
  // returns at once and touches no member afterwards.
  void finish(bool up, std::string reason);
  // Report on the next loop iteration (a verdict known while starting).
  void finish_soon(bool up, std::string reason);
  bool finished() const { return !done_; }
  // Stop sockets, handles and children before the verdict goes out.
  virtual void halt() {}

  event::Loop& loop_;

 private:
  Done done_;
  event::Timer deadline_;
  std::string deadline_reason_;
  event::Timer soon_;
  Result pending_;
};

}  // namespace halb::director::checks
