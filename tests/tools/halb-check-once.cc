// tests/tools/halb-check-once: run one real's check, as halb-director would,
// and print the verdict. For integration tests and for trying a check by hand.
//
//   halb-check-once VIRTUAL REAL [DIRECTIVE=VALUE ...]
//   halb-check-once 127.0.0.1:3306 127.0.0.2:3306 service=mysql 'login="monitor"'
//       'passwd="secret"' 'request="SELECT 1"' negotiatetimeout=3
//
// VIRTUAL and REAL are written as in ldirectord.cf (`virtual=` value and the
// address[:port] of `real=`; "[v6]:port" makes them virtual6=/real6=); each further argument is one line of the
// virtual block, so defaults and checkport rules are the daemon's own. The
// checkcount attempts of one check are made. Prints "up: REASON" (exit 0)
// or "down: REASON" (exit 1); a bad configuration prints the reader's
// error and exits 2.
#include <cstdio>
#include <string>

#include "director/checks/check.h"
#include "director/config/ldirectord_cf.h"
#include "lib/event/loop.h"

using namespace halb;
using namespace halb::director;

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s VIRTUAL REAL [DIRECTIVE=VALUE ...]\n", argv[0]);
    return 2;
  }
  bool v6 = argv[1][0] == '[';  // "[::1]:80": virtual6= / real6=
  std::string text = std::string(v6 ? "virtual6=" : "virtual=") + argv[1] + (v6 ? "\n    real6=" : "\n    real=") +
                     argv[2] + " masq\n";
  for (int i = 3; i < argc; i++) text += std::string("    ") + argv[i] + "\n";
  config::Config cfg;
  try {
    cfg = config::parse_ldirectord_cf(text, "halb-check-once");
  } catch (const std::exception& e) {
    fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  if (cfg.virtuals.size() != 1 || cfg.virtuals[0].reals.empty()) {
    fprintf(stderr, "need exactly one virtual with a real\n");
    return 2;
  }
  const auto& v = cfg.virtuals[0];
  checks::Spec spec = checks::make_spec(v, v.reals[0]);
  if (v.checktype == config::CheckType::off) {
    printf("down: checktype off\n");
    return 1;
  }
  checks::Probe probe = checks::probe_for(spec);
  if (probe == checks::Probe::negotiate && !checks::negotiate_supported(spec.service)) {
    fprintf(stderr, "warning: service=%s is checked with a TCP connect\n", checks::service_name(spec.service));
    probe = checks::Probe::connect;
  }

  event::Loop loop(true);
  checks::Checker checker(loop);
  checks::Result result;
  std::unique_ptr<checks::Check> running;
  int attempt = 0;
  std::function<void()> next = [&] {
    attempt++;
    running = checker.start(spec, probe, [&](checks::Result r) {
      result = std::move(r);
      if (!result.up && attempt < spec.checkcount)
        loop.defer(next);
      else
        loop.stop();
    });
  };
  next();
  loop.run();
  printf("%s: %s\n", result.up ? "up" : "down", result.reason.c_str());
  return result.up ? 0 : 1;
}
