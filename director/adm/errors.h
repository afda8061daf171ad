// director/adm/errors.h: a backend's failure in ipvsadm's words.
//
// libipvs words an errno by the call that failed ("Service not defined"
// for ESRCH on a dest call, "No such service" for ESRCH on a service
// call), then by the errno alone ("Permission denied (you must be root)"),
// and otherwise prints strerror. halb-adm does the same for every backend;
// for an errno libipvs has no words for it prints the backend's own
// message, which says more than strerror (e.g. which socket was refused).
#pragma once

#include <string>

namespace halb::director::adm {

enum class Call {
  add_service, edit_service, del_service, zero, add_dest, edit_dest, del_dest, start_daemon, stop_daemon,
  get_services, get_dests, get_service, other,
};

std::string error_text(Call call, int err, const std::string& backend_message);

}  // namespace halb::director::adm
