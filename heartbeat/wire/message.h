// heartbeat/wire/message.h: one heartbeat message, an ordered list of
// name=value fields. The order is part of the wire format (the auth digest
// covers the fields as written), so it is kept exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace halb::heartbeat::wire {

// Field types of the netstring format: (0) string, (1) binary, (2) nested
// struct, (3) list, (4) compressed. halb creates strings only and carries
// the others through unchanged.
enum class FieldType { string = 0, binary = 1, structure = 2, list = 3, compressed = 4 };

struct Field {
  std::string name;
  std::string value;
  FieldType type = FieldType::string;
};

class Message {
 public:
  void add(std::string name, std::string value, FieldType type = FieldType::string);
  // First field of that name.
  std::optional<std::string_view> get(std::string_view name) const;
  // A hex number field (seq, hg, ts, dt); nullopt when absent or not hex.
  std::optional<uint64_t> get_hex(std::string_view name) const;
  void remove(std::string_view name);
  const std::vector<Field>& fields() const { return fields_; }

 private:
  std::vector<Field> fields_;
};

}  // namespace halb::heartbeat::wire
