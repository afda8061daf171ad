// heartbeat/config/authkeys.h: the authkeys reader.
//
// `auth N` names the key that signs what this node sends; every listed key
// is accepted on input, because each message names its key, so keys can be
// rolled over one node at a time. heartbeat 3.0.6's rules are kept: indexes
// 0-15; crc takes no key, md5 and sha1 (and halb's sha256) take one word;
// the `auth` line is matched against the key lines that follow it, so the
// active key must be listed after it; a file readable by group or others is
// refused. `#` starts a comment only at the start of a line, since a key may
// contain `#`.
//
// The first error throws config::ConfigError(file, line, why); line 0 for
// what concerns the whole file (permissions, a missing auth line).
#pragma once

#include <string>
#include <string_view>

#include "heartbeat/config/model.h"

namespace halb::heartbeat {

AuthKeys parse_authkeys(const std::string& path, bool check_permissions = true);
// The same over text already in memory (tests); `path` only names it in
// messages. No permission check.
AuthKeys parse_authkeys_text(std::string_view text, const std::string& path);
// "crc", "md5", "sha1", "sha256": the word used in the file and on the wire.
const char* method_name(AuthMethod m);

}  // namespace halb::heartbeat
