// heartbeat/config/haresources.h: the haresources reader.
//
// One line (joined across trailing `\`, `#` comments removed, blanks
// collapsed) is one resource group: `<preferred-node> <resource>...`. A
// resource is `Agent`, `Agent::arg[::arg...]`, or a bare address (heartbeat's
// shell pattern [0-9]*.[0-9]*.[0-9]*.[0-9]*) meaning `IPaddr::<that text>`.
// A group is known by its first resource's text, which must be unique; the
// node must be one of ha.cf's nodes. This is what heartbeat's config.c and
// ResourceManager do with the file; what they left unchecked (a repeated
// key, a line without resources) is an error here.
//
// The first error throws config::ConfigError(file, line, why).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "heartbeat/config/model.h"

namespace halb::heartbeat {

// nodes: ha.cf's nodes (HaCf::nodes, lowercase).
HaResources parse_haresources(const std::string& path, const std::vector<std::string>& nodes);
// The same over text already in memory (tests); `path` only names it in
// messages.
HaResources parse_haresources_text(std::string_view text, const std::string& path,
                                   const std::vector<std::string>& nodes);

// heartbeat's isip(): the shell pattern [0-9]*.[0-9]*.[0-9]*.[0-9]*, so a
// digit first and three ".<digit>" after it; "10.0.0.1/24/eth0" matches.
bool looks_like_bare_ip(std::string_view resource);

}  // namespace halb::heartbeat
