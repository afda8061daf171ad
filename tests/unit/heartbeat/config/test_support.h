// tests/unit/heartbeat/config/test_support.h: what the three reader tests
// share: where the data and the seed's sample files are, and how to get the
// exact message a reader throws, since operators see that text as is.
#pragma once

#include <functional>
#include <string>

#include "lib/config/reader.h"

namespace halb::heartbeat::testing {

inline const std::string kData = HALB_TEST_DATA;                            // tests/unit/heartbeat/data
inline const std::string kSeed = std::string(HALB_SRC_DIR) + "/etc/ha.d";  // the seed's files, as shipped

// The ConfigError's full text ("file:line: why"), or "no error".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace halb::heartbeat::testing
