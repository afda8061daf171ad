// cluster/sqld/sql/tokenizer.h: MySQL's lexical rules -- backtick
// identifiers, '...' and "..." strings with backslash escapes, adjacent
// string concatenation, # -- and /* */ comments, /*! ... */ executed as MySQL
// does, hex and bit literals, @user and @@system variables, ? placeholders.
// Every later stage (classifier, session statements, the rewrite for SQLite)
// works on these tokens, never on raw client text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace halb::cluster::sqld {

struct Token {
  enum class Kind : uint8_t {
    kWord,         // bare identifier or keyword (text as written)
    kQuotedIdent,  // `name` (text is the name)
    kString,       // text is the decoded value
    kNumber,       // text as written: 12, 1.5, 2e3
    kHex,          // 0x41 / x'41': text is the decoded bytes
    kBit,          // b'101' / 0b101: text is the decimal value
    kPlaceholder,  // ?
    kUserVar,      // @name (text without @)
    kSysVar,       // @@[session.|global.]name (text without @@, lower-cased)
    kOperator,     // punctuation and operators: ( ) , . ; = <> != <= >= || && ...
    kEnd,
  };
  Kind kind = Kind::kEnd;
  std::string text;
  size_t offset = 0;  // where it starts in the statement
  size_t end = 0;     // one past its last byte

  bool is_word(std::string_view upper_keyword) const;  // case-insensitive keyword match
  bool is_op(std::string_view op) const { return kind == Kind::kOperator && text == op; }
  // A name: a bare word or a backtick identifier.
  bool is_name() const { return kind == Kind::kWord || kind == Kind::kQuotedIdent; }
};

struct TokenizeResult {
  std::vector<Token> tokens;  // ends with one kEnd token
  std::string error;          // unterminated string/comment/identifier: where
  size_t error_offset = 0;
};

// Tokenizes the whole text (which may hold several ';'-separated statements).
TokenizeResult tokenize(std::string_view sql);

// Splits `tokens` at top-level ';' into statements (empty ones dropped);
// each keeps a kEnd token and its source range.
struct StatementTokens {
  std::vector<Token> tokens;
  size_t begin = 0, end = 0;  // source range
};
std::vector<StatementTokens> split_statements(const std::vector<Token>& tokens, std::string_view sql);

std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// Number of characters in a UTF-8 string.
size_t utf8_length(std::string_view s);

// MySQL's LIKE wildcards, as SHOW ... LIKE, account host patterns and
// database-level grants use them: '%' any run of bytes (none too), '_' one,
// and with `escapes` a backslash makes the next character literal.
// Iterative and O(pattern x text) at worst: a client's pattern, however
// long or full of '%', neither exhausts the stack nor takes exponential time.
bool wildcard_match(std::string_view pattern, std::string_view text, bool case_insensitive, bool escapes);

// A table named at tokens[i] as [db.]name, i moved past it. `db` is left as
// the caller set it (the current database) when the name is unqualified.
// False, i at the token that is not a name, when there is none.
bool read_table_name(const std::vector<Token>& tokens, size_t& i, std::string& db, std::string& name);

}  // namespace halb::cluster::sqld
