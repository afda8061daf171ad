// cluster/mgmapi/events.h: the vocabulary of cluster events (section 7 of
// the NDB reference): categories with their filter ids, severities, and the
// levels 0..15 a category is logged or reported at.
//
// An event has a category, a threshold and a severity; it is written when
// its threshold is at or below the category's level and its severity is
// enabled. Nodes send events to the management server over their session;
// halb-mgmd writes them to the cluster log and to `listen event` clients.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace halb::cluster::mgmapi {

enum class Category {
  kStartup = 250,
  kShutdown = 251,
  kStatistics = 252,
  kCheckpoint = 253,
  kNodeRestart = 254,
  kConnection = 255,
  kInfo = 256,
  kWarning = 257,
  kError = 258,
  kCongestion = 259,
  kDebug = 260,
  kBackup = 261,
};
inline constexpr size_t kCategoryCount = 12;
inline constexpr int kMaxLevel = 15;

// STARTUP, SHUTDOWN, STATISTICS, CHECKPOINT, NODERESTART, CONNECTION, INFO,
// WARNING, ERROR, CONGESTION, DEBUG, BACKUP
std::string_view category_name(Category c);
// By name (case-insensitive; GREP is an alias of CONGESTION) or by id (250..261).
std::optional<Category> parse_category(std::string_view text);
inline size_t category_index(Category c) { return static_cast<size_t>(c) - 250; }
inline Category category_at(size_t index) { return static_cast<Category>(250 + index); }

enum class Severity { kAlert, kCritical, kError, kWarning, kInfo, kDebug };
inline constexpr size_t kSeverityCount = 6;
// ALERT, CRITICAL, ERROR, WARNING, INFO, DEBUG
std::string_view severity_name(Severity s);
std::optional<Severity> parse_severity(std::string_view text);

// Category levels and enabled severities: the filter of the cluster log and
// of one event listener.
struct EventFilter {
  std::array<int, kCategoryCount> level{};
  std::array<bool, kSeverityCount> severity_on{};
  bool enabled = true;  // CLUSTERLOG ON/OFF

  // halb-mgmd's cluster log defaults: every category 7, CONNECTION 8,
  // ERROR and BACKUP 15; INFO..ALERT on, DEBUG off.
  static EventFilter cluster_log_defaults();
  bool passes(Category c, int threshold, Severity s) const {
    return enabled && threshold <= level[category_index(c)] && severity_on[static_cast<size_t>(s)];
  }
};

struct Event {
  uint32_t source_node = 0;
  Category category = Category::kInfo;
  int threshold = 7;
  Severity severity = Severity::kInfo;
  std::string text;  // without the "Node N: " prefix
};

}  // namespace halb::cluster::mgmapi
