// lib/log/log.h: daemon logging to syslog (a configured facility), a file
// and/or stderr, in the classic Linux-HA shape operators grep for:
//   syslog:  "<ident>: [pid]: info: message"
//   file:    "<ident>[pid]: 2026/11/23_10:00:00 info: message"
// One Logger is created in main() and passed down by reference.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace halb::log {

enum class Level { debug, info, warn, error, crit };

// "info", "WARN", "ERROR", "CRIT", "debug": the classic level words.
std::string_view level_word(Level level);

// Parse a syslog facility name ("local0", "daemon", ...); nullopt if unknown.
std::optional<int> facility_from_name(std::string_view name);

// How a line looks. ldirectord: file and stderr "[Sat Nov 23 05:27:01 2024|ident|pid] msg",
// syslog "ident[pid]: msg" (no level word), as the scripts that grep
// ldirectord's logs expect.
enum class Style { linux_ha, ldirectord };

struct Sinks {
  std::string ident = "halb";
  Style style = Style::linux_ha;
  std::optional<int> syslog_facility;  // none: no syslog
  std::string file;                    // empty: no file
  bool to_stderr = false;
  bool debug = false;                  // emit Level::debug lines
};

class Logger {
 public:
  Logger() = default;
  explicit Logger(Sinks sinks) { configure(std::move(sinks)); }
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Replace the sinks (used at start and on SIGHUP; reopens the file for rotation).
  void configure(Sinks sinks);
  const Sinks& sinks() const { return sinks_; }

  void log(Level level, std::string_view msg);
  void debug(std::string_view m) { log(Level::debug, m); }
  void info(std::string_view m) { log(Level::info, m); }
  void warn(std::string_view m) { log(Level::warn, m); }
  void error(std::string_view m) { log(Level::error, m); }
  void crit(std::string_view m) { log(Level::crit, m); }

  // Log at most once per `interval` for a given key (bad packets, auth
  // failures); returns true when the line was written. Suppressed lines are
  // counted and reported with the next one.
  bool limited(std::string_view key, Level level, std::string_view msg,
               std::chrono::seconds interval = std::chrono::seconds(10));

 private:
  struct Limit {
    std::chrono::steady_clock::time_point last{};
    unsigned long suppressed = 0;
  };
  void write_ldirectord_style(Level level, std::string_view msg);  // holds mu_

  Sinks sinks_;
  FILE* file_ = nullptr;
  bool syslog_open_ = false;
  std::mutex mu_;  // worker threads (halb-lvsd) log too
  std::map<std::string, Limit, std::less<>> limits_;
};

}  // namespace halb::log
