// cluster/mgm/texts.h: what halb-mgm prints, as pure functions of what the
// management server answered -- SHOW, STATUS lines, error blocks, HELP --
// in ndb_mgm 5.0's layout (tabs included), so scripts that read ndb_mgm
// output read ours.
#pragma once

#include <string>
#include <vector>

#include "cluster/mgmapi/node_status.h"

namespace halb::cluster::mgm {

// SHOW's "Cluster Configuration" block, every line ending in '\n'.
std::string format_show(const std::vector<mgmapi::NodeState>& nodes);
// One `<id> STATUS` line without the blank line that follows it.
std::string format_status(const mgmapi::NodeState& node);
// `* %5d: <what>` / `*        <why>`
std::string error_block(int code, const std::string& what, const std::string& why);
// An event line as halb-mgm prints it: a completed backup's one-line event
// ("Node 2: Backup 1 started from node 1 completed. StartGCP: ... bytes")
// becomes ndb_mgm's four lines; every other line stays as it is.
std::vector<std::string> event_lines(const std::string& line);
// HELP, or HELP <topic>; empty when the topic is unknown.
std::string help_text(const std::string& topic);

}  // namespace halb::cluster::mgm
