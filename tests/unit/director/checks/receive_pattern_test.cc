// tests/unit/director/checks/receive_pattern_test.cc: ldirectord's receive
// patterns through PCRE2.
#include "director/checks/receive_pattern.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>

namespace halb::director::checks {
namespace {

TEST(ReceivePattern, PerlSyntaxSearchedNotAnchored) {
  std::string error;
  EXPECT_TRUE(receive_matches("", "anything", error));
  EXPECT_TRUE(receive_matches("state: (running|ok)", "HTTP/1.0 200\r\n\r\nstate: ok\n", error));
  EXPECT_TRUE(receive_matches("\\d{3} OK", "HTTP/1.1 200 OK", error));
  EXPECT_TRUE(receive_matches("(?<=state: )running", "state: running", error));  // lookbehind: Perl, not ECMAScript
  EXPECT_TRUE(receive_matches("(?i)ALIVE", "alive", error));
  EXPECT_FALSE(receive_matches("ALIVE", "alive", error));  // case matters, as in Perl without /i
  EXPECT_FALSE(receive_matches("^ok$", "not ok", error));
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_TRUE(receive_matches("a\\x00b", std::string("a\0b", 3), error));  // bytes, NUL included
}

// std::regex recursed once per character: ".*OK" against a 32 KB page
// overflowed the stack and ended halb-director.
TEST(ReceivePattern, LongAnswersDoNotExhaustTheStack) {
  std::string page(128 << 10, 'a');  // four times what crashed
  std::string error;
  for (auto [p, end] : {std::pair{".*OK", "OK"}, {"(a|b)*OK", "OK"}, {"(.|\\n)*x", "x"}, {"[a-z]+ok", "ok"}}) {
    EXPECT_FALSE(receive_matches(p, page, error)) << p;
    EXPECT_TRUE(receive_matches(p, page + end, error)) << p << ": " << error;
  }
}

// Catastrophic backtracking is cut off: the check fails with a reason
// instead of holding the director's loop.
TEST(ReceivePattern, RunawayBacktrackingFailsWithAReason) {
  std::string error;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(receive_matches("(a+)+$", std::string(64, 'a') + "b", error));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_NE(error.find("limit"), std::string::npos) << error;
}

TEST(ReceivePattern, BadPatternSaysWhere) {
  std::string error;
  EXPECT_FALSE(receive_matches("([unclosed", "x", error));
  EXPECT_NE(error.find("bad receive pattern \"([unclosed\""), std::string::npos) << error;
  EXPECT_NE(error.find("at offset"), std::string::npos) << error;
}

}  // namespace
}  // namespace halb::director::checks
