// cluster/mgmd/cluster_log.h: the cluster log halb-mgmd writes.
//
// Every event from a node (or from the management server itself) passes the
// log's filter -- category levels, enabled severities, CLUSTERLOG ON/OFF --
// and is written to each LogDestination of the [NDB_MGMD] section:
// CONSOLE (stdout), SYSLOG:facility=<name>, FILE:filename=..,maxsize=..,
// maxfiles=... The line is NDB's:
//   2003-04-24 09:19:30 [MgmSrvr] INFO     -- Node 4: Start phase 4 completed
// A file at maxsize is renamed to <file>.N, N the first unused number below
// maxfiles (1 again when all are taken), and a new file started.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/mgmapi/events.h"

namespace halb::cluster::mgmd {

struct LogDestination {
  enum class Kind { kConsole, kSyslog, kFile } kind = Kind::kFile;
  int syslog_facility = 0;   // LOG_USER etc., for kSyslog
  std::string filename;      // for kFile; relative names are under DataDir
  uint64_t maxsize = 1000000;
  uint32_t maxfiles = 6;
};

class DestinationError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Parses a LogDestination value (`;`-separated); an empty value gives the
// default FILE:filename=ndb_<id>_cluster.log,maxsize=1000000,maxfiles=6.
// Throws DestinationError naming the bad part.
std::vector<LogDestination> parse_log_destination(std::string_view text, uint32_t mgm_node_id);

// One cluster log line, without the newline; `when` in local time.
std::string format_log_line(std::time_t when, const mgmapi::Event& e);

// A log file that rolls over at maxsize.
class RotatingFile {
 public:
  RotatingFile(std::string path, uint64_t maxsize, uint32_t maxfiles);
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;
  // Appends one line (newline added). False with error() set when the file
  // cannot be written.
  bool write(std::string_view line);
  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }

 private:
  bool open();
  void rotate();
  std::string path_;
  uint64_t maxsize_;
  uint32_t maxfiles_;
  FILE* f_ = nullptr;
  uint64_t size_ = 0;
  std::string error_;
};

class ClusterLog {
 public:
  // Relative file names are opened under `data_dir`.
  ClusterLog(const std::vector<LogDestination>& destinations, const std::string& data_dir);
  ~ClusterLog();
  mgmapi::EventFilter& filter() { return filter_; }
  const mgmapi::EventFilter& filter() const { return filter_; }
  // Writes the event when the filter passes it; returns whether it did.
  bool log(const mgmapi::Event& e, std::time_t when = std::time(nullptr));
  // Last write error of a file destination, for the daemon's own log.
  std::string take_error();

 private:
  mgmapi::EventFilter filter_ = mgmapi::EventFilter::cluster_log_defaults();
  std::vector<LogDestination> destinations_;
  std::vector<std::unique_ptr<RotatingFile>> files_;  // parallel to destinations_ (null unless kFile)
  std::string error_;
};

}  // namespace halb::cluster::mgmd
