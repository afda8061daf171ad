// lib/config/reader.h: helpers every config parser shares.
//
// Files are read into logical lines (comments stripped, `\` continuations
// joined) that remember the physical line they started on, so every error
// can say `file:line: what is wrong`. Parsers throw ConfigError; mains turn
// it into a message and exit status 6 (LSB "not configured").
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace halb::config {

// LSB exit status for "program is not configured".
inline constexpr int kExitNotConfigured = 6;

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, const std::string& message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  // The message without the file:line prefix.
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  std::string message_;
};

struct Line {
  int number = 0;    // physical line the logical line starts on (1-based)
  std::string text;  // comment removed, continuations joined, trimmed
};

struct ReadOptions {
  char comment = '#';
  bool comment_anywhere = true;  // '#' starts a comment anywhere on the line (else only at column 0 after blanks)
  bool continuation = true;      // trailing '\' joins the next line
};

// Read and split a file; throws ConfigError(file, 0, ...) when it cannot be read.
std::vector<Line> read_lines(const std::string& path, const ReadOptions& options = {});
// Same over text already in memory (tests, config pushed over a socket).
std::vector<Line> split_lines(std::string_view text, const ReadOptions& options = {});

// Split on any of the separator characters, dropping empty fields.
std::vector<std::string> split_words(std::string_view text, std::string_view separators = " \t");
std::string trim(std::string_view text);
std::string lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);

// Values. Each returns nullopt when the text is not of that kind; the caller
// reports where.
std::optional<bool> parse_bool(std::string_view text);               // true/on/yes/y/1, false/off/no/n/0
std::optional<long long> parse_int(std::string_view text);           // decimal, optional sign
std::optional<uint64_t> parse_size(std::string_view text);           // decimal with K/M/G suffix (x1024)
// Durations: bare number = seconds (decimals allowed), "ms" = milliseconds,
// "us" = microseconds. Result in milliseconds (rounded up to 1 for nonzero us).
std::optional<long long> parse_duration_ms(std::string_view text);

}  // namespace halb::config
