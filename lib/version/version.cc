// lib/version/version.cc: the version line (see version.h).
#include "lib/version/version.h"

#include <cstdio>
#include <cstring>

#ifndef PACKAGE_VERSION
#error "PACKAGE_VERSION comes from configure (AC_INIT)"
#endif

namespace halb::version {

std::string line(std::string_view program) {
  std::string out(program);
  out += ' ';
  out += PACKAGE_VERSION;
  return out;
}

bool asked(int argc, char** argv, ShortV short_v) {
  for (int i = 1; i < argc && argv[i]; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    if (std::strcmp(argv[i], "--version") == 0) return true;
    if (short_v == kShortV && std::strcmp(argv[i], "-V") == 0) return true;
  }
  return false;
}

int print(std::string_view program) {
  std::string text = line(program) + "\n";
  // A closed or full stdout (`halb-x --version >&-`) is an error to report, not a silent 0.
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) return 1;
  return 0;
}

}  // namespace halb::version
