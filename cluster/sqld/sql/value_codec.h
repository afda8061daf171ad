// cluster/sqld/sql/value_codec.h: MySQL values <-> the cluster's stored
// values for one column: temporal text <-> packed integers, DECIMAL text <->
// scaled integers, CHAR trailing spaces, strict-mode range and length
// checks (1264, 1406, 1366).
#pragma once

#include <optional>
#include <string>

#include "cluster/ndbd/engine/value.h"
#include "cluster/sqld/sql/session.h"
#include "cluster/sqld/sql/table_def.h"

namespace halb::cluster::sqld {

// What SQLite handed over for a column, before conversion.
struct SqlInput {
  enum class Kind { kNull, kInt, kDouble, kText, kBlob } kind = Kind::kNull;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

// Converts `in` for column `c` (strict mode). nullopt with `error` set when
// the value does not fit; `row` (1-based) goes into the message.
std::optional<engine::Value> to_stored(const ColumnMeta& c, const SqlInput& in, uint64_t row, SqlError& error);

// A stored value as SQLite should see it.
SqlInput from_stored(const ColumnMeta& c, const engine::Value& v);

// A stored value as text (for 1062 messages and SHOW output).
std::string stored_to_text(const ColumnMeta& c, const engine::Value& v);

}  // namespace halb::cluster::sqld
