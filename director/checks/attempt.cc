// director/checks/attempt.cc
#include "director/checks/attempt.h"

#include <utility>

namespace halb::director::checks {

Attempt::Attempt(event::Loop& loop, Done done)
    : loop_(loop),
      done_(std::move(done)),
      deadline_(loop, [this] { finish(false, deadline_reason_); }),
      soon_(loop, [this] { finish(pending_.up, pending_.reason); }) {}

void Attempt::arm_deadline(double seconds, std::string reason) {
  deadline_reason_ = std::move(reason);
  deadline_.start(seconds);
}

bool Attempt::open_stream(Stream& stream, const Spec& spec, bool udp, const std::string& what,
                          double connect_timeout) {
  std::string error;
  if (stream.open(spec.rip, spec.port, udp, error, connect_timeout)) return true;
  finish_soon(false, what + ": " + error);
  return false;
}

void Attempt::finish(bool up, std::string reason) {
  if (!done_) return;
  deadline_.stop();
  soon_.stop();
  halt();
  Done done = std::move(done_);
  done_ = nullptr;
  done(Result{up, std::move(reason)});  // may destroy *this
}

void Attempt::finish_soon(bool up, std::string reason) {
  if (!done_ || soon_.active()) return;
  pending_ = Result{up, std::move(reason)};
  soon_.start(0);
}

}  // namespace halb::director::checks
