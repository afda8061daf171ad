// lib/config/reader.cc: see reader.h.
#include "lib/config/reader.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace halb::config {

static std::string where(const std::string& file, int line) {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

ConfigError::ConfigError(std::string file, int line, const std::string& message)
    : std::runtime_error(where(file, line) + ": " + message), file_(std::move(file)), line_(line), message_(message) {}

std::string trim(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return std::string(text.substr(b, e - b));
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::vector<std::string> split_words(std::string_view text, std::string_view separators) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && separators.find(text[i]) != std::string_view::npos) ++i;
    size_t start = i;
    while (i < text.size() && separators.find(text[i]) == std::string_view::npos) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

std::vector<Line> split_lines(std::string_view text, const ReadOptions& options) {
  std::vector<Line> out;
  std::string pending;
  int pending_start = 0;
  int number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string raw(text.substr(pos, nl - pos));
    bool at_end = nl >= text.size();
    pos = nl + 1;
    ++number;
    if (at_end && raw.empty() && pending.empty()) break;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    // Strip the comment.
    if (options.comment_anywhere) {
      auto c = raw.find(options.comment);
      if (c != std::string::npos) raw.erase(c);
    } else {
      auto first = raw.find_first_not_of(" \t");
      if (first != std::string::npos && raw[first] == options.comment) raw.clear();
    }
    std::string body = trim(raw);
    bool continues = options.continuation && !body.empty() && body.back() == '\\';
    if (continues) body = trim(std::string_view(body).substr(0, body.size() - 1));
    if (pending.empty()) pending_start = number;
    if (!body.empty()) {
      if (!pending.empty()) pending += ' ';
      pending += body;
    }
    if (!continues || at_end) {
      if (!pending.empty()) out.push_back(Line{pending_start, pending});
      pending.clear();
    }
    if (at_end) break;
  }
  return out;
}

std::vector<Line> read_lines(const std::string& path, const ReadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return split_lines(ss.str(), options);
}

std::optional<bool> parse_bool(std::string_view text) {
  std::string t = lower(text);
  if (t == "true" || t == "on" || t == "yes" || t == "y" || t == "1") return true;
  if (t == "false" || t == "off" || t == "no" || t == "n" || t == "0") return false;
  return std::nullopt;
}

std::optional<long long> parse_int(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const char* b = text.data();
  const char* e = b + text.size();
  if (*b == '+') ++b;
  long long v = 0;
  auto [p, ec] = std::from_chars(b, e, v, 10);
  if (ec != std::errc() || p != e) return std::nullopt;
  return v;
}

std::optional<uint64_t> parse_size(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t mult = 1;
  char last = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (last == 'K' || last == 'M' || last == 'G') {
    mult = last == 'K' ? 1024ull : last == 'M' ? 1024ull * 1024 : 1024ull * 1024 * 1024;
    text.remove_suffix(1);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 10);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  if (v > UINT64_MAX / mult) return std::nullopt;
  return v * mult;
}

std::optional<long long> parse_duration_ms(std::string_view text) {
  double scale = 1000.0;  // seconds -> ms
  std::string_view num = text;
  if (num.size() > 2 && iequals(num.substr(num.size() - 2), "ms")) {
    scale = 1.0;
    num.remove_suffix(2);
  } else if (num.size() > 2 && iequals(num.substr(num.size() - 2), "us")) {
    scale = 0.001;
    num.remove_suffix(2);
  } else if (num.size() > 1 && (num.back() == 's' || num.back() == 'S')) {
    num.remove_suffix(1);
  }
  if (num.empty()) return std::nullopt;
  for (char c : num)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return std::nullopt;
  std::string s(num);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (errno || !end || *end || v < 0 || v > 1e12) return std::nullopt;
  double ms = v * scale;
  long long out = static_cast<long long>(std::llround(ms));
  if (out == 0 && ms > 0) out = 1;
  return out;
}

}  // namespace halb::config
