// cluster/sqld/sql/value_codec.cc: column value conversions (see value_codec.h).
#include "cluster/sqld/sql/value_codec.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>

#include "cluster/sqld/sql/errors.h"
#include "cluster/sqld/sql/long_values.h"

namespace halb::cluster::sqld {

namespace {

SqlError out_of_range(const ColumnMeta& c, uint64_t row) {
  return SqlError{1264, "22003", "Out of range value for column '" + c.name + "' at row " + std::to_string(row)};
}

SqlError bad_value(const ColumnMeta& c, const std::string& text, uint64_t row) {
  std::string kind = c.is_temporal() ? (c.base == "date" ? "date" : c.base == "time" ? "time" : "datetime")
                                     : (c.is_integer() ? "integer" : c.base == "decimal" ? "decimal" : "double");
  if (c.is_temporal())
    return SqlError{1292, "22007",
                    "Incorrect " + kind + " value: '" + text + "' for column `" + c.name + "` at row " + std::to_string(row)};
  return SqlError{1366, "22007",
                  "Incorrect " + kind + " value: '" + text + "' for column `" + c.name + "` at row " + std::to_string(row)};
}

// Parses a whole string as a number the way MySQL's strict mode accepts it
// (leading/trailing spaces allowed).
bool parse_double(const std::string& s, double& out) {
  const char* p = s.c_str();
  while (*p == ' ') ++p;
  if (!*p) return false;
  char* end = nullptr;
  out = std::strtod(p, &end);
  if (end == p) return false;
  while (*end == ' ') ++end;
  return *end == '\0';
}

bool in_int_range(const ColumnMeta& c, long double v) {
  long double lo = 0, hi = 0;
  const bool u = c.is_unsigned;
  if (c.base == "tinyint") lo = u ? 0 : -128, hi = u ? 255 : 127;
  else if (c.base == "smallint") lo = u ? 0 : -32768, hi = u ? 65535 : 32767;
  else if (c.base == "mediumint") lo = u ? 0 : -8388608, hi = u ? 16777215 : 8388607;
  else if (c.base == "int") lo = u ? 0 : -2147483648.0L, hi = u ? 4294967295.0L : 2147483647.0L;
  else if (c.base == "year") lo = 0, hi = 2155;
  else if (c.base == "bit") lo = 0, hi = 18446744073709551615.0L;
  else lo = u ? 0 : -9223372036854775808.0L, hi = u ? 18446744073709551615.0L : 9223372036854775807.0L;
  return v >= lo && v <= hi;
}

// "2021-03-04 05:06:07[.frac]" / "2021-03-04" / "20210304..." -> fields.
bool parse_datetime(const std::string& s, int& y, int& mo, int& d, int& h, int& mi, int& se, bool date_only_ok) {
  h = mi = se = 0;
  int n = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%d%n", &y, &mo, &d, &n) == 3) {
    const char* rest = s.c_str() + n;
    while (*rest == ' ' || *rest == 'T') ++rest;
    if (*rest) {
      int m = 0;
      if (std::sscanf(rest, "%d:%d:%d%n", &h, &mi, &se, &m) != 3) return false;
      rest += m;
      if (*rest == '.') {
        ++rest;
        while (*rest >= '0' && *rest <= '9') ++rest;
      }
      if (*rest) return false;
    } else if (!date_only_ok && false) {
      return false;
    }
  } else {
    // YYYYMMDD[hhmmss]
    bool digits = !s.empty();
    for (char c : s) digits = digits && c >= '0' && c <= '9';
    if (!digits || (s.size() != 8 && s.size() != 14)) return false;
    y = std::stoi(s.substr(0, 4));
    mo = std::stoi(s.substr(4, 2));
    d = std::stoi(s.substr(6, 2));
    if (s.size() == 14) {
      h = std::stoi(s.substr(8, 2));
      mi = std::stoi(s.substr(10, 2));
      se = std::stoi(s.substr(12, 2));
    }
  }
  bool zero = y == 0 && mo == 0 && d == 0;
  if (!zero && (mo < 1 || mo > 12 || d < 1 || d > 31)) return false;
  return y >= 0 && y <= 9999 && h >= 0 && h < 24 && mi >= 0 && mi < 60 && se >= 0 && se < 60;
}

std::string two(int v) {
  char b[8];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}

std::string format_decimal(int64_t scaled, int scale) {
  bool neg = scaled < 0;
  uint64_t mag = neg ? static_cast<uint64_t>(-(scaled + 1)) + 1 : static_cast<uint64_t>(scaled);
  std::string digits = std::to_string(mag);
  if (scale > 0) {
    while (digits.size() <= static_cast<size_t>(scale)) digits.insert(digits.begin(), '0');
    digits.insert(digits.end() - scale, '.');
  }
  return (neg ? "-" : "") + digits;
}

}  // namespace

std::optional<engine::Value> to_stored(const ColumnMeta& c, const SqlInput& in, uint64_t row, SqlError& error) {
  using K = SqlInput::Kind;
  if (in.kind == K::kNull) return engine::Value{};
  if (c.is_integer()) {
    long double v = 0;
    if (in.kind == K::kInt) {
      v = in.i;
    } else {
      double d = in.d;
      if (in.kind != K::kDouble && !parse_double(in.s, d)) {
        error = bad_value(c, in.s, row);
        return std::nullopt;
      }
      v = std::nearbyint(d);  // MySQL rounds half away from zero; close enough for whole values
      if (std::fabs(d - std::trunc(d)) == 0.5) v = d < 0 ? std::floor(d) : std::ceil(d);
    }
    if (!in_int_range(c, v)) {
      error = out_of_range(c, row);
      return std::nullopt;
    }
    if (c.is_unsigned) return engine::Value{static_cast<uint64_t>(v)};
    return engine::Value{static_cast<int64_t>(v)};
  }
  if (c.base == "float" || c.base == "double" || c.base == "decimal") {
    double d = 0;
    if (in.kind == K::kInt) d = static_cast<double>(in.i);
    else if (in.kind == K::kDouble) d = in.d;
    else if (!parse_double(in.s, d)) {
      error = bad_value(c, in.s, row);
      return std::nullopt;
    }
    if (c.is_unsigned && d < 0) {
      error = out_of_range(c, row);
      return std::nullopt;
    }
    if (c.base != "decimal") return engine::Value{d};
    long double scaled = std::nearbyint(static_cast<long double>(d) * std::pow(10.0L, c.scale));
    // exact text input keeps its digits
    if (in.kind == K::kText) {
      long double parsed = std::strtold(in.s.c_str(), nullptr);
      scaled = std::nearbyint(parsed * std::pow(10.0L, c.scale));
    }
    long double limit = std::pow(10.0L, c.precision);
    if (std::fabs(scaled) >= limit) {
      error = out_of_range(c, row);
      return std::nullopt;
    }
    return engine::Value{static_cast<int64_t>(scaled)};
  }
  std::string s;
  if (in.kind == K::kInt) s = std::to_string(in.i);
  else if (in.kind == K::kDouble) {
    char b[64];
    std::snprintf(b, sizeof b, "%.17g", in.d);
    s = b;
  } else s = in.s;
  if (c.is_temporal()) {
    if (c.base == "time") {
      int h = 0, m = 0, sec = 0;
      bool neg = !s.empty() && s[0] == '-';
      std::string body = neg ? s.substr(1) : s;
      if (std::sscanf(body.c_str(), "%d:%d:%d", &h, &m, &sec) < 2 || m > 59 || sec > 59 || h > 838) {
        error = bad_value(c, s, row);
        return std::nullopt;
      }
      int64_t packed = h * 10000 + m * 100 + sec;
      return engine::Value{neg ? -packed : packed};
    }
    int y, mo, d, h, mi, se;
    if (!parse_datetime(s, y, mo, d, h, mi, se, true)) {
      error = bad_value(c, s, row);
      return std::nullopt;
    }
    if (c.base == "date") return engine::Value{static_cast<int64_t>(y * 10000 + mo * 100 + d)};
    if (c.base == "datetime")
      return engine::Value{static_cast<int64_t>(((y * 10000LL + mo * 100 + d) * 1000000LL) + h * 10000 + mi * 100 + se)};
    // TIMESTAMP: seconds since the epoch, UTC
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    if (y < 1970 || t < 0 || t > 2147483647) {
      error = out_of_range(c, row);
      return std::nullopt;
    }
    return engine::Value{static_cast<uint64_t>(t)};
  }
  if (c.base == "char") {
    while (!s.empty() && s.back() == ' ') s.pop_back();  // CHAR keeps no trailing spaces
  }
  if (c.base == "char" || c.base == "varchar") {
    if (utf8_length(s) > c.length) {
      error = make_sql_error(er::kDataTooLong, {c.name, std::to_string(row)});
      return std::nullopt;
    }
  } else if (c.base == "binary" || c.base == "varbinary") {
    if (s.size() > c.length) {
      error = make_sql_error(er::kDataTooLong, {c.name, std::to_string(row)});
      return std::nullopt;
    }
  } else if (c.base == "enum") {
    bool ok = false;
    for (auto& v : c.enum_values)
      if (iequals(v, s)) {
        s = v;
        ok = true;
      }
    if (!ok) {
      error = make_sql_error(er::kDataTooLong, {c.name, std::to_string(row)});
      return std::nullopt;
    }
  }
  // MEDIUM/LONG TEXT/BLOB values past a row's limit go to parts (long_values.h).
  uint64_t limit = c.base == "tinytext" || c.base == "tinyblob" ? 255 : long_values::max_length(c);
  if (s.size() > limit && !(c.base == "char" || c.base == "varchar" || c.base == "binary" || c.base == "varbinary")) {
    error = make_sql_error(er::kDataTooLong, {c.name, std::to_string(row)});
    return std::nullopt;
  }
  return engine::Value{std::move(s)};
}

SqlInput from_stored(const ColumnMeta& c, const engine::Value& v) {
  SqlInput out;
  if (engine::is_null(v)) return out;
  if (c.base == "decimal") {
    out.kind = SqlInput::Kind::kDouble;
    out.d = static_cast<double>(std::get<int64_t>(v)) / std::pow(10.0, c.scale);
    return out;
  }
  if (c.is_temporal()) {
    out.kind = SqlInput::Kind::kText;
    out.s = stored_to_text(c, v);
    return out;
  }
  if (auto* i = std::get_if<int64_t>(&v)) {
    out.kind = SqlInput::Kind::kInt;
    out.i = *i;
  } else if (auto* u = std::get_if<uint64_t>(&v)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      out.kind = SqlInput::Kind::kDouble;
      out.d = static_cast<double>(*u);
    } else {
      out.kind = SqlInput::Kind::kInt;
      out.i = static_cast<int64_t>(*u);
    }
  } else if (auto* d = std::get_if<double>(&v)) {
    out.kind = SqlInput::Kind::kDouble;
    out.d = *d;
  } else if (auto* s = std::get_if<std::string>(&v)) {
    out.kind = c.is_binary() ? SqlInput::Kind::kBlob : SqlInput::Kind::kText;
    out.s = *s;
  }
  return out;
}

std::string stored_to_text(const ColumnMeta& c, const engine::Value& v) {
  if (engine::is_null(v)) return "NULL";
  if (c.base == "decimal") return format_decimal(std::get<int64_t>(v), c.scale);
  if (c.is_temporal()) {
    int64_t p = 0;
    if (auto* i = std::get_if<int64_t>(&v)) p = *i;
    else if (auto* u = std::get_if<uint64_t>(&v)) p = static_cast<int64_t>(*u);
    if (c.base == "date") return std::to_string(p / 10000) + "-" + two(p / 100 % 100) + "-" + two(p % 100);
    if (c.base == "datetime") {
      int64_t d = p / 1000000, t = p % 1000000;
      char b[32];
      std::snprintf(b, sizeof b, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld", static_cast<long long>(d / 10000),
                    static_cast<long long>(d / 100 % 100), static_cast<long long>(d % 100),
                    static_cast<long long>(t / 10000), static_cast<long long>(t / 100 % 100),
                    static_cast<long long>(t % 100));
      return b;
    }
    if (c.base == "time") {
      bool neg = p < 0;
      if (neg) p = -p;
      return (neg ? "-" : "") + two(static_cast<int>(p / 10000)) + ":" + two(p / 100 % 100) + ":" + two(p % 100);
    }
    time_t t = static_cast<time_t>(p);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
    return b;
  }
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* u = std::get_if<uint64_t>(&v)) return std::to_string(*u);
  if (auto* d = std::get_if<double>(&v)) {
    char b[64];
    std::snprintf(b, sizeof b, "%.17g", *d);
    return b;
  }
  return std::get<std::string>(v);
}

}  // namespace halb::cluster::sqld
