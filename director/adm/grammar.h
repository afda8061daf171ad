// director/adm/grammar.h: ipvsadm 1.31's options and its rules of which
// options go with which command.
//
// The option table feeds the popt-style lexer; the combination rules are
// ipvsadm's commands_v_options table ('+' required, 'x' forbidden, '1' at
// most one of them) and its tunnel-type table, checked in ipvsadm's order
// so the first complaint about a bad line is the same one.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "director/adm/command.h"
#include "director/adm/popt_lexer.h"

namespace halb::director::adm {

// Tags of the options that have no one-letter form (the others use their
// letter).
enum Tag : int {
  kTagSet = 128, kTagStartDaemon, kTagStopDaemon, kTagMcastInterface, kTagTimeout, kTagDaemon, kTagStats,
  kTagRate, kTagThresholds, kTagPersistentConn, kTagSort, kTagNoSort, kTagPe, kTagSctp, kTagMcastGroup,
  kTagMcastPort, kTagMcastTtl, kTagSyncMaxlen, kTagTunInfo, kTagTunType, kTagTunPort, kTagTunNoCsum,
  kTagTunCsum, kTagTunRemCsum, kTagSyncId,
};

std::span<const OptionSpec> option_table();

// ipvsadm's word for an option in its messages ("real-server", ...).
const char* option_name(Opt o);
// "ipip", "gue", "gre" for tunnel types 0, 1, 2.
const char* tunnel_type_name(int type);

// A bad command line, as ipvsadm's fail(): the text (ending in a newline)
// for stderr and the exit status.
struct ArgError {
  int status;
  std::string text;
};
[[noreturn]] void fail(const std::string& msg, int status = 2);

// Throws ArgError when `options` (1 << Opt bits) break cmd's rules.
void check_combination(Cmd cmd, uint64_t options);
// The same for the tunnel options of a tunnel type.
void check_tunnel(int tun_type, uint64_t options);

}  // namespace halb::director::adm
