// cluster/ndbd/engine/row_format.cc: encoding and decoding of stored rows.
#include "cluster/ndbd/engine/row_format.h"

#include <cstring>

namespace halb::cluster::engine {

RowLayout::RowLayout(const Table& t) : columns_(t.columns), slots_(t.columns.size()) {
  uint32_t nullable = 0;
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].nullable) slots_[i].null_bit = static_cast<int32_t>(nullable++);
  bitmap_bytes_ = (nullable + 7) / 8;
  uint32_t off = bitmap_bytes_;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (is_fixed(columns_[i].type)) {
      slots_[i].offset = off;
      off += fixed_size(columns_[i]);
    } else {
      ++var_columns_;
    }
  }
  fixed_bytes_ = off;
}

namespace {
void put_le(char* p, uint64_t x, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) p[i] = static_cast<char>((x >> (8 * i)) & 0xFF);
}
uint64_t get_le(const char* p, uint32_t n) {
  uint64_t x = 0;
  for (uint32_t i = 0; i < n; ++i) x |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return x;
}
}  // namespace

std::string RowLayout::encode(const Row& row) const {
  std::string out(fixed_bytes_, '\0');
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Column& c = columns_[i];
    const Value& v = i < row.size() ? row[i] : Value{};
    if (is_null(v)) {
      if (slots_[i].null_bit >= 0) out[slots_[i].null_bit / 8] |= static_cast<char>(1 << (slots_[i].null_bit % 8));
      if (!is_fixed(c.type)) out.append(2, '\0');
      continue;
    }
    char* p = out.data() + slots_[i].offset;
    if (is_integer_like(c.type)) {
      uint64_t x = std::holds_alternative<int64_t>(v) ? static_cast<uint64_t>(std::get<int64_t>(v)) : std::get<uint64_t>(v);
      put_le(p, x, fixed_size(c));
    } else if (c.type == ColumnType::kFloat) {
      float f = static_cast<float>(std::get<double>(v));
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      put_le(p, bits, 4);
    } else if (c.type == ColumnType::kDouble) {
      uint64_t bits;
      double d = std::get<double>(v);
      std::memcpy(&bits, &d, 8);
      put_le(p, bits, 8);
    } else if (is_fixed(c.type)) {
      const std::string& s = std::get<std::string>(v);
      std::memset(p, c.type == ColumnType::kChar ? ' ' : '\0', c.length);
      std::memcpy(p, s.data(), s.size());
    } else {
      const std::string& s = std::get<std::string>(v);
      char len[2];
      put_le(len, s.size(), 2);
      out.append(len, 2);
      out += s;
    }
  }
  return out;
}

Row RowLayout::decode(const std::string& bytes, const std::vector<bool>& keep) const {
  Row row(columns_.size());
  size_t var_off = fixed_bytes_;
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Column& c = columns_[i];
    const bool wanted = keep.empty() || keep[i];
    const bool null = slots_[i].null_bit >= 0 &&
                      (bytes[slots_[i].null_bit / 8] >> (slots_[i].null_bit % 8)) & 1;
    if (!is_fixed(c.type)) {
      uint32_t len = static_cast<uint32_t>(get_le(bytes.data() + var_off, 2));
      if (!null && wanted) row[i] = bytes.substr(var_off + 2, len);
      var_off += 2 + len;
      continue;
    }
    if (null || !wanted) continue;
    const char* p = bytes.data() + slots_[i].offset;
    const uint32_t n = fixed_size(c);
    if (is_integer_like(c.type)) {
      uint64_t x = get_le(p, n);
      if (c.is_unsigned) {
        row[i] = x;
      } else if (n == 4) {
        row[i] = static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(x)));
      } else {
        row[i] = static_cast<int64_t>(x);
      }
    } else if (c.type == ColumnType::kFloat) {
      uint32_t bits = static_cast<uint32_t>(get_le(p, 4));
      float f;
      std::memcpy(&f, &bits, 4);
      row[i] = static_cast<double>(f);
    } else if (c.type == ColumnType::kDouble) {
      uint64_t bits = get_le(p, 8);
      double d;
      std::memcpy(&d, &bits, 8);
      row[i] = d;
    } else {
      std::string s(p, n);
      // MySQL returns CHAR without its padding; BINARY keeps its zeros.
      if (c.type == ColumnType::kChar)
        while (!s.empty() && s.back() == ' ') s.pop_back();
      row[i] = std::move(s);
    }
  }
  return row;
}

}  // namespace halb::cluster::engine
