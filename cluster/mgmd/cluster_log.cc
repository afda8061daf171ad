// cluster/mgmd/cluster_log.cc: cluster log destinations, lines and rotation
// (see cluster_log.h).
#include "cluster/mgmd/cluster_log.h"

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "lib/config/reader.h"
#include "lib/log/log.h"

namespace halb::cluster::mgmd {

namespace {

int syslog_priority(mgmapi::Severity s) {
  switch (s) {
    case mgmapi::Severity::kAlert: return LOG_ALERT;
    case mgmapi::Severity::kCritical: return LOG_CRIT;
    case mgmapi::Severity::kError: return LOG_ERR;
    case mgmapi::Severity::kWarning: return LOG_WARNING;
    case mgmapi::Severity::kInfo: return LOG_INFO;
    case mgmapi::Severity::kDebug: return LOG_DEBUG;
  }
  return LOG_INFO;
}

bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

std::vector<LogDestination> parse_log_destination(std::string_view text, uint32_t mgm_node_id) {
  std::string value = config::trim(text);
  if (value.empty())
    value = "FILE:filename=ndb_" + std::to_string(mgm_node_id) + "_cluster.log,maxsize=1000000,maxfiles=6";
  std::vector<LogDestination> out;
  for (auto& part : config::split_words(value, ";")) {
    std::string p = config::trim(part);
    if (p.empty()) continue;
    std::string kind = p, args;
    size_t colon = p.find(':');
    if (colon != std::string::npos) {
      kind = config::trim(p.substr(0, colon));
      args = p.substr(colon + 1);
    }
    LogDestination d;
    if (config::iequals(kind, "CONSOLE")) {
      d.kind = LogDestination::Kind::kConsole;
    } else if (config::iequals(kind, "SYSLOG")) {
      d.kind = LogDestination::Kind::kSyslog;
      d.syslog_facility = LOG_USER;
    } else if (config::iequals(kind, "FILE")) {
      d.kind = LogDestination::Kind::kFile;
      d.filename = "ndb_" + std::to_string(mgm_node_id) + "_cluster.log";
    } else {
      throw DestinationError("unknown log destination '" + kind + "' (CONSOLE, SYSLOG or FILE)");
    }
    for (auto& kv : config::split_words(args, ",")) {
      std::string item = config::trim(kv);
      size_t eq = item.find('=');
      if (eq == std::string::npos) throw DestinationError("expected name=value in '" + item + "'");
      std::string name = config::lower(config::trim(item.substr(0, eq)));
      std::string val = config::trim(item.substr(eq + 1));
      if (d.kind == LogDestination::Kind::kSyslog && name == "facility") {
        auto f = log::facility_from_name(config::lower(val));
        if (!f) throw DestinationError("unknown syslog facility '" + val + "'");
        d.syslog_facility = *f;
      } else if (d.kind == LogDestination::Kind::kFile && name == "filename") {
        if (val.empty()) throw DestinationError("empty filename in '" + p + "'");
        d.filename = val;
      } else if (d.kind == LogDestination::Kind::kFile && name == "maxsize") {
        auto n = config::parse_size(val);
        if (!n || *n == 0) throw DestinationError("bad maxsize '" + val + "'");
        d.maxsize = *n;
      } else if (d.kind == LogDestination::Kind::kFile && name == "maxfiles") {
        auto n = config::parse_int(val);
        if (!n || *n < 1 || *n > 1000) throw DestinationError("bad maxfiles '" + val + "'");
        d.maxfiles = static_cast<uint32_t>(*n);
      } else {
        throw DestinationError("unknown parameter '" + name + "' for " + config::lower(kind) + " log destination");
      }
    }
    out.push_back(d);
  }
  if (out.empty()) throw DestinationError("no log destination in '" + value + "'");
  return out;
}

std::string format_log_line(std::time_t when, const mgmapi::Event& e) {
  std::tm tm{};
  localtime_r(&when, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  std::string sev(mgmapi::severity_name(e.severity));
  if (sev.size() < 8) sev.append(8 - sev.size(), ' ');
  return std::string(stamp) + " [MgmSrvr] " + sev + " -- Node " + std::to_string(e.source_node) + ": " + e.text;
}

RotatingFile::RotatingFile(std::string path, uint64_t maxsize, uint32_t maxfiles)
    : path_(std::move(path)), maxsize_(maxsize), maxfiles_(maxfiles) {}

RotatingFile::~RotatingFile() {
  if (f_) fclose(f_);
}

bool RotatingFile::open() {
  f_ = fopen(path_.c_str(), "a");
  if (!f_) {
    error_ = path_ + ": " + strerror(errno);
    return false;
  }
  struct stat st {};
  size_ = fstat(fileno(f_), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return true;
}

void RotatingFile::rotate() {
  if (f_) fclose(f_);
  f_ = nullptr;
  // As NDB's FileLogHandler: the first free .N below maxfiles, else .1 again.
  std::string target = path_ + ".1";
  for (uint32_t n = 1; n < maxfiles_; ++n) {
    std::string candidate = path_ + "." + std::to_string(n);
    if (!exists(candidate)) {
      target = candidate;
      break;
    }
  }
  if (rename(path_.c_str(), target.c_str()) != 0) error_ = "rotating " + path_ + ": " + strerror(errno);
}

bool RotatingFile::write(std::string_view line) {
  if (!f_ && !open()) return false;
  if (size_ > 0 && size_ + line.size() + 1 > maxsize_) {
    rotate();
    if (!open()) return false;
  }
  if (fwrite(line.data(), 1, line.size(), f_) != line.size() || fputc('\n', f_) == EOF || fflush(f_) != 0) {
    error_ = path_ + ": " + strerror(errno);
    return false;
  }
  size_ += line.size() + 1;
  return true;
}

ClusterLog::ClusterLog(const std::vector<LogDestination>& destinations, const std::string& data_dir)
    : destinations_(destinations) {
  for (auto& d : destinations_) {
    if (d.kind != LogDestination::Kind::kFile) {
      files_.push_back(nullptr);
      continue;
    }
    std::string path = d.filename.front() == '/' ? d.filename : data_dir + "/" + d.filename;
    files_.push_back(std::make_unique<RotatingFile>(path, d.maxsize, d.maxfiles));
  }
}

ClusterLog::~ClusterLog() = default;

bool ClusterLog::log(const mgmapi::Event& e, std::time_t when) {
  if (!filter_.passes(e.category, e.threshold, e.severity)) return false;
  std::string line = format_log_line(when, e);
  for (size_t i = 0; i < destinations_.size(); ++i) {
    auto& d = destinations_[i];
    switch (d.kind) {
      case LogDestination::Kind::kConsole:
        fprintf(stdout, "%s\n", line.c_str());
        fflush(stdout);
        break;
      case LogDestination::Kind::kSyslog:
        syslog(d.syslog_facility | syslog_priority(e.severity), "%s", line.c_str() + 20);  // syslog stamps its own time
        break;
      case LogDestination::Kind::kFile:
        if (!files_[i]->write(line)) error_ = files_[i]->error();
        break;
    }
  }
  return true;
}

std::string ClusterLog::take_error() {
  std::string e = std::move(error_);
  error_.clear();
  return e;
}

}  // namespace halb::cluster::mgmd
