// cluster/ndbd/backup/key_codec.h: primary key values back from the key
// bytes engine::encode_key made -- a delete in the change stream names its
// row by those bytes, and the backup log (and so halb-restore, which
// deletes through the client API) needs the values.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "cluster/ndbd/engine/table.h"

namespace halb::cluster::backup {

// The values of `t`'s primary key columns, in key order; nullopt when the
// bytes are not such a key. CHAR/VARCHAR come back without the trailing
// spaces and BINARY without the trailing zeros the key drops: equal keys.
std::optional<std::vector<engine::Value>> decode_primary_key(const engine::Table& t, std::string_view bytes);

}  // namespace halb::cluster::backup
