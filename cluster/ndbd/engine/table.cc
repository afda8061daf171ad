// cluster/ndbd/engine/table.cc: table checks, key bytes and value order.
#include "cluster/ndbd/engine/table.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "cluster/ndbd/engine/error.h"

namespace halb::cluster::engine {

const Index* Table::index(uint32_t index_id) const {
  for (const auto& i : indexes)
    if (i.id == index_id) return &i;
  return nullptr;
}

std::optional<uint32_t> Table::column(std::string_view n) const {
  for (uint32_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == n) return i;
  return std::nullopt;
}

bool is_fixed(ColumnType t) {
  return !(t == ColumnType::kVarchar || t == ColumnType::kVarbinary || t == ColumnType::kText ||
           t == ColumnType::kBlob);
}

bool is_integer_like(ColumnType t) {
  switch (t) {
    case ColumnType::kInt: case ColumnType::kBigInt: case ColumnType::kDecimal: case ColumnType::kDatetime:
    case ColumnType::kDate: case ColumnType::kTime: case ColumnType::kTimestamp:
      return true;
    default:
      return false;
  }
}

static bool is_string(ColumnType t) { return t >= ColumnType::kChar; }

uint32_t fixed_size(const Column& c) {
  switch (c.type) {
    case ColumnType::kInt: case ColumnType::kFloat: case ColumnType::kDate: case ColumnType::kTime:
    case ColumnType::kTimestamp:
      return 4;
    case ColumnType::kBigInt: case ColumnType::kDouble: case ColumnType::kDecimal: case ColumnType::kDatetime:
      return 8;
    case ColumnType::kChar: case ColumnType::kBinary:
      return c.length;
    default:
      return 0;
  }
}

std::string normalise(Table& t) {
  if (t.name.empty()) return "table name is empty";
  if (t.columns.empty()) return "table " + t.name + " has no columns";
  std::set<std::string> names;
  for (auto& c : t.columns) {
    if (c.name.empty()) return "column name is empty";
    if (!names.insert(c.name).second) return "column " + c.name + " repeated";
    if (c.type < ColumnType::kInt || c.type > ColumnType::kBlob) return "column " + c.name + ": unknown type";
    if (is_string(c.type)) {
      uint32_t max = (c.type == ColumnType::kText || c.type == ColumnType::kBlob) ? kInlineBlobLimit
                     : is_fixed(c.type)                                             ? kMaxFixedLength
                                                                                    : kMaxVarLength;
      if (c.length == 0 || c.length > max) return "column " + c.name + ": length out of range";
    }
    if (c.type == ColumnType::kDecimal && (c.precision == 0 || c.precision > 18 || c.scale > c.precision))
      return "column " + c.name + ": DECIMAL precision must be 1..18 and scale <= precision";
    if (c.type == ColumnType::kTimestamp) c.is_unsigned = true;
  }
  if (t.primary_key.empty()) {
    if (t.column(kHiddenKeyName)) return "column $PK is reserved";
    Column hidden;
    hidden.name = std::string(kHiddenKeyName);
    hidden.type = ColumnType::kBigInt;
    hidden.is_unsigned = true;
    t.columns.push_back(hidden);
    t.primary_key = {static_cast<uint32_t>(t.columns.size() - 1)};
    t.hidden_key = true;
  }
  uint32_t key_bytes = 0;
  std::set<uint32_t> seen;
  for (uint32_t k : t.primary_key) {
    if (k >= t.columns.size()) return "primary key names a missing column";
    if (!seen.insert(k).second) return "primary key repeats a column";
    if (t.columns[k].nullable) return "primary key column " + t.columns[k].name + " is nullable";
    if (t.columns[k].type == ColumnType::kText || t.columns[k].type == ColumnType::kBlob)
      return "primary key column " + t.columns[k].name + " is a BLOB/TEXT";
    key_bytes += is_fixed(t.columns[k].type) ? fixed_size(t.columns[k]) : t.columns[k].length + 2;
  }
  if (key_bytes > kMaxKeyBytes) return "primary key longer than 3500 bytes";
  std::set<uint32_t> index_ids;
  std::set<std::string> index_names;
  for (const auto& i : t.indexes) {
    if (!index_ids.insert(i.id).second) return "index id repeated";
    if (i.name.empty() || !index_names.insert(i.name).second) return "index name empty or repeated";
    if (i.kind != IndexKind::kUniqueHash && i.kind != IndexKind::kOrdered) return "index " + i.name + ": unknown kind";
    if (i.columns.empty()) return "index " + i.name + " has no columns";
    for (uint32_t c : i.columns)
      if (c >= t.columns.size()) return "index " + i.name + " names a missing column";
  }
  return "";
}

namespace {

bool as_signed(const Value& v, int64_t& out) {
  if (auto p = std::get_if<int64_t>(&v)) { out = *p; return true; }
  if (auto p = std::get_if<uint64_t>(&v)) {
    if (*p > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    out = static_cast<int64_t>(*p);
    return true;
  }
  return false;
}

bool as_unsigned(const Value& v, uint64_t& out) {
  if (auto p = std::get_if<uint64_t>(&v)) { out = *p; return true; }
  if (auto p = std::get_if<int64_t>(&v)) {
    if (*p < 0) return false;
    out = static_cast<uint64_t>(*p);
    return true;
  }
  return false;
}

void put64(std::string& out, uint64_t x) {
  // Big-endian so that key bytes of unsigned integers sort like the numbers.
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((x >> (i * 8)) & 0xFF));
}

}  // namespace

uint32_t check_value(const Column& c, const Value& v) {
  if (is_null(v)) return c.nullable ? 0 : err::kNullNotAllowed;
  if (is_integer_like(c.type)) {
    const bool narrow = fixed_size(c) == 4;
    if (c.is_unsigned) {
      uint64_t u;
      if (!as_unsigned(v, u)) return err::kAttributeBad;
      if (narrow && u > std::numeric_limits<uint32_t>::max()) return err::kAttributeBad;
      return 0;
    }
    int64_t s;
    if (!as_signed(v, s)) return err::kAttributeBad;
    if (narrow && (s < std::numeric_limits<int32_t>::min() || s > std::numeric_limits<int32_t>::max()))
      return err::kAttributeBad;
    if (c.type == ColumnType::kDecimal) {
      int64_t limit = 1;
      for (int i = 0; i < c.precision; ++i) limit *= 10;
      if (s <= -limit || s >= limit) return err::kAttributeBad;
    }
    return 0;
  }
  if (c.type == ColumnType::kFloat || c.type == ColumnType::kDouble)
    return std::holds_alternative<double>(v) ? 0 : err::kAttributeBad;
  auto s = std::get_if<std::string>(&v);
  if (!s || s->size() > c.length) return err::kAttributeBad;
  return 0;
}

static void encode_one(const Column& c, const Value& v, std::string& out) {
  if (is_null(v)) { out.push_back('\0'); return; }
  out.push_back('\1');
  if (is_integer_like(c.type)) {
    if (c.is_unsigned) {
      uint64_t u = 0;
      as_unsigned(v, u);
      put64(out, u);
    } else {
      int64_t s = 0;
      as_signed(v, s);
      put64(out, static_cast<uint64_t>(s) ^ (1ull << 63));  // sign flip keeps byte order = number order
    }
    return;
  }
  if (c.type == ColumnType::kFloat || c.type == ColumnType::kDouble) {
    double d = std::get<double>(v);
    if (d == 0) d = 0;  // -0.0 and 0.0 are one key
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    // IEEE order as unsigned bytes: negatives fully inverted, positives sign-flipped.
    bits = (bits >> 63) ? ~bits : bits ^ (1ull << 63);
    put64(out, bits);
    return;
  }
  std::string s = std::get<std::string>(v);
  if (c.type == ColumnType::kChar || c.type == ColumnType::kVarchar)
    while (!s.empty() && s.back() == ' ') s.pop_back();  // PAD SPACE: 'a' = 'a  '
  if (c.type == ColumnType::kBinary)
    while (!s.empty() && s.back() == '\0') s.pop_back();
  // 0x00 escaped as 00 FF and 00 00 as terminator: byte order of the encoding
  // is the order of the strings, and no encoding is a prefix of another.
  for (char ch : s) {
    out.push_back(ch);
    if (ch == '\0') out.push_back('\xFF');
  }
  out.push_back('\0');
  out.push_back('\0');
}

std::string encode_key(const Table& t, const std::vector<uint32_t>& columns, const Row& row) {
  std::string out;
  for (uint32_t c : columns) encode_one(t.columns[c], c < row.size() ? row[c] : Value{}, out);
  return out;
}

std::string encode_key_values(const Table& t, const std::vector<uint32_t>& columns, const std::vector<Value>& key) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) encode_one(t.columns[columns[i]], i < key.size() ? key[i] : Value{}, out);
  return out;
}

int compare_values(const Column& c, const Value& a, const Value& b) {
  const bool an = is_null(a), bn = is_null(b);
  if (an || bn) return an == bn ? 0 : (an ? -1 : 1);
  if (is_integer_like(c.type)) {
    if (c.is_unsigned) {
      uint64_t x = 0, y = 0;
      as_unsigned(a, x);
      as_unsigned(b, y);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    int64_t x = 0, y = 0;
    as_signed(a, x);
    as_signed(b, y);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (c.type == ColumnType::kFloat || c.type == ColumnType::kDouble) {
    double x = std::get<double>(a), y = std::get<double>(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  std::string x = std::get<std::string>(a), y = std::get<std::string>(b);
  if (c.type == ColumnType::kChar || c.type == ColumnType::kVarchar || c.type == ColumnType::kText) {
    while (!x.empty() && x.back() == ' ') x.pop_back();
    while (!y.empty() && y.back() == ' ') y.pop_back();
  }
  int r = x.compare(y);
  return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

}  // namespace halb::cluster::engine
