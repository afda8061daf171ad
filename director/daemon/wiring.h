// director/daemon/wiring.h: the parts halb-director's main() chooses at run
// time: which backend holds the table, and the real checks.
#pragma once

#include <memory>
#include <string>

#include "director/backend/backend.h"
#include "director/daemon/director.h"
#include "director/daemon/invocation.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::director::daemon {

// --backend auto|lvsd|kernel; nullptr with `error` set when unavailable.
std::unique_ptr<backend::Backend> make_backend(const Invocation& inv, std::string& error);

// The monitor of director/checks behind the RealChecks interface.
std::unique_ptr<RealChecks> make_real_checks(event::Loop& loop, log::Logger& logger);

}  // namespace halb::director::daemon
