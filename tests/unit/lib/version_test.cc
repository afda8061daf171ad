// tests/unit/lib/version_test.cc: the version line and when it is asked for.
#include "lib/version/version.h"

#include <gtest/gtest.h>

#include <vector>

namespace halb::version {
namespace {

bool ask(std::vector<const char*> args, ShortV short_v = kLongOnly) {
  args.insert(args.begin(), "halb-x");
  return asked(static_cast<int>(args.size()), const_cast<char**>(args.data()), short_v);
}

TEST(Version, LineIsNameSpaceConfiguresVersion) {
  EXPECT_EQ(line("halb-mgmd"), std::string("halb-mgmd ") + PACKAGE_VERSION);
}

TEST(Version, LongOptionAnywhereBeforeDoubleDash) {
  EXPECT_TRUE(ask({"--version"}));
  EXPECT_TRUE(ask({"-f", "config.ini", "--version"}));
  EXPECT_FALSE(ask({}));
  EXPECT_FALSE(ask({"--", "--version"}));
  EXPECT_FALSE(ask({"--versions"}));
  EXPECT_FALSE(ask({"--version=1"}));
}

TEST(Version, ShortVOnlyWhereTheAnchorHasIt) {
  EXPECT_FALSE(ask({"-V"}));
  EXPECT_TRUE(ask({"-V"}, kShortV));
  EXPECT_TRUE(ask({"--version"}, kShortV));
  EXPECT_FALSE(ask({"-v"}, kShortV));
  EXPECT_FALSE(ask({"-Vx"}, kShortV));
}

}  // namespace
}  // namespace halb::version
