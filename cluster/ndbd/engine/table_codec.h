// cluster/ndbd/engine/table_codec.h: a table definition as compact bytes,
// what the dictionary ships to other nodes and writes to its schema file.
//
//   "HTD1" u32 id u32 version u32 fragments str name u8 hidden_key
//   u16 columns { str name u8 type u8 flags(1 unsigned, 2 nullable) u32 length u8 precision u8 scale }
//   u16 key columns { u16 position }
//   u16 indexes { u32 id str name u8 kind u16 columns { u16 position } }
// Integers little-endian; str = u16 length + bytes.
#pragma once

#include <optional>
#include <string>

#include "cluster/ndbd/engine/table.h"

namespace halb::cluster::engine {

std::string encode_table(const Table& t);
// The table, or nullopt with `error` saying what is wrong with the bytes.
std::optional<Table> decode_table(std::string_view bytes, std::string& error);

}  // namespace halb::cluster::engine
