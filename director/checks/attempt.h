// director/checks/attempt.h: what every check attempt shares: the deadline,
// and reporting exactly once.
#pragma once

#include <string>

#include "director/checks/check.h"
#include "director/checks/spec.h"
#include "director/checks/stream.h"
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
  // Start `stream` towards the check's real server. When not even the
  // socket can be made, the verdict "`what`: why" goes out on the next loop
  // iteration and false comes back.
  bool open_stream(Stream& stream, const Spec& spec, bool udp, const std::string& what,
                   double connect_timeout = 0);
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
