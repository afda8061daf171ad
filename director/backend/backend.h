// director/backend/backend.h: one interface over every virtual server table.
//
// halb-director and halb-adm talk to "a backend" and never to the kernel or
// halb-lvsd directly: the kernel's IPVS (generic netlink, the kernel-IPVS
// issue) and halb-lvsd (its control socket) implement the same calls, which
// are IPVS's own commands. The reconciler only needs the table and the
// add/edit/del calls; halb-adm needs the rest (counters, sync daemons,
// timeouts, info, connections).
//
// Failures throw BackendError carrying the errno IPVS would return, so
// callers word them the way ipvsadm does ("Service already exists" for
// EEXIST on add_service, "No such destination" for ENOENT on edit_dest, ...)
// whichever backend produced them.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "director/backend/table.h"

namespace halb::director::backend {

// The counters and estimated rates IPVS keeps per service and per dest
// (STATS64 attribute layout; rates per second).
struct Stats {
  uint64_t conns = 0, inpkts = 0, outpkts = 0, inbytes = 0, outbytes = 0;
  uint64_t cps = 0, inpps = 0, outpps = 0, inbps = 0, outbps = 0;
  bool operator==(const Stats&) const = default;
};

struct DestStatus {
  Dest dest;
  uint32_t active_conns = 0;
  uint32_t inact_conns = 0;
  uint32_t persist_conns = 0;
  Stats stats;
};

struct ServiceStatus {
  Service service;  // attributes; its dests are in `dests` below
  Stats stats;
  std::vector<DestStatus> dests;
};

// GET_INFO: version 0x010201 prints as 1.2.1.
struct Info {
  uint32_t version = 0x010201;
  uint32_t conn_tab_size = 4096;
};

// SET_CONFIG / GET_CONFIG in seconds; on set, 0 leaves a value unchanged.
struct Timeouts {
  uint32_t tcp = 0, tcp_fin = 0, udp = 0;
  bool operator==(const Timeouts&) const = default;
};

enum class SyncRole : uint32_t { master = 1, backup = 2 };

// One running (or wanted) connection-sync daemon; zero/empty optional
// fields mean "the default" on start and "not reported" on read.
struct SyncDaemon {
  SyncRole role = SyncRole::master;
  std::string mcast_ifn = "eth0";
  uint32_t syncid = 0;
  uint16_t maxlen = 0;
  std::optional<IpAddress> group;
  uint16_t port = 0;
  uint8_t ttl = 0;
};

// One entry of the connection table (ipvsadm -L -c).
struct Connection {
  Protocol protocol = Protocol::tcp;  // fwmark templates: protocol "IP"
  bool is_template = false;
  IpAddress client_addr;
  uint16_t client_port = 0;
  IpAddress virtual_addr;
  uint16_t virtual_port = 0;
  IpAddress dest_addr;
  uint16_t dest_port = 0;
  std::string state;       // "ESTABLISHED", "FIN_WAIT", "NONE", ...
  uint32_t expires_s = 0;  // seconds until it expires
};

class BackendError : public std::runtime_error {
 public:
  BackendError(int err, const std::string& what) : std::runtime_error(what), err_(err) {}
  int err() const { return err_; }  // EEXIST, ESRCH, ENOENT, EINVAL, EPERM, ...

 private:
  int err_;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "kernel" or "halb-lvsd", for logs and halb-adm's messages.
  virtual std::string_view name() const = 0;

  virtual Info info() = 0;
  // Every service with its dests and counters, in the backend's own order
  // (callers sort).
  virtual std::vector<ServiceStatus> services() = 0;
  // The same without counters, sorted (sort_table): what the reconciler diffs.
  Table table();

  virtual void add_service(const Service& service) = 0;   // EEXIST
  virtual void edit_service(const Service& service) = 0;  // ESRCH
  virtual void del_service(const ServiceKey& key) = 0;    // ESRCH
  virtual void add_dest(const ServiceKey& key, const Dest& dest) = 0;   // ESRCH, EEXIST
  virtual void edit_dest(const ServiceKey& key, const Dest& dest) = 0;  // ESRCH, ENOENT
  virtual void del_dest(const ServiceKey& key, const Dest& dest) = 0;   // ESRCH, ENOENT
  virtual void flush() = 0;
  // Zero the counters of one service, or of all when key is empty.
  virtual void zero(const std::optional<ServiceKey>& key) = 0;

  virtual Timeouts timeouts() = 0;
  virtual void set_timeouts(const Timeouts& t) = 0;

  virtual std::vector<SyncDaemon> daemons() = 0;  // master first, then backup
  virtual void start_daemon(const SyncDaemon& d) = 0;  // EEXIST when that role runs
  virtual void stop_daemon(SyncRole role) = 0;

  virtual std::vector<Connection> connections() = 0;
};

}  // namespace halb::director::backend
