// tests/unit/director/checks/check_helpers.h: running one attempt to its verdict.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "director/checks/check.h"
#include "tests/unit/director/checks/test_servers.h"

namespace halb::director::checks::testing {

inline Spec local_spec(uint16_t port, Service service = Service::none, CheckType type = CheckType::negotiate) {
  Spec s;
  s.rip = *IpAddress::parse("127.0.0.1");
  s.vip = *IpAddress::parse("127.0.0.100");
  s.vport = 80;
  s.port = port;
  s.service = service;
  s.checktype = type;
  s.checktimeout = 2;
  s.negotiatetimeout = 2;
  return s;
}

struct Outcome {
  Result result;
  int calls = 0;
  double seconds = 0;
};

// Starts one attempt and runs the loop until it reports (or `limit`), then
// a little longer to catch a second report.
inline Outcome run_check(event::Loop& loop, Checker& checker, const Spec& spec, Probe probe, double limit = 10) {
  Outcome out;
  auto t0 = std::chrono::steady_clock::now();
  auto check = checker.start(spec, probe, [&](Result r) {
    if (out.calls++ == 0) {
      out.result = std::move(r);
      out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  });
  run_until(loop, [&] { return out.calls > 0; }, limit);
  run_for(loop, 0.02);
  return out;
}

}  // namespace halb::director::checks::testing
