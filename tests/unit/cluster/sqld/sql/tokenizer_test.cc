// Unit tests: the MySQL tokenizer (quoting, escapes, comments, literals).
#include "cluster/sqld/sql/tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace halb::cluster::sqld {
namespace {

using K = Token::Kind;

std::vector<Token> toks(std::string_view sql) {
  auto r = tokenize(sql);
  EXPECT_EQ(r.error, "") << sql;
  return r.tokens;
}

TEST(Tokenizer, WordsIdentifiersAndNumbers) {
  auto t = toks("SELECT `a``b`, x1, 12, 1.5, 2e3, .5 FROM t");
  ASSERT_EQ(t.size(), 15u);
  EXPECT_TRUE(t[0].is_word("select"));
  EXPECT_EQ(t[1].kind, K::kQuotedIdent);
  EXPECT_EQ(t[1].text, "a`b");
  EXPECT_EQ(t[3].kind, K::kWord);
  EXPECT_EQ(t[5].kind, K::kNumber);
  EXPECT_EQ(t[7].text, "1.5");
  EXPECT_EQ(t[9].text, "2e3");
  EXPECT_EQ(t[11].text, ".5");
  EXPECT_EQ(t.back().kind, K::kEnd);
}

TEST(Tokenizer, StringsWithBackslashEscapesAndDoubledQuotes) {
  auto t = toks(R"(SELECT 'x\'y', 'it''s', "dq\"x", 'a\nb', 'l\%')");
  EXPECT_EQ(t[1].text, "x'y");
  EXPECT_EQ(t[3].text, "it's");
  EXPECT_EQ(t[5].text, "dq\"x");
  EXPECT_EQ(t[7].text, "a\nb");
  EXPECT_EQ(t[9].text, "l\\%");  // kept for LIKE
}

TEST(Tokenizer, AdjacentStringsConcatenate) {
  auto t = toks("SELECT 'a' 'b'  \"c\"");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].text, "abc");
}

TEST(Tokenizer, CommentsAreSkippedAndVersionedOnesRun) {
  auto t = toks("SELECT 1 # comment\n -- another\n /* block */ , 2 /*! , 3 */ /*!50100 , 4 */");
  std::vector<std::string> texts;
  for (auto& x : t)
    if (x.kind != K::kEnd) texts.push_back(x.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"SELECT", "1", ",", "2", ",", "3", ",", "4"}));
}

TEST(Tokenizer, DashDashNeedsASpace) {
  auto t = toks("SELECT 5--1");
  EXPECT_EQ(t[1].text, "5");
  EXPECT_TRUE(t[2].is_op("-"));
  EXPECT_TRUE(t[3].is_op("-"));
}

TEST(Tokenizer, HexBitVariablesPlaceholders) {
  auto t = toks("SELECT 0x4142, x'43', b'101', 0b11, @@SESSION.autocommit, @u, ?");
  EXPECT_EQ(t[1].kind, K::kHex);
  EXPECT_EQ(t[1].text, "AB");
  EXPECT_EQ(t[3].text, "C");
  EXPECT_EQ(t[5].kind, K::kBit);
  EXPECT_EQ(t[5].text, "5");
  EXPECT_EQ(t[7].text, "3");
  EXPECT_EQ(t[9].kind, K::kSysVar);
  EXPECT_EQ(t[9].text, "session.autocommit");
  EXPECT_EQ(t[11].kind, K::kUserVar);
  EXPECT_EQ(t[13].kind, K::kPlaceholder);
}

TEST(Tokenizer, MultiCharacterOperators) {
  auto t = toks("a <=> b <> c != d <= e >= f || g && h := i");
  std::vector<std::string> ops;
  for (auto& x : t)
    if (x.kind == K::kOperator) ops.push_back(x.text);
  EXPECT_EQ(ops, (std::vector<std::string>{"<=>", "<>", "!=", "<=", ">=", "||", "&&", ":="}));
}

TEST(Tokenizer, UnterminatedThingsAreErrors) {
  EXPECT_NE(tokenize("SELECT 'abc").error, "");
  EXPECT_NE(tokenize("SELECT `abc").error, "");
  EXPECT_NE(tokenize("SELECT /* abc").error, "");
  EXPECT_NE(tokenize("SELECT /*! abc").error, "");
  EXPECT_NE(tokenize("SELECT x'4'").error, "");
  EXPECT_EQ(tokenize("SELECT 'abc").error_offset, 7u);
}

TEST(Tokenizer, SplitsStatementsOnTopLevelSemicolons) {
  std::string sql = "SELECT 1; SELECT ';'; ;  SELECT 3";
  auto parts = split_statements(tokenize(sql).tokens, sql);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(sql.substr(parts[1].begin, parts[1].end - parts[1].begin), "SELECT ';'");
  EXPECT_EQ(parts[2].tokens.back().kind, K::kEnd);
}

TEST(Tokenizer, NeverCrashesOnBytes) {
  std::string junk;
  for (int i = 0; i < 256; ++i) junk.push_back(static_cast<char>(i));
  tokenize(junk);
  tokenize("'\\");
  tokenize("@");
  tokenize("@@");
  tokenize("0x");
  tokenize("/*!");
  SUCCEED();
}

TEST(WildcardMatch, MySqlLikeRules) {
  EXPECT_TRUE(wildcard_match("auto%", "AUTOCOMMIT", true, true));
  EXPECT_FALSE(wildcard_match("auto%", "AUTOCOMMIT", false, true));
  EXPECT_TRUE(wildcard_match("%commit", "autocommit", true, true));
  EXPECT_TRUE(wildcard_match("a_t%t", "autocommit", true, true));
  EXPECT_TRUE(wildcard_match("%", "", true, true));
  EXPECT_FALSE(wildcard_match("_", "", true, true));
  EXPECT_TRUE(wildcard_match("test\\_db", "test_db", false, true));
  EXPECT_FALSE(wildcard_match("test\\_db", "testxdb", false, true));
  EXPECT_TRUE(wildcard_match("test\\_db", "test\\xdb", false, false));  // no escapes: '\' is a byte, '_' any
  EXPECT_TRUE(wildcard_match("192.168.%.%", "192.168.1.20", true, false));
  EXPECT_FALSE(wildcard_match("192.168.%.5", "192.168.1.20", true, false));
  EXPECT_TRUE(wildcard_match("%a%b%c", "xxaxxbxxbxc", true, true));
  EXPECT_FALSE(wildcard_match("%a%b%c", "xxaxxbxxbx", true, true));
  EXPECT_TRUE(wildcard_match("ab\\", "ab\\", true, true));  // a trailing backslash is itself
}

// The recursive matchers this replaced overflowed the stack on a pattern of
// a million '%' (SHOW VARIABLES LIKE, no privilege needed: halb-sqld died)
// and took exponential time on '%a%a...%b'.
TEST(WildcardMatch, HostilePatternsStayCheap) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(wildcard_match(std::string(1000000, '%'), "autocommit", true, true));
  EXPECT_FALSE(wildcard_match(std::string(1000000, '%') + "x", "autocommit", true, true));
  std::string many;
  for (int i = 0; i < 40; ++i) many += "%a";
  EXPECT_FALSE(wildcard_match(many + "b", std::string(200, 'a'), true, true));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace halb::cluster::sqld
