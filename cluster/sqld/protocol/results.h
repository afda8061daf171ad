// cluster/sqld/protocol/results.h: reply payloads of the command phase --
// OK, ERR, EOF, ColumnDefinition41, text rows and binary rows -- appended
// to an output buffer (PacketChannel::begin()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/sqld/sql/session.h"

namespace halb::cluster::sqld::protocol {

// `info` (mysql_info()) goes last, length-encoded, only when not empty.
void encode_ok(std::string& out, uint64_t affected_rows, uint64_t last_insert_id, uint16_t status,
               uint16_t warnings, std::string_view info = {});
void encode_err(std::string& out, const SqlError& error);
void encode_eof(std::string& out, uint16_t warnings, uint16_t status);
// `with_default`: COM_FIELD_LIST's trailing lenenc default value (NULL when absent).
void encode_column_def(std::string& out, const ColumnDef& column, bool with_default = false);

// A value as the text protocol shows it ('2.5', '-7', bytes as they are).
void append_text_value(std::string& out, const Value& value, FieldType type);
void encode_text_row(std::string& out, const Row& row);
// Binary protocol row: 0x00, NULL bitmap (offset 2), values by column type.
void encode_binary_row(std::string& out, const Row& row, const std::vector<ColumnDef>& columns);

// Temporal text ('2021-03-04 05:06:07.5', '2020-01-02', '-25:00:01') in the
// binary protocol's length-prefixed layout.
void append_binary_datetime(std::string& out, std::string_view text);
void append_binary_time(std::string& out, std::string_view text);

}  // namespace halb::cluster::sqld::protocol
