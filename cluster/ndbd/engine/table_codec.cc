// cluster/ndbd/engine/table_codec.cc: table definition encoding.
#include "cluster/ndbd/engine/table_codec.h"

namespace halb::cluster::engine {

namespace {
constexpr std::string_view kMagic = "HTD1";

struct Writer {
  std::string out;
  void u8(uint32_t v) { out.push_back(static_cast<char>(v & 0xFF)); }
  void u16(uint32_t v) { u8(v); u8(v >> 8); }
  void u32(uint32_t v) { u16(v & 0xFFFF); u16(v >> 16); }
  void str(const std::string& s) {
    u16(static_cast<uint32_t>(s.size()));
    out += s;
  }
};

struct Reader {
  std::string_view in;
  size_t pos = 0;
  bool ok = true;
  uint32_t u8() {
    if (pos + 1 > in.size()) { ok = false; return 0; }
    return static_cast<unsigned char>(in[pos++]);
  }
  uint32_t u16() { uint32_t a = u8(); return a | (u8() << 8); }
  uint32_t u32() { uint32_t a = u16(); return a | (u16() << 16); }
  std::string str() {
    uint32_t n = u16();
    if (!ok || pos + n > in.size()) { ok = false; return {}; }
    std::string s(in.substr(pos, n));
    pos += n;
    return s;
  }
};
}  // namespace

std::string encode_table(const Table& t) {
  Writer w;
  w.out = kMagic;
  w.u32(t.id);
  w.u32(t.version);
  w.u32(t.fragments);
  w.str(t.name);
  w.u8(t.hidden_key ? 1 : 0);
  w.u16(static_cast<uint32_t>(t.columns.size()));
  for (const auto& c : t.columns) {
    w.str(c.name);
    w.u8(static_cast<uint32_t>(c.type));
    w.u8((c.is_unsigned ? 1 : 0) | (c.nullable ? 2 : 0));
    w.u32(c.length);
    w.u8(c.precision);
    w.u8(c.scale);
  }
  w.u16(static_cast<uint32_t>(t.primary_key.size()));
  for (uint32_t k : t.primary_key) w.u16(k);
  w.u16(static_cast<uint32_t>(t.indexes.size()));
  for (const auto& i : t.indexes) {
    w.u32(i.id);
    w.str(i.name);
    w.u8(static_cast<uint32_t>(i.kind));
    w.u16(static_cast<uint32_t>(i.columns.size()));
    for (uint32_t c : i.columns) w.u16(c);
  }
  return w.out;
}

std::optional<Table> decode_table(std::string_view bytes, std::string& error) {
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    error = "not a table definition (bad magic)";
    return std::nullopt;
  }
  Reader r{bytes, kMagic.size()};
  Table t;
  t.id = r.u32();
  t.version = r.u32();
  t.fragments = r.u32();
  t.name = r.str();
  t.hidden_key = r.u8() != 0;
  const uint32_t ncols = r.u16();
  for (uint32_t i = 0; r.ok && i < ncols; ++i) {
    Column c;
    c.name = r.str();
    c.type = static_cast<ColumnType>(r.u8());
    const uint32_t flags = r.u8();
    c.is_unsigned = flags & 1;
    c.nullable = flags & 2;
    c.length = r.u32();
    c.precision = static_cast<uint8_t>(r.u8());
    c.scale = static_cast<uint8_t>(r.u8());
    t.columns.push_back(std::move(c));
  }
  const uint32_t nkey = r.u16();
  for (uint32_t i = 0; r.ok && i < nkey; ++i) t.primary_key.push_back(r.u16());
  const uint32_t nidx = r.u16();
  for (uint32_t i = 0; r.ok && i < nidx; ++i) {
    Index x;
    x.id = r.u32();
    x.name = r.str();
    x.kind = static_cast<IndexKind>(r.u8());
    const uint32_t n = r.u16();
    for (uint32_t j = 0; r.ok && j < n; ++j) x.columns.push_back(r.u16());
    t.indexes.push_back(std::move(x));
  }
  if (!r.ok) {
    error = "table definition truncated";
    return std::nullopt;
  }
  if (r.pos != bytes.size()) {
    error = "trailing bytes after table definition";
    return std::nullopt;
  }
  if (t.primary_key.empty()) {
    error = "table definition without a primary key";
    return std::nullopt;
  }
  const bool hidden = t.hidden_key;
  if (std::string e = normalise(t); !e.empty()) {
    error = e;
    return std::nullopt;
  }
  t.hidden_key = hidden;
  return t;
}

}  // namespace halb::cluster::engine
