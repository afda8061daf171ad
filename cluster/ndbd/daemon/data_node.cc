// cluster/ndbd/daemon/data_node.cc: a running data node (see data_node.h).
#include "cluster/ndbd/daemon/data_node.h"

#include <algorithm>
#include <chrono>

#include "cluster/mgmd/arbitration.h"
#include "cluster/mgmd/node_registry.h"
#include "cluster/ndbd/engine/error.h"
#include "cluster/ndbd/engine/table_codec.h"
#include "cluster/ndbd/wire/engine_codec.h"
#include "cluster/placement/node_groups.h"
#include "cluster/transport/link_config.h"
#include "cluster/transport/local_socket.h"

namespace halb::cluster::ndbd {

using wire::ControlMsg;
using wire::NodeStartState;

namespace {

// The CLOSE reason a node sends to a peer it declared dead.
constexpr std::string_view kDeclaredDead = "declared dead due to missed heartbeats";
// The reason a node gives its peers when a node group is gone: they stop too.
constexpr std::string_view kClusterShutdown = "a whole node group is gone, the cluster shuts down";

uint64_t steady_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

std::string join(const std::set<uint32_t>& ids) {
  std::string s;
  for (uint32_t id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s.empty() ? "none" : s;
}

// An API message names its sender; the link knows better.
void stamp_api_node(engine::Message& m, uint32_t api) {
  if (auto* e = std::get_if<engine::ApiExecuteReq>(&m)) e->api_node = api;
  else if (auto* s = std::get_if<engine::ApiScanReq>(&m)) s->api_node = api;
  else if (auto* n = std::get_if<engine::ApiScanNextReq>(&m)) n->api_node = api;
}

bool is_api_request(const engine::Message& m) {
  return std::holds_alternative<engine::ApiExecuteReq>(m) || std::holds_alternative<engine::ApiScanReq>(m) ||
         std::holds_alternative<engine::ApiScanNextReq>(m);
}

}  // namespace

DataNode::DataNode(event::Loop& loop, log::Logger& logger, mgmapi::Bootstrap& boot, DataNodeOptions options)
    : loop_(loop),
      logger_(logger),
      boot_(boot),
      opt_(std::move(options)),
      config_(boot.config),
      self_(boot.node_id),
      own_(nullptr),
      started_at_ms_(steady_ms()),
      status_timer_(loop, [this] { poll_status(); }),
      tick_timer_(loop, [this] { on_tick(); }),
      gcp_timer_(loop, [this] { gcp_timer(); }),
      phase_timer_(loop, [this] { step_initial_start(); }) {
  for (auto& d : config_.data_nodes)
    if (d.node_id == self_) own_ = &d;
  if (!own_) throw std::invalid_argument("node " + std::to_string(self_) + " is not a data node of the configuration");
  groups_ = make_node_groups(config_.data_node_ids(), config_.no_of_replicas());
  wire::register_engine_messages(registry_);
  wire::register_node_protocol(registry_);
  engine_ = std::make_unique<engine::DataNodeEngine>(engine::engine_config(*own_), groups_,
                                                     static_cast<engine::Peers&>(*this),
                                                     static_cast<const engine::Clock&>(*this));
  engine_->tc().set_sequence_base(opt_.start_count << 32);
  make_backup_service();
  if (!opt_.fs_dir.empty() && !own_->diskless)
    dur_ = std::make_unique<Durability>(durability_options(opt_.fs_dir, *own_), logger_, self_);
  // Without files (Diskless) there is no disk to wait for.
  commit_durable_ = own_->commit_durability == "gcp" && dur_;
  for (uint32_t id : config_.data_node_ids()) members_.insert(id);
  hosts_ = mgmd::resolve_hosts(config_);
}

DataNode::~DataNode() {
  if (engine_) engine_->set_change_sink(nullptr);
}

void DataNode::make_backup_service() {
  backup::BackupSettings bs;
  bs.root = !own_->backup_data_dir.empty() ? own_->backup_data_dir
            : !own_->file_system_path.empty() ? own_->file_system_path : own_->data_dir;
  bs.data_buffer = own_->backup_data_buffer_size;
  bs.log_buffer = own_->backup_log_buffer_size;
  bs.memory = own_->backup_memory;
  bs.write_size = own_->backup_write_size;
  backup::ServiceHooks h;
  h.send = [this](uint32_t to, uint16_t type, const ControlMsg& m) { send_control(to, type, m); };
  h.event = [this](mgmapi::Severity sev, const std::string& text) {
    logger_.info("Backup event: " + text);
    if (mgm_) mgm_->report_event(mgmapi::Event{self_, mgmapi::Category::kBackup, 7, sev, text});
  };
  h.gci = [this] { return gci_; };
  h.members = [this] {
    std::vector<uint32_t> started;
    for (uint32_t id : members_)
      if (id == self_ || (peers_.count(id) && peers_.at(id).state == NodeStartState::kStarted)) started.push_back(id);
    return started;
  };
  h.info = [this](const std::string& text) { logger_.info(text); };
  backup_ = std::make_unique<backup::BackupService>(self_, *engine_, bs, std::move(h), own_->diskless);
  backup::BackupService::register_messages(registry_);
  changes_.users.push_back([this](const engine::RowChange& c) { backup_->on_change(c); });
  engine_->set_change_sink(&changes_);
}

uint64_t DataNode::now_ms() const { return steady_ms() - started_at_ms_; }

bool DataNode::start(std::string& error) {
  if (!open_files(error)) return false;
  listener_ = std::make_unique<transport::Listener>(loop_, logger_,
                                                    [this](int fd, const std::string& from) { accept(fd, from); });
  std::string host = !opt_.bind_host.empty() ? opt_.bind_host : own_->host_name;
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  if (!listener_->listen(host, 0, error, own_->use_shm)) return false;
  logger_.info("node " + std::to_string(self_) + ": transporter listening on " + host + ":" +
               std::to_string(listener_->port()) + (listener_->local() ? " and its local socket" : "") +
               "; lower node ids connect to higher ones, API nodes connect to us");
  mgm_ = std::make_unique<mgmapi::ManagementSessions>(
      loop_, logger_, opt_.connectstring, self_, NodeType::kData,
      [this](const std::string& c, const mgmapi::Message& m) { return on_command(c, m); }, &boot_);
  tick_timer_.start(0.01, 0.01);
  gcp_timer_.start(own_->time_between_global_checkpoints / 1000.0, own_->time_between_global_checkpoints / 1000.0);
  if (opt_.no_start) {
    logger_.info("node " + std::to_string(self_) + ": --nostart: waiting for START from the management server");
    report(mgmapi::NodeStatus::kNotStarted, 0);
  } else {
    phase_ = Phase::kConnecting;
    connecting_since_ms_ = now_ms();
    report(mgmapi::NodeStatus::kStarting, 1);
  }
  status_timer_.start(0.05, 0.5);
  return true;
}

void DataNode::report(mgmapi::NodeStatus status, uint32_t phase) {
  mgmapi::StateReport r;
  r.status = status;
  r.start_phase = phase;
  start_phase_ = phase;
  auto ids = config_.data_node_ids();
  r.dynamic_id = static_cast<uint32_t>(std::find(ids.begin(), ids.end(), self_) - ids.begin()) + 1;
  if (restart_source_) r.dynamic_id += static_cast<uint32_t>(ids.size() * opt_.start_count);
  for (auto& g : groups_)
    if (std::count(g.members.begin(), g.members.end(), self_)) r.node_group = static_cast<int>(g.id);
  r.transporter_port = listener_ ? listener_->port() : 0;
  if (mgm_) mgm_->report_state(r);
}

NodeStartState DataNode::start_state() const {
  if (phase_ == Phase::kStarted) return NodeStartState::kStarted;
  if (phase_ == Phase::kWaiting || phase_ == Phase::kConnecting) return NodeStartState::kNotStarted;
  return NodeStartState::kStarting;
}

bool DataNode::linked(uint32_t node) const {
  auto it = peers_.find(node);
  return it != peers_.end() && it->second.link && it->second.link->up();
}

// ---- links ------------------------------------------------------------------

void DataNode::poll_status() {
  if (phase_ == Phase::kWaiting || phase_ == Phase::kStopping || status_in_flight_ || !mgm_) return;
  status_in_flight_ = true;
  mgm_->get_status([this](std::optional<std::vector<mgmapi::NodeState>> nodes) {
    status_in_flight_ = false;
    if (nodes) on_status(*nodes);
  });
}

void DataNode::on_status(const std::vector<mgmapi::NodeState>& nodes) {
  drain_closed();
  if (phase_ == Phase::kStopping) return;
  status_seen_ = true;
  mgmd_started_.clear();
  for (auto& n : nodes) {
    if (n.type != NodeType::kData || n.node_id == self_) continue;
    if (n.status == mgmapi::NodeStatus::kStarted) mgmd_started_.insert(n.node_id);
    if (n.node_id < self_ || !n.transporter_port || linked(n.node_id) || dialing_.count(n.node_id)) continue;
    std::string host = !n.config_host.empty() ? n.config_host : n.address;
    if (host.empty() || host == "localhost") host = "127.0.0.1";
    connect_to(n.node_id, host, n.transporter_port);
  }
  advance();
}

void DataNode::connect_to(uint32_t node, const std::string& host, uint16_t port) {
  std::string error;
  int fd = transport::connect_nonblocking(host, port, error);
  if (fd < 0) {
    logger_.limited("connect-" + std::to_string(node), log::Level::warn,
                    "node " + std::to_string(node) + " at " + host + ":" + std::to_string(port) + ": " + error);
    return;
  }
  dialing_.insert(node);
  add_link(fd, node);
}

void DataNode::accept(int fd, const std::string& from) { add_link(fd, 0, from); }

bool DataNode::may_connect(uint32_t peer, const std::string& from) const {
  if (peer == self_) return false;
  const NodeCommon* node = nullptr;
  bool is_data = false;
  for (auto& d : config_.data_nodes)
    if (d.node_id == peer) node = &d, is_data = true;
  for (auto& a : config_.api_nodes)
    if (a.node_id == peer) node = &a;
  if (!node || (is_data && peer > self_)) return false;
  // As halb-mgmd hands out ids: a section with a HostName admits that host
  // only. A peer on the local socket runs on this host, and only a data
  // node on a loopback address has one, in a config.ini that may not mix
  // loopback with other host names (halb-mgmd refuses that, as NDB does).
  if (node->host_name.empty() || from.empty() || from == transport::kLocalPeer) return true;
  auto it = hosts_.find(node->host_name);
  bool ok = it != hosts_.end() && it->second.count(from);
  if (!ok)
    logger_.limited("host-" + std::to_string(peer), log::Level::warn,
                    "node " + std::to_string(peer) + " connected from " + from + ", but its HostName is " +
                        node->host_name + "; refused");
  return ok;
}

void DataNode::add_link(int fd, uint32_t peer_hint, const std::string& from) {
  std::string error;
  std::optional<transport::LinkOptions> o;
  if (peer_hint) {
    o = transport::link_options_for(config_, self_, peer_hint, error);
  } else {
    // The accepting side learns the peer only from its HELLO, after the
    // link exists: watch at the longer of the two intervals, so a peer that
    // beats at the other one is never declared dead too early.
    o = transport::LinkOptions{};
    o->own_id = static_cast<uint16_t>(self_);
    o->heartbeat_interval_s =
        std::max(own_->heartbeat_interval_db_db, own_->heartbeat_interval_db_api) / 1000.0;
  }
  if (!o) {
    logger_.warn("link to node " + std::to_string(peer_hint) + ": " + error);
    ::close(fd);
    dialing_.erase(peer_hint);
    return;
  }
  o->registry = &registry_;
  // Every send here happens inside the loop's callbacks: the replies and
  // forwards one iteration produces for a peer go out in one send().
  o->batch_sends = true;
  auto holder = std::make_shared<transport::Link*>(nullptr);
  transport::LinkHandlers h;
  h.accept_peer = [this, from](uint16_t peer) { return may_connect(peer, from); };
  h.peer_options = [this](uint16_t peer) {
    std::string why;
    return transport::link_options_for(config_, self_, peer, why);
  };
  h.on_up = [this, holder](uint16_t peer) { on_link_up(peer, *holder); };
  h.on_message = [this, holder](const transport::Frame& f) { on_frame((*holder)->peer(), f); };
  h.on_writable = [this, holder] { flush_backlog((*holder)->peer()); };
  h.on_missed = [this, holder](int missed) {
    logger_.warn("Node " + std::to_string((*holder)->peer()) + " missed heartbeat " + std::to_string(missed));
  };
  h.on_dead = [this, holder] {
    logger_.warn("Node " + std::to_string((*holder)->peer()) + " declared dead due to missed heartbeat");
    // Say so on the way out: a node that was only frozen reads this when
    // it wakes up and leaves, instead of judging the cluster on its own.
    (*holder)->close(std::string(kDeclaredDead));
  };
  h.on_closed = [this, holder, peer_hint](const std::string& why) {
    on_link_closed(peer_hint ? peer_hint : (*holder)->peer(), *holder, why);
  };
  auto link = std::make_unique<transport::Link>(loop_, logger_, fd, *o, std::move(h));
  *holder = link.get();
  pending_[link.get()] = std::move(link);
}

void DataNode::on_link_up(uint16_t peer, transport::Link* link) {
  drain_closed();
  auto it = pending_.find(link);
  if (it == pending_.end()) return;
  std::unique_ptr<transport::Link> owned = std::move(it->second);
  pending_.erase(it);
  dialing_.erase(peer);
  if (linked(peer)) {
    logger_.warn("node " + std::to_string(peer) + " linked twice; keeping the first link");
    owned->close("already linked");
    loop_.defer([l = std::shared_ptr<transport::Link>(std::move(owned))] {});
    return;
  }
  bool data_peer = false;
  for (auto& d : config_.data_nodes) data_peer = data_peer || d.node_id == peer;
  if (data_peer && draining_) {
    // A node starting now must not take this one, which is leaving, for a started peer.
    owned->close("node " + std::to_string(self_) + " is shutting down");
    loop_.defer([l = std::shared_ptr<transport::Link>(std::move(owned))] {});
    return;
  }
  Peer& p = peers_[peer];
  p = Peer{};
  p.link = std::move(owned);
  p.is_data = false;
  for (auto& d : config_.data_nodes)
    if (d.node_id == peer) p.is_data = true;
  logger_.info("node " + std::to_string(self_) + ": link to " + (p.is_data ? "data" : "API") + " node " +
               std::to_string(peer) + " up");
  if (p.is_data) send_control(peer, wire::kNodeHello, ControlMsg{static_cast<uint32_t>(start_state()), 0, "", ""});
  else send_control(peer, wire::kApiNodeState, ControlMsg{static_cast<uint32_t>(start_state()), 0, "", ""});
  advance();
}

void DataNode::on_link_closed(uint16_t peer, transport::Link* link, const std::string& why) {
  auto pit = pending_.find(link);
  if (pit != pending_.end()) {
    loop_.defer([l = std::shared_ptr<transport::Link>(std::move(pit->second))] {});
    pending_.erase(pit);
    if (dialing_.count(peer) && peer) dialing_.erase(peer);
    return;
  }
  // A link can close inside a send, deep in the engine or in a walk over
  // peers_: handle it from the top, before the next message or tick.
  closed_.push_back(Closed{peer, link, why});
  loop_.defer([this] { drain_closed(); });
}

void DataNode::drain_closed() {
  while (!closed_.empty()) {
    Closed c = closed_.front();
    closed_.pop_front();
    handle_closed(c.peer, c.link, c.why);
  }
}

void DataNode::handle_closed(uint16_t peer, transport::Link* link, const std::string& why) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.link.get() != link) return;
  bool is_data = it->second.is_data;
  loop_.defer([l = std::shared_ptr<transport::Link>(std::move(it->second.link))] {});
  peers_.erase(it);
  logger_.info("node " + std::to_string(self_) + ": link to node " + std::to_string(peer) + " closed: " + why);
  if (phase_ == Phase::kStopping) return;
  if (!is_data) {
    if (phase_ == Phase::kStarted) engine_->api_failed(peer);
    return;
  }
  bool engine_running = phase_ != Phase::kWaiting && phase_ != Phase::kConnecting;
  if (!engine_running || !members_.count(peer)) return;
  if (why.rfind("peer closed the link: ", 0) == 0 && why.find(kClusterShutdown) != std::string::npos) {
    stop("node " + std::to_string(peer) + " reports that " + std::string(kClusterShutdown), kExitShutdown);
    return;
  }
  if (why == "peer closed the link: " + std::string(kDeclaredDead)) {
    stop("node " + std::to_string(peer) + " declared this node dead (missed heartbeats); it is no longer part of "
         "the cluster and leaves", kExitArbitrationLost);
    return;
  }
  node_failures({peer});
}

void DataNode::send_control(uint32_t to, uint16_t type, const ControlMsg& m) { queue_frame(to, type, wire::encode_control(m)); }

void DataNode::send(uint32_t to, engine::Message m) {
  if (failure_unsettled_ && hold_unsettled(to, m)) return;
  if (commit_durable_ && hold_reply(to, m)) return;
  queue_frame(to, wire::engine_message_type(m), wire::encode_engine_message(m));
}

void DataNode::queue_frame(uint32_t to, uint16_t type, std::string payload) {
  auto it = peers_.find(to);
  if (it == peers_.end() || !it->second.link || !it->second.link->open()) return;  // gone: its failure handling covers what was in flight
  Peer& p = it->second;
  if (p.backlog.empty()) {
    auto r = p.link->send(type, payload);
    if (r != transport::Link::SendResult::kFull) return;
  }
  p.backlog.emplace_back(type, std::move(payload));
}

void DataNode::flush_backlog(uint32_t peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || !it->second.link) return;
  Peer& p = it->second;
  while (!p.backlog.empty()) {
    auto r = p.link->send(p.backlog.front().first, p.backlog.front().second);
    if (r == transport::Link::SendResult::kFull) return;
    p.backlog.pop_front();
  }
}

void DataNode::on_frame(uint16_t peer, const transport::Frame& f) {
  drain_closed();
  auto it = peers_.find(peer);
  if (it == peers_.end() || phase_ == Phase::kStopping) return;
  bool is_data = it->second.is_data;
  std::string error;
  if (wire::is_engine_message_type(f.header.type)) {
    auto m = wire::decode_engine_message(f.header.type, f.payload, error);
    if (!m) {
      logger_.limited("bad-" + std::to_string(peer), log::Level::warn,
                      "node " + std::to_string(peer) + " sent a malformed message: " + error + "; closing the link");
      it->second.link->close("malformed " + wire::engine_message_name(f.header.type));
      return;
    }
    if (!is_data) {
      if (!is_api_request(*m)) {
        logger_.limited("api-type-" + std::to_string(peer), log::Level::warn,
                        "API node " + std::to_string(peer) + " sent " + wire::engine_message_name(f.header.type) +
                            ", which only data nodes send; ignored");
        return;
      }
      stamp_api_node(*m, peer);
      if (draining_) {
        // Shutting down: a new transaction is refused (temporary, the API
        // tries another node); the running ones go on to their end.
        if (auto* e = std::get_if<engine::ApiExecuteReq>(&*m); e && e->trans == 0) {
          send(peer, engine::ApiExecuteConf{e->request, e->trans, engine::TransState::kAborted, kErrNodeNotStarted, {}});
          return;
        }
      }
      if (phase_ != Phase::kStarted) {
        // Not serving yet: a temporary error the API retries elsewhere.
        if (auto* e = std::get_if<engine::ApiExecuteReq>(&*m))
          send(peer, engine::ApiExecuteConf{e->request, e->trans, engine::TransState::kAborted, kErrNodeNotStarted, {}});
        else if (auto* s = std::get_if<engine::ApiScanReq>(&*m))
          send(peer, engine::ApiScanBatch{s->scan, {}, true, kErrNodeNotStarted});
        return;
      }
    } else if (phase_ == Phase::kWaiting || phase_ == Phase::kConnecting) {
      return;  // our engine is not part of the cluster yet
    }
    engine_->receive(peer, std::move(*m));
    return;
  }
  auto c = wire::decode_control(f.payload, error);
  if (!c) {
    logger_.limited("bad-" + std::to_string(peer), log::Level::warn,
                    "node " + std::to_string(peer) + " sent a malformed control message: " + error);
    it->second.link->close("malformed control message");
    return;
  }
  if (is_data && backup::BackupService::handles(f.header.type)) {
    if (phase_ == Phase::kStarted) backup_->on_message(peer, f.header.type, *c);
    return;
  }
  if (is_data) on_control(peer, f.header.type, *c);
  else on_api_dict(peer, f.header.type, *c);
}

// ---- start ------------------------------------------------------------------

void DataNode::advance() {
  if (phase_ != Phase::kConnecting) return;
  bool any_started = false, unconfirmed_started = false, all_linked = true;
  for (uint32_t id : config_.data_node_ids()) {
    if (id == self_) continue;
    auto it = peers_.find(id);
    bool hello = it != peers_.end() && it->second.hello;
    if (!hello) all_linked = false;
    // A node in a graceful stop still says started until it is gone;
    // halb-mgmd already calls it stopping or restarting.
    else if (it->second.state == NodeStartState::kStarted)
      (mgmd_started_.count(id) ? any_started : unconfirmed_started) = true;
  }
  // A peer says started and halb-mgmd has not said so yet: it has just
  // started (a system restart this node was left out of) or it is on its
  // way down. Neither is a cluster to start a system restart with; the
  // next status tells which.
  if (!any_started && unconfirmed_started) return;
  if (any_started) {
    // Node restart: wait until every node the management server calls
    // started is linked, so none is wrongly marked failed.
    if (!status_seen_) return;
    for (uint32_t id : mgmd_started_) {
      auto it = peers_.find(id);
      if (it == peers_.end() || !it->second.hello || it->second.state != NodeStartState::kStarted) return;
    }
    // The copy needs a started node of this node's own group (the others
    // of a partial start may come up one by one).
    for (auto& g : groups_) {
      if (g.members.size() < 2 || !std::count(g.members.begin(), g.members.end(), self_)) continue;
      bool source = false;
      for (uint32_t n : g.members) {
        auto it = peers_.find(n);
        source = source || (n != self_ && it != peers_.end() && it->second.hello &&
                            it->second.state == NodeStartState::kStarted);
      }
      if (!source) return;
    }
    if (restore_before_linking()) return;
    begin_node_restart();
    return;
  }
  if (all_linked && !sr_decided_) {
    logger_.info("node " + std::to_string(self_) + ": all data nodes connected, " +
                 (fs_state_.has_files ? "system restart" : "initial start"));
    sr_participants_.clear();
    for (uint32_t id : config_.data_node_ids()) sr_participants_.insert(id);
    phase_ = Phase::kStarting;
    start_phase_ = 1;
    phase_timer_.start(0.1, 0.1);
    return;
  }
  if (!all_linked && !sr_decided_ && partial_start_due()) {
    phase_ = Phase::kStarting;
    start_phase_ = 1;
    phase_timer_.start(0.1, 0.1);
  }
}

void DataNode::step_initial_start() {
  if (phase_ != Phase::kStarting) {
    phase_timer_.stop();
    return;
  }
  if (start_phase_ >= 9) {
    phase_timer_.stop();
    become_started();
    return;
  }
  if (start_phase_ == 2 && !sr_decided_) {
    // The others started without this node (their start set lacked it):
    // it joins them by node restart instead.
    for (auto& [id, p] : peers_)
      if (p.is_data && p.hello && p.state == NodeStartState::kStarted) {
        logger_.info("node " + std::to_string(self_) + ": node " + std::to_string(id) +
                     " started without this node; joining by node restart");
        phase_ = Phase::kConnecting;
        phase_timer_.stop();
        sr_sent_ = false;
        sr_gcis_.clear();
        sr_sets_.clear();
        advance();
        return;
      }
    sr_exchange();  // phase 2: the latest restorable GCI, agreed by all
    return;
  }
  report(mgmapi::NodeStatus::kStarting, start_phase_ + 1);
  logger_.info("node " + std::to_string(self_) + ": start phase " + std::to_string(start_phase_) + " completed");
  event(mgmapi::Category::kStartup, 4, mgmapi::Severity::kInfo,
        "Start phase " + std::to_string(start_phase_) + " completed (" + start_kind_ + ")");
}

bool DataNode::restore_before_linking() {
  if (own_restore_done_ || !dur_ || !fs_state_.has_files || fs_state_.restorable_gci == 0) return false;
  own_restore_done_ = true;
  // NDB restores in its own start phases, before it joins: no peer waits
  // for this node's heartbeats while the files are read.
  std::vector<transport::Link*> open;
  for (auto& [id, p] : peers_)
    if (p.is_data && p.link) open.push_back(p.link.get());
  for (auto& [l, owned] : pending_) open.push_back(l);
  for (auto* l : open) l->close("node " + std::to_string(self_) + " restores its own files first");
  drain_closed();
  report(mgmapi::NodeStatus::kStarting, 2);
  event(mgmapi::Category::kNodeRestart, 1, mgmapi::Severity::kInfo,
        "Node restart: restoring own files to GCI " + std::to_string(fs_state_.restorable_gci) +
            " before linking to the live nodes");
  std::string summary, error;
  if (dur_->restore(*engine_, fs_state_.restorable_gci, summary, error)) {
    catchup_gci_ = fs_state_.restorable_gci;
    start_kind_ = "node restart";
    event(mgmapi::Category::kNodeRestart, 1, mgmapi::Severity::kInfo,
          "Node restart: own files restored to GCI " + std::to_string(catchup_gci_) + " (" + summary +
              "); copying only the rows changed since from the live nodes");
  } else {
    own_restore_error_ = error;
  }
  report(mgmapi::NodeStatus::kStarting, 1);
  return true;
}

void DataNode::begin_node_restart() {
  if (dur_) {
    // With usable files the node first comes back to its own last GCI and
    // then fetches only the rows stamped later; else it copies everything.
    std::string why = fs_state_.damaged ? "its own files are not usable: " + fs_state_.note : "it has no files";
    if (!own_restore_error_.empty()) why = "its own files cannot be restored: " + own_restore_error_;
    if (!catchup_gci_) {
      start_kind_ = fs_state_.has_files ? "node restart" : "initial node restart";
      std::string error;
      if (!dur_->create_for_copy(error)) {
        stop("node restart: cannot reset the file system: " + error, 1);
        return;
      }
      event(mgmapi::Category::kNodeRestart, 1, mgmapi::Severity::kInfo,
            "Node restart: full copy of every fragment from the live nodes (" + why + ")");
    }
    // Neither copied rows nor forwarded writes go to the redo log until
    // the checkpoint after the copy holds them (durability.h).
    dur_->begin_copy();
  }
  for (auto& [id, p] : peers_)
    if (p.is_data && p.hello && p.state == NodeStartState::kStarted) {
      restart_source_ = id;
      break;
    }
  phase_ = Phase::kRestartDict;
  report(mgmapi::NodeStatus::kStarting, 4);
  logger_.info("node " + std::to_string(self_) + ": node restart; dictionary from node " +
               std::to_string(restart_source_));
  send_control(restart_source_, wire::kRestartJoin, ControlMsg{});
}

void DataNode::on_tick() {
  drain_closed();
  if (phase_ == Phase::kStopping || !engine_) return;
  durability_tick();
  if (phase_ == Phase::kStopping) return;
  if (phase_ != Phase::kWaiting && phase_ != Phase::kConnecting) engine_->tick();
  if (phase_ == Phase::kStarted) backup_->tick();
  for (auto it = barriers_.begin(); it != barriers_.end();) {
    if (engine_->tc().finished_up_to(it->second)) {
      send_control(it->first, wire::kRestartReady, ControlMsg{0, 0, std::to_string(gci_), ""});
      it = barriers_.erase(it);
    } else {
      ++it;
    }
  }
  if (phase_ == Phase::kRestartCopy && engine_->copy_complete()) {
    if (engine_->copy_error()) {
      stop("node restart failed: copying fragments gave error " + std::to_string(engine_->copy_error()), 1);
      return;
    }
    logger_.info("Node restart completed copying the fragments to Node " + std::to_string(self_));
    const auto& cs = engine_->copy_stats();
    event(mgmapi::Category::kNodeRestart, 1, mgmapi::Severity::kInfo,
          std::string(catchup_gci_ ? "Node restart catch-up from GCI " + std::to_string(catchup_gci_) : "Node restart copy") +
              ": " + std::to_string(cs.full_rows) + " rows copied, " + std::to_string(cs.unchanged_rows) +
              " unchanged rows checked by key, " + std::to_string(cs.removed_rows) + " rows removed, " +
              std::to_string(cs.fallbacks) + " fragments copied in full after a mismatch");
    if (dur_) {
      // Not in the redo log: a local checkpoint of every fragment makes
      // the copy durable; the node counts as started once it is on disk.
      dur_->end_copy();
      phase_ = Phase::kRestartLcp;
      report(mgmapi::NodeStatus::kStarting, 5);
      event(mgmapi::Category::kNodeRestart, 1, mgmapi::Severity::kInfo,
            "Node restart: copy done, waiting for a local checkpoint of every fragment (until it is complete, "
            "this node cannot restart from its own files)");
    } else {
      finish_node_restart();
    }
    return;
  }
  if (phase_ == Phase::kRestartLcp && dur_->copy_on_disk()) {
    event(mgmapi::Category::kNodeRestart, 1, mgmapi::Severity::kInfo,
          "Node restart: local checkpoint after the copy completed; GCIs from " +
              std::to_string(dur_->marks_from_gci()) + " on are restorable from this node's files");
    finish_node_restart();
  }
}

void DataNode::finish_node_restart() {
  for (uint32_t id : members_)
    if (id != self_) send_control(id, wire::kRestartDone, ControlMsg{});
  engine_->node_state(self_, engine::NodeState::kAlive);
  become_started();
}

void DataNode::become_started() {
  phase_ = Phase::kStarted;
  ++membership_changes_;
  report(mgmapi::NodeStatus::kStarted, 0);
  logger_.info("node " + std::to_string(self_) + ": started (members " + join(members_) + ")");
  for (auto& [id, p] : peers_) {
    ControlMsg hello{static_cast<uint32_t>(NodeStartState::kStarted), 0, "", ""};
    send_control(id, p.is_data ? wire::kNodeHello : wire::kApiNodeState, hello);
  }
}

// ---- data node control messages ------------------------------------------------

void DataNode::on_control(uint16_t peer, uint16_t type, const ControlMsg& m) {
  if (is_gcp_type(type)) {
    on_gcp(peer, type, m);
    return;
  }
  Peer& p = peers_[peer];
  switch (type) {
    case wire::kNodeHello:
      if (m.request > static_cast<uint32_t>(NodeStartState::kStarted)) {
        p.link->close("bad start state in NODE_HELLO");
        return;
      }
      p.hello = true;
      p.state = static_cast<NodeStartState>(m.request);
      advance();
      return;
    case wire::kDictInstall: {
      auto r = engine_->install_table(m.data);
      if (r.error == engine::err::kTableExists && phase_ == Phase::kRestartDict) {
        // Restored from own files: keep it only if it is the same table.
        std::string derr;
        auto incoming = engine::decode_table(m.data, derr);
        auto have = incoming ? engine_->dictionary().find(incoming->name) : nullptr;
        if (incoming && have && engine::encode_table(*have) != m.data) {
          logger_.info("node restart: table " + incoming->name + " changed while this node was down; taken anew");
          engine_->drop_table(incoming->name);
          r = engine_->install_table(m.data);
        }
      }
      if (phase_ == Phase::kRestartDict && m.request == 0) {
        std::string derr;
        if (auto t = engine::decode_table(m.data, derr)) restart_tables_.insert(t->name);
      }
      if (r.error && r.error != engine::err::kTableExists)
        logger_.warn("installing a table from node " + std::to_string(peer) + ": error " + std::to_string(r.error) +
                     " " + r.detail);
      else if (!r.error)
        save_schema(phase_ == Phase::kRestartDict ? 0 : dict_gci(m.text));
      if (m.request) send_control(peer, wire::kDictInstallConf, ControlMsg{m.request, r.error, r.detail, ""});
      return;
    }
    case wire::kDictDropInstall: {
      auto r = engine_->drop_table(m.text);
      if (!r.error) save_schema(dict_gci(m.data));
      send_control(peer, wire::kDictInstallConf, ControlMsg{m.request, r.error, r.detail, ""});
      return;
    }
    case wire::kDictInstallConf: {
      auto it = dict_pending_.find(m.request);
      if (it == dict_pending_.end()) return;
      if (m.error)
        logger_.warn("node " + std::to_string(peer) + " refused a dictionary change: error " +
                     std::to_string(m.error) + " " + m.text);
      it->second.waiting.erase(peer);
      finish_dict(m.request);
      return;
    }
    case wire::kRestartJoin:
      if (phase_ != Phase::kStarted) return;
      logger_.info("node " + std::to_string(peer) + " restarts: sending the dictionary");
      for (auto& t : engine_->dictionary().tables())
        if (t->name.find("$unique") == std::string::npos)
          send_control(peer, wire::kDictInstall, ControlMsg{0, 0, t->name, engine::encode_table(*t)});
      send_control(peer, wire::kRestartDictDone,
                   ControlMsg{static_cast<uint32_t>(membership_changes_), 0, std::to_string(gci_), ""});
      return;
    case wire::kRestartDictDone: {
      if (phase_ != Phase::kRestartDict || peer != restart_source_) return;
      logger_.info("Node restart completed copy of dictionary information");
      membership_changes_ = m.request;
      learn_gci(m.text);
      std::set<uint32_t> live{self_};
      for (auto& [id, q] : peers_)
        if (q.is_data && q.hello && q.state == NodeStartState::kStarted) live.insert(id);
      for (uint32_t id : config_.data_node_ids())
        if (!live.count(id)) engine_->node_failed(id);
      members_ = live;
      // Tables the live nodes no longer have go; the others came from them.
      for (auto& t : engine_->dictionary().tables())
        if (t->name.find("$unique") == std::string::npos && !restart_tables_.count(t->name)) {
          logger_.info("node restart: table " + t->name + " was dropped while this node was down");
          engine_->drop_table(t->name);
        }
      save_schema(0);
      engine_->begin_restart(catchup_gci_);
      restart_waiting_.clear();
      for (uint32_t id : live)
        if (id != self_) {
          restart_waiting_.insert(id);
          send_control(id, wire::kRestartStarting, ControlMsg{});
        }
      phase_ = Phase::kRestartBarrier;
      report(mgmapi::NodeStatus::kStarting, 5);
      return;
    }
    case wire::kRestartStarting:
      if (phase_ != Phase::kStarted) return;
      engine_->node_state(peer, engine::NodeState::kStarting);
      members_.insert(peer);
      barriers_[peer] = engine_->tc().mark();
      logger_.info("Node restart starting to copy the fragments to Node " + std::to_string(peer));
      return;
    case wire::kRestartReady:
      if (phase_ != Phase::kRestartBarrier) return;
      learn_gci(m.text);
      restart_waiting_.erase(peer);
      if (restart_waiting_.empty()) {
        logger_.info("node " + std::to_string(self_) + ": every coordinator passed its barrier; copying fragments");
        phase_ = Phase::kRestartCopy;
        report(mgmapi::NodeStatus::kStarting, 5);
        engine_->start_copy();
      }
      return;
    case wire::kArbitResult:
      // Before the start: the lowest present node's answer for a partitioned start.
      if (phase_ == Phase::kConnecting && peer < self_) {
        partitioned_answer(m.request == 1, m.text + " (from node " + std::to_string(peer) + ")");
        return;
      }
      if (phase_ != Phase::kStarted || !members_.count(peer)) return;
      arbitration_result(m.request == 1, m.text + " (from node " + std::to_string(peer) + ")");
      return;
    case wire::kRestartDone:
      if (phase_ != Phase::kStarted) return;
      engine_->node_state(peer, engine::NodeState::kAlive);
      ++membership_changes_;
      logger_.info("Node restart completed copying the fragments to Node " + std::to_string(peer));
      return;
    default:
      logger_.limited("ctl-" + std::to_string(peer), log::Level::warn,
                      "data node " + std::to_string(peer) + " sent a message meant for API nodes; ignored");
  }
}

// ---- dictionary requests from API nodes ---------------------------------------

void DataNode::on_api_dict(uint16_t peer, uint16_t type, const ControlMsg& m) {
  ControlMsg answer{m.request, 0, "", ""};
  if (phase_ != Phase::kStarted) {
    answer.error = kErrNodeNotStarted;
    answer.text = "the data node is not started";
    send_control(peer, wire::kApiDictConf, answer);
    return;
  }
  uint16_t install_type = 0;
  ControlMsg install;
  switch (type) {
    case wire::kApiGetTable: {
      auto t = engine_->dictionary().find(m.text);
      if (!t) answer.error = engine::err::kNoSuchTable;
      else answer.data = engine::encode_table(*t);
      answer.text = m.text;
      send_control(peer, wire::kApiDictConf, answer);
      return;
    }
    case wire::kApiCreateTable: {
      std::string error;
      auto t = engine::decode_table(m.data, error);
      // Versions start at the current GCI, which only grows, also across
      // system restarts: a table that reuses a dropped table's id never
      // takes its version, so nothing of the old one in the redo log or a
      // checkpoint fits the new one.
      if (t) t->version = static_cast<uint32_t>(std::min<uint64_t>(std::max<uint64_t>(gci_, 1), UINT32_MAX));
      engine::DictResult r = t ? engine_->create_table(std::move(*t)) : engine::DictResult{engine::err::kBadRequest, error, nullptr};
      if (r.error) {
        answer.error = r.error;
        answer.text = r.detail;
        send_control(peer, wire::kApiDictConf, answer);
        return;
      }
      answer.text = r.table->name;
      answer.data = engine::encode_table(*r.table);
      install_type = wire::kDictInstall;
      install.data = answer.data;
      // The CREATE belongs to the GCI current now, on every node: a system
      // restart to an earlier GCI leaves the table out.
      install.text = std::to_string(gci_);
      save_schema(gci_);
      logger_.info("created table " + r.table->name + " (id " + std::to_string(r.table->id) + ") for API node " +
                   std::to_string(peer) + " in GCI " + std::to_string(gci_));
      break;
    }
    case wire::kApiDropTable: {
      if (backup_->busy()) {
        // As NDB: a backup's tables stay until it ends (error 761).
        answer.error = backup::err::kDropDuringBackup;
        answer.text = "Unable to drop table as backup is in progress";
        send_control(peer, wire::kApiDictConf, answer);
        return;
      }
      auto r = engine_->drop_table(m.text);
      if (r.error) {
        answer.error = r.error;
        answer.text = r.detail;
        send_control(peer, wire::kApiDictConf, answer);
        return;
      }
      answer.text = m.text;
      install_type = wire::kDictDropInstall;
      install.text = m.text;
      install.data = std::to_string(gci_);
      save_schema(gci_);
      logger_.info("dropped table " + m.text + " for API node " + std::to_string(peer) + " in GCI " +
                   std::to_string(gci_));
      break;
    }
    default:
      logger_.limited("ctl-" + std::to_string(peer), log::Level::warn,
                      "API node " + std::to_string(peer) + " sent a data node message; ignored");
      return;
  }
  // Answer only once every other member has the change, so the API can use
  // the table through any data node.
  uint32_t id = next_dict_request_++;
  PendingDict& pd = dict_pending_[id];
  pd.api = peer;
  pd.answer = answer;
  install.request = id;
  for (uint32_t n : members_)
    if (n != self_ && linked(n)) {
      pd.waiting.insert(n);
      send_control(n, install_type, install);
    }
  finish_dict(id);
}

void DataNode::finish_dict(uint32_t id) {
  auto it = dict_pending_.find(id);
  if (it == dict_pending_.end() || !it->second.waiting.empty()) return;
  send_control(it->second.api, wire::kApiDictConf, it->second.answer);
  dict_pending_.erase(it);
}

// ---- failures ---------------------------------------------------------------

void DataNode::node_failures(const std::set<uint32_t>& failed) {
  if (!round_before_) round_before_ = members_;
  // Before the engine hears of it: node_failed() itself finishes commits
  // that waited for the dead replica, and their answers must wait too.
  if (!failure_unsettled_)
    logger_.info("node failure handling: commit answers to API nodes wait until this side is known to go on");
  failure_unsettled_ = true;
  for (uint32_t n : failed) {
    logger_.warn("Node " + std::to_string(n) + " failed; cleaning up its transactions");
    engine_->node_failed(n);
    members_.erase(n);
    stopping_peers_.erase(n);  // back later, it may stop again or go on
    barriers_.erase(n);
    backup_->node_failed(n);
  }
  gcp_node_failed(failed);
  std::vector<uint32_t> done;
  for (auto& [id, pd] : dict_pending_) {
    for (uint32_t n : failed) pd.waiting.erase(n);
    if (pd.waiting.empty()) done.push_back(id);
  }
  for (uint32_t id : done) finish_dict(id);

  if (phase_ != Phase::kStarted) {
    stop("node restart failed: node(s) " + join(failed) + " failed during it", 1);
    return;
  }
  if (!unsettled_timer_) unsettled_timer_ = std::make_unique<event::Timer>(loop_, [this] { unsettled_timeout(); });
  // The failure round, the arbitrator's answer (ArbitrationTimeout, asked
  // by the president and passed on), and a margin for a loaded machine.
  unsettled_timer_->start((own_->heartbeat_interval_db_db * 1.5 + 2.0 * own_->arbitration_timeout + 2000) / 1000.0);
  if (!round_timer_) round_timer_ = std::make_unique<event::Timer>(loop_, [this] { check_round(); });
  if (!round_timer_->active()) round_timer_->start(own_->heartbeat_interval_db_db * 1.5 / 1000.0);
}

bool DataNode::hold_unsettled(uint32_t to, engine::Message& m) {
  auto* conf = std::get_if<engine::ApiExecuteConf>(&m);
  if (!conf || conf->state != engine::TransState::kCommitted) return false;
  unsettled_replies_.push_back(UnsettledReply{to, std::move(m)});
  return true;
}

void DataNode::settle_failures(const std::string& why) {
  if (!failure_unsettled_) return;
  failure_unsettled_ = false;
  if (unsettled_timer_) unsettled_timer_->stop();
  auto replies = std::move(unsettled_replies_);
  unsettled_replies_.clear();
  logger_.info("node failure handling settled (" + why + "): " + std::to_string(replies.size()) +
               " commit answer(s) held meanwhile are sent");
  for (auto& r : replies) send(r.to, std::move(r.m));
}

void DataNode::unsettled_timeout() {
  if (!failure_unsettled_ || phase_ != Phase::kStarted) return;
  stop("node failure handling did not settle in time (no arbitration result); " +
           std::to_string(unsettled_replies_.size()) +
           " commit answer(s) withheld; error 2305: Node lost connection to other nodes and can not form a "
           "unpartitioned cluster",
       kExitArbitrationLost);
}

void DataNode::check_round() {
  drain_closed();
  if (!round_before_ || phase_ != Phase::kStarted) return;
  std::set<uint32_t> before = *round_before_;
  round_before_.reset();
  // Both halves of a split compute the same ticket from what they shared.
  uint32_t ticket = static_cast<uint32_t>(membership_changes_ * 1000003u);
  for (uint32_t n : before) ticket = ticket * 31 + n;
  if (!ticket) ticket = 1;
  ++membership_changes_;
  auto check = mgmd::check_arbitration(before, members_, groups_);
  std::string text(mgmd::arbit_check_text(check));
  logger_.info(text + " (nodes before " + join(before) + ", survivors " + join(members_) + ")");
  switch (check) {
    case mgmd::ArbitCheck::kWinGroupMajority:
    case mgmd::ArbitCheck::kWinMoreThanHalf:
      settle_failures(text);
      return;
    case mgmd::ArbitCheck::kLoseLessThanHalf:
      stop(text + "; error 2305: Node lost connection to other nodes and can not form a unpartitioned cluster",
           kExitArbitrationLost);
      return;
    case mgmd::ArbitCheck::kLoseMissingGroup:
      stop(text + "; " + std::string(kClusterShutdown), kExitShutdown);
      return;
    case mgmd::ArbitCheck::kAskArbitrator:
      break;
  }
  // Only the president (the lowest surviving id) asks, as QMGR does: the
  // arbitrator says yes to the first asker of a ticket and no to all others.
  uint32_t president = *members_.begin();
  if (president != self_) {
    logger_.info("Network partitioning - arbitration required; node " + std::to_string(president) +
                 " asks the arbitrator (ticket " + std::to_string(ticket) + ")");
    return;
  }
  logger_.info("Network partitioning - arbitration required (ticket " + std::to_string(ticket) + ")");
  auto decide = [this](bool granted, const std::string& why) {
    for (uint32_t n : members_)
      if (n != self_) send_control(n, wire::kArbitResult, ControlMsg{granted ? 1u : 0u, 0, why, ""});
    arbitration_result(granted, why);
  };
  // With ArbitrationRank 0 everywhere there is nobody to ask, and QMGR says
  // so rather than reporting a refusal.
  if (!arbitrator_configured()) {
    decide(false, "Network partitioning - no arbitrator configured");
    return;
  }
  mgm_->arbitrate(ticket, [this, decide](bool granted, const std::string& result) {
    decide(granted, granted ? "Arbitration won - positive reply (" + result + ")"
                    : mgm_->up_count() ? "Arbitration lost - negative reply (" + result + ")"
                                       : "Network partitioning - no arbitrator available");
  });
}

bool DataNode::arbitrator_configured() const {
  for (auto& m : config_.mgm_nodes)
    if (m.arbitration_rank != 0) return true;
  for (auto& a : config_.api_nodes)
    if (a.arbitration_rank != 0) return true;
  return false;
}

void DataNode::arbitration_result(bool won, const std::string& why) {
  if (won) {
    logger_.info(why);
    settle_failures(why);
    return;
  }
  stop(why + "; error 2305: Node lost connection to other nodes and can not form a unpartitioned cluster",
       kExitArbitrationLost);
}

void DataNode::stop(const std::string& why, int exit_status) {
  if (phase_ == Phase::kStopping) return;
  // A graceful stop, however it ends (its GCI, its time limit, declared
  // dead meanwhile): the files say which nodes went on without this one.
  if (draining_) note_going_on();
  phase_ = Phase::kStopping;
  if (!unsettled_replies_.empty())
    logger_.info(std::to_string(unsettled_replies_.size()) +
                 " commit answer(s) held during node failure handling are never sent");
  unsettled_replies_.clear();
  failure_unsettled_ = false;
  exit_status_ = exit_status;
  (exit_status ? logger_.error(why) : logger_.info(why));
  report(mgmapi::NodeStatus::kShuttingDown, 0);
  tick_timer_.stop();
  status_timer_.stop();
  gcp_timer_.stop();
  if (dur_ && dur_->redo()) {
    std::string ignored;
    dur_->flush(ignored);  // what is buffered goes to disk; it proves no new GCI
  }
  // Closing calls on_link_closed, which edits peers_: close from a list.
  std::vector<transport::Link*> open;
  for (auto& [id, p] : peers_)
    if (p.link) open.push_back(p.link.get());
  for (auto* l : open) l->close(why.substr(0, 200));
  // Give the state report and the CLOSE frames a moment to leave.
  phase_timer_.stop();
  stop_timer_ = std::make_unique<event::Timer>(loop_, [this] { loop_.stop(); });
  stop_timer_->start(0.2);
}

// ---- management commands -----------------------------------------------------

mgmapi::Message DataNode::on_command(const std::string& command, const mgmapi::Message& request) {
  mgmapi::Message reply;
  if (command == "stop") {
    reply.add("result", "Ok");
    loop_.defer([this] { shutdown("node " + std::to_string(self_) + " stopped by the management server"); });
  } else if (command == "restart") {
    bool initial = request.get_int("initialstart").value_or(0) != 0;
    bool no_start = request.get_int("nostart").value_or(0) != 0;
    reply.add("result", "Ok");
    loop_.defer([this, initial, no_start] {
      restart_requested_ = true;
      restart_initial_ = initial;
      restart_no_start_ = no_start;
      shutdown("node " + std::to_string(self_) + " restarting on request of the management server");
    });
  } else if (command == "start") {
    if (phase_ == Phase::kWaiting) {
      phase_ = Phase::kConnecting;
      connecting_since_ms_ = now_ms();
      report(mgmapi::NodeStatus::kStarting, 1);
      logger_.info("node " + std::to_string(self_) + ": START from the management server");
    }
    reply.add("result", "Ok");
  } else if (command == "start backup") {
    uint32_t code = 0;
    std::string error;
    long long want = request.get_int("backupid").value_or(0);
    long long from = request.get_int("requester").value_or(0);
    uint32_t id = 0;
    if (phase_ != Phase::kStarted) {
      code = backup::err::kNotMaster;
      error = "data node " + std::to_string(self_) + " is not started";
    } else if (want < 0 || want > 0xFFFFFFFELL) {
      code = backup::err::kExists;
      error = "bad backup id " + std::to_string(want);
    } else {
      id = backup_->start(static_cast<uint32_t>(want), static_cast<uint32_t>(std::max(0LL, from)), code, error);
    }
    if (id) {
      reply.add("id", static_cast<long long>(id));
      reply.add("result", "Ok");
    } else {
      reply.add("error", static_cast<long long>(code));
      reply.add("result", error);
    }
  } else if (command == "abort backup") {
    long long id = request.get_int("id").value_or(-1);
    bool running = id > 0 && id <= 0xFFFFFFFFLL && backup_->abort(static_cast<uint32_t>(id));
    reply.add("running", running ? 1 : 0);
    reply.add("result", "Ok");
  } else if (command == "report memoryusage") {
    reply.add("data_used", static_cast<long long>(engine_->data_memory().used_pages()));
    reply.add("data_total", static_cast<long long>(engine_->data_memory().total_pages()));
    reply.add("index_used", static_cast<long long>(engine_->index_memory().used_pages()));
    reply.add("index_total", static_cast<long long>(engine_->index_memory().total_pages()));
    reply.add("result", "Ok");
  } else {
    reply.add("result", "Unknown command: " + command);
  }
  return reply;
}

}  // namespace halb::cluster::ndbd
