// director/checks/receive_pattern.cc: see receive_pattern.h.
//
// PCRE2 rather than std::regex: libstdc++'s matcher recurses once per input
// character, so a pattern as plain as ".*OK" against a 32 KB reply overflowed
// the stack and took the director down. PCRE2 backtracks on the heap, speaks
// Perl's dialect as ldirectord does, and takes limits on the work one match
// may do: checks run on the director's one loop thread, and a pattern that
// backtracks without end must fail its check, not stall every other one.
#include "director/checks/receive_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <unordered_map>

namespace halb::director::checks {
namespace {

constexpr uint32_t kMatchLimit = 1'000'000;  // backtracking steps (PCRE2's default: 10 million)
constexpr uint32_t kHeapLimitKiB = 64 * 1024;
constexpr size_t kCacheSize = 256;

struct CodeFree {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct ContextFree {
  void operator()(pcre2_match_context* c) const { pcre2_match_context_free(c); }
};
struct DataFree {
  void operator()(pcre2_match_data* d) const { pcre2_match_data_free(d); }
};

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof buf);
  return n < 0 ? "PCRE2 error " + std::to_string(code) : std::string(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
}

// A compiled pattern, or why it does not compile.
struct Compiled {
  std::unique_ptr<pcre2_code, CodeFree> code;
  std::string error;
};

// Every real of a virtual shares one pattern, and compiling costs more than
// matching: the compiled ones are kept (checks run on one thread). A reload
// may replace all patterns, hence the bound.
const Compiled& compiled(const std::string& pattern) {
  static std::unordered_map<std::string, Compiled> cache;
  if (auto it = cache.find(pattern); it != cache.end()) return it->second;
  if (cache.size() >= kCacheSize) cache.clear();
  Compiled c;
  int code = 0;
  PCRE2_SIZE offset = 0;
  c.code.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &code, &offset, nullptr));
  if (!c.code) c.error = pcre2_message(code) + " at offset " + std::to_string(offset);
  return cache.emplace(pattern, std::move(c)).first->second;
}

pcre2_match_context* limits() {
  static std::unique_ptr<pcre2_match_context, ContextFree> context = [] {
    std::unique_ptr<pcre2_match_context, ContextFree> c(pcre2_match_context_create(nullptr));
    if (c) {
      pcre2_set_match_limit(c.get(), kMatchLimit);
      pcre2_set_heap_limit(c.get(), kHeapLimitKiB);
    }
    return c;
  }();
  return context.get();
}

}  // namespace

bool receive_matches(const std::string& pattern, const std::string& text, std::string& error) {
  if (pattern.empty()) return true;
  const Compiled& c = compiled(pattern);
  if (!c.code) {
    error = "bad receive pattern \"" + pattern + "\": " + c.error;
    return false;
  }
  std::unique_ptr<pcre2_match_data, DataFree> data(pcre2_match_data_create_from_pattern(c.code.get(), nullptr));
  if (!data) {
    error = "receive pattern \"" + pattern + "\": out of memory";
    return false;
  }
  int rc = pcre2_match(c.code.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, data.get(), limits());
  if (rc >= 0) return true;
  if (rc != PCRE2_ERROR_NOMATCH)
    error = "receive pattern \"" + pattern + "\" on a " + std::to_string(text.size()) + "-byte answer: " + pcre2_message(rc);
  return false;
}

}  // namespace halb::director::checks
