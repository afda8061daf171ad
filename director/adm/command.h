// director/adm/command.h: ipvsadm 1.31's command line, parsed.
//
// One command (-A, -E, -D, -C, -R, -S, -a, -e, -d, -L/-l, -Z, --set,
// --start-daemon, --stop-daemon, -h, -v) followed by options, with popt's
// rules as ipvsadm uses them: the command must come first, short options
// cluster (-Ln, -t1.2.3.4:80), long options take "=value" or the next word,
// -p's timeout is optional. Each option is then checked against ipvsadm's
// table of which options each command needs, allows or forbids, and the
// same messages and exit statuses come out: 2 for a bad value or
// combination, 255 for popt's errors and for a missing command.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "director/adm/listing.h"
#include "director/adm/names.h"
#include "director/backend/backend.h"

namespace halb::director::adm {

enum class Cmd {
  none, add_service, edit_service, del_service, flush, list, add_dest, del_dest, edit_dest,
  set_timeouts, start_daemon, stop_daemon, restore, save, zero, help, version,
};

// ipvsadm's OPT_* bits (bit i = its OPTC_ index), in its order, which is
// also the order in which combinations are checked.
enum Opt : int {
  kOptNumeric, kOptConnection, kOptService, kOptScheduler, kOptPersistent, kOptNetmask, kOptServer,
  kOptForward, kOptWeight, kOptUThreshold, kOptLThreshold, kOptMcast, kOptTimeout, kOptDaemon, kOptStats,
  kOptRate, kOptThresholds, kOptPersistentConn, kOptNoSort, kOptSyncId, kOptExact, kOptOnePacket, kOptPe,
  kOptSchedFlags, kOptMcastGroup, kOptMcastPort, kOptMcastTtl, kOptSyncMaxlen, kOptTunInfo, kOptTunType,
  kOptTunPort, kOptTunNoCsum, kOptTunCsum, kOptTunRemCsum, kOptCount
};

struct Command {
  Cmd cmd = Cmd::none;
  uint64_t options = 0;  // 1 << Opt for every option given
  backend::Service service;  // key and attributes (-t/-u/-f, -s, -p, -M, --pe, -o, -b)
  backend::Dest dest;        // -r, -g/-i/-m, -w, -x, -y
  backend::Timeouts timeouts;  // --set
  backend::SyncDaemon daemon;  // --start-daemon/--stop-daemon and their options
  ListFormat format;
  bool has(Opt o) const { return options & (uint64_t{1} << o); }
};

// What to do instead of running a command: print `out` to stdout and
// `err` to stderr, then exit with `status` (-h and -v exit 0 on stdout).
struct Exit {
  int status = 0;
  std::string out;
  std::string err;
  // ipvsadm returns from this error instead of exiting, so -R goes on
  // with the next line (popt's errors).
  bool resumable = false;
};

// Parses one ipvsadm command line; args[0] is the program name, used in
// messages. With reading_stdin (a line of -R) a nested -R is refused.
std::variant<Command, Exit> parse_command(const std::vector<std::string>& args, Names& names,
                                          bool reading_stdin = false);

// -h: usage on stdout (status 0) or stderr.
std::string usage_text(const std::string& program);
// -v: the version line.
std::string version_text();

}  // namespace halb::director::adm
