// cluster/mgmapi/config_codec.h: how `get config` carries the configuration.
//
// NDB packs its ConfigValues into a binary blob; halb sends the config.ini
// text the management server loaded, base64-encoded, with Content-Type
// `ndbconfig/halb-config-ini`, and the node reads it with the same parser
// (cluster/config/config_ini.h). Node ids come out identical on both sides
// because assignment is deterministic in file order, and a node never holds
// a configuration its management server would have refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cluster/config/model.h"
#include "cluster/mgmapi/protocol.h"

namespace halb::cluster::mgmapi {

inline constexpr std::string_view kConfigContentType = "ndbconfig/halb-config-ini";

// `get config reply` carrying `config_ini_text`.
Message encode_config(std::string_view config_ini_text);
// The configuration in a `get config reply`; nullopt with `error` set when the
// reply is not one, the payload does not decode or the text does not parse.
std::optional<ClusterConfig> decode_config(const Message& reply, std::string& error);

}  // namespace halb::cluster::mgmapi
