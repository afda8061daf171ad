// cluster/ndbd/engine/value.h: one column value as the engine sees it.
//
// Integers travel as int64/uint64 whatever their column width, DECIMAL as a
// scaled integer (123.45 in DECIMAL(5,2) is 12345), temporal types as the
// packed integers MySQL 5.0 stores (DATETIME YYYYMMDDhhmmss, DATE YYYYMMDD,
// TIME +-hhmmss, TIMESTAMP seconds since the epoch); strings and binaries as
// bytes. The column type decides which alternative is legal.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace halb::cluster::engine {

using Value = std::variant<std::monostate, int64_t, uint64_t, double, std::string>;
using Row = std::vector<Value>;  // one value per column, in column order

inline bool is_null(const Value& v) { return std::holds_alternative<std::monostate>(v); }

}  // namespace halb::cluster::engine
