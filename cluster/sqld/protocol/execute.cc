// cluster/sqld/protocol/execute.cc
#include "cluster/sqld/protocol/execute.h"

#include <cstdio>
#include <cstring>

#include "cluster/sqld/protocol/wire.h"

namespace halb::cluster::sqld::protocol {
namespace {

constexpr size_t kHeaderSize = 4 + 1 + 4;

std::string two(unsigned v) {
  char b[8];
  snprintf(b, sizeof b, "%02u", v % 100);
  return b;
}

// Binary DATE/DATETIME/TIMESTAMP → MySQL text.
bool read_datetime(Reader& r, FieldType type, std::string& out) {
  uint8_t len = r.u8();
  if (len != 0 && len != 4 && len != 7 && len != 11) return false;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  uint32_t micros = 0;
  if (len >= 4) {
    year = r.u16();
    month = r.u8();
    day = r.u8();
  }
  if (len >= 7) {
    hour = r.u8();
    minute = r.u8();
    second = r.u8();
  }
  if (len == 11) micros = r.u32();
  char buf[64];
  snprintf(buf, sizeof buf, "%04u-%s-%s", year % 10000, two(month).c_str(), two(day).c_str());
  out = buf;
  if (type != FieldType::kDate) {
    out += " " + two(hour) + ":" + two(minute) + ":" + two(second);
    if (micros) {
      snprintf(buf, sizeof buf, ".%06u", micros % 1000000);
      out += buf;
    }
  }
  return !r.failed();
}

bool read_time(Reader& r, std::string& out) {
  uint8_t len = r.u8();
  if (len != 0 && len != 8 && len != 12) return false;
  bool negative = false;
  uint32_t days = 0, micros = 0;
  unsigned hour = 0, minute = 0, second = 0;
  if (len >= 8) {
    negative = r.u8() != 0;
    days = r.u32();
    hour = r.u8();
    minute = r.u8();
    second = r.u8();
  }
  if (len == 12) micros = r.u32();
  char buf[64];
  unsigned long long hours = static_cast<unsigned long long>(days) * 24 + hour;
  snprintf(buf, sizeof buf, "%s%02llu:%02u:%02u", negative ? "-" : "", hours, minute % 100, second % 100);
  out = buf;
  if (micros) {
    snprintf(buf, sizeof buf, ".%06u", micros % 1000000);
    out += buf;
  }
  return !r.failed();
}

bool read_value(Reader& r, ParamType t, Value& v) {
  auto type = static_cast<FieldType>(t.type);
  auto integer = [&](size_t bytes) {
    uint64_t raw = r.fixed(bytes);
    if (t.is_unsigned) {
      v = raw;
    } else {
      int shift = static_cast<int>(64 - 8 * bytes);
      v = static_cast<int64_t>(raw << shift) >> shift;  // sign-extend
    }
  };
  switch (type) {
    case FieldType::kNull: v = std::monostate{}; break;
    case FieldType::kTiny: integer(1); break;
    case FieldType::kShort: case FieldType::kYear: integer(2); break;
    case FieldType::kLong: case FieldType::kInt24: integer(4); break;
    case FieldType::kLongLong: integer(8); break;
    case FieldType::kFloat: {
      uint32_t bits = r.u32();
      float f;
      std::memcpy(&f, &bits, 4);
      v = static_cast<double>(f);
      break;
    }
    case FieldType::kDouble: {
      uint64_t bits = r.u64();
      double d;
      std::memcpy(&d, &bits, 8);
      v = d;
      break;
    }
    case FieldType::kDate: case FieldType::kDatetime: case FieldType::kTimestamp: {
      std::string s;
      if (!read_datetime(r, type, s)) return false;
      v = std::move(s);
      break;
    }
    case FieldType::kTime: {
      std::string s;
      if (!read_time(r, s)) return false;
      v = std::move(s);
      break;
    }
    case FieldType::kDecimal: case FieldType::kVarchar: case FieldType::kBit: case FieldType::kJson:
    case FieldType::kNewDecimal: case FieldType::kEnum: case FieldType::kSet: case FieldType::kTinyBlob:
    case FieldType::kMediumBlob: case FieldType::kLongBlob: case FieldType::kBlob: case FieldType::kVarString:
    case FieldType::kString: case FieldType::kGeometry:
      v = std::string(r.lenenc_string());
      break;
    default:
      return false;  // a type byte no client sends
  }
  return !r.failed();
}

}  // namespace

bool parse_execute_header(std::string_view body, ExecuteHeader& out) {
  Reader r(body);
  out.statement_id = r.u32();
  out.flags = r.u8();
  out.iterations = r.u32();
  return !r.failed();
}

bool decode_execute_params(std::string_view body, PreparedParams& params, std::vector<Value>& out,
                           std::string& error) {
  out.clear();
  if (body.size() < kHeaderSize) {
    error = "execute packet too short";
    return false;
  }
  if (params.count == 0) return true;
  Reader r(body.substr(kHeaderSize));
  std::string_view null_bitmap = r.bytes((params.count + 7) / 8);
  uint8_t new_bound = r.u8();
  if (r.failed()) {
    error = "execute packet too short for its parameters";
    return false;
  }
  if (new_bound == 1) {
    for (auto& t : params.types) {
      t.type = r.u8();
      t.is_unsigned = (r.u8() & 0x80) != 0;
    }
    if (r.failed()) {
      error = "execute packet too short for its parameter types";
      return false;
    }
    params.types_bound = true;
  } else if (!params.types_bound) {
    error = "parameters were never bound";
    return false;
  }
  out.resize(params.count);
  for (uint16_t i = 0; i < params.count; ++i) {
    bool is_null = (static_cast<uint8_t>(null_bitmap[i / 8]) >> (i % 8)) & 1;
    if (is_null) continue;
    if (params.long_data[i]) {
      out[i] = *params.long_data[i];
      continue;
    }
    if (!read_value(r, params.types[i], out[i])) {
      error = "malformed value for parameter " + std::to_string(i + 1);
      out.clear();
      return false;
    }
  }
  return true;
}

bool parse_long_data(std::string_view body, LongData& out) {
  Reader r(body);
  out.statement_id = r.u32();
  out.param = r.u16();
  out.data = r.rest();
  return !r.failed();
}

}  // namespace halb::cluster::sqld::protocol
