// cluster/sqld/sql/long_values.h: MEDIUMBLOB/LONGBLOB/MEDIUMTEXT/LONGTEXT
// values longer than a row can hold, kept the way NDB keeps them: the row
// holds a head (the value's length, then its first bytes) and a hidden
// parts table ("NDB$BLOB_<table>_<column>", one per such column, created,
// truncated and dropped with the table) holds the rest in parts of a fixed
// size, keyed by the row's primary key and the part number. Parts are
// written, read and removed in the statement's own cluster transaction.
//
// The head is exactly engine::kInlineBlobLimit bytes: 8 bytes of length
// (big-endian) and the value's first kHeadBytes. A value shorter than that
// limit stays in the row as it is, as it always did, so a stored value of
// exactly the limit's length is a head and nothing else is.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/ndbd/engine/table.h"
#include "cluster/sqld/sql/table_def.h"

namespace halb::cluster::sqld {

struct ExecContext;
struct CatalogTable;

namespace long_values {

inline constexpr size_t kHeadBytes = engine::kInlineBlobLimit - 8;
// Small enough that a batch of writes and reads fits a transport frame
// (ExecContext::kBatchBytes).
inline constexpr size_t kPartBytes = 60000;

// MEDIUM/LONG TEXT/BLOB: the columns that get a parts table.
bool is_long_column(const ColumnMeta& c);
// MySQL's limit for the column type (what to_stored allows).
uint64_t max_length(const ColumnMeta& c);

// "db/def/NDB$BLOB_t_3" for column 3 of the cluster table "db/def/t"
// (a rebuilt "db/def/t#2" gets "db/def/NDB$BLOB_t#2_3").
std::string parts_table_name(const std::string& cluster_name, size_t column);
// The parts table of `main`'s column: the primary key columns, the part
// number, the bytes.
engine::Table parts_table(const engine::Table& main, size_t column, const std::string& name);

// A value that needs parts (at least engine::kInlineBlobLimit bytes).
bool needs_parts(size_t size);
std::string head_of(const std::string& value);
// The whole length when `stored` is a head.
std::optional<uint64_t> length_of_head(const engine::Value& stored);
size_t part_count(uint64_t length);
// Part `k` of `value` (which needs parts).
std::string part_of(const std::string& value, size_t k);

// Buffers in the session's transaction what makes the parts of column
// `column` of the row at `key` hold `value` (nullopt: the row or value is
// gone), given how many parts it had (`old_parts`). Executes (without
// committing) as batches fill. An error is the cluster's.
std::optional<SqlError> write_parts(ExecContext& ctx, const CatalogTable& t, size_t column,
                                    const std::vector<engine::Value>& key, const std::optional<std::string>& value,
                                    size_t old_parts);
// The whole value whose head is `head`, reading the parts (the
// transaction's own writes first, then committed rows).
std::optional<SqlError> read_value(ExecContext& ctx, const CatalogTable& t, size_t column,
                                   const std::vector<engine::Value>& key, const std::string& head, std::string& out);

// ---- what the virtual table's xUpdate does with a row

// The long values of a row about to be written, taken out of `row` (which
// gets their heads): column and whole value (nullopt: NULL). Columns an
// UPDATE does not set (`unchanged`) are left alone: their parts stay.
struct Pending {
  std::vector<std::pair<size_t, std::optional<std::string>>> values;
  bool empty() const { return values.empty(); }
};
Pending take_long_values(const TableDef& def, engine::Row& row, const std::vector<bool>& unchanged);
// After the row's own operation at `key`: the parts of the pending values,
// and the removal of those a shorter value no longer has (`old_row`: the
// row as it was, nullptr for a new row).
std::optional<SqlError> write_row_parts(ExecContext& ctx, const CatalogTable& t, const std::vector<engine::Value>& key,
                                        const Pending& pending, const engine::Row* old_row);
// The row at `key` (stored as `old_row`) is gone: so are its parts.
std::optional<SqlError> remove_row_parts(ExecContext& ctx, const CatalogTable& t, const std::vector<engine::Value>& key,
                                         const engine::Row& old_row);
// An UPDATE moves the row from `old_key` to `new_key`: every long value
// with parts moves (unchanged ones are read first and added to `pending`).
std::optional<SqlError> move_row_parts(ExecContext& ctx, const CatalogTable& t, const std::vector<engine::Value>& old_key,
                                       const std::vector<engine::Value>& new_key, Pending& pending,
                                       const engine::Row& old_row, const std::vector<bool>& unchanged);
// Whether the pending values differ from those of `old_row` where the
// heads alone cannot tell (same length and first bytes).
std::optional<SqlError> long_values_differ(ExecContext& ctx, const CatalogTable& t, const std::vector<engine::Value>& key,
                                           const Pending& pending, const engine::Row& old_row, bool& differ);

}  // namespace long_values
}  // namespace halb::cluster::sqld
