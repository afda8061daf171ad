// cluster/api/connection.cc: the client API (see connection.h).
#include "cluster/api/connection.h"

#include <unistd.h>

#include <algorithm>

#include "cluster/config/connectstring.h"
#include "cluster/ndbd/engine/table_codec.h"
#include "cluster/ndbd/wire/engine_codec.h"
#include "cluster/transport/link_config.h"

namespace halb::cluster::api {

using wire::ControlMsg;

Connection::Connection(log::Logger* logger, std::shared_ptr<TableDirectory> tables)
    : logger_(logger), loop_(false), tables_(tables ? std::move(tables) : std::make_shared<TableDirectory>()) {
  if (!logger_) {
    log::Sinks sinks;
    sinks.ident = "halb-ndbapi";
    sinks.to_stderr = false;
    own_logger_ = std::make_unique<log::Logger>(sinks);
    logger_ = own_logger_.get();
  }
  wire::register_engine_messages(registry_);
  wire::register_node_protocol(registry_);
}

Connection::~Connection() {
  if (io_thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      io_stop_ = true;
    }
    io_idle_.notify_all();
    io_thread_.join();
    ev_set_loop_release_cb(loop_.raw(), nullptr, nullptr);
  }
  io_wake_.reset();
  status_timer_.reset();
  // Closing calls on_closed, which edits links_: take them out first.
  auto links = std::move(links_);
  links_.clear();
  for (auto& [id, l] : links)
    if (l.link) l.link->close("API node closing");
  mgm_.reset();
}

bool Connection::connect(const std::string& connectstring, double timeout_s, std::string& error,
                         std::optional<uint32_t> node_id) {
  ConnectString cs;
  try {
    cs = parse_connectstring(connectstring);
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  if (node_id) cs.node_id = *node_id;
  boot_ = mgmapi::bootstrap(cs, NodeType::kApi, cs.node_id, error, 1, 1);
  if (!boot_) return false;
  node_id_ = boot_->node_id;
  config_ = boot_->config;
  view_ = empty_view(config_.data_node_ids(), config_.no_of_replicas());
  mgm_ = std::make_unique<mgmapi::ManagementSessions>(
      loop_, *logger_, cs, node_id_, NodeType::kApi,
      [](const std::string&, const mgmapi::Message&) { return mgmapi::Message().add("result", "Ok"); }, &*boot_);
  mgmapi::StateReport r;
  r.status = mgmapi::NodeStatus::kStarted;
  mgm_->report_state(r);
  status_timer_ = std::make_unique<event::Timer>(loop_, [this] { poll_status(); });
  status_timer_->start(0, 0.5);
  if (!wait([this] { return !started_nodes_locked().empty(); }, timeout_s)) {
    error = "no data node of the cluster is started (waited " + std::to_string(static_cast<int>(timeout_s)) + " s)";
    return false;
  }
  return true;
}

void Connection::start_io_thread() {
  if (io_thread_.joinable()) return;
  // Only wakes a polling thread out of its sleep; the loop then applies
  // the watcher changes made meanwhile.
  io_wake_ = std::make_unique<event::Async>(loop_, [] {});
  ev_set_userdata(loop_.raw(), this);
  ev_set_loop_release_cb(loop_.raw(), &Connection::release_lock, &Connection::acquire_lock);
  io_thread_ = std::thread([this] {
    // Serves the links while no caller waits (heartbeats, node states,
    // reconnects): a look every kIdlePollS, never a sleep in poll, so a
    // caller that comes to wait finds the poll free and runs it itself.
    std::unique_lock<std::mutex> lk(mu_);
    while (!io_stop_) {
      io_idle_.wait_for(lk, std::chrono::duration<double>(kIdlePollS));
      if (io_stop_ || poll_owned_ || !waiters_.empty()) continue;
      poll_owned_ = true;
      ev_run(loop_.raw(), EVRUN_NOWAIT);
      flush_wakes();
      poll_owned_ = false;
      pass_poll_on();
    }
  });
}

// libev calls these around its sleep in poll: callers may use the
// connection only while the loop thread sleeps.
void Connection::release_lock(struct ev_loop* l) noexcept {
  auto* self = static_cast<Connection*>(ev_userdata(l));
  self->flush_wakes();
  self->mu_.unlock();
}
void Connection::acquire_lock(struct ev_loop* l) noexcept { static_cast<Connection*>(ev_userdata(l))->mu_.lock(); }

void Connection::wake_waiters() {
  if (io_thread_.joinable()) wakes_due_ = true;
  else if (waiting_ && waiting_()) loop_.stop();
}

// Called with mu_ held.
void Connection::flush_wakes() {
  if (!wakes_due_) return;
  wakes_due_ = false;
  // Only the threads whose answer is here: a reply for one session must
  // not wake every other one waiting on the same connection.
  for (Waiter* w : waiters_)
    if (!w->owner && (*w->done)()) w->cv.notify_one();
}

std::vector<uint32_t> Connection::started_nodes() const {
  std::lock_guard<std::mutex> lk(mu_);
  return started_nodes_locked();
}

std::vector<uint32_t> Connection::started_nodes_locked() const {
  std::vector<uint32_t> out;
  for (auto& [id, l] : links_)
    if (l.up && l.started) out.push_back(id);
  return out;
}

bool Connection::wait_for_nodes(size_t count, double timeout_s) {
  std::lock_guard<std::mutex> lk(mu_);
  return wait([this, count] { return started_nodes_locked().size() >= count; }, timeout_s);
}

void Connection::pass_poll_on() {
  if (!poll_owned_ && !waiters_.empty()) waiters_.front()->cv.notify_one();
}

// Called with mu_ held.
bool Connection::wait(const std::function<bool()>& done, double timeout_s) {
  if (done()) return true;
  if (io_thread_.joinable()) {
    // The caller's own thread polls the links when nobody else does (NDB's
    // poll owner): its answer wakes it straight from poll, with no hand-off
    // through the I/O thread. Others wait on their own condition variable
    // and are woken by the owner when their answer is in, or when the poll
    // is free again.
    if (loop_needs_wake_) {
      loop_needs_wake_ = false;
      io_wake_->notify();  // the polling thread picks up the write watcher this thread turned on
    }
    std::unique_lock<std::mutex> lk(mu_, std::adopt_lock);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                                   std::chrono::duration<double>(timeout_s));
    Waiter w{&done, {}};
    waiters_.push_back(&w);
    bool timed_out = false;
    while (!done() && !timed_out) {
      if (!poll_owned_) {
        poll_owned_ = true;
        w.owner = true;
        event::Timer limit(loop_, [] {});  // ends the poll at the deadline
        limit.start(std::max(0.0, std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count()));
        while (!done() && std::chrono::steady_clock::now() < deadline) {
          ev_run(loop_.raw(), EVRUN_ONCE);
          flush_wakes();
        }
        w.owner = false;
        poll_owned_ = false;
      } else if (w.cv.wait_until(lk, deadline) == std::cv_status::timeout) {
        timed_out = !done();
      }
      if (std::chrono::steady_clock::now() >= deadline) timed_out = !done();
    }
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &w));
    flush_wakes();  // answers a link failure outside the loop set meanwhile
    pass_poll_on();
    lk.release();
    return !timed_out;
  }
  bool timed_out = false;
  event::Timer timer(loop_, [&] {
    timed_out = true;
    loop_.stop();
  });
  timer.start(timeout_s);
  auto saved = std::move(waiting_);
  waiting_ = done;
  loop_.run();
  waiting_ = std::move(saved);
  return !timed_out || done();
}

void Connection::poll_status() {
  if (status_in_flight_ || !mgm_) return;
  status_in_flight_ = true;
  mgm_->get_status([this](std::optional<std::vector<mgmapi::NodeState>> nodes) {
    status_in_flight_ = false;
    if (!nodes) return;
    for (auto& n : *nodes) {
      if (n.type != NodeType::kData || !n.transporter_port) continue;
      auto it = links_.find(n.node_id);
      if (it != links_.end() && it->second.link) continue;
      std::string host = !n.config_host.empty() ? n.config_host : n.address;
      if (host.empty() || host == "localhost") host = "127.0.0.1";
      dial(n.node_id, host, n.transporter_port);
    }
  });
}

void Connection::dial(uint32_t node, const std::string& host, uint16_t port) {
  std::string error;
  auto o = transport::link_options_for(config_, node_id_, node, error);
  if (!o) return;
  int fd = transport::connect_nonblocking(host, port, error);
  if (fd < 0) return;
  o->registry = &registry_;
  transport::LinkHandlers h;
  h.on_up = [this, node](uint16_t) {
    links_[node].up = true;
    note_node(node);
    wake_waiters();
  };
  h.on_message = [this, node](const transport::Frame& f) { on_frame(node, f); };
  h.on_writable = [this, node] { flush(node); };
  DataLink& l = links_[node];
  l = DataLink{};
  note_node(node);
  auto holder = std::make_shared<transport::Link*>(nullptr);
  h.on_closed = [this, node, holder](const std::string& why) { on_closed(node, *holder, why); };
  l.link = std::make_unique<transport::Link>(loop_, *logger_, fd, *o, std::move(h));
  *holder = l.link.get();
}

void Connection::on_closed(uint32_t node, transport::Link* link, const std::string& why) {
  auto it = links_.find(node);
  if (it == links_.end() || it->second.link.get() != link) return;
  logger_->info("API node " + std::to_string(node_id_) + ": link to data node " + std::to_string(node) +
                " closed: " + why);
  loop_.defer([l = std::shared_ptr<transport::Link>(std::move(it->second.link))] {});
  links_.erase(it);
  note_node(node);
  // Whatever waited on that coordinator will not be answered.
  for (auto& [id, p] : pending_)
    if (p.node == node && !p.answered) {
      p.answered = true;
      p.done = true;
      p.error = make_error(kErrNodeFailure, "lost the link to data node " + std::to_string(node));
    }
  wake_waiters();
}

std::optional<NdbError> Connection::oversized(uint16_t type, size_t bytes) const {
  const transport::MessageInfo* info = registry_.find(type);
  const size_t limit = info && info->max_payload ? std::min<size_t>(info->max_payload, transport::kMaxPayload)
                                                 : transport::kMaxPayload;
  if (bytes <= limit) return std::nullopt;
  return make_error(kErrBadRequest, "a request of " + std::to_string(bytes) + " bytes, more than the " +
                                        std::to_string(limit) + " a data node takes in one message");
}

bool Connection::send_frame(uint32_t node, uint16_t type, std::string payload) {
  auto it = links_.find(node);
  if (it == links_.end() || !it->second.link || !it->second.up) return false;
  DataLink& l = it->second;
  if (l.backlog.empty()) {
    const auto sent = l.link->send(type, payload);
    // A send that finds the peer gone closes the link, and on_closed has
    // then erased `l` (a local socket reports a dead peer at once).
    if (sent == transport::Link::SendResult::kClosed) return false;
    if (sent == transport::Link::SendResult::kOk) {
      if (l.link->queued() > 0) loop_needs_wake_ = true;
      return true;
    }
  }
  l.backlog.emplace_back(type, std::move(payload));
  loop_needs_wake_ = true;
  return true;
}

void Connection::flush(uint32_t node) {
  auto it = links_.find(node);
  if (it == links_.end() || !it->second.link) return;
  auto& l = it->second;
  while (!l.backlog.empty()) {
    // kFull: later, on_writable; kClosed: `l` may be erased (see send_frame).
    if (l.link->send(l.backlog.front().first, l.backlog.front().second) != transport::Link::SendResult::kOk) return;
    l.backlog.pop_front();
  }
}

void Connection::on_frame(uint32_t node, const transport::Frame& f) {
  std::string error;
  if (wire::is_engine_message_type(f.header.type)) {
    auto m = wire::decode_engine_message(f.header.type, f.payload, error);
    if (!m) {
      logger_->warn("data node " + std::to_string(node) + " sent a malformed message: " + error);
      return;
    }
    if (auto* conf = std::get_if<engine::ApiExecuteConf>(&*m)) {
      auto it = pending_.find(conf->request);
      if (it != pending_.end() && !it->second.answered) {
        it->second.answered = true;
        it->second.conf = std::move(*conf);
      }
    } else if (auto* batch = std::get_if<engine::ApiScanBatch>(&*m)) {
      auto it = pending_.find(batch->scan);
      if (it != pending_.end() && !it->second.done) {
        Pending& p = it->second;
        for (auto& r : batch->rows) p.rows.push_back(std::move(r));
        p.batch_arrived = true;
        if (batch->error) p.error = make_error(batch->error);
        if (batch->done || batch->error) p.done = true;
      }
    }
  } else {
    auto c = wire::decode_control(f.payload, error);
    if (!c) {
      logger_->warn("data node " + std::to_string(node) + " sent a malformed control message: " + error);
      return;
    }
    if (f.header.type == wire::kApiNodeState) {
      links_[node].started = c->request == static_cast<uint32_t>(wire::NodeStartState::kStarted);
      note_node(node);
    } else if (f.header.type == wire::kApiDictConf) {
      auto it = pending_.find(c->request);
      if (it != pending_.end() && !it->second.answered) {
        it->second.answered = true;
        it->second.dict = std::move(*c);
      }
    }
  }
  wake_waiters();
}

void Connection::note_node(uint32_t node) {
  if (!view_) return;
  auto it = links_.find(node);
  bool started = it != links_.end() && it->second.link && it->second.up && it->second.started;
  view_->set_state(node, started ? engine::NodeState::kAlive : engine::NodeState::kDead);
}

uint32_t Connection::coordinator_for(const engine::ApiOp& op) const {
  std::lock_guard<std::mutex> lk(mu_);
  return coordinator_for_locked(op);
}

uint32_t Connection::coordinator_for_locked(const engine::ApiOp& op) const {
  if (!view_) return 0;
  auto t = tables_->find(op.table_id);
  return coordinator_for_operation(*view_, t.get(), op);
}

uint32_t Connection::pick_node(uint32_t preferred) const {
  auto nodes = started_nodes_locked();
  if (nodes.empty()) return 0;
  for (uint32_t n : nodes)
    if (n == preferred) return n;
  return nodes[round_robin_++ % nodes.size()];
}

uint32_t Connection::pick_started_node(uint32_t preferred, double timeout_s) {
  if (started_nodes_locked().empty()) wait([this] { return !started_nodes_locked().empty(); }, timeout_s);
  return pick_node(preferred);
}

// ---- dictionary -------------------------------------------------------------

NdbError Connection::dict_call(uint16_t type, ControlMsg m, ControlMsg* answer) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!pick_started_node(0, request_timeout_s)) return make_error(kErrClusterUnavailable, "no started data node");
  uint32_t node = started_nodes_locked().front();
  uint32_t id = next_request_++;
  m.request = id;
  std::string payload = wire::encode_control(m);
  if (auto e = oversized(type, payload.size())) return *e;
  Pending& p = pending_[id];
  p.node = node;
  send_frame(node, type, std::move(payload));
  bool ok = wait([&p] { return p.answered; }, request_timeout_s);
  Pending done = std::move(pending_[id]);
  pending_.erase(id);
  if (!ok) return make_error(kErrTimeout);
  if (done.error) return done.error;
  if (answer) *answer = done.dict;
  return make_error(done.dict.error, done.dict.text);
}

NdbError Connection::create_table(const engine::Table& t) {
  return dict_call(wire::kApiCreateTable, ControlMsg{0, 0, t.name, engine::encode_table(t)}, nullptr);
}

NdbError Connection::drop_table(const std::string& name) {
  tables_->forget(name);
  return dict_call(wire::kApiDropTable, ControlMsg{0, 0, name, ""}, nullptr);
}

std::shared_ptr<const engine::Table> Connection::get_table(const std::string& name, NdbError& error) {
  ControlMsg answer;
  error = dict_call(wire::kApiGetTable, ControlMsg{0, 0, name, ""}, &answer);
  if (error) return nullptr;
  std::string why;
  auto t = engine::decode_table(answer.data, why);
  if (!t) {
    error = make_error(4275, "the data node sent an unreadable table: " + why);
    return nullptr;
  }
  auto shared = std::make_shared<const engine::Table>(std::move(*t));
  tables_->remember(shared);
  return shared;
}

// ---- transactions and scans ---------------------------------------------------

std::unique_ptr<Transaction> Connection::start_transaction(uint32_t node) {
  return std::make_unique<Transaction>(*this, node);
}

NdbError Connection::execute(uint32_t node, engine::ApiExecuteReq& req, engine::ApiExecuteConf& conf) {
  uint32_t id = next_request_++;
  req.api_node = node_id_;
  req.request = id;
  const uint16_t type = wire::engine_message_type(req);
  std::string payload = wire::encode_engine_message(req);
  if (auto e = oversized(type, payload.size())) return *e;
  Pending& p = pending_[id];
  p.node = node;
  if (!send_frame(node, type, std::move(payload))) {
    pending_.erase(id);
    return make_error(kErrNodeFailure, "no link to data node " + std::to_string(node));
  }
  bool ok = wait([&p] { return p.answered; }, request_timeout_s);
  Pending done = std::move(pending_[id]);
  pending_.erase(id);
  if (!ok) return make_error(kErrTimeout);
  if (done.error) return done.error;
  conf = std::move(done.conf);
  return make_error(conf.error);
}

Connection::ScanResult Connection::scan(uint32_t table_id, engine::ScanSpec spec, uint32_t node) {
  std::lock_guard<std::mutex> lk(mu_);
  ScanResult out;
  node = pick_started_node(node, kNoNodeWaitS);
  if (!node) {
    out.error = make_error(kErrClusterUnavailable, "no started data node");
    return out;
  }
  uint32_t id = next_request_++;
  const engine::Message req = engine::ApiScanReq{node_id_, id, table_id, std::move(spec)};
  std::string payload = wire::encode_engine_message(req);
  if (auto e = oversized(wire::engine_message_type(req), payload.size())) {
    out.error = *e;
    return out;
  }
  Pending& p = pending_[id];
  p.node = node;
  send_frame(node, wire::engine_message_type(req), std::move(payload));
  for (;;) {
    if (!wait([&p] { return p.batch_arrived || p.done; }, request_timeout_s)) {
      out.error = make_error(kErrTimeout);
      send_frame(node, wire::engine_message_type(engine::Message(engine::ApiScanNextReq{})),
                 wire::encode_engine_message(engine::ApiScanNextReq{node_id_, id, true}));
      break;
    }
    if (p.done) {
      out.error = p.error;
      break;
    }
    p.batch_arrived = false;
    send_frame(node, wire::engine_message_type(engine::Message(engine::ApiScanNextReq{})),
               wire::encode_engine_message(engine::ApiScanNextReq{node_id_, id, false}));
  }
  out.rows = std::move(p.rows);
  pending_.erase(id);
  return out;
}

void Transaction::add(uint32_t table, engine::OpType type, engine::LockMode lock, std::vector<engine::Value> key,
                      engine::ColumnValues set, std::optional<uint32_t> unique_index) {
  engine::ApiOp op;
  op.table_id = table;
  op.type = type;
  op.lock = lock;
  op.key = std::move(key);
  op.set = std::move(set);
  op.unique_index = unique_index;
  ops_.push_back(std::move(op));
}

void Transaction::insert(uint32_t table, std::vector<engine::Value> key, engine::ColumnValues set) {
  add(table, engine::OpType::kInsert, engine::LockMode::kExclusive, std::move(key), std::move(set));
}
void Transaction::update(uint32_t table, std::vector<engine::Value> key, engine::ColumnValues set) {
  add(table, engine::OpType::kUpdate, engine::LockMode::kExclusive, std::move(key), std::move(set));
}
void Transaction::write(uint32_t table, std::vector<engine::Value> key, engine::ColumnValues set) {
  add(table, engine::OpType::kWrite, engine::LockMode::kExclusive, std::move(key), std::move(set));
}
void Transaction::remove(uint32_t table, std::vector<engine::Value> key) {
  add(table, engine::OpType::kDelete, engine::LockMode::kExclusive, std::move(key), {});
}
void Transaction::read(uint32_t table, std::vector<engine::Value> key, engine::LockMode lock) {
  add(table, engine::OpType::kRead, lock, std::move(key), {});
}
void Transaction::read_unique(uint32_t table, uint32_t index_id, std::vector<engine::Value> key,
                              engine::LockMode lock) {
  add(table, engine::OpType::kRead, lock, std::move(key), {}, index_id);
}

NdbError Transaction::execute(engine::ExecType exec) {
  std::lock_guard<std::mutex> lk(c_.mu_);
  results_.clear();
  if (state_ != engine::TransState::kOpen) return make_error(4350);
  if (trans_ == 0) {
    uint32_t want = node_;
    if (!want && !ops_.empty()) want = c_.coordinator_for_locked(ops_.front());
    node_ = c_.pick_started_node(want, Connection::kNoNodeWaitS);
    if (!node_) {
      state_ = engine::TransState::kAborted;
      return make_error(kErrClusterUnavailable, "no started data node");
    }
  }
  engine::ApiExecuteReq req;
  req.trans = trans_;
  req.ops = std::move(ops_);
  ops_.clear();
  req.exec = exec;
  engine::ApiExecuteConf conf;
  NdbError e = c_.execute(node_, req, conf);
  if (e.code == kErrBadRequest && !conf.request) {
    // Refused before it was sent: the coordinator knows nothing of it and
    // still holds what earlier batches locked, so end the transaction there.
    if (trans_) {
      engine::ApiExecuteReq abort;
      abort.trans = trans_;
      abort.exec = engine::ExecType::kRollback;
      engine::ApiExecuteConf ignored;
      c_.execute(node_, abort, ignored);
    }
    state_ = engine::TransState::kAborted;
    return e;
  }
  if (conf.request) {
    trans_ = conf.trans;
    state_ = conf.state;
    results_ = std::move(conf.results);
  } else {
    state_ = engine::TransState::kAborted;  // no answer: the coordinator's failure handling aborts it
  }
  if (!e && state_ == engine::TransState::kAborted && exec != engine::ExecType::kRollback)
    e = make_error(4350);
  return e;
}

}  // namespace halb::cluster::api
