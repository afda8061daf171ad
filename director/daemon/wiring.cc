// director/daemon/wiring.cc: see wiring.h.
#include "director/daemon/wiring.h"

#include "director/backend/choice.h"
#include "director/checks/monitor.h"

namespace halb::director::daemon {

std::unique_ptr<backend::Backend> make_backend(const Invocation& inv, std::string& error) {
  return backend::make_backend(inv.backend, inv.lvsd_socket, error);
}

namespace {

class MonitorChecks : public RealChecks {
 public:
  MonitorChecks(event::Loop& loop, log::Logger& logger) : monitor_(loop, logger) {}
  void set_report(Report report) override { monitor_.set_report(std::move(report)); }
  void assume(const RealId& id, CheckState state) override { monitor_.assume(id, state); }
  void configure(const config::Config& config) override { monitor_.configure(config); }
  void stop() override { monitor_.stop(); }

 private:
  checks::Monitor monitor_;
};

}  // namespace

std::unique_ptr<RealChecks> make_real_checks(event::Loop& loop, log::Logger& logger) {
  return std::make_unique<MonitorChecks>(loop, logger);
}

}  // namespace halb::director::daemon
