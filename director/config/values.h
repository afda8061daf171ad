// director/config/values.h: the value syntaxes of ldirectord.cf.
//
// Each function parses the text after `keyword=` for one kind of value
// (virtual address, real line, fallback, quoted string, ...) and throws
// BadValue with an operator-readable message; the reader (ldirectord_cf.cc)
// adds `file:line:` and turns it into a ConfigError. Kept apart from the
// keyword table so that the table stays one screen of rows.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "director/config/model.h"
#include "director/config/resolve.h"

namespace halb::director::config {

class BadValue : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// yes|no, exactly (ldirectord accepts nothing else).
bool parse_yes_no(std::string_view text);
// A decimal integer in [min, max].
long long parse_number(std::string_view text, long long min, long long max);
// "text" with the quotes; the inside is returned as is.
std::string parse_quoted(std::string_view text);
// gate|masq|ipip.
Forward parse_forward(std::string_view text);
// A request path: '/' is prepended when missing, as ldirectord does.
std::string normalize_request(std::string_view request);

// virtual= (v6 = false) or virtual6= (v6 = true): fills v6, addr, port or
// fwmark of `v`.
void parse_virtual_address(std::string_view text, bool v6, const Resolver& resolver, Virtual& v);

// real= / real6= against the virtual `v` (its family, protocol and port
// name lookups); returns one Real per address of a range. `line` is stored.
std::vector<Real> parse_real(std::string_view text, bool v6, const Virtual& v, const Resolver& resolver, int line);

// fallback= / fallback6=: host[:port] [gate|masq|ipip].
Fallback parse_fallback(std::string_view text, bool v6, const Resolver& resolver);

// service= names, and the service ldirectord assumes from a virtual's port
// when the block has no service= (21 ftp, 80 http, 3306 mysql, ... else none).
Service service_from_name(std::string_view name);
Service service_for_port(uint16_t port);
std::string_view service_name(Service s);

}  // namespace halb::director::config
