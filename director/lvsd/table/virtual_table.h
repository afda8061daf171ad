// director/lvsd/table/virtual_table.h: halb-lvsd's virtual server table,
// with IPVS's rules and no sockets.
//
// What the kernel's ip_vs_ctl.c and ip_vs_core.c decide, as a plain object:
// services by (protocol, VIP, port) or fwmark, dests in the kernel's list
// order (a new dest goes to the head), the scheduler told of every dest
// change, thresholds and OVERLOAD, quiescent weight 0, persistence
// templates, ActiveConn/InActConn, counters and rates, timeouts, sync
// daemon settings, and the connection entries the forwarder opens through
// admit() and closes through release(); plus, for connection sync, the
// journal a sync master sends and the entries a backup received
// (virtual_table_sync.cc).
//
// Control calls throw backend::BackendError with the errno IPVS returns
// (EEXIST, ESRCH, ENOENT, EINVAL). Time is passed in (`now`, seconds on
// any monotonic clock) so tests drive it. The class is not thread-safe:
// halb-lvsd holds it under one mutex (see lvsd/shared_table.h); only the
// atomic counters inside entries are touched without that lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "director/backend/backend.h"
#include "director/lvsd/sched/scheduler.h"
#include "director/lvsd/sync/message.h"
#include "director/lvsd/table/counters.h"

namespace halb::director::lvsd {

struct DestEntry {
  backend::Dest conf;
  Counters counters;
  Estimator estimator;
  uint32_t active = 0, inactive = 0, persist = 0;
  bool overloaded = false;
  bool removed = false;  // deleted from its service; open connections still use it
};

struct ServiceEntry {
  backend::Service conf;  // conf.dests is unused; `dests` is the list
  std::vector<std::shared_ptr<DestEntry>> dests;  // kernel list order
  std::unique_ptr<Scheduler> scheduler;
  Counters counters;
  Estimator estimator;
};

// TCP states a proxied connection goes through, named as ipvsadm -L -c
// names the kernel's; ESTABLISHED and SYN_SENT count as ActiveConn.
enum class ConnState { syn_sent, established, fin_wait, close, udp };
std::string_view conn_state_name(ConnState s);
inline bool counts_active(ConnState s) { return s == ConnState::syn_sent || s == ConnState::established; }

struct ConnEntry {
  uint64_t id = 0;
  backend::ServiceKey service;
  IpAddress client_addr;
  uint16_t client_port = 0;
  std::shared_ptr<ServiceEntry> svc;
  std::shared_ptr<DestEntry> dest;
  // Copied at admit time: workers read these without the table lock, while
  // edit_dest may rewrite dest->conf under it.
  IpAddress dest_addr;
  uint16_t dest_port = 0;
  std::string dest_name() const { return endpoint_str(dest_addr, dest_port); }  // for log lines
  ConnState state = ConnState::syn_sent;  // under the table lock
  std::atomic<double> last_active{0};     // written by the worker without the lock
  double synced_at = -1e300;              // last handed to the sync master (under the lock)

  void account_in(uint64_t bytes) {
    svc->counters.add_in(bytes);
    dest->counters.add_in(bytes);
  }
  void account_out(uint64_t bytes) {
    svc->counters.add_out(bytes);
    dest->counters.add_out(bytes);
  }
};

// Why admit() gave no connection.
enum class Refusal { none, no_service, no_dest, table_full, not_forwarded };

struct Admission {
  std::shared_ptr<ConnEntry> conn;  // set when admitted
  Refusal refusal = Refusal::none;
  // For no_dest: the kernel's log line ("IPVS: wrr: TCP 10.0.0.1:80 - no
  // destination available"); for table_full: set only on the first refusal
  // after the table had room, so the caller logs it once.
  std::string message;
};

class VirtualTable {
 public:
  static constexpr uint32_t kConnTabSize = 4096;  // what GET_INFO reports, as the kernel's default

  // ---- control (IPVS commands) ----
  void add_service(const backend::Service& svc);   // EEXIST, ENOENT (scheduler), EINVAL
  void edit_service(const backend::Service& svc);  // ESRCH, ENOENT, EINVAL
  void del_service(const backend::ServiceKey& key);  // ESRCH
  void add_dest(const backend::ServiceKey& key, const backend::Dest& d);   // ESRCH, EEXIST, EINVAL
  void edit_dest(const backend::ServiceKey& key, const backend::Dest& d);  // ESRCH, ENOENT, EINVAL
  void del_dest(const backend::ServiceKey& key, const backend::Dest& d);   // ESRCH, ENOENT
  void flush();
  void zero(const std::optional<backend::ServiceKey>& key);  // ESRCH

  backend::Timeouts timeouts() const { return timeouts_; }
  void set_timeouts(const backend::Timeouts& t);  // 0 leaves a value unchanged

  std::vector<backend::SyncDaemon> daemons() const;
  // Records the daemon with the kernel's defaults filled in (group
  // 224.0.0.81, port 8848, ttl 1, maxlen `default_maxlen`). EEXIST when
  // that role is recorded, EINVAL for a group that is not multicast.
  void start_daemon(backend::SyncDaemon d, uint16_t default_maxlen = 1472);
  void stop_daemon(backend::SyncRole role);  // ESRCH when not running

  backend::Info info() const { return {0x010201, kConnTabSize}; }
  std::vector<backend::ServiceStatus> services() const;
  std::vector<backend::Connection> connections(double now) const;
  std::vector<backend::ServiceKey> service_keys() const;

  // ---- data path ----
  void set_max_connections(size_t n) { max_conns_ = n; }  // 0: no limit
  size_t open_connections() const { return conns_.size(); }

  // A new client connection (TCP) or flow (UDP) to `key`: follows a live
  // persistence template or asks the scheduler, binds the dest (counts,
  // OVERLOAD) and records the entry.
  Admission admit(const backend::ServiceKey& key, const IpAddress& client, uint16_t client_port, double now);
  void set_state(ConnEntry& c, ConnState s);
  // The connection ended: unbind from its dest, refresh its template.
  void release(ConnEntry& c, double now);
  // Idle timeout for a connection in state s (tcp, tcpfin or udp).
  uint32_t idle_timeout(ConnState s) const;

  // Every 2 s: sample the estimators, drop expired templates and synced
  // entries, re-sync long-lived connections (virtual_table_sync.cc).
  void tick(double now);

  // ---- connection sync (virtual_table_sync.cc) ----
  // While a master sync daemon runs, templates and connection state changes
  // are written to a journal the sync sender takes (at most kJournalMax
  // entries wait; beyond that they are dropped and counted, as the
  // kernel's sync_qlen_max).
  static constexpr size_t kJournalMax = 100000;
  void set_sync_master(bool on);
  std::vector<sync::Entry> take_sync_journal();
  uint64_t sync_journal_dropped() const { return journal_dropped_; }
  // A backup received `e`: install or refresh the template or connection
  // (bound to the local dest when the service and dest exist, else kept
  // unbound until they do). False when the entry names nothing halb-lvsd
  // can hold (a template of protocol IP without a mark), or when it is new
  // and kSyncedMax entries are held already. Timeouts are capped at
  // kSyncedTimeoutMax, so a bogus sender cannot pin memory for years.
  static constexpr size_t kSyncedMax = 1u << 20;
  static constexpr uint32_t kSyncedTimeoutMax = 31 * 24 * 3600;
  bool apply_sync(const sync::Entry& e, double now);
  size_t synced_connections() const { return synced_.size(); }

 private:
  struct Template {
    std::shared_ptr<DestEntry> dest;  // null: a synced template whose dest is not (yet) in the table
    IpAddress dest_addr;
    uint16_t dest_port = 0;
    double expires = 0;
    bool from_sync = false;
    uint16_t state = sync::kTplNone;
    double synced_at = -1e300;  // last handed to the sync master
  };
  using TemplateKey = std::pair<backend::ServiceKey, IpAddress>;
  // A connection a master synced to us: its TCP session lives on the master
  // (a proxy's sessions cannot move), but it counts toward its dest's
  // ActiveConn/InActConn so lc/wlc see the master's load, until it expires.
  struct SyncedConn {
    sync::Entry entry;
    backend::ServiceKey key;
    std::shared_ptr<DestEntry> dest;  // null while unbound
    bool counted_active = false;
    double expires = 0;
  };
  using SyncedKey = std::tuple<uint8_t, IpAddress, uint16_t, IpAddress, uint16_t>;

  std::shared_ptr<ServiceEntry> find(const backend::ServiceKey& key) const;  // ESRCH
  std::vector<SchedDest> sched_view(const ServiceEntry& s) const;
  void bind(DestEntry& d, ConnState s);
  void unbind(DestEntry& d, ConnState s);
  void bind_as(DestEntry& d, bool active);
  void unbind_as(DestEntry& d, bool active);
  // Drops the templates `which` selects; with keep_synced, synced ones are
  // only unbound from their dest (kept until they expire, as the kernel
  // keeps a template whose dest went away).
  void drop_templates(const std::function<bool(const TemplateKey&, const Template&)>& which,
                      bool keep_synced = false);
  std::shared_ptr<DestEntry> persistent_dest(ServiceEntry& s, const IpAddress& client, double now);
  std::shared_ptr<DestEntry> find_bound_dest(const backend::ServiceKey& key, const IpAddress& addr,
                                             uint16_t port) const;
  // Journal helpers (no-ops unless the master runs).
  void journal(sync::Entry e);
  void journal_conn(ConnEntry& c, double now);
  void journal_template(const TemplateKey& k, Template& t, const ServiceEntry& s, double now);
  void sync_tick(double now);  // expire synced entries, bind unbound ones, re-sync live connections
  void unbind_synced_of(const std::function<bool(const DestEntry&)>& which);

  std::map<backend::ServiceKey, std::shared_ptr<ServiceEntry>> services_;
  std::map<uint64_t, std::shared_ptr<ConnEntry>> conns_;
  std::map<TemplateKey, Template> templates_;
  backend::Timeouts timeouts_{900, 120, 300};
  std::vector<backend::SyncDaemon> daemons_;
  std::map<SyncedKey, SyncedConn> synced_;
  bool sync_master_ = false;
  std::vector<sync::Entry> journal_;
  uint64_t journal_dropped_ = 0;
  uint64_t next_id_ = 1;
  size_t max_conns_ = 0;
  bool full_logged_ = false;
};

// The address persistence groups clients by: `client` with the service's
// netmask applied (an IPv4 mask, or an IPv6 prefix length).
IpAddress persistence_group(const IpAddress& client, uint32_t netmask);

}  // namespace halb::director::lvsd
