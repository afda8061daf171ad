// heartbeat/config/ha_cf.h: the ha.cf reader.
//
// heartbeat's rules: one directive per line, `#` starts a comment anywhere,
// lowercase case-sensitive names, list directives split on blanks or commas,
// udpport/baud before any media line, bare times in seconds (decimals
// allowed) or with `ms`/`us`. Defaults and the checks between directives
// (deadtime > 2 x keepalive, initdead >= deadtime, ...) are resolved after
// the whole file is read. Errors throw config::ConfigError(file, line).
#pragma once

#include <string>
#include <string_view>

#include "heartbeat/config/model.h"

namespace halb::heartbeat {

// local_node: this node's name (lowercase); it must be one of the `node`s.
HaCf parse_ha_cf(const std::string& path, const std::string& local_node);
// The same over text (tests); `path` is only used in messages.
HaCf parse_ha_cf_text(std::string_view text, const std::string& path, const std::string& local_node);

}  // namespace halb::heartbeat
