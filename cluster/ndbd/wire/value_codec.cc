// cluster/ndbd/wire/value_codec.cc: see value_codec.h.
#include "cluster/ndbd/wire/value_codec.h"

namespace halb::cluster::wire {

void put_value(Writer& w, const engine::Value& v) {
  w.u8(static_cast<uint8_t>(v.index()));
  if (auto* i = std::get_if<int64_t>(&v)) w.u64(static_cast<uint64_t>(*i));
  else if (auto* u = std::get_if<uint64_t>(&v)) w.u64(*u);
  else if (auto* d = std::get_if<double>(&v)) w.f64(*d);
  else if (auto* s = std::get_if<std::string>(&v)) w.str(*s);
}

engine::Value get_value(Reader& r) {
  switch (r.u8()) {
    case 0: return std::monostate{};
    case 1: return static_cast<int64_t>(r.u64());
    case 2: return r.u64();
    case 3: return r.f64();
    case 4: return r.str();
    default: r.fail("a value has an unknown type tag"); return std::monostate{};
  }
}

void put_values(Writer& w, const std::vector<engine::Value>& vs) {
  w.u32(static_cast<uint32_t>(vs.size()));
  for (const auto& v : vs) put_value(w, v);
}

std::vector<engine::Value> get_values(Reader& r) {
  std::vector<engine::Value> out;
  uint32_t n = r.count(1);
  out.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) out.push_back(get_value(r));
  return out;
}

}  // namespace halb::cluster::wire
