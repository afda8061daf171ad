// cluster/mgmapi/events.cc: category and severity names (see events.h).
#include "cluster/mgmapi/events.h"

#include "lib/config/reader.h"

namespace halb::cluster::mgmapi {

namespace {
constexpr std::string_view kCategoryNames[kCategoryCount] = {
    "STARTUP", "SHUTDOWN", "STATISTICS", "CHECKPOINT", "NODERESTART", "CONNECTION",
    "INFO",    "WARNING",  "ERROR",      "CONGESTION", "DEBUG",       "BACKUP"};
constexpr std::string_view kSeverityNames[kSeverityCount] = {"ALERT", "CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"};
}  // namespace

std::string_view category_name(Category c) { return kCategoryNames[category_index(c)]; }

std::optional<Category> parse_category(std::string_view text) {
  std::string t = config::trim(text);
  for (size_t i = 0; i < kCategoryCount; ++i)
    if (config::iequals(t, kCategoryNames[i])) return category_at(i);
  if (config::iequals(t, "GREP")) return Category::kCongestion;
  auto n = config::parse_int(t);
  if (n && *n >= 250 && *n <= 261) return static_cast<Category>(*n);
  return std::nullopt;
}

std::string_view severity_name(Severity s) { return kSeverityNames[static_cast<size_t>(s)]; }

std::optional<Severity> parse_severity(std::string_view text) {
  std::string t = config::trim(text);
  for (size_t i = 0; i < kSeverityCount; ++i)
    if (config::iequals(t, kSeverityNames[i])) return static_cast<Severity>(i);
  return std::nullopt;
}

EventFilter EventFilter::cluster_log_defaults() {
  EventFilter f;
  f.level.fill(7);
  f.level[category_index(Category::kConnection)] = 8;
  f.level[category_index(Category::kError)] = 15;
  f.level[category_index(Category::kBackup)] = 15;
  f.severity_on.fill(true);
  f.severity_on[static_cast<size_t>(Severity::kDebug)] = false;
  return f;
}

}  // namespace halb::cluster::mgmapi
