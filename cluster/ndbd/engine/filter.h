// cluster/ndbd/engine/filter.h: the pushed-down scan filter -- a small tree
// of column comparisons combined with AND/OR/NOT, evaluated on the data node
// so only matching rows travel. SQL three-valued logic: a comparison with
// NULL is unknown, and a row is returned only when the filter is true.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/ndbd/engine/table.h"

namespace halb::cluster::engine {

struct Filter {
  enum class Op : uint8_t {
    kTrue = 0, kEq, kNe, kLt, kLe, kGt, kGe, kIsNull, kIsNotNull, kLikePrefix, kAnd, kOr, kNot,
  };
  Op op = Op::kTrue;
  uint32_t column = 0;  // comparisons
  Value value;          // comparisons; kLikePrefix: the prefix (a string)
  std::vector<Filter> children;  // kAnd, kOr (any number), kNot (one)

  static Filter compare(Op op, uint32_t column, Value v) { return Filter{op, column, std::move(v), {}}; }
  static Filter all_of(std::vector<Filter> c) { return Filter{Op::kAnd, 0, {}, std::move(c)}; }
  static Filter any_of(std::vector<Filter> c) { return Filter{Op::kOr, 0, {}, std::move(c)}; }
  static Filter negate(Filter f) { return Filter{Op::kNot, 0, {}, {std::move(f)}}; }
};

// "" when the filter fits the table (columns exist, values suit them).
std::string check_filter(const Table& t, const Filter& f);
bool filter_matches(const Table& t, const Filter& f, const Row& row);
// Marks in `used` (one entry per column) every column the filter reads.
void mark_filter_columns(const Filter& f, std::vector<bool>& used);

}  // namespace halb::cluster::engine
