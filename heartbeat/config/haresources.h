// heartbeat/config/haresources.h: the haresources reader.
//
// One line (joined across trailing `\`) is one resource group:
// `<preferred-node> <resource>...`, each resource `Agent[::arg[::arg...]]`
// or a bare IPv4 address meaning `IPaddr::<address>`. A group is known by
// its first resource's text, which must be unique. Errors throw
// config::ConfigError(file, line).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "heartbeat/config/model.h"

namespace halb::heartbeat {

HaResources parse_haresources(const std::string& path, const std::vector<std::string>& nodes);
HaResources parse_haresources_text(std::string_view text, const std::string& path,
                                   const std::vector<std::string>& nodes);

}  // namespace halb::heartbeat
