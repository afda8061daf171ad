// director/adm/run.h: carries out a parsed halb-adm command on a backend.
//
// Everything a command prints goes to the given streams and the exit
// status is returned, so unit tests run commands against a fake backend
// and compare text. Statuses are ipvsadm's: 0 done, 1 a listing failed,
// 2 bad arguments, 255 the backend refused a change.
#pragma once

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "director/adm/command.h"
#include "director/adm/names.h"
#include "director/backend/backend.h"

namespace halb::director::adm {

struct Io {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;  // -R reads its commands here
};

// Runs one command; `program` is argv[0] for messages.
int run_command(const Command& cmd, backend::Backend& backend, Names& names, Io& io, const std::string& program);

// Parses args (args[0] = program) and runs the command. A bare program
// name lists the table, as ipvsadm does.
int run_args(const std::vector<std::string>& args, backend::Backend& backend, Names& names, Io& io,
             bool reading_stdin = false);

// -R: one command per line of io.in. A `#` starts a comment, the word
// "ipvsadm" (or "halb-adm") is dropped wherever it appears, empty lines are
// skipped. As in ipvsadm, a bad value or combination ends the restore with
// status 2 (a nested -R, -h or -v ends it too), while an unknown option, a
// missing value or a backend error is reported and the next line runs;
// the status is the last line's.
int restore(backend::Backend& backend, Names& names, Io& io, const std::string& program);

// Splits one -R line into words (without the program name).
std::vector<std::string> restore_words(const std::string& line);

}  // namespace halb::director::adm
