// lib/version/version.h: `PROGRAM --version` for every halb program, one
// wording ("NAME VERSION", the version configure's AC_INIT gives).
//
//   int main(int argc, char** argv) {
//     if (halb::version::asked(argc, argv, halb::version::kShortV)) return halb::version::print("halb-mgmd");
//
// Checked before a program parses the rest of its command line, as mysqld
// and ndbd do: `--version` answers whatever else is on the line, even
// options that would otherwise be an error.
#pragma once

#include <string>
#include <string_view>

namespace halb::version {

// Whether -V is a version option too (where the tool halb stands in for
// has it: heartbeat, ndb_mgmd, ndbd, ndb_mgm, ndb_restore, mysqld).
enum ShortV : bool { kLongOnly = false, kShortV = true };

// "NAME VERSION".
std::string line(std::string_view program);
// True when an argument before any "--" is --version (or -V with kShortV).
bool asked(int argc, char** argv, ShortV short_v = kLongOnly);
// Prints line(program) and a newline on stdout; returns 0 (or 1 when
// stdout cannot be written), the program's exit code.
int print(std::string_view program);

}  // namespace halb::version
