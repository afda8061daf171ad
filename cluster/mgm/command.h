// cluster/mgm/command.h: one line typed at the `ndb_mgm> ` prompt, parsed.
//
// Input is case-insensitive; a trailing `;` is dropped and a line starting
// with `#` is a comment. The grammar is ndb_mgm's: global commands (HELP,
// SHOW, SHUTDOWN, CLUSTERLOG ..., ENTER/EXIT SINGLE USER MODE, START/ABORT
// BACKUP, PURGE STALE SESSIONS, CONNECT, QUIT) and node commands prefixed
// with a node id or ALL (START, STOP, RESTART [-n] [-i] [-a], STATUS,
// CLUSTERLOG cat=level..., REPORT MEMORYUSAGE, DUMP n...). Parsing is pure;
// errors carry ndb_mgm's texts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace halb::cluster::mgm {

enum class Verb {
  kNone,  // empty line or comment
  kHelp,
  kShow,
  kQuit,
  kShutdown,
  kClusterlogOn,
  kClusterlogOff,
  kClusterlogToggle,
  kClusterlogInfo,
  kEnterSingleUser,
  kExitSingleUser,
  kStartBackup,
  kAbortBackup,
  kPurgeStaleSessions,
  kConnect,
  // node commands
  kStart,
  kStop,
  kRestart,
  kStatus,
  kNodeClusterlog,
  kReportMemoryUsage,
  kDump,
};

struct Command {
  Verb verb = Verb::kNone;
  bool all = false;       // ALL <cmd>
  uint32_t node_id = 0;   // <id> <cmd>, or the API node of ENTER SINGLE USER MODE
  bool nostart = false;   // RESTART -n
  bool initial = false;   // RESTART -i
  bool abort = false;     // STOP -a / RESTART -a
  std::vector<std::string> severities;                 // CLUSTERLOG ON/OFF/TOGGLE/FILTER, upper case
  std::vector<std::pair<std::string, int>> levels;     // <id> CLUSTERLOG cat=level
  std::vector<uint32_t> dump_args;
  std::string argument;   // HELP topic, CONNECT string, START BACKUP wait mode, ABORT BACKUP id text
  uint32_t backup_id = 0;  // START BACKUP <id>; 0 = the next one
  int backup_wait = 2;     // START BACKUP: 0 NOWAIT, 1 WAIT STARTED, 2 WAIT COMPLETED (the default)
};

struct ParseResult {
  std::optional<Command> command;
  // Lines to print when the command is not valid (ndb_mgm's wording).
  std::vector<std::string> error;
};

ParseResult parse_command(std::string_view line);

}  // namespace halb::cluster::mgm
