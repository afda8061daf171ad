// cluster/ndbd/engine/row_format.h: the compact stored form of a row.
//
//   [null bitmap: one bit per nullable column][fixed part: each fixed column
//    at its own offset, CHAR space padded, BINARY zero padded][var part: for
//    each VARCHAR/VARBINARY/TEXT/BLOB column, a 2-byte length and the bytes]
//
// The fixed part has the same size for every row of a table and goes into a
// fixed-size slot; the var part is as long as its values and is charged by
// its length (see memory.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/ndbd/engine/table.h"

namespace halb::cluster::engine {

class RowLayout {
 public:
  explicit RowLayout(const Table& t);

  uint32_t fixed_bytes() const { return fixed_bytes_; }  // bitmap + fixed columns
  bool has_var_part() const { return var_columns_ > 0; }

  // The stored bytes of a checked row (check_value on every column first).
  std::string encode(const Row& row) const;
  Row decode(const std::string& bytes) const { return decode(bytes, {}); }
  // Only the columns `keep` marks (empty = all); the others stay NULL.
  Row decode(const std::string& bytes, const std::vector<bool>& keep) const;
  // Var part length of stored bytes (bytes.size() - fixed_bytes()).
  uint32_t var_bytes(const std::string& bytes) const {
    return static_cast<uint32_t>(bytes.size()) - fixed_bytes_;
  }

 private:
  struct Slot {
    int32_t null_bit = -1;  // -1: not nullable
    uint32_t offset = 0;    // fixed columns: offset in the fixed part
  };
  std::vector<Column> columns_;
  std::vector<Slot> slots_;
  uint32_t bitmap_bytes_ = 0;
  uint32_t fixed_bytes_ = 0;
  uint32_t var_columns_ = 0;
};

}  // namespace halb::cluster::engine
