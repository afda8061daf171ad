// cluster/ndbd/wire/value_codec.h: one engine value, and a list of them,
// in bytes -- the layout every halb-ndbd format shares: engine messages on
// the links, redo and checkpoint records, backup files. A value is a tag
// (the variant's index: 0 NULL, 1 int64, 2 uint64, 3 double, 4 string)
// and its payload; a list is a u32 count and its values.
#pragma once

#include <vector>

#include "cluster/ndbd/engine/value.h"
#include "cluster/ndbd/wire/buffer.h"

namespace halb::cluster::wire {

void put_value(Writer& w, const engine::Value& v);
// An unknown tag fails the reader and gives NULL.
engine::Value get_value(Reader& r);

void put_values(Writer& w, const std::vector<engine::Value>& vs);
std::vector<engine::Value> get_values(Reader& r);

}  // namespace halb::cluster::wire
