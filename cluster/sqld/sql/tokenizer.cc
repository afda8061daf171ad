// cluster/sqld/sql/tokenizer.cc: MySQL's lexical rules (see tokenizer.h).
#include "cluster/sqld/sql/tokenizer.h"

#include <cctype>

namespace halb::cluster::sqld {

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool wildcard_match(std::string_view pattern, std::string_view text, bool case_insensitive, bool escapes) {
  auto same = [case_insensitive](char a, char b) {
    if (!case_insensitive) return a == b;
    return std::toupper(static_cast<unsigned char>(a)) == std::toupper(static_cast<unsigned char>(b));
  };
  // Greedy with one way back: on a mismatch, the last '%' takes one more
  // byte and matching resumes after it (earlier '%'s never need to).
  size_t p = 0, t = 0;
  size_t after_star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      if (pattern[p] == '%') {
        after_star = ++p;
        star_text = t;
        continue;
      }
      const bool escaped = escapes && pattern[p] == '\\' && p + 1 < pattern.size();
      const char c = escaped ? pattern[p + 1] : pattern[p];
      if ((!escaped && c == '_') || same(c, text[t])) {
        p += escaped ? 2 : 1;
        ++t;
        continue;
      }
    }
    if (after_star == std::string_view::npos) return false;
    p = after_star;
    t = ++star_text;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

bool read_table_name(const std::vector<Token>& tokens, size_t& i, std::string& db, std::string& name) {
  if (i >= tokens.size() || !tokens[i].is_name()) return false;
  if (i + 2 < tokens.size() && tokens[i + 1].is_op(".")) {
    if (!tokens[i + 2].is_name()) {
      i += 2;
      return false;
    }
    db = tokens[i].text;
    name = tokens[i + 2].text;
    i += 3;
    return true;
  }
  name = tokens[i++].text;
  return true;
}

bool Token::is_word(std::string_view upper_keyword) const {
  return kind == Kind::kWord && iequals(text, upper_keyword);
}

namespace {

bool is_word_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes hex digits to bytes (an odd count gets a leading 0, as MySQL does).
bool decode_hex(std::string_view digits, std::string& out) {
  std::string d(digits);
  if (d.size() % 2) d.insert(d.begin(), '0');
  out.clear();
  for (size_t i = 0; i < d.size(); i += 2) {
    int hi = hex_value(d[i]), lo = hex_value(d[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

bool decode_bits(std::string_view digits, std::string& out) {
  uint64_t v = 0;
  if (digits.size() > 64) return false;
  for (char c : digits) {
    if (c != '0' && c != '1') return false;
    v = v * 2 + static_cast<uint64_t>(c - '0');
  }
  out = std::to_string(v);
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string_view sql) : s_(sql) {}

  TokenizeResult run() {
    TokenizeResult r;
    while (true) {
      skip_space_and_comments(r);
      if (!r.error.empty()) break;
      if (i_ >= s_.size()) break;
      if (!next(r)) break;
    }
    if (r.error.empty() && exec_comment_depth_ > 0) {
      r.error = "unterminated comment";
      r.error_offset = s_.size();
    }
    Token end;
    end.offset = end.end = s_.size();
    r.tokens.push_back(end);
    return r;
  }

 private:
  void skip_space_and_comments(TokenizeResult& r) {
    for (;;) {
      while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ >= s_.size()) return;
      char c = s_[i_];
      if (c == '#' || (c == '-' && at(1) == '-' && (i_ + 2 >= s_.size() || std::isspace(static_cast<unsigned char>(at(2)))))) {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
        continue;
      }
      if (c == '*' && at(1) == '/' && exec_comment_depth_ > 0) {
        --exec_comment_depth_;
        i_ += 2;
        continue;
      }
      if (c == '/' && at(1) == '*') {
        bool executed = at(2) == '!' || (at(2) == 'M' && at(3) == '!');
        if (executed) {
          // MySQL runs the text of /*! ... */ (after an optional version number).
          i_ += at(2) == '!' ? 3 : 4;
          size_t digits = 0;
          while (i_ + digits < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + digits]))) ++digits;
          if (digits == 5 || digits == 6) i_ += digits;
          ++exec_comment_depth_;
          continue;
        }
        size_t close = s_.find("*/", i_ + 2);
        if (close == std::string_view::npos) {
          r.error = "unterminated comment";
          r.error_offset = i_;
          return;
        }
        i_ = close + 2;
        continue;
      }
      return;
    }
  }

  char at(size_t k) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }

  void push(TokenizeResult& r, Token::Kind kind, std::string text, size_t start) {
    Token t;
    t.kind = kind;
    t.text = std::move(text);
    t.offset = start;
    t.end = i_;
    r.tokens.push_back(std::move(t));
  }

  bool quoted(TokenizeResult& r, char q, std::string& out) {
    size_t start = i_;
    ++i_;
    for (;;) {
      if (i_ >= s_.size()) {
        r.error = q == '`' ? "unterminated identifier" : "unterminated string";
        r.error_offset = start;
        return false;
      }
      char c = s_[i_];
      if (c == q) {
        if (at(1) == q) {
          out.push_back(q);
          i_ += 2;
          continue;
        }
        ++i_;
        return true;
      }
      if (c == '\\' && q != '`' && i_ + 1 < s_.size()) {
        char e = s_[i_ + 1];
        switch (e) {
          case '0': out.push_back('\0'); break;
          case 'b': out.push_back('\b'); break;
          case 'n': out.push_back('\n'); break;
          case 'r': out.push_back('\r'); break;
          case 't': out.push_back('\t'); break;
          case 'Z': out.push_back('\x1a'); break;
          case '%': out += "\\%"; break;  // kept for LIKE, as MySQL does
          case '_': out += "\\_"; break;
          default: out.push_back(e); break;
        }
        i_ += 2;
        continue;
      }
      out.push_back(c);
      ++i_;
    }
  }

  bool next(TokenizeResult& r) {
    size_t start = i_;
    char c = s_[i_];
    bool after_string = adjacent_string_;
    adjacent_string_ = false;
    // x'41', b'101', and N'..' / _utf8mb4'..' introducers
    if ((c == 'x' || c == 'X' || c == 'b' || c == 'B') && at(1) == '\'') {
      size_t close = s_.find('\'', i_ + 2);
      if (close == std::string_view::npos) {
        r.error = "unterminated string";
        r.error_offset = i_;
        return false;
      }
      std::string_view digits = s_.substr(i_ + 2, close - i_ - 2);
      std::string out;
      bool hex = c == 'x' || c == 'X';
      if (!(hex ? (digits.size() % 2 == 0 && decode_hex(digits, out)) : decode_bits(digits, out))) {
        r.error = hex ? "bad hex literal" : "bad bit literal";
        r.error_offset = i_;
        return false;
      }
      i_ = close + 1;
      push(r, hex ? Token::Kind::kHex : Token::Kind::kBit, std::move(out), start);
      return true;
    }
    if (c == '0' && (at(1) == 'x' || at(1) == 'b')) {
      size_t j = i_ + 2;
      while (j < s_.size() && is_word_char(static_cast<unsigned char>(s_[j]))) ++j;
      std::string_view digits = s_.substr(i_ + 2, j - i_ - 2);
      std::string out;
      bool hex = at(1) == 'x';
      if (!digits.empty() && (hex ? decode_hex(digits, out) : decode_bits(digits, out))) {
        i_ = j;
        push(r, hex ? Token::Kind::kHex : Token::Kind::kBit, std::move(out), start);
        return true;
      }
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && std::isdigit(static_cast<unsigned char>(at(1))))) {
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ < s_.size() && s_[i_] == '.') {
        ++i_;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      }
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        size_t j = i_ + 1;
        if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
        if (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) {
          i_ = j;
          while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        }
      }
      // 1abc is an identifier in MySQL
      if (i_ < s_.size() && is_word_char(static_cast<unsigned char>(s_[i_])) && s_[start] != '.') {
        while (i_ < s_.size() && is_word_char(static_cast<unsigned char>(s_[i_]))) ++i_;
        push(r, Token::Kind::kWord, std::string(s_.substr(start, i_ - start)), start);
        return true;
      }
      push(r, Token::Kind::kNumber, std::string(s_.substr(start, i_ - start)), start);
      return true;
    }
    if (is_word_char(static_cast<unsigned char>(c))) {
      while (i_ < s_.size() && is_word_char(static_cast<unsigned char>(s_[i_]))) ++i_;
      std::string word(s_.substr(start, i_ - start));
      // Character set introducers: _utf8mb4'x', _binary'x', N'x'
      if (i_ < s_.size() && s_[i_] == '\'' && (word[0] == '_' || iequals(word, "N"))) {
        std::string out;
        if (!quoted(r, '\'', out)) return false;
        push(r, Token::Kind::kString, std::move(out), start);
        return true;
      }
      push(r, Token::Kind::kWord, std::move(word), start);
      return true;
    }
    if (c == '`') {
      std::string out;
      if (!quoted(r, '`', out)) return false;
      push(r, Token::Kind::kQuotedIdent, std::move(out), start);
      return true;
    }
    if (c == '\'' || c == '"') {
      std::string out;
      if (!quoted(r, c, out)) return false;
      // 'a' 'b' is one string in MySQL
      if (!r.tokens.empty() && r.tokens.back().kind == Token::Kind::kString && r.tokens.back().end <= start &&
          after_string) {
        r.tokens.back().text += out;
        r.tokens.back().end = i_;
        adjacent_string_ = true;
        return true;
      }
      push(r, Token::Kind::kString, std::move(out), start);
      adjacent_string_ = true;
      return true;
    }
    if (c == '?') {
      ++i_;
      push(r, Token::Kind::kPlaceholder, "?", start);
      return true;
    }
    if (c == '@') {
      bool sys = at(1) == '@';
      i_ += sys ? 2 : 1;
      std::string name;
      if (i_ < s_.size() && (s_[i_] == '`' || s_[i_] == '\'' || s_[i_] == '"')) {
        if (!quoted(r, s_[i_], name)) return false;
      } else {
        while (i_ < s_.size() && (is_word_char(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.')) ++i_;
        name = std::string(s_.substr(start + (sys ? 2 : 1), i_ - start - (sys ? 2 : 1)));
      }
      push(r, sys ? Token::Kind::kSysVar : Token::Kind::kUserVar, sys ? to_lower(name) : name, start);
      return true;
    }
    static constexpr std::string_view kThree[] = {"<=>"};
    static constexpr std::string_view kTwo[] = {"<=", ">=", "<>", "!=", "||", "&&", "<<", ">>", ":=", "->"};
    for (auto op : kThree)
      if (s_.substr(i_, 3) == op) {
        i_ += 3;
        push(r, Token::Kind::kOperator, std::string(op), start);
        return true;
      }
    for (auto op : kTwo)
      if (s_.substr(i_, 2) == op) {
        i_ += 2;
        push(r, Token::Kind::kOperator, std::string(op), start);
        return true;
      }
    ++i_;
    push(r, Token::Kind::kOperator, std::string(1, c), start);
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
  int exec_comment_depth_ = 0;
  bool adjacent_string_ = false;
};

}  // namespace

TokenizeResult tokenize(std::string_view sql) {
  Lexer lexer(sql);
  TokenizeResult r = lexer.run();
  // Only string tokens directly after another string were merged; nothing to fix up.
  return r;
}

std::vector<StatementTokens> split_statements(const std::vector<Token>& tokens, std::string_view sql) {
  std::vector<StatementTokens> out;
  StatementTokens cur;
  auto finish = [&](size_t end_offset) {
    if (!cur.tokens.empty()) {
      cur.begin = cur.tokens.front().offset;
      cur.end = cur.tokens.back().end;
      Token end;
      end.offset = end.end = end_offset;
      cur.tokens.push_back(end);
      out.push_back(std::move(cur));
    }
    cur = StatementTokens{};
  };
  for (const Token& t : tokens) {
    if (t.kind == Token::Kind::kEnd) break;
    if (t.is_op(";")) {
      finish(t.offset);
      continue;
    }
    cur.tokens.push_back(t);
  }
  finish(sql.size());
  return out;
}

}  // namespace halb::cluster::sqld
