// director/adm/listing.h: what halb-adm prints, byte for byte as ipvsadm 1.31.
//
// Pure functions from what a backend reports (info, services with their
// dests and counters, timeouts, sync daemons, connections) to text, so
// that every listing is a golden-text unit test. The widths, the cut of
// IPv4 names to 33/28 characters, the padding spaces at line ends, the
// K/M/G/T suffixes and the sort order (including its overflow quirk) are
// ipvsadm's; see reference/director-ipvs.md section 4.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "director/adm/names.h"
#include "director/backend/backend.h"

namespace halb::director::adm {

// ipvsadm's FMT_* flags: the list options that change the layout.
struct ListFormat {
  bool numeric = false;          // -n
  bool rule = false;             // -S: commands that -R reads back
  bool stats = false;            // --stats
  bool rate = false;             // --rate
  bool thresholds = false;       // --thresholds
  bool persistent_conn = false;  // --persistent-conn
  bool nosort = false;           // --nosort
  bool exact = false;            // --exact
  bool tun_info = false;         // --tun-info
};

// -L, -l and -S: the version line (not for -S), the column titles, then
// every service with its dests, sorted unless fmt.nosort.
std::string format_table(const backend::Info& info, std::vector<backend::ServiceStatus> services,
                         const ListFormat& fmt, Names& names);

// -L -t|-u|-f SERVICE: the titles and that one service, no version line.
std::string format_one_service(backend::ServiceStatus service, const ListFormat& fmt, Names& names);

// -L --timeout.
std::string format_timeouts(const backend::Timeouts& t);

// -L --daemon: one line per running role, master first.
std::string format_daemons(const std::vector<backend::SyncDaemon>& daemons);

// -L -c: the connection table (ipvsadm reads /proc/net/ip_vs_conn).
std::string format_connections(const std::vector<backend::Connection>& conns, const ListFormat& fmt,
                               Names& names);

// A counter in a 9-character column: exact up to 10^8, then K/M/G/T;
// with exact, all digits in max(9, digits + 1) characters.
std::string large_number(uint64_t n, bool exact);

// ipvsadm's order: glibc's merge sort with libipvs's comparators, which
// subtract unsigned values into an int (so 192.x sorts before 10.x).
void sort_services(std::vector<backend::ServiceStatus>& services);
void sort_dests(std::vector<backend::DestStatus>& dests);

// IPPROTO_* of a service key: 6, 17, or 0 for a fwmark service (the
// kernel does not report a protocol for those).
int key_protocol(const backend::ServiceKey& key);

}  // namespace halb::director::adm
