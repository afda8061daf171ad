// cluster/ndbd/engine/table.h: a table definition -- columns, primary key,
// unique and ordered indexes -- and the checks and key encodings every
// replica applies the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/ndbd/engine/value.h"

namespace halb::cluster::engine {

enum class ColumnType : uint8_t {
  kInt = 1,      // 4 bytes
  kBigInt,       // 8 bytes
  kFloat,        // 4 bytes
  kDouble,       // 8 bytes
  kDecimal,      // scaled integer in 8 bytes; precision <= 18
  kDatetime,     // 8 bytes
  kDate,         // 4 bytes
  kTime,         // 4 bytes
  kTimestamp,    // 4 bytes, unsigned
  kChar,         // fixed `length` bytes, space padded
  kBinary,       // fixed `length` bytes, zero padded
  kVarchar,      // up to `length` bytes in the var part
  kVarbinary,    // up to `length` bytes in the var part
  kText,         // inline in the var part, up to `length` <= kInlineBlobLimit
  kBlob,         // likewise, binary
};

// How much of a BLOB/TEXT the engine keeps in a row. A var part value
// carries a 2-byte length, so MySQL's TEXT/BLOB size fits; halb-sqld keeps
// longer MEDIUM/LONG values as NDB does, a head in the row and the rest in
// a hidden parts table (cluster/sqld/sql/long_values.h).
inline constexpr uint32_t kInlineBlobLimit = 65535;
// The longest VARCHAR/VARBINARY value (MySQL's row size limit).
inline constexpr uint32_t kMaxVarLength = 65535;
// The longest CHAR/BINARY (255 utf8mb4 characters and then some).
inline constexpr uint32_t kMaxFixedLength = 8000;
// NDB's limit on a primary key's size.
inline constexpr uint32_t kMaxKeyBytes = 3500;
// Name of the hidden key column a table without a primary key gets.
inline constexpr std::string_view kHiddenKeyName = "$PK";

struct Column {
  std::string name;
  ColumnType type = ColumnType::kInt;
  bool is_unsigned = false;  // kInt, kBigInt
  bool nullable = false;
  uint32_t length = 0;       // kChar..kBlob: bytes
  uint8_t precision = 0;     // kDecimal
  uint8_t scale = 0;         // kDecimal
};

enum class IndexKind : uint8_t { kUniqueHash = 1, kOrdered = 2 };

struct Index {
  uint32_t id = 0;  // unique within the table
  std::string name;
  IndexKind kind = IndexKind::kOrdered;
  std::vector<uint32_t> columns;  // column positions, in key order
};

struct Table {
  uint32_t id = 0;
  std::string name;
  uint32_t version = 0;
  uint32_t fragments = 0;          // 0 = one per data node, fixed at create
  std::vector<Column> columns;
  std::vector<uint32_t> primary_key;  // column positions, in key order
  std::vector<Index> indexes;
  bool hidden_key = false;  // primary_key is the added $PK column

  const Index* index(uint32_t index_id) const;
  std::optional<uint32_t> column(std::string_view name) const;
};

bool is_fixed(ColumnType t);
bool is_integer_like(ColumnType t);  // compared as signed/unsigned integers
// Bytes a fixed column takes in the row's fixed part.
uint32_t fixed_size(const Column& c);

// A well-formed definition: names, types, lengths, keys and index columns.
// Adds the hidden key when there is no primary key. Returns an error text or
// "" when the table is usable.
std::string normalise(Table& t);

// Checks that `v` is legal for `c`: kind, range of narrow integers, lengths,
// NULL only when nullable. Returns 0 or an NDB error code.
uint32_t check_value(const Column& c, const Value& v);

// Canonical bytes of a key (the primary key, an index key): the hash and the
// identity of a row. Equal keys give equal bytes, and the bytes sort as the
// values do (NULL first, numbers numerically, strings bytewise), so a
// prefix of the columns is a byte prefix: ordered indexes and range bounds
// work on these bytes.
std::string encode_key(const Table& t, const std::vector<uint32_t>& columns, const Row& row);
// The same from the key values alone, in key order.
std::string encode_key_values(const Table& t, const std::vector<uint32_t>& columns, const std::vector<Value>& key);

// Three-way comparison of two values of column `c` (NULL first), the order
// ordered indexes keep.
int compare_values(const Column& c, const Value& a, const Value& b);

}  // namespace halb::cluster::engine
