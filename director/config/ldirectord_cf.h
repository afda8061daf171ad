// director/config/ldirectord_cf.h: the ldirectord.cf reader.
//
// ldirectord's layout rules, kept so that an existing file parses unchanged:
//  - global directives start in column 0; an indented line outside a
//    virtual block is an error; blank lines and `#` lines are skipped, but a
//    trailing `# ...` on a global line is part of the value (as in
//    ldirectord, so `quiescent = yes # x` is an error, not a silent yes);
//  - `virtual=` / `virtual6=` opens a block; TABs count as 4 spaces and a
//    line belongs to the block while it starts with at least 4 spaces and
//    then text; inside, `#` lines are skipped and a `#` cuts the line;
//  - the first other line, an empty one included, closes the block and is
//    read again as a top-level line;
//  - `key=value` and `key = value`; booleans are exactly yes/no.
//
// Every directive is one row of one keyword table (keyword, where it is
// allowed, whether it takes a value, parse function); see keywords().
//
// Defaults are ldirectord's code defaults (reference §1), resolved per
// virtual after the whole file is read, so a global line may follow the
// blocks it affects:
//   checktimeout     = virtual's, else global, else the negotiatetimeout
//                      (virtual's, else global), else 5
//   negotiatetimeout = virtual's, else global, else the checktimeout
//                      (virtual's, else global), else 30
//   checkinterval 10, checkcount 1, failurecount 1, quiescent no,
//   cleanstop yes, emailalertfreq 0, emailalertstatus all; scheduler wrr,
//   checktype negotiate, request "/", protocol tcp (udp for port 53, fwm
//   for a mark), service from the port (3306 mysql, 80 http, ...).
// A per-virtual checkinterval always counts (ldirectord needed fork=yes).
//
// Errors throw halb::config::ConfigError(file, line, message) on the first
// problem; warnings are returned in Config::warnings.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "director/config/model.h"
#include "director/config/resolve.h"

namespace halb::director::config {

struct ReadOptions {
  Resolver resolver;
  // $HOSTNAME in the ftp/sip default logins; empty: gethostname().
  std::string hostname;
};

// Reads and parses `path`; throws ConfigError (line 0 when unreadable).
Config read_ldirectord_cf(const std::string& path, const ReadOptions& options = {});
// The same over text (tests, config pushed over a socket); `path` is only
// used in messages.
Config parse_ldirectord_cf(std::string_view text, const std::string& path, const ReadOptions& options = {});

// ---- the keyword table (exposed for tests and halb-adm's help) ----------

enum class Scope { global, virtual_block, both };
enum class Arg { value, optional_value };  // optional: a bare `keyword` is allowed

struct Context;  // the reader's state while one line is parsed (ldirectord_cf.cc)
using ParseFn = void (*)(Context& ctx, std::string_view value);

struct Keyword {
  std::string_view name;
  Scope scope;
  Arg arg;
  ParseFn parse;  // throws BadValue (values.h) with the message for file:line
};

std::span<const Keyword> keywords();

}  // namespace halb::director::config
