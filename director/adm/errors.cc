// director/adm/errors.cc: see errors.h. The table is libipvs's
// ipvs_strerror, row for row.
#include "director/adm/errors.h"

#include <cerrno>
#include <cstring>

namespace halb::director::adm {

namespace {

struct Row {
  Call call;  // Call::other: any call
  int err;
  const char* text;
};

constexpr Row kRows[] = {
    {Call::add_service, EEXIST, "Service already exists"},
    {Call::add_service, ENOENT, "Scheduler or persistence engine not found"},
    {Call::edit_service, ESRCH, "No such service"},
    {Call::edit_service, ENOENT, "Scheduler or persistence engine not found"},
    {Call::del_service, ESRCH, "No such service"},
    {Call::zero, ESRCH, "No such service"},
    {Call::add_dest, ESRCH, "Service not defined"},
    {Call::add_dest, EEXIST, "Destination already exists"},
    {Call::edit_dest, ESRCH, "Service not defined"},
    {Call::edit_dest, ENOENT, "No such destination"},
    {Call::del_dest, ESRCH, "Service not defined"},
    {Call::del_dest, ENOENT, "No such destination"},
    {Call::start_daemon, EEXIST, "Daemon has already run"},
    {Call::stop_daemon, ESRCH, "No daemon is running"},
    {Call::get_services, ESRCH, "No such service"},
    {Call::get_dests, ESRCH, "No such service"},
    {Call::get_service, ESRCH, "No such service"},
    {Call::other, EPERM, "Permission denied (you must be root)"},
    {Call::other, EINVAL, "Invalid operation.  Possibly wrong module version, address not unicast, ..."},
    {Call::other, ENOPROTOOPT, "Protocol not available"},
    {Call::other, ENOMEM, "Memory allocation problem"},
    {Call::other, EOPNOTSUPP, "Operation not supported with IPv6"},
    {Call::other, EAFNOSUPPORT, "Operation not supported with specified address family"},
    {Call::other, EMSGSIZE, "Module is wrong version"},
};

}  // namespace

std::string error_text(Call call, int err, const std::string& backend_message) {
  for (const auto& r : kRows)
    if ((r.call == Call::other || r.call == call) && r.err == err) return r.text;
  if (!backend_message.empty()) return backend_message;
  return std::strerror(err);
}

}  // namespace halb::director::adm
