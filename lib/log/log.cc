// lib/log/log.cc: see log.h.
#include "lib/log/log.h"

#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace halb::log {

std::string_view level_word(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "WARN";
    case Level::error: return "ERROR";
    case Level::crit: return "CRIT";
  }
  return "info";
}

std::optional<int> facility_from_name(std::string_view name) {
  static constexpr struct {
    const char* name;
    int value;
  } table[] = {
      {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},     {"daemon", LOG_DAEMON},
      {"ftp", LOG_FTP},       {"kern", LOG_KERN},         {"lpr", LOG_LPR},       {"mail", LOG_MAIL},
      {"news", LOG_NEWS},     {"syslog", LOG_SYSLOG},     {"user", LOG_USER},     {"uucp", LOG_UUCP},
      {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
      {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},     {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
  };
  for (const auto& row : table)
    if (name == row.name) return row.value;
  return std::nullopt;
}

Logger::~Logger() {
  if (file_) fclose(file_);
  if (syslog_open_) closelog();
}

void Logger::configure(Sinks sinks) {
  std::lock_guard lock(mu_);
  if (file_) {
    fclose(file_);
    file_ = nullptr;
  }
  if (syslog_open_) {
    closelog();
    syslog_open_ = false;
  }
  sinks_ = std::move(sinks);
  if (!sinks_.file.empty()) {
    file_ = fopen(sinks_.file.c_str(), "ae");
    if (file_) setvbuf(file_, nullptr, _IOLBF, 0);
  }
  if (sinks_.syslog_facility) {
    int opts = LOG_NDELAY | (sinks_.style == Style::ldirectord ? LOG_PID : 0);
    openlog(sinks_.ident.c_str(), opts, *sinks_.syslog_facility);
    syslog_open_ = true;
  }
}

static int syslog_priority(Level level) {
  switch (level) {
    case Level::debug: return LOG_DEBUG;
    case Level::info: return LOG_INFO;
    case Level::warn: return LOG_WARNING;
    case Level::error: return LOG_ERR;
    case Level::crit: return LOG_CRIT;
  }
  return LOG_INFO;
}

void Logger::log(Level level, std::string_view msg) {
  if (level == Level::debug && !sinks_.debug) return;
  std::lock_guard lock(mu_);
  const auto word = level_word(level);
  const int len = static_cast<int>(msg.size());
  if (sinks_.style == Style::ldirectord) {
    write_ldirectord_style(level, msg);
    return;
  }
  if (syslog_open_)
    syslog(syslog_priority(level), "[%d]: %.*s: %.*s", static_cast<int>(getpid()), static_cast<int>(word.size()),
           word.data(), len, msg.data());
  if (file_ || sinks_.to_stderr) {
    char stamp[32];
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm tmv{};
    localtime_r(&ts.tv_sec, &tmv);
    strftime(stamp, sizeof stamp, "%Y/%m/%d_%H:%M:%S", &tmv);
    for (FILE* out : {file_, sinks_.to_stderr ? stderr : nullptr}) {
      if (!out) continue;
      fprintf(out, "%s[%d]: %s.%03ld %.*s: %.*s\n", sinks_.ident.c_str(), static_cast<int>(getpid()), stamp,
              ts.tv_nsec / 1000000, static_cast<int>(word.size()), word.data(), len, msg.data());
      fflush(out);
    }
  }
}

void Logger::write_ldirectord_style(Level level, std::string_view msg) {
  const int len = static_cast<int>(msg.size());
  if (syslog_open_) syslog(syslog_priority(level), "%.*s", len, msg.data());
  if (!file_ && !sinks_.to_stderr) return;
  char stamp[64];
  time_t now = time(nullptr);
  tm tmv{};
  localtime_r(&now, &tmv);
  strftime(stamp, sizeof stamp, "%a %b %e %H:%M:%S %Y", &tmv);
  for (FILE* out : {file_, sinks_.to_stderr ? stderr : nullptr}) {
    if (!out) continue;
    fprintf(out, "[%s|%s|%d] %.*s\n", stamp, sinks_.ident.c_str(), static_cast<int>(getpid()), len, msg.data());
    fflush(out);
  }
}

bool Logger::limited(std::string_view key, Level level, std::string_view msg, std::chrono::seconds interval) {
  auto now = std::chrono::steady_clock::now();
  unsigned long suppressed = 0;
  {
    std::lock_guard lock(mu_);
    auto it = limits_.find(key);
    if (it == limits_.end()) it = limits_.emplace(std::string(key), Limit{}).first;
    Limit& l = it->second;
    if (l.last != std::chrono::steady_clock::time_point{} && now - l.last < interval) {
      ++l.suppressed;
      return false;
    }
    l.last = now;
    suppressed = l.suppressed;
    l.suppressed = 0;
  }
  if (suppressed)
    log(level, std::string(msg) + " (" + std::to_string(suppressed) + " similar messages suppressed)");
  else
    log(level, msg);
  return true;
}

}  // namespace halb::log
