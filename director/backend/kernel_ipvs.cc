// director/backend/kernel_ipvs.cc: see kernel_ipvs.h. The attribute work is
// in ipvs_attrs.cc, the socket in ipvs_genl.cc, the /proc parser in
// ipvs_conn.cc; this file maps Backend calls to IPVS commands.
#include "director/backend/kernel_ipvs.h"

#include <linux/ip_vs.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "director/backend/ipvs_attrs.h"
#include "director/backend/ipvs_conn.h"
#include "director/backend/ipvs_genl.h"

namespace halb::director::backend {

namespace {

// The top-level attributes of a reply, checked against `policy`.
template <int Max>
void parse_top(nlmsghdr* nlh, nlattr* (&tb)[Max + 1], nla_policy* policy, const std::string& what) {
  if (genlmsg_parse(nlh, 0, tb, Max, policy) < 0)
    throw BackendError(EBADMSG, "kernel IPVS: " + what + ": malformed reply");
}

// The command-level attributes of IPVS replies (the info reply has its own).
struct CmdPolicy {
  nla_policy p[IPVS_CMD_ATTR_MAX + 1] = {};
  CmdPolicy() {
    p[IPVS_CMD_ATTR_SERVICE].type = NLA_NESTED;
    p[IPVS_CMD_ATTR_DEST].type = NLA_NESTED;
    p[IPVS_CMD_ATTR_DAEMON].type = NLA_NESTED;
    p[IPVS_CMD_ATTR_TIMEOUT_TCP].type = NLA_U32;
    p[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN].type = NLA_U32;
    p[IPVS_CMD_ATTR_TIMEOUT_UDP].type = NLA_U32;
  }
};

// A reply's command-level attributes.
void parse_cmd(nlmsghdr* nlh, nlattr* (&tb)[IPVS_CMD_ATTR_MAX + 1], const std::string& what) {
  CmdPolicy policy;
  parse_top<IPVS_CMD_ATTR_MAX>(nlh, tb, policy.p, what);
}

std::string role_word(SyncRole r) { return r == SyncRole::master ? "master" : "backup"; }

}  // namespace

KernelIpvsBackend::KernelIpvsBackend(std::string conn_table)
    : channel_(std::make_unique<ipvs::GenlChannel>()), conn_table_(std::move(conn_table)) {}

KernelIpvsBackend::~KernelIpvsBackend() = default;

bool KernelIpvsBackend::available() { return ipvs::GenlChannel::family_resolves(); }

Info KernelIpvsBackend::info() {
  Info info;
  bool got = false;
  channel_->doit(IPVS_CMD_GET_INFO, "get info", {}, [&](nlmsghdr* nlh) {
    nla_policy policy[IPVS_INFO_ATTR_MAX + 1] = {};
    policy[IPVS_INFO_ATTR_VERSION].type = NLA_U32;
    policy[IPVS_INFO_ATTR_CONN_TAB_SIZE].type = NLA_U32;
    nlattr* tb[IPVS_INFO_ATTR_MAX + 1];
    parse_top<IPVS_INFO_ATTR_MAX>(nlh, tb, policy, "get info");
    if (!tb[IPVS_INFO_ATTR_VERSION] || !tb[IPVS_INFO_ATTR_CONN_TAB_SIZE])
      throw BackendError(EBADMSG, "kernel IPVS: get info: reply without version or table size");
    info.version = nla_get_u32(tb[IPVS_INFO_ATTR_VERSION]);
    info.conn_tab_size = nla_get_u32(tb[IPVS_INFO_ATTR_CONN_TAB_SIZE]);
    got = true;
  });
  if (!got) throw BackendError(EBADMSG, "kernel IPVS: get info: no reply");
  return info;
}

std::vector<ServiceStatus> KernelIpvsBackend::services() {
  std::vector<ServiceStatus> out;
  channel_->dump(IPVS_CMD_GET_SERVICE, "list services", {}, [&](nlmsghdr* nlh) {
    nlattr* tb[IPVS_CMD_ATTR_MAX + 1];
    parse_cmd(nlh, tb, "list services");
    if (!tb[IPVS_CMD_ATTR_SERVICE]) return;
    auto parsed = ipvs::parse_service(tb[IPVS_CMD_ATTR_SERVICE]);
    if (auto* m = std::get_if<ipvs::Malformed>(&parsed))
      throw BackendError(EBADMSG, "kernel IPVS: list services: " + m->what);
    if (auto* st = std::get_if<ServiceStatus>(&parsed)) out.push_back(std::move(*st));
    // Unsupported (SCTP): not part of halb's table.
  });
  for (auto& st : out) {
    const ServiceKey key = st.service.key;
    std::string what = "list dests of " + describe(key);
    channel_->dump(
        IPVS_CMD_GET_DEST, what, [&](nl_msg* msg) { return ipvs::put_service_key(msg, key); },
        [&](nlmsghdr* nlh) {
          nlattr* tb[IPVS_CMD_ATTR_MAX + 1];
          parse_cmd(nlh, tb, what);
          if (!tb[IPVS_CMD_ATTR_DEST]) return;
          auto parsed = ipvs::parse_dest(tb[IPVS_CMD_ATTR_DEST], key.family);
          if (auto* m = std::get_if<ipvs::Malformed>(&parsed))
            throw BackendError(EBADMSG, "kernel IPVS: " + what + ": " + m->what);
          st.dests.push_back(std::move(std::get<DestStatus>(parsed)));
        });
  }
  return out;
}

void KernelIpvsBackend::add_service(const Service& s) {
  channel_->doit(IPVS_CMD_NEW_SERVICE, "add service " + describe(s.key),
                 [&](nl_msg* m) { return ipvs::put_service(m, s); });
}

void KernelIpvsBackend::edit_service(const Service& s) {
  channel_->doit(IPVS_CMD_SET_SERVICE, "edit service " + describe(s.key),
                 [&](nl_msg* m) { return ipvs::put_service(m, s); });
}

void KernelIpvsBackend::del_service(const ServiceKey& key) {
  channel_->doit(IPVS_CMD_DEL_SERVICE, "delete service " + describe(key),
                 [&](nl_msg* m) { return ipvs::put_service_key(m, key); });
}

void KernelIpvsBackend::add_dest(const ServiceKey& key, const Dest& d) {
  channel_->doit(IPVS_CMD_NEW_DEST, "add dest " + describe(d) + " to " + describe(key), [&](nl_msg* m) {
    return ipvs::put_service_key(m, key) && ipvs::put_dest(m, d, true);
  });
}

void KernelIpvsBackend::edit_dest(const ServiceKey& key, const Dest& d) {
  channel_->doit(IPVS_CMD_SET_DEST, "edit dest " + describe(d) + " of " + describe(key), [&](nl_msg* m) {
    return ipvs::put_service_key(m, key) && ipvs::put_dest(m, d, true);
  });
}

void KernelIpvsBackend::del_dest(const ServiceKey& key, const Dest& d) {
  channel_->doit(IPVS_CMD_DEL_DEST, "delete dest " + describe(d) + " from " + describe(key), [&](nl_msg* m) {
    return ipvs::put_service_key(m, key) && ipvs::put_dest(m, d, false);
  });
}

void KernelIpvsBackend::flush() { channel_->doit(IPVS_CMD_FLUSH, "flush"); }

void KernelIpvsBackend::zero(const std::optional<ServiceKey>& key) {
  if (!key) {
    channel_->doit(IPVS_CMD_ZERO, "zero counters");
    return;
  }
  channel_->doit(IPVS_CMD_ZERO, "zero counters of " + describe(*key),
                 [&](nl_msg* m) { return ipvs::put_service_key(m, *key); });
}

Timeouts KernelIpvsBackend::timeouts() {
  Timeouts t;
  channel_->doit(IPVS_CMD_GET_CONFIG, "get timeouts", {}, [&](nlmsghdr* nlh) {
    nlattr* tb[IPVS_CMD_ATTR_MAX + 1];
    parse_cmd(nlh, tb, "get timeouts");
    if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP]) t.tcp = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP]);
    if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]) t.tcp_fin = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]);
    if (tb[IPVS_CMD_ATTR_TIMEOUT_UDP]) t.udp = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_UDP]);
  });
  return t;
}

void KernelIpvsBackend::set_timeouts(const Timeouts& t) {
  channel_->doit(IPVS_CMD_SET_CONFIG, "set timeouts", [&](nl_msg* m) { return ipvs::put_timeouts(m, t); });
}

std::vector<SyncDaemon> KernelIpvsBackend::daemons() {
  std::vector<SyncDaemon> out;
  channel_->dump(IPVS_CMD_GET_DAEMON, "list sync daemons", {}, [&](nlmsghdr* nlh) {
    nlattr* tb[IPVS_CMD_ATTR_MAX + 1];
    parse_cmd(nlh, tb, "list sync daemons");
    if (!tb[IPVS_CMD_ATTR_DAEMON]) return;
    auto parsed = ipvs::parse_daemon(tb[IPVS_CMD_ATTR_DAEMON]);
    if (auto* m = std::get_if<ipvs::Malformed>(&parsed))
      throw BackendError(EBADMSG, "kernel IPVS: list sync daemons: " + m->what);
    out.push_back(std::move(std::get<SyncDaemon>(parsed)));
  });
  std::stable_sort(out.begin(), out.end(), [](const SyncDaemon& a, const SyncDaemon& b) {
    return static_cast<uint32_t>(a.role) < static_cast<uint32_t>(b.role);
  });
  return out;
}

void KernelIpvsBackend::start_daemon(const SyncDaemon& d) {
  channel_->doit(IPVS_CMD_NEW_DAEMON, "start " + role_word(d.role) + " sync daemon on " + d.mcast_ifn,
                 [&](nl_msg* m) { return ipvs::put_daemon(m, d); });
}

void KernelIpvsBackend::stop_daemon(SyncRole role) {
  channel_->doit(IPVS_CMD_DEL_DAEMON, "stop " + role_word(role) + " sync daemon",
                 [&](nl_msg* m) { return ipvs::put_daemon_role(m, role); });
}

std::vector<Connection> KernelIpvsBackend::connections() {
  std::ifstream in(conn_table_);
  if (!in) {
    int err = errno ? errno : ENOENT;
    throw BackendError(err, "kernel IPVS: cannot read " + conn_table_ + ": " + std::strerror(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ipvs::parse_conn_table(text.str());
}

}  // namespace halb::director::backend
