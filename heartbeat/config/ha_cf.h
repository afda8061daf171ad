// heartbeat/config/ha_cf.h: the ha.cf reader.
//
// ha.cf is read with heartbeat 3.0.6's rules, so an operator's existing file
// means the same thing to halb-heartbeat: one directive per line, `#` starts
// a comment anywhere, names are lowercase and case-sensitive, list
// directives split on blanks or commas, udpport/baud come before any media
// line, bare times are seconds (decimals allowed) or carry `ms`/`us`.
// Defaults that depend on other directives (warntime, initdead, deadping)
// and the checks between directives (deadtime > 2 x keepalive, the local
// node among the nodes, ...) are resolved once the whole file is read.
//
// The first error throws config::ConfigError(file, line, why); the daemon
// prints it and exits 6. Things heartbeat only warns about land in
// HaCf::warnings as "file:line: text".
#pragma once

#include <string>
#include <string_view>

#include "heartbeat/config/model.h"

namespace halb::heartbeat {

// local_node: this node's name as heartbeat finds it (nodeinfo, uname -n);
// compared lowercased, it must be one of the `node`s.
HaCf parse_ha_cf(const std::string& path, const std::string& local_node);
// The same over text already in memory (tests); `path` only names it in
// messages.
HaCf parse_ha_cf_text(std::string_view text, const std::string& path, const std::string& local_node);

}  // namespace halb::heartbeat
