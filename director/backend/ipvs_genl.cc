// director/backend/ipvs_genl.cc: see ipvs_genl.h.
#include "director/backend/ipvs_genl.h"

#include <linux/ip_vs.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <cerrno>
#include <cstring>
#include <exception>

namespace halb::director::backend::ipvs {

namespace {

struct SockFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct MsgFree {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
struct CbPut {
  void operator()(nl_cb* c) const { nl_cb_put(c); }
};

std::string describe_errno(const std::string& what, int err) {
  return "kernel IPVS: " + what + ": " + std::strerror(err);
}

// Where one exchange stands, shared with libnl's callbacks.
struct Exchange {
  const GenlChannel::OnReply* on_reply = nullptr;
  bool done = false;
  int err = 0;                   // errno from the kernel's nlmsgerr
  std::exception_ptr thrown;     // from on_reply
};

int on_valid(nl_msg* msg, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  if (ex->on_reply && *ex->on_reply && !ex->thrown) {
    try {
      (*ex->on_reply)(nlmsg_hdr(msg));
    } catch (...) {
      ex->thrown = std::current_exception();
    }
  }
  return NL_OK;
}

int on_finish(nl_msg*, void* arg) {
  static_cast<Exchange*>(arg)->done = true;
  return NL_STOP;
}

int on_ack(nl_msg*, void* arg) {
  static_cast<Exchange*>(arg)->done = true;
  return NL_STOP;
}

int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  ex->err = e->error < 0 ? -e->error : e->error;
  ex->done = true;
  return NL_STOP;
}

std::unique_ptr<nl_sock, SockFree> connect_genl() {
  std::unique_ptr<nl_sock, SockFree> s(nl_socket_alloc());
  if (!s) throw BackendError(ENOMEM, "kernel IPVS: cannot allocate a netlink socket");
  if (int r = genl_connect(s.get()); r < 0)
    throw BackendError(EIO, std::string("kernel IPVS: generic netlink: ") + nl_geterror(r));
  return s;
}

}  // namespace

bool GenlChannel::family_resolves() {
  try {
    auto s = connect_genl();
    return genl_ctrl_resolve(s.get(), IPVS_GENL_NAME) >= 0;
  } catch (const BackendError&) {
    return false;
  }
}

GenlChannel::GenlChannel() {
  auto s = connect_genl();
  int family = genl_ctrl_resolve(s.get(), IPVS_GENL_NAME);
  if (family < 0)
    throw BackendError(ENOPROTOOPT,
                       "kernel IPVS: the generic netlink family IPVS is not there (no ip_vs module loaded?)");
  // Acks are asked for per request: a doit ends with one, a dump does not.
  nl_socket_disable_auto_ack(s.get());
  family_ = family;
  sock_ = s.release();
}

GenlChannel::~GenlChannel() { nl_socket_free(sock_); }

void GenlChannel::doit(uint8_t cmd, const std::string& what, const Build& build, const OnReply& on_reply) {
  exchange(cmd, NLM_F_ACK, what, build, on_reply);
}

void GenlChannel::dump(uint8_t cmd, const std::string& what, const Build& build, const OnReply& on_reply) {
  exchange(cmd, NLM_F_DUMP, what, build, on_reply);
}

void GenlChannel::exchange(uint8_t cmd, int flags, const std::string& what, const Build& build,
                           const OnReply& on_reply) {
  std::unique_ptr<nl_msg, MsgFree> msg(nlmsg_alloc());
  if (!msg) throw BackendError(ENOMEM, "kernel IPVS: " + what + ": cannot allocate a message");
  if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, flags, cmd, IPVS_GENL_VERSION))
    throw BackendError(ENOMEM, "kernel IPVS: " + what + ": cannot build the message header");
  if (build && !build(msg.get())) throw BackendError(EMSGSIZE, "kernel IPVS: " + what + ": attributes do not fit");

  std::unique_ptr<nl_cb, CbPut> cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) throw BackendError(ENOMEM, "kernel IPVS: " + what + ": cannot allocate callbacks");
  Exchange ex;
  ex.on_reply = &on_reply;
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &ex);
  nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &ex);
  nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &ex);
  nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &ex);

  if (int r = nl_send_auto(sock_, msg.get()); r < 0)
    throw BackendError(EIO, "kernel IPVS: " + what + ": send: " + nl_geterror(r));
  while (!ex.done) {
    int r = nl_recvmsgs(sock_, cb.get());
    if (ex.err) break;
    if (r < 0) {
      // A dump the kernel marked inconsistent (the table changed under
      // it) is worth a retry by the caller; anything else is an I/O fault.
      int err = r == -NLE_DUMP_INTR ? EAGAIN : EIO;
      throw BackendError(err, "kernel IPVS: " + what + ": receive: " + nl_geterror(r));
    }
  }
  if (ex.thrown) std::rethrow_exception(ex.thrown);
  if (ex.err) throw BackendError(ex.err, describe_errno(what, ex.err));
}

}  // namespace halb::director::backend::ipvs
