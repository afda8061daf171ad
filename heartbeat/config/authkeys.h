// heartbeat/config/authkeys.h: the authkeys reader.
//
// `auth N` names the key that signs what we send; every listed key is
// accepted on input, so keys can be rolled over one node at a time. As in
// heartbeat, `auth` must come before the key lines, and a file readable by
// group or others is refused. Errors throw config::ConfigError.
#pragma once

#include <string>
#include <string_view>

#include "heartbeat/config/model.h"

namespace halb::heartbeat {

AuthKeys parse_authkeys(const std::string& path, bool check_permissions = true);
AuthKeys parse_authkeys_text(std::string_view text, const std::string& path);
const char* method_name(AuthMethod m);

}  // namespace halb::heartbeat
