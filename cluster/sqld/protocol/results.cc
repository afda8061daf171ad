// cluster/sqld/protocol/results.cc
#include "cluster/sqld/protocol/results.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "cluster/sqld/protocol/wire.h"

namespace halb::cluster::sqld::protocol {

void encode_ok(std::string& out, uint64_t affected_rows, uint64_t last_insert_id, uint16_t status,
               uint16_t warnings, std::string_view info) {
  put_u8(out, 0x00);
  put_lenenc(out, affected_rows);
  put_lenenc(out, last_insert_id);
  put_u16(out, status);
  put_u16(out, warnings);
  // MySQL and MariaDB both write the info as a length-encoded string (their
  // net_store_data), and libmariadb rejects a bare one as a malformed packet.
  if (!info.empty()) put_lenenc_string(out, info);
}

void encode_err(std::string& out, const SqlError& error) {
  put_u8(out, 0xFF);
  put_u16(out, error.code);
  out.push_back('#');
  std::string_view state = error.sqlstate;
  out.append(state.substr(0, 5));
  for (size_t i = state.size(); i < 5; ++i) out.push_back('0');
  out.append(error.message);
}

void encode_eof(std::string& out, uint16_t warnings, uint16_t status) {
  put_u8(out, 0xFE);
  put_u16(out, warnings);
  put_u16(out, status);
}

void encode_column_def(std::string& out, const ColumnDef& c, bool with_default) {
  put_lenenc_string(out, "def");
  put_lenenc_string(out, c.schema);
  put_lenenc_string(out, c.table);
  put_lenenc_string(out, c.org_table);
  put_lenenc_string(out, c.name);
  put_lenenc_string(out, c.org_name);
  put_u8(out, 0x0C);
  put_u16(out, c.charset);
  put_u32(out, c.length);
  put_u8(out, static_cast<uint8_t>(c.type));
  put_u16(out, c.flags);
  put_u8(out, c.decimals);
  put_u16(out, 0);
  if (with_default) {
    if (c.default_value)
      put_lenenc_string(out, *c.default_value);
    else
      put_u8(out, 0xFB);
  }
}

namespace {

template <typename T>
void append_number(std::string& out, T v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_double(std::string& out, double v, bool single) {
  if (std::isnan(v)) {
    out.append("nan");
  } else if (std::isinf(v)) {
    out.append(v < 0 ? "-inf" : "inf");
  } else if (single) {
    append_number(out, static_cast<float>(v));
  } else {
    append_number(out, v);
  }
}

bool is_integer_type(FieldType t) {
  switch (t) {
    case FieldType::kTiny: case FieldType::kShort: case FieldType::kLong: case FieldType::kLongLong:
    case FieldType::kInt24: case FieldType::kYear:
      return true;
    default:
      return false;
  }
}

// Numbers from any Value, for the binary encodings of numeric columns (the
// SQL side may hand a string or a double for an integer column).
int64_t as_int(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* u = std::get_if<uint64_t>(&v)) return static_cast<int64_t>(*u);
  if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(std::llround(*d));
  if (auto* s = std::get_if<std::string>(&v)) {
    int64_t x = 0;
    const char* b = s->data();
    if (!s->empty() && *b == '+') ++b;
    std::from_chars(b, s->data() + s->size(), x);
    if (x == 0 && !s->empty() && (*s)[0] != '-') {  // maybe an unsigned above INT64_MAX
      uint64_t u = 0;
      std::from_chars(b, s->data() + s->size(), u);
      return static_cast<int64_t>(u);
    }
    return x;
  }
  return 0;
}

double as_double(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* u = std::get_if<uint64_t>(&v)) return static_cast<double>(*u);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* s = std::get_if<std::string>(&v)) return std::strtod(s->c_str(), nullptr);
  return 0;
}

// Reads up to `max_digits` decimal digits; false when none.
bool take_number(std::string_view& s, uint64_t& v, size_t max_digits = 19) {
  size_t i = 0;
  v = 0;
  while (i < s.size() && i < max_digits && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
  s.remove_prefix(i);
  return i > 0;
}

bool take_char(std::string_view& s, char c) {
  if (s.empty() || s[0] != c) return false;
  s.remove_prefix(1);
  return true;
}

// ".5" → 500000, ".123456" → 123456: fractional seconds in microseconds.
uint32_t take_micros(std::string_view& s) {
  if (!take_char(s, '.')) return 0;
  uint32_t us = 0;
  int digits = 0;
  while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
    if (digits < 6) {
      us = us * 10 + (s[0] - '0');
      ++digits;
    }
    s.remove_prefix(1);
  }
  for (; digits < 6; ++digits) us *= 10;
  return us;
}

}  // namespace

void append_text_value(std::string& out, const Value& value, FieldType type) {
  if (auto* i = std::get_if<int64_t>(&value)) {
    append_number(out, *i);
  } else if (auto* u = std::get_if<uint64_t>(&value)) {
    append_number(out, *u);
  } else if (auto* d = std::get_if<double>(&value)) {
    if (is_integer_type(type))
      append_number(out, static_cast<int64_t>(std::llround(*d)));
    else
      append_double(out, *d, type == FieldType::kFloat);
  } else if (auto* s = std::get_if<std::string>(&value)) {
    out.append(*s);
  }
}

void encode_text_row(std::string& out, const Row& row) {
  char buf[64];
  for (const Value& v : row) {
    if (std::holds_alternative<std::monostate>(v)) {
      put_u8(out, 0xFB);
    } else if (auto* s = std::get_if<std::string>(&v)) {
      put_lenenc_string(out, *s);
    } else {
      // Numbers are short: format on the stack, then length-prefix.
      std::string_view text;
      if (auto* i = std::get_if<int64_t>(&v)) {
        text = std::string_view(buf, std::to_chars(buf, buf + sizeof buf, *i).ptr - buf);
      } else if (auto* u = std::get_if<uint64_t>(&v)) {
        text = std::string_view(buf, std::to_chars(buf, buf + sizeof buf, *u).ptr - buf);
      } else {
        std::string tmp;
        append_double(tmp, std::get<double>(v), false);
        put_lenenc_string(out, tmp);
        continue;
      }
      put_lenenc_string(out, text);
    }
  }
}

void append_binary_datetime(std::string& out, std::string_view s) {
  uint64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  uint32_t micros = 0;
  bool ok = take_number(s, year, 4) && take_char(s, '-') && take_number(s, month, 2) && take_char(s, '-') &&
            take_number(s, day, 2);
  if (ok && (take_char(s, ' ') || take_char(s, 'T'))) {
    take_number(s, hour, 2) && take_char(s, ':') && take_number(s, minute, 2) && take_char(s, ':') &&
        take_number(s, second, 2);
    micros = take_micros(s);
  }
  if (!ok) year = month = day = 0;
  uint8_t len = micros ? 11 : (hour || minute || second) ? 7 : (year || month || day) ? 4 : 0;
  put_u8(out, len);
  if (len >= 4) {
    put_u16(out, static_cast<uint16_t>(year));
    put_u8(out, static_cast<uint8_t>(month));
    put_u8(out, static_cast<uint8_t>(day));
  }
  if (len >= 7) {
    put_u8(out, static_cast<uint8_t>(hour));
    put_u8(out, static_cast<uint8_t>(minute));
    put_u8(out, static_cast<uint8_t>(second));
  }
  if (len == 11) put_u32(out, micros);
}

void append_binary_time(std::string& out, std::string_view s) {
  bool negative = take_char(s, '-');
  uint64_t days = 0, hours = 0, minute = 0, second = 0;
  // MySQL also writes 'D HH:MM:SS'.
  std::string_view probe = s;
  uint64_t first = 0;
  if (take_number(probe, first, 9) && take_char(probe, ' ')) {
    days = first;
    s = probe;
  }
  take_number(s, hours, 9) && take_char(s, ':') && take_number(s, minute, 2) && take_char(s, ':') &&
      take_number(s, second, 2);
  uint32_t micros = take_micros(s);
  days += hours / 24;
  hours %= 24;
  uint8_t len = micros ? 12 : (days || hours || minute || second) ? 8 : 0;
  put_u8(out, len);
  if (len == 0) return;
  put_u8(out, negative ? 1 : 0);
  put_u32(out, static_cast<uint32_t>(days));
  put_u8(out, static_cast<uint8_t>(hours));
  put_u8(out, static_cast<uint8_t>(minute));
  put_u8(out, static_cast<uint8_t>(second));
  if (len == 12) put_u32(out, micros);
}

void encode_binary_row(std::string& out, const Row& row, const std::vector<ColumnDef>& columns) {
  put_u8(out, 0x00);
  size_t n = columns.size();
  size_t bitmap_at = out.size();
  out.append((n + 7 + 2) / 8, '\0');
  for (size_t i = 0; i < n; ++i) {
    static const Value kNull;
    const Value& v = i < row.size() ? row[i] : kNull;
    if (std::holds_alternative<std::monostate>(v) || columns[i].type == FieldType::kNull) {
      out[bitmap_at + (i + 2) / 8] = static_cast<char>(out[bitmap_at + (i + 2) / 8] | (1 << ((i + 2) % 8)));
      continue;
    }
    switch (columns[i].type) {
      case FieldType::kTiny: put_fixed(out, static_cast<uint64_t>(as_int(v)), 1); break;
      case FieldType::kShort: case FieldType::kYear: put_fixed(out, static_cast<uint64_t>(as_int(v)), 2); break;
      case FieldType::kLong: case FieldType::kInt24: put_fixed(out, static_cast<uint64_t>(as_int(v)), 4); break;
      case FieldType::kLongLong: put_fixed(out, static_cast<uint64_t>(as_int(v)), 8); break;
      case FieldType::kFloat: {
        float f = static_cast<float>(as_double(v));
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        put_u32(out, bits);
        break;
      }
      case FieldType::kDouble: {
        double d = as_double(v);
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        put_fixed(out, bits, 8);
        break;
      }
      case FieldType::kDate: case FieldType::kDatetime: case FieldType::kTimestamp:
        if (auto* s = std::get_if<std::string>(&v))
          append_binary_datetime(out, *s);
        else
          put_u8(out, 0);
        break;
      case FieldType::kTime:
        if (auto* s = std::get_if<std::string>(&v))
          append_binary_time(out, *s);
        else
          put_u8(out, 0);
        break;
      default:
        if (auto* s = std::get_if<std::string>(&v)) {
          put_lenenc_string(out, *s);
        } else {
          std::string tmp;
          append_text_value(tmp, v, columns[i].type);
          put_lenenc_string(out, tmp);
        }
    }
  }
}

}  // namespace halb::cluster::sqld::protocol
