// Unit tests for lib/config/reader.
#include "lib/config/reader.h"

#include <gtest/gtest.h>

using namespace halb::config;

TEST(Reader, SplitsCommentsAndContinuations) {
  auto lines = split_lines("# head\nkeepalive 2 # two seconds\n\nnode a \\\n  b\\\n c\nlast");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].number, 2);
  EXPECT_EQ(lines[0].text, "keepalive 2");
  EXPECT_EQ(lines[1].number, 4);
  EXPECT_EQ(lines[1].text, "node a b c");
  EXPECT_EQ(lines[2].number, 7);
  EXPECT_EQ(lines[2].text, "last");
}

TEST(Reader, ContinuationOnLastLineKeepsText) {
  auto lines = split_lines("a \\");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "a");
}

TEST(Reader, CrLfLines) {
  auto lines = split_lines("a 1\r\nb 2\r\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].text, "b 2");
}

TEST(Reader, Durations) {
  EXPECT_EQ(parse_duration_ms("2"), 2000);
  EXPECT_EQ(parse_duration_ms("0.5"), 500);
  EXPECT_EQ(parse_duration_ms("200ms"), 200);
  EXPECT_EQ(parse_duration_ms("200MS"), 200);
  EXPECT_EQ(parse_duration_ms("1500us"), 2);
  EXPECT_EQ(parse_duration_ms("10us"), 1);
  EXPECT_FALSE(parse_duration_ms("ms"));
  EXPECT_FALSE(parse_duration_ms("-1"));
  EXPECT_FALSE(parse_duration_ms("1x"));
}

TEST(Reader, BoolsIntsSizes) {
  EXPECT_EQ(parse_bool("Yes"), true);
  EXPECT_EQ(parse_bool("off"), false);
  EXPECT_FALSE(parse_bool("maybe"));
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_EQ(parse_int("-3"), -3);
  EXPECT_FALSE(parse_int("4x"));
  EXPECT_EQ(parse_size("80M"), 80ull * 1024 * 1024);
  EXPECT_EQ(parse_size("18k"), 18ull * 1024);
  EXPECT_FALSE(parse_size("M"));
}

TEST(Reader, ErrorCarriesFileAndLine) {
  ConfigError e("/etc/ha.d/ha.cf", 7, "Illegal directive [foo]");
  EXPECT_STREQ(e.what(), "/etc/ha.d/ha.cf:7: Illegal directive [foo]");
  EXPECT_EQ(e.line(), 7);
  EXPECT_THROW(read_lines("/nonexistent/file"), ConfigError);
}
