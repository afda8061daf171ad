// cluster/ndbd/backup/key_codec.cc: see key_codec.h; the inverse of
// encode_one() in cluster/ndbd/engine/table.cc.
#include "cluster/ndbd/backup/key_codec.h"

#include <cstring>

namespace halb::cluster::backup {

namespace {
bool get64(std::string_view& in, uint64_t& out) {
  if (in.size() < 8) return false;
  out = 0;
  for (int i = 0; i < 8; ++i) out = (out << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(8);
  return true;
}
}  // namespace

std::optional<std::vector<engine::Value>> decode_primary_key(const engine::Table& t, std::string_view in) {
  std::vector<engine::Value> out;
  for (uint32_t pos : t.primary_key) {
    if (pos >= t.columns.size() || in.empty()) return std::nullopt;
    const engine::Column& c = t.columns[pos];
    char flag = in[0];
    in.remove_prefix(1);
    if (flag == '\0') {
      out.emplace_back(std::monostate{});
      continue;
    }
    if (flag != '\1') return std::nullopt;
    if (engine::is_integer_like(c.type)) {
      uint64_t u;
      if (!get64(in, u)) return std::nullopt;
      if (c.is_unsigned) out.emplace_back(u);
      else out.emplace_back(static_cast<int64_t>(u ^ (1ull << 63)));
      continue;
    }
    if (c.type == engine::ColumnType::kFloat || c.type == engine::ColumnType::kDouble) {
      uint64_t bits;
      if (!get64(in, bits)) return std::nullopt;
      bits = (bits >> 63) ? bits ^ (1ull << 63) : ~bits;
      double d;
      std::memcpy(&d, &bits, 8);
      out.emplace_back(d);
      continue;
    }
    // Bytes with 00 escaped as 00 FF, ended by 00 00.
    std::string s;
    for (;;) {
      if (in.size() < 2 && !(in.size() >= 1 && in[0] != '\0')) return std::nullopt;
      char ch = in[0];
      if (ch != '\0') {
        s.push_back(ch);
        in.remove_prefix(1);
        continue;
      }
      if (in.size() < 2) return std::nullopt;
      if (in[1] == '\0') {
        in.remove_prefix(2);
        break;
      }
      if (in[1] != '\xFF') return std::nullopt;
      s.push_back('\0');
      in.remove_prefix(2);
    }
    out.emplace_back(std::move(s));
  }
  if (!in.empty()) return std::nullopt;
  return out;
}

}  // namespace halb::cluster::backup
