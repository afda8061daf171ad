// director/checks/receive_pattern.h: ldirectord's `receive`, a Perl regular
// expression searched for in what a real server answered.
#pragma once

#include <string>

namespace halb::director::checks {

// Whether `text` matches `pattern` (Perl syntax through PCRE2, as
// ldirectord's `$reply =~ /$receive/`: searched, not anchored, bytes,
// case-sensitive); an empty pattern matches everything. A bad pattern, or a
// match that would take more than a bounded amount of work, does not match
// and says why in `error`.
bool receive_matches(const std::string& pattern, const std::string& text, std::string& error);

}  // namespace halb::director::checks
