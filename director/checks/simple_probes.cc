// director/checks/simple_probes.cc: connect, and the verdict known at once
// (checktype=on, service=none).
#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

class AlwaysUp : public Attempt {
 public:
  AlwaysUp(event::Loop& loop, std::string reason, Done done) : Attempt(loop, std::move(done)) {
    finish_soon(true, std::move(reason));
  }
};

// A TCP connect within checktimeout; closed again at once.
class Connect : public Attempt {
 public:
  Connect(event::Loop& loop, const Spec& spec, Done done)
      : Attempt(loop, std::move(done)),
        name_(target_name(spec)),
        stream_(loop, {[this] { finish(true, "connected to " + name_); },
                       [] {},
                       [this](std::string why) { finish(false, "connect to " + name_ + ": " + why); }}) {
    if (!open_stream(stream_, spec, false, "connect to " + name_)) return;
    arm_deadline(spec.checktimeout, "connect to " + name_ + ": timed out");
  }
  void halt() override { stream_.close(); }

 private:
  std::string name_;
  Stream stream_;
};

}  // namespace

std::unique_ptr<Check> start_always_up(event::Loop& loop, std::string reason, Done done) {
  return std::make_unique<AlwaysUp>(loop, std::move(reason), std::move(done));
}

std::unique_ptr<Check> start_connect(event::Loop& loop, const Spec& spec, Done done) {
  return std::make_unique<Connect>(loop, spec, std::move(done));
}

}  // namespace halb::director::checks
