// director/backend/ipvs_genl.h: one generic netlink socket talking to the
// kernel's "IPVS" family, request by request.
//
// Each call sends one command and reads until the kernel is done with it:
// the ack of a doit command (after its reply, if it has one), or the end of
// a dump. A kernel refusal comes back as BackendError carrying the errno
// from the netlink error message itself (libnl's own error codes fold
// ENOENT and ESRCH together, which ipvsadm's messages must not). Calls are
// answered within one round trip to the local kernel, so they may run on a
// daemon's loop. Not thread-safe: one channel per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "director/backend/backend.h"

struct nl_msg;
struct nl_sock;
struct nlmsghdr;

namespace halb::director::backend::ipvs {

class GenlChannel {
 public:
  // Opens the socket and resolves the family. Throws BackendError
  // (ENOPROTOOPT, as libipvs reports it) when the kernel has no IPVS here,
  // or with the socket's errno when netlink itself fails.
  GenlChannel();
  ~GenlChannel();
  GenlChannel(const GenlChannel&) = delete;
  GenlChannel& operator=(const GenlChannel&) = delete;

  // Whether the IPVS family resolves in this network namespace.
  static bool family_resolves();

  // Adds the command's attributes; false when they did not fit.
  using Build = std::function<bool(nl_msg*)>;
  // Called for each reply message (a doit's one reply, or each dump part).
  // May throw BackendError; the exception is carried out of libnl and
  // rethrown by the call.
  using OnReply = std::function<void(nlmsghdr*)>;

  // `what` names the operation in error texts ("add service TCP 1.2.3.4:80").
  void doit(uint8_t cmd, const std::string& what, const Build& build = {}, const OnReply& on_reply = {});
  void dump(uint8_t cmd, const std::string& what, const Build& build, const OnReply& on_reply);

 private:
  void exchange(uint8_t cmd, int flags, const std::string& what, const Build& build, const OnReply& on_reply);

  nl_sock* sock_ = nullptr;
  int family_ = 0;
};

}  // namespace halb::director::backend::ipvs
