// cluster/config/parameters.h: the one table of config.ini sections and
// parameters, after NDB's ConfigInfo.
//
// A section kind has its canonical name (what error texts print: DB, API,
// MGM...) and the names a file may use for it. A parameter row has its name,
// the deprecated spelling accepted for it, its section kind, its type, its
// 5.0 default (as config.ini text, so "80M" reads like the file would), its
// legal range and the struct field it lands in. The reader
// (config_ini.cc) never names a parameter except where a rule of the
// reference needs one (NodeId, HostName, NoOfReplicas...).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cluster/config/model.h"

namespace halb::cluster::config_table {

enum class SectionKind { kDb, kApi, kMgm, kTcp, kShm, kSci, kComputer, kSystem };

struct SectionInfo {
  SectionKind kind;
  std::string_view canonical;  // DB, API, MGM, TCP, SHM, SCI, COMPUTER, SYSTEM
  std::string_view alias;      // NDBD, MYSQLD, NDB_MGMD; empty when none
  bool is_node;                // takes part in node id assignment
  bool has_default_form;       // [<name> DEFAULT] accepted
};

// Section by the name used in a header (case-insensitive, alias or canonical).
const SectionInfo* find_section(std::string_view name);
const SectionInfo& section_info(SectionKind kind);

enum class ParamType { kInt, kInt64, kBool, kString };

// One value as read (or defaulted); which member is meaningful follows the type.
struct Value {
  uint64_t number = 0;
  bool flag = false;
  std::string text;
  int line = 0;  // where it was set: the parameter's line, the DEFAULT line, or 0 for built-in
};

// Stores a value into the struct of the row's section kind.
using Setter = void (*)(void* section, const Value& value);

struct Param {
  std::string_view name;
  std::string_view alias;  // deprecated spelling (Id for NodeId); empty when none
  SectionKind kind;
  ParamType type;
  const char* default_text;  // nullptr: no built-in default
  bool mandatory;
  uint64_t min;
  uint64_t max;
  Setter set;
};

std::span<const Param> all_params();
// Parameter of a section kind by name or alias (case-insensitive); nullptr when unknown.
const Param* find_param(SectionKind kind, std::string_view name);

// Converts config.ini text for a parameter's type, as InitConfigFileParser
// does: integers are decimal with an optional k/K (x1024), M (x1024^2) or
// G (x1024^3) suffix (5.0 accepts no lowercase m/g); booleans are
// Y y Yes YES yes True TRUE true 1 / N n No NO no False FALSE false 0.
// Returns nullopt when the text is not of that type; the range is not checked.
std::optional<Value> convert(const Param& param, std::string_view text);

}  // namespace halb::cluster::config_table
