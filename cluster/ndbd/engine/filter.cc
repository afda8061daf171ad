// cluster/ndbd/engine/filter.cc: checking and evaluating scan filters.
#include "cluster/ndbd/engine/filter.h"

namespace halb::cluster::engine {

namespace {
enum class Tri { kFalse, kTrue, kUnknown };

Tri eval(const Table& t, const Filter& f, const Row& row) {
  using Op = Filter::Op;
  switch (f.op) {
    case Op::kTrue:
      return Tri::kTrue;
    case Op::kAnd: {
      Tri r = Tri::kTrue;
      for (const auto& c : f.children) {
        Tri x = eval(t, c, row);
        if (x == Tri::kFalse) return Tri::kFalse;
        if (x == Tri::kUnknown) r = Tri::kUnknown;
      }
      return r;
    }
    case Op::kOr: {
      Tri r = Tri::kFalse;
      for (const auto& c : f.children) {
        Tri x = eval(t, c, row);
        if (x == Tri::kTrue) return Tri::kTrue;
        if (x == Tri::kUnknown) r = Tri::kUnknown;
      }
      return r;
    }
    case Op::kNot: {
      Tri x = eval(t, f.children.front(), row);
      return x == Tri::kUnknown ? x : (x == Tri::kTrue ? Tri::kFalse : Tri::kTrue);
    }
    default:
      break;
  }
  const Value& v = row[f.column];
  if (f.op == Op::kIsNull) return is_null(v) ? Tri::kTrue : Tri::kFalse;
  if (f.op == Op::kIsNotNull) return is_null(v) ? Tri::kFalse : Tri::kTrue;
  if (is_null(v) || is_null(f.value)) return Tri::kUnknown;
  if (f.op == Op::kLikePrefix) {
    const std::string& s = std::get<std::string>(v);
    const std::string& p = std::get<std::string>(f.value);
    return s.compare(0, p.size(), p) == 0 && s.size() >= p.size() ? Tri::kTrue : Tri::kFalse;
  }
  const int c = compare_values(t.columns[f.column], v, f.value);
  bool r = false;
  switch (f.op) {
    case Op::kEq: r = c == 0; break;
    case Op::kNe: r = c != 0; break;
    case Op::kLt: r = c < 0; break;
    case Op::kLe: r = c <= 0; break;
    case Op::kGt: r = c > 0; break;
    case Op::kGe: r = c >= 0; break;
    default: break;
  }
  return r ? Tri::kTrue : Tri::kFalse;
}
}  // namespace

namespace {
// Deep enough for any WHERE clause a person writes; bounded so a hostile
// filter cannot exhaust the stack.
constexpr int kMaxFilterDepth = 64;

std::string check(const Table& t, const Filter& f, int depth) {
  using Op = Filter::Op;
  if (depth > kMaxFilterDepth) return "filter nested too deeply";
  switch (f.op) {
    case Op::kTrue:
      return "";
    case Op::kAnd: case Op::kOr:
      for (const auto& c : f.children)
        if (auto e = check(t, c, depth + 1); !e.empty()) return e;
      return "";
    case Op::kNot:
      if (f.children.size() != 1) return "NOT takes one operand";
      return check(t, f.children.front(), depth + 1);
    default:
      break;
  }
  if (f.op > Op::kNot) return "unknown filter operator";
  if (f.column >= t.columns.size()) return "filter names a missing column";
  if (f.op == Op::kIsNull || f.op == Op::kIsNotNull) return "";
  const Column& c = t.columns[f.column];
  if (f.op == Op::kLikePrefix) {
    if (is_fixed(c.type) && c.type != ColumnType::kChar && c.type != ColumnType::kBinary)
      return "LIKE on a column that is not a string";
    if (!std::holds_alternative<std::string>(f.value)) return "LIKE prefix is not a string";
    return "";
  }
  if (is_null(f.value)) return "";  // unknown for every row, as SQL says
  Column loose = c;  // a comparison value may be longer than the column
  loose.nullable = true;
  loose.length = 0xFFFFFFFF;
  if (loose.type == ColumnType::kDecimal) loose.precision = 18;
  if (loose.type == ColumnType::kInt) loose.type = ColumnType::kBigInt;
  if (check_value(loose, f.value) != 0) return "filter value does not suit column " + c.name;
  return "";
}
}  // namespace

std::string check_filter(const Table& t, const Filter& f) { return check(t, f, 0); }

bool filter_matches(const Table& t, const Filter& f, const Row& row) { return eval(t, f, row) == Tri::kTrue; }

void mark_filter_columns(const Filter& f, std::vector<bool>& used) {
  if (f.op == Filter::Op::kTrue) return;
  if (f.op == Filter::Op::kAnd || f.op == Filter::Op::kOr || f.op == Filter::Op::kNot) {
    for (const auto& c : f.children) mark_filter_columns(c, used);
    return;
  }
  if (f.column < used.size()) used[f.column] = true;
}

}  // namespace halb::cluster::engine
