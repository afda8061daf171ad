// heartbeat/wire/message.cc: see message.h.
#include "heartbeat/wire/message.h"

#include <algorithm>
#include <charconv>

namespace halb::heartbeat::wire {

void Message::add(std::string name, std::string value, FieldType type) {
  fields_.push_back(Field{std::move(name), std::move(value), type});
}

std::optional<std::string_view> Message::get(std::string_view name) const {
  for (auto& f : fields_)
    if (f.name == name) return std::string_view(f.value);
  return std::nullopt;
}

std::optional<uint64_t> Message::get_hex(std::string_view name) const {
  auto v = get(name);
  if (!v || v->empty() || v->size() > 16) return std::nullopt;
  uint64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out, 16);
  if (ec != std::errc() || p != v->data() + v->size()) return std::nullopt;
  return out;
}

void Message::remove(std::string_view name) {
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(), [&](const Field& f) { return f.name == name; }),
                fields_.end());
}

}  // namespace halb::heartbeat::wire
