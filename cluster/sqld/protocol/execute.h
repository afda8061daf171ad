// cluster/sqld/protocol/execute.h: COM_STMT_EXECUTE parameters.
//
// The client sends parameter types only when it (re)binds them -- sysbench
// on the first execute only -- so each prepared statement remembers the last
// types, plus the COM_STMT_SEND_LONG_DATA bytes collected for it since the
// last execute or reset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/sqld/sql/session.h"

namespace halb::cluster::sqld::protocol {

struct ParamType {
  uint8_t type = 0;     // FieldType on the wire
  bool is_unsigned = false;
};

struct PreparedParams {
  uint16_t count = 0;
  bool types_bound = false;
  std::vector<ParamType> types;
  std::vector<std::optional<std::string>> long_data;  // per parameter

  explicit PreparedParams(uint16_t n = 0) : count(n), types(n), long_data(n) {}
  void clear_long_data() {
    for (auto& d : long_data) d.reset();
  }
};

struct ExecuteHeader {
  uint32_t statement_id = 0;
  uint8_t flags = 0;
  uint32_t iterations = 0;
};

// The fixed part after the command byte; false when too short.
bool parse_execute_header(std::string_view body, ExecuteHeader& out);

// Decodes the parameters following the header (`body` is the payload after
// the command byte). Types are remembered in `params`; long data replaces
// the inline value. False with `error` on malformed bytes or when no types
// were ever bound.
bool decode_execute_params(std::string_view body, PreparedParams& params, std::vector<Value>& out,
                           std::string& error);

// COM_STMT_SEND_LONG_DATA body: statement id, parameter index, bytes.
struct LongData {
  uint32_t statement_id = 0;
  uint16_t param = 0;
  std::string_view data;
};
bool parse_long_data(std::string_view body, LongData& out);

}  // namespace halb::cluster::sqld::protocol
