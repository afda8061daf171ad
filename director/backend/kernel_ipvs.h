// director/backend/kernel_ipvs.h: the Backend over the kernel's IPVS, the
// way ipvsadm's libipvs drives it: generic netlink family "IPVS" for the
// table, counters, sync daemons, timeouts and info, and
// /proc/net/ip_vs_conn for the connection list.
//
// Everything acts on the network namespace the process is in. Every
// command, reads included, needs CAP_NET_ADMIN; without it the kernel says
// EPERM and so does BackendError. Kernel refusals keep their errno (EEXIST,
// ESRCH, ENOENT, EINVAL, ...) so halb-adm can word them as ipvsadm does.
// Services the table model cannot express (SCTP) are left out of
// services(); connections likewise.
#pragma once

#include <memory>
#include <string>

#include "director/backend/backend.h"

namespace halb::director::backend {

namespace ipvs {
class GenlChannel;
}

class KernelIpvsBackend : public Backend {
 public:
  // Connects and resolves the IPVS family; throws BackendError(ENOPROTOOPT)
  // when this kernel (or namespace) has no IPVS. `conn_table` is the file
  // connections() reads.
  explicit KernelIpvsBackend(std::string conn_table = "/proc/net/ip_vs_conn");
  ~KernelIpvsBackend() override;

  // Whether the kernel IPVS family resolves here: how halb picks its
  // backend (the kernel when it does, halb-lvsd otherwise).
  static bool available();

  std::string_view name() const override { return "kernel"; }

  Info info() override;
  std::vector<ServiceStatus> services() override;
  void add_service(const Service& service) override;
  void edit_service(const Service& service) override;
  void del_service(const ServiceKey& key) override;
  void add_dest(const ServiceKey& key, const Dest& dest) override;
  void edit_dest(const ServiceKey& key, const Dest& dest) override;
  void del_dest(const ServiceKey& key, const Dest& dest) override;
  void flush() override;
  void zero(const std::optional<ServiceKey>& key) override;
  Timeouts timeouts() override;
  void set_timeouts(const Timeouts& t) override;
  std::vector<SyncDaemon> daemons() override;
  void start_daemon(const SyncDaemon& d) override;
  void stop_daemon(SyncRole role) override;
  std::vector<Connection> connections() override;

 private:
  std::unique_ptr<ipvs::GenlChannel> channel_;
  std::string conn_table_;
};

}  // namespace halb::director::backend
