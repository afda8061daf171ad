// cluster/mgmd/server.cc: the management protocol server (see server.h).
#include "cluster/mgmd/server.h"

#include "cluster/transport/listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cluster/mgmapi/config_codec.h"
#include "lib/config/reader.h"

namespace halb::cluster::mgmd {

using mgmapi::Event;
using mgmapi::Message;
using mgmapi::NodeStatus;

struct Server::Conn {
  uint64_t id = 0;
  int fd = -1;
  std::string peer;  // address only
  mgmapi::MessageReader reader;
  std::string out;
  std::unique_ptr<event::Io> io;
  uint32_t node_id = 0;       // held by get nodeid
  bool session = false;       // node session started
  bool listener = false;      // after listen event
  bool close_after_flush = false;
  mgmapi::EventFilter filter;
  bool parsable = false;
  std::map<uint64_t, ReplyFn> pending;  // node commands awaiting replies
};

// Collects the outcome of one request fanned out to several nodes.
struct Server::Gather {
  size_t remaining = 0;
  std::vector<std::string> errors;
  std::vector<uint32_t> done_nodes;
  std::map<uint32_t, Message> replies;
  std::function<void(Gather&)> finish;
  bool finished = false;
  void one(uint32_t node, const std::string& error, const Message* reply = nullptr) {
    if (finished) return;
    if (error.empty()) {
      done_nodes.push_back(node);
      if (reply) replies[node] = *reply;
    } else {
      errors.push_back(error);
    }
    if (--remaining == 0) {
      finished = true;
      finish(*this);
    }
  }
};

Server::Server(event::Loop& loop, log::Logger& logger, ClusterLog& cluster_log, ServerSettings settings)
    : loop_(loop), logger_(logger), cluster_log_(cluster_log), settings_(std::move(settings)),
      registry_(settings_.config, settings_.hosts, settings_.own_id) {}

Server::~Server() {
  accept_io_.reset();
  ping_timer_.reset();
  for (auto& [id, c] : conns_) {
    c->io.reset();
    if (c->fd >= 0) ::close(c->fd);
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

bool Server::listen(std::string& error) {
  int fd = transport::open_tcp_listener(settings_.bind_host, static_cast<uint16_t>(settings_.port), port_, error);
  if (fd < 0) return false;
  listen_fd_ = fd;
  accept_io_ = std::make_unique<event::Io>(loop_, fd, EV_READ, [this](int) { on_accept(); });
  accept_io_->start();
  // Event listeners get a keepalive, as ndb_mgmd sends <PING>.
  ping_timer_ = std::make_unique<event::Timer>(loop_, [this] {
    for (auto& [id, c] : conns_)
      if (c->listener) send_line(*c, "<PING>");
  });
  ping_timer_->start(10, 10);
  return true;
}

void Server::on_accept() {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EINTR)
        logger_.limited("accept", log::Level::warn, std::string("accept: ") + strerror(errno));
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // A node whose host vanishes sends no FIN; keepalives end its session
    // (and free its node id) within about 25 s.
    int idle = 10, intvl = 5, cnt = 3;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    char host[NI_MAXHOST] = "";
    getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
    auto c = std::make_unique<Conn>();
    c->id = next_conn_id_++;
    c->fd = fd;
    c->peer = normalize_address(host);
    Conn* raw = c.get();
    c->io = std::make_unique<event::Io>(loop_, fd, EV_READ, [this, raw](int ev) { on_io(*raw, ev); });
    c->io->start();
    conns_[c->id] = std::move(c);
  }
}

Server::Conn* Server::find(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

void Server::drop(Conn& c, const std::string& why) {
  if (c.fd < 0) return;
  logger_.debug("management connection from " + c.peer + " closed: " + why);
  c.io.reset();
  ::close(c.fd);
  c.fd = -1;
  uint64_t id = c.id;
  auto pending = std::move(c.pending);
  for (auto& [seq, cb] : pending) cb(std::nullopt);
  uint32_t node = registry_.release(id);
  if (node != 0) {
    if (c.session) {
      Event e;
      e.source_node = settings_.own_id;
      e.category = mgmapi::Category::kConnection;
      e.threshold = 8;
      e.severity = mgmapi::Severity::kAlert;
      e.text = "Node " + std::to_string(node) + " Disconnected";
      publish(e);
    }
    auto watchers = std::move(gone_watchers_[node]);
    gone_watchers_.erase(node);
    for (auto& w : watchers) w();
  }
  // Freed on the next iteration: we may be inside this connection's callback.
  loop_.defer([this, id] { conns_.erase(id); });
}

void Server::on_io(Conn& c, int events) {
  if (c.fd < 0) return;
  if (events & EV_READ) {
    char buf[16384];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n == 0) {
      drop(c, "peer closed");
      return;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) drop(c, strerror(errno));
      return;
    }
    if (c.close_after_flush) return;  // ignore input after a fatal error reply
    c.reader.feed(std::string_view(buf, static_cast<size_t>(n)));
    Message m;
    while (c.fd >= 0 && !c.close_after_flush && c.reader.next(m)) dispatch(c, m);
    if (c.fd >= 0 && c.reader.failed() && !c.close_after_flush) {
      ++rejected_;
      logger_.limited("bad-request", log::Level::warn,
                      "management connection from " + c.peer + ": " + c.reader.error() + "; closing it");
      send_line(c, "result: Bad request: " + c.reader.error());
      send_line(c, "");
      c.close_after_flush = true;
      flush(c);
      return;
    }
  }
  if (events & EV_WRITE) flush(c);
}

void Server::flush(Conn& c) {
  while (c.fd >= 0 && !c.out.empty()) {
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    drop(c, std::string("write: ") + strerror(errno));
    return;
  }
  if (c.fd < 0) return;
  if (c.out.empty() && c.close_after_flush) {
    drop(c, "closed after reply");
    return;
  }
  // A peer that reads nothing while we queue megabytes is cut off.
  if (c.out.size() > (8u << 20)) {
    drop(c, "peer does not read its replies");
    return;
  }
  c.io->set_events(c.out.empty() ? EV_READ : EV_READ | EV_WRITE);
}

namespace {

// Replies and event lines echo requests' values and nodes' texts, which may
// fill a protocol line already: cut to what a client's reader takes, so the
// client still gets the answer instead of refusing it.
constexpr size_t kMaxLine = mgmapi::MessageReader::kMaxLine;

std::string fit_line(std::string line) {
  if (line.size() > kMaxLine) line.resize(kMaxLine);
  return line;
}

Message fit_lines(Message m) {
  m.head = fit_line(std::move(m.head));
  for (auto& [name, value] : m.fields)
    if (name.size() + 2 + value.size() > kMaxLine) value.resize(kMaxLine - std::min(kMaxLine, name.size() + 2));
  return m;
}

}  // namespace

void Server::send(Conn& c, const Message& m) {
  if (c.fd < 0) return;
  c.out += mgmapi::format(fit_lines(m));
  flush(c);
}

void Server::send_line(Conn& c, const std::string& line) {
  if (c.fd < 0) return;
  c.out += fit_line(line) + "\n";
  flush(c);
}

void Server::reply_to(uint64_t conn_id, const Message& m) {
  if (Conn* c = find(conn_id)) send(*c, m);
}

void Server::publish(const Event& e) {
  cluster_log_.log(e);
  std::string err = cluster_log_.take_error();
  if (!err.empty()) logger_.limited("cluster-log", log::Level::error, "cluster log: " + err);
  std::string line = "Node " + std::to_string(e.source_node) + ": " + e.text;
  for (auto& [id, c] : conns_) {
    if (!c->listener || c->fd < 0) continue;
    if (e.threshold > c->filter.level[mgmapi::category_index(e.category)]) continue;
    if (c->parsable) {
      Message m("log event reply");
      m.add("type", std::string(mgmapi::category_name(e.category)));
      m.add("time", static_cast<long long>(std::time(nullptr)));
      m.add("source_nodeid", static_cast<long long>(e.source_node));
      m.add("severity", std::string(mgmapi::severity_name(e.severity)));
      m.add("text", e.text);
      send(*c, m);
    } else {
      send_line(*c, line);
    }
  }
  // After the listeners: a waiting START BACKUP is answered after its event went out.
  backup_event(e);
}

// ---- dispatch ------------------------------------------------------------

void Server::dispatch(Conn& c, const Message& m) {
  if (c.session) {
    session_message(c, m);
    return;
  }
  if (c.listener) return;  // listeners only receive
  const std::string& h = m.head;
  if (h == "get nodeid") return get_nodeid(c, m);
  if (h == "node session") return node_session(c, m);
  if (h == "get config" || h == "get config_v2") {
    send(c, mgmapi::encode_config(settings_.config_text));
    return;
  }
  if (h == "get status") return get_status(c);
  if (h == "get version") {
    Message r("version");
    r.add("id", static_cast<long long>(mgmapi::kProtocolVersion));
    r.add("major", 5).add("minor", 0).add("build", 67);
    r.add("string", "halb-" PACKAGE_VERSION " (ndb " + mgmapi::version_string(mgmapi::kProtocolVersion) + ")");
    send(c, r);
    return;
  }
  if (h == "stop" || h == "stop v2") return stop(c, m, false);
  if (h == "stop all") return stop(c, m, true);
  if (h == "restart node" || h == "restart node v2") return restart(c, m, false);
  if (h == "restart all") return restart(c, m, true);
  if (h == "start") return start(c, m, false);
  if (h == "start all") return start(c, m, true);
  if (h == "enter single user") return single_user(c, m, true);
  if (h == "exit single user") return single_user(c, m, false);
  if (h == "set cluster loglevel" || h == "set loglevel") return set_loglevel(c, m);
  if (h == "set logfilter") return set_logfilter(c, m);
  if (h == "get info clusterlog") return clusterlog_info(c);
  if (h == "listen event") return listen_event(c, m);
  if (h == "report memoryusage") return report_memory(c);
  if (h == "start backup") return start_backup(c.id, m);
  if (h == "abort backup") return abort_backup(c.id, m);
  if (h == "purge stale sessions") {
    // A reservation lives exactly as long as its TCP connection, so there is
    // never a stale one to purge.
    Message r("purge stale sessions reply");
    r.add("result", "Ok");
    send(c, r);
    return;
  }
  if (h == "check connection") {
    send(c, Message("check connection reply").add("result", "Ok"));
    return;
  }
  if (h == "get mgmd nodeid") {
    send(c, Message("get mgmd nodeid reply").add("nodeid", static_cast<long long>(settings_.own_id)));
    return;
  }
  if (h == "bye") {
    c.close_after_flush = true;
    flush(c);
    return;
  }
  ++rejected_;
  logger_.limited("unknown-command", log::Level::warn,
                  "management connection from " + c.peer + ": unknown command '" + h.substr(0, 64) + "'");
  Message r("result");
  r.add("result", "Unknown command: " + h.substr(0, 64));
  send(c, r);
}

void Server::get_nodeid(Conn& c, const Message& m) {
  Message r("get nodeid reply");
  auto type_num = m.get_int("nodetype");
  auto requested = m.get_int("nodeid").value_or(0);
  if (!type_num || *type_num < 0 || *type_num > 2 || requested < 0 || requested > 255) {
    r.add("result", "Invalid nodetype or nodeid");
    send(c, r);
    return;
  }
  if (c.node_id != 0) {
    r.add("result", "This connection already holds node id " + std::to_string(c.node_id) + ".");
    send(c, r);
    return;
  }
  auto type = static_cast<NodeType>(*type_num);
  uint32_t version = static_cast<uint32_t>(m.get_int("version").value_or(mgmapi::kProtocolVersion));
  Allocation a = registry_.allocate(static_cast<uint32_t>(requested), type, c.peer, c.id, version);
  if (!a.ok) {
    logger_.limited("nodeid-refused-" + c.peer, log::Level::warn,
                    "refused node id to " + c.peer + ": " + a.error);
    r.add("result", a.error);
    send(c, r);
    return;
  }
  c.node_id = a.node_id;
  r.add("nodeid", static_cast<long long>(a.node_id));
  r.add("result", "Ok");
  send(c, r);
}

void Server::node_session(Conn& c, const Message& m) {
  Message r("node session reply");
  auto id = m.get_int("nodeid");
  if (c.node_id == 0 || !id || static_cast<uint32_t>(*id) != c.node_id) {
    r.add("result", "A session needs the node id this connection allocated with get nodeid");
    send(c, r);
    return;
  }
  c.session = true;
  registry_.session_started(c.node_id);
  r.add("result", "Ok");
  send(c, r);
  Event e;
  e.source_node = settings_.own_id;
  e.category = mgmapi::Category::kConnection;
  e.threshold = 8;
  e.text = "Node " + std::to_string(c.node_id) + " Connected";
  publish(e);
}

void Server::session_message(Conn& c, const Message& m) {
  if (m.head == "report state") {
    mgmapi::StateReport r;
    auto s = mgmapi::status_from_token(m.get_or("status", ""));
    if (!s) {
      logger_.limited("bad-report", log::Level::warn, "node " + std::to_string(c.node_id) + ": bad status in report");
      return;
    }
    r.status = *s;
    r.start_phase = static_cast<uint32_t>(m.get_int("startphase").value_or(0));
    r.dynamic_id = static_cast<uint32_t>(m.get_int("dynamic_id").value_or(0));
    r.node_group = static_cast<int>(m.get_int("node_group").value_or(-1));
    auto port = m.get_int("transporter_port").value_or(0);
    r.transporter_port = port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
    registry_.report(c.node_id, r);
    return;
  }
  if (m.head == "get status") {
    get_status(c);
    return;
  }
  if (m.head == "report event") {
    Event e;
    e.source_node = c.node_id;
    auto cat = mgmapi::parse_category(m.get_or("category", ""));
    auto sev = mgmapi::parse_severity(m.get_or("severity", ""));
    auto thr = m.get_int("threshold");
    if (!cat || !sev || !thr || *thr < 0 || *thr > mgmapi::kMaxLevel) {
      logger_.limited("bad-event", log::Level::warn, "node " + std::to_string(c.node_id) + ": malformed event");
      return;
    }
    e.category = *cat;
    e.severity = *sev;
    e.threshold = static_cast<int>(*thr);
    e.text = m.get_or("text", "");
    publish(e);
    return;
  }
  if (m.head == "arbitrate") {
    Message r("arbitrate reply");
    r.add("seq", m.get_or("seq", "0"));
    auto ticket = m.get_int("ticket");
    if (settings_.arbitration_rank == 0) {
      r.add("granted", 0).add("result", "ArbitrationRank is 0: not an arbitrator");
    } else if (!ticket) {
      r.add("granted", 0).add("result", "no ticket");
    } else {
      bool yes = arbitrator_.request(static_cast<uint32_t>(*ticket), c.node_id);
      r.add("granted", yes ? 1 : 0).add("result", yes ? "Ok" : "another node was granted this ticket");
      logger_.info("arbitration: ticket " + std::to_string(*ticket) + " from node " + std::to_string(c.node_id) +
                   (yes ? ": granted" : ": refused, node " + std::to_string(arbitrator_.winner()) + " asked first"));
    }
    if (settings_.arbitration_delay_ms > 0) {
      // ArbitrationDelay: the answer waits, the decision (first asker) does not.
      uint64_t key = next_delayed_answer_++, conn_id = c.id;
      auto& timer = delayed_answers_[key];
      timer = std::make_unique<event::Timer>(loop_, [this, key, conn_id, r] {
        reply_to(conn_id, r);
        loop_.defer([this, key] { delayed_answers_.erase(key); });  // not inside its own callback
      });
      timer->start(settings_.arbitration_delay_ms / 1000.0);
      return;
    }
    send(c, r);
    return;
  }
  if (m.head == "node command reply") {
    auto seq = m.get_int("seq");
    if (!seq) return;
    auto it = c.pending.find(static_cast<uint64_t>(*seq));
    if (it == c.pending.end()) return;
    auto cb = std::move(it->second);
    c.pending.erase(it);
    cb(m);
    return;
  }
  logger_.limited("session-unknown", log::Level::warn,
                  "node " + std::to_string(c.node_id) + ": unexpected session message '" + m.head.substr(0, 64) + "'");
}

void Server::get_status(Conn& c) { send(c, mgmapi::encode_status(registry_.states())); }

// ---- commands forwarded to nodes ----------------------------------------

Server::Conn* Server::session_of(uint32_t node_id) {
  uint64_t owner = registry_.owner_of(node_id);
  if (owner == 0) return nullptr;
  Conn* c = find(owner);
  return c && c->session && c->fd >= 0 ? c : nullptr;
}

bool Server::command_node(uint32_t node_id, Message cmd, ReplyFn done) {
  Conn* s = session_of(node_id);
  if (!s) return false;
  uint64_t seq = next_seq_++;
  cmd.head = "node command";
  cmd.fields.insert(cmd.fields.begin(), {"seq", std::to_string(seq)});
  s->pending[seq] = std::move(done);
  send(*s, cmd);
  return true;
}

void Server::when_gone(uint32_t node_id, std::function<void()> done) {
  if (!session_of(node_id)) {
    done();
    return;
  }
  gone_watchers_[node_id].push_back(std::move(done));
}

std::optional<std::vector<uint32_t>> Server::parse_nodes(const Message& m, std::string& error) const {
  std::vector<uint32_t> out;
  for (auto& w : config::split_words(m.get_or("node", ""), " ,")) {
    auto n = config::parse_int(w);
    if (!n || *n < 1 || *n > 255) {
      error = "Invalid node id '" + w + "'";
      return std::nullopt;
    }
    out.push_back(static_cast<uint32_t>(*n));
  }
  if (out.empty()) {
    error = "No node given";
    return std::nullopt;
  }
  return out;
}

std::vector<uint32_t> Server::connected_data_nodes() const {
  std::vector<uint32_t> out;
  for (uint32_t id : registry_.ids_of(NodeType::kData)) {
    auto* st = registry_.state(id);
    if (st && st->connected()) out.push_back(id);
  }
  return out;
}

void Server::stop(Conn& c, const Message& m, bool all) {
  std::string head = "stop reply";
  std::vector<uint32_t> nodes;
  if (all) {
    nodes = connected_data_nodes();
  } else {
    std::string err;
    auto parsed = parse_nodes(m, err);
    if (!parsed) {
      send(c, Message(head).add("result", err));
      return;
    }
    nodes = *parsed;
  }
  bool abort = m.get_int("abort").value_or(0) != 0;
  bool stop_self = false;
  std::vector<uint32_t> targets;
  for (uint32_t id : nodes) {
    auto type = registry_.type_of(id);
    if (!type) {
      send(c, Message(head).add("result", "Node " + std::to_string(id) + ": no such node in the configuration"));
      return;
    }
    if (id == settings_.own_id) {
      stop_self = true;
      continue;
    }
    if (*type == NodeType::kApi) {
      send(c, Message(head).add("result", "Node " + std::to_string(id) + " is an API node; it cannot be stopped from here"));
      return;
    }
    if (!session_of(id)) {
      send(c, Message(head).add("result", "Node " + std::to_string(id) + " is not connected"));
      return;
    }
    targets.push_back(id);
  }
  uint64_t conn_id = c.id;
  auto finish = [this, conn_id, head, stop_self](Gather& g) {
    Message r(head);
    size_t stopped = g.done_nodes.size() + (stop_self && g.errors.empty() ? 1 : 0);
    r.add("stopped", static_cast<long long>(stopped));
    r.add("result", g.errors.empty() ? std::string("Ok") : g.errors.front());
    reply_to(conn_id, r);
    if (stop_self && g.errors.empty()) {
      if (Conn* cc = find(conn_id)) {
        cc->close_after_flush = true;
        flush(*cc);
      }
      logger_.info("stop requested by a management client; shutting down");
      if (on_stop_requested) loop_.defer(on_stop_requested);
    }
  };
  auto g = std::make_shared<Gather>();
  g->remaining = targets.size();
  g->finish = finish;
  if (targets.empty()) {
    g->finished = true;
    finish(*g);
    return;
  }
  auto timer = std::make_shared<std::unique_ptr<event::Timer>>();
  *timer = std::make_unique<event::Timer>(loop_, [g] {
    if (!g->finished) {
      g->finished = true;
      g->errors.push_back("Timed out waiting for the node(s) to shut down");
      g->finish(*g);
    }
  });
  (*timer)->start(settings_.command_timeout_s);
  for (uint32_t id : targets) {
    registry_.set_status(id, NodeStatus::kShuttingDown);
    Message cmd;
    cmd.add("command", "stop").add("abort", abort ? 1 : 0);
    command_node(id, cmd, [this, g, id, timer](std::optional<Message> reply) {
      if (reply && reply->get_or("result", "") != "Ok") {
        g->one(id, "Node " + std::to_string(id) + ": " + reply->get_or("result", ""));
        return;
      }
      // Stopped means gone: wait for the session to close.
      when_gone(id, [g, id, timer] {
        g->one(id, "");
        if (g->finished) (*timer)->stop();
      });
    });
  }
}

// Why a START/RESTART cannot be sent to all of `nodes`, if it cannot.
std::optional<std::string> Server::unreachable_data_node(const std::vector<uint32_t>& nodes) {
  for (uint32_t id : nodes) {
    auto type = registry_.type_of(id);
    if (!type || *type != NodeType::kData) return "Node " + std::to_string(id) + " is not a data node";
    if (!session_of(id)) return "Node " + std::to_string(id) + " is not connected";
  }
  return std::nullopt;
}

void Server::restart(Conn& c, const Message& m, bool all) {
  std::string head = "restart reply";
  std::vector<uint32_t> nodes;
  if (all) {
    nodes = connected_data_nodes();
  } else {
    std::string err;
    auto parsed = parse_nodes(m, err);
    if (!parsed) {
      send(c, Message(head).add("result", err));
      return;
    }
    nodes = *parsed;
  }
  if (auto why = unreachable_data_node(nodes)) {
    send(c, Message(head).add("result", *why));
    return;
  }
  uint64_t conn_id = c.id;
  auto g = std::make_shared<Gather>();
  g->remaining = nodes.size();
  g->finish = [this, conn_id, head](Gather& g) {
    Message r(head);
    r.add("restarted", static_cast<long long>(g.done_nodes.size()));
    r.add("result", g.errors.empty() ? std::string("Ok") : g.errors.front());
    reply_to(conn_id, r);
  };
  if (nodes.empty()) {
    g->finished = true;
    g->finish(*g);
    return;
  }
  for (uint32_t id : nodes) {
    registry_.set_status(id, NodeStatus::kRestarting);
    Message cmd;
    cmd.add("command", "restart");
    cmd.add("initialstart", m.get_int("initialstart").value_or(0) ? 1 : 0);
    cmd.add("nostart", m.get_int("nostart").value_or(0) ? 1 : 0);
    cmd.add("abort", m.get_int("abort").value_or(0) ? 1 : 0);
    command_node(id, cmd, [g, id](std::optional<Message> reply) {
      if (!reply) {
        g->one(id, "");  // the node went away to restart before answering
        return;
      }
      std::string res = reply->get_or("result", "");
      g->one(id, res == "Ok" ? "" : "Node " + std::to_string(id) + ": " + res);
    });
  }
}

void Server::start(Conn& c, const Message& m, bool all) {
  std::string head = "start reply";
  std::vector<uint32_t> nodes;
  if (all) {
    for (uint32_t id : connected_data_nodes())
      if (registry_.state(id)->status == NodeStatus::kNotStarted) nodes.push_back(id);
  } else {
    std::string err;
    auto parsed = parse_nodes(m, err);
    if (!parsed) {
      send(c, Message(head).add("result", err));
      return;
    }
    nodes = *parsed;
    if (auto why = unreachable_data_node(nodes)) {
      send(c, Message(head).add("result", *why));
      return;
    }
  }
  uint64_t conn_id = c.id;
  auto g = std::make_shared<Gather>();
  g->remaining = nodes.size();
  g->finish = [this, conn_id, head](Gather& g) {
    Message r(head);
    r.add("started", static_cast<long long>(g.done_nodes.size()));
    r.add("result", g.errors.empty() ? std::string("Ok") : g.errors.front());
    reply_to(conn_id, r);
  };
  if (nodes.empty()) {
    g->finished = true;
    g->finish(*g);
    return;
  }
  for (uint32_t id : nodes) {
    Message cmd;
    cmd.add("command", "start");
    command_node(id, cmd, [g, id](std::optional<Message> reply) {
      if (!reply) return g->one(id, "Node " + std::to_string(id) + " disconnected");
      std::string res = reply->get_or("result", "");
      g->one(id, res == "Ok" ? "" : "Node " + std::to_string(id) + ": " + res);
    });
  }
}

void Server::single_user(Conn& c, const Message& m, bool enter) {
  std::string head = enter ? "enter single user reply" : "exit single user reply";
  uint32_t api = 0;
  if (enter) {
    auto id = m.get_int("nodeId");
    auto type = id ? registry_.type_of(static_cast<uint32_t>(*id)) : std::nullopt;
    if (!type || *type != NodeType::kApi) {
      send(c, Message(head).add("result", "Node " + m.get_or("nodeId", "?") + " is not an API node"));
      return;
    }
    api = static_cast<uint32_t>(*id);
  }
  std::vector<uint32_t> nodes;
  for (uint32_t id : connected_data_nodes()) {
    auto s = registry_.state(id)->status;
    if (s == NodeStatus::kStarted || s == NodeStatus::kSingleUser) nodes.push_back(id);
  }
  if (nodes.empty()) {
    send(c, Message(head).add("result", "No started data node: single user mode needs a running cluster"));
    return;
  }
  uint64_t conn_id = c.id;
  auto g = std::make_shared<Gather>();
  g->remaining = nodes.size();
  g->finish = [this, conn_id, head](Gather& g) {
    reply_to(conn_id, Message(head).add("result", g.errors.empty() ? std::string("Ok") : g.errors.front()));
  };
  for (uint32_t id : nodes) {
    Message cmd;
    cmd.add("command", enter ? "enter single user" : "exit single user");
    if (enter) cmd.add("nodeId", static_cast<long long>(api));
    command_node(id, cmd, [g, id](std::optional<Message> reply) {
      if (!reply) return g->one(id, "Node " + std::to_string(id) + " disconnected");
      std::string res = reply->get_or("result", "");
      g->one(id, res == "Ok" ? "" : "Node " + std::to_string(id) + ": " + res);
    });
  }
}

void Server::set_loglevel(Conn& c, const Message& m) {
  std::string head = m.head + " reply";
  auto node = m.get_int("node");
  auto cat = mgmapi::parse_category(m.get_or("category", ""));
  auto level = m.get_int("level");
  if (!cat) {
    send(c, Message(head).add("result", "Unknown category: \"" + m.get_or("category", "") + "\""));
    return;
  }
  if (!level || *level < 0 || *level > mgmapi::kMaxLevel) {
    send(c, Message(head).add("result", "Invalid level: " + m.get_or("level", "") + " (0 to 15)"));
    return;
  }
  // The management server's own cluster log, for node 0 or itself.
  if (!node || *node == 0 || static_cast<uint32_t>(*node) == settings_.own_id) {
    cluster_log_.filter().level[mgmapi::category_index(*cat)] = static_cast<int>(*level);
    send(c, Message(head).add("result", "Ok"));
    return;
  }
  uint32_t id = static_cast<uint32_t>(*node);
  uint64_t conn_id = c.id;
  Message cmd;
  cmd.add("command", "set loglevel");
  cmd.add("category", std::string(mgmapi::category_name(*cat)));
  cmd.add("level", *level);
  bool sent = command_node(id, cmd, [this, conn_id, head, id](std::optional<Message> reply) {
    std::string res = reply ? reply->get_or("result", "") : "Node " + std::to_string(id) + " disconnected";
    reply_to(conn_id, Message(head).add("result", res));
  });
  if (!sent) send(c, Message(head).add("result", "Node " + std::to_string(id) + " is not connected"));
}

void Server::set_logfilter(Conn& c, const Message& m) {
  Message r("set logfilter reply");
  auto& f = cluster_log_.filter();
  std::string level = m.get_or("level", "");
  auto enable = m.get_int("enable").value_or(-1);
  // level 0 = the whole log (CLUSTERLOG ON/OFF), otherwise a severity.
  if (level == "0" || config::iequals(level, "ALL")) {
    f.enabled = enable < 0 ? !f.enabled : enable != 0;
    r.add("result", f.enabled ? 1 : 0);
    send(c, r);
    return;
  }
  std::optional<mgmapi::Severity> sev = mgmapi::parse_severity(level);
  if (!sev) {
    // NDB numbers severities 1 ALERT .. 6 DEBUG in this request.
    auto n = config::parse_int(level);
    if (n && *n >= 1 && *n <= 6) sev = static_cast<mgmapi::Severity>(*n - 1);
  }
  if (!sev) {
    r.add("result", "Invalid severity level: " + level);
    send(c, r);
    return;
  }
  bool& on = f.severity_on[static_cast<size_t>(*sev)];
  on = enable < 0 ? !on : enable != 0;
  r.add("result", on ? 1 : 0);
  send(c, r);
}

void Server::clusterlog_info(Conn& c) {
  auto& f = cluster_log_.filter();
  Message r("clusterlog");
  r.add("enabled", f.enabled ? 1 : 0);
  // NDB's order: debug first, alert last.
  for (size_t i = mgmapi::kSeverityCount; i-- > 0;) {
    auto s = static_cast<mgmapi::Severity>(i);
    r.add(config::lower(mgmapi::severity_name(s)), f.severity_on[i] ? 1 : 0);
  }
  send(c, r);
}

void Server::listen_event(Conn& c, const Message& m) {
  Message r("listen event");
  mgmapi::EventFilter f;
  f.level.fill(0);
  f.severity_on.fill(true);
  for (auto& item : config::split_words(m.get_or("filter", ""), " ")) {
    size_t eq = item.find('=');
    auto cat = eq == std::string::npos ? std::nullopt : mgmapi::parse_category(item.substr(0, eq));
    auto lvl = eq == std::string::npos ? std::nullopt : config::parse_int(item.substr(eq + 1));
    if (!cat || !lvl || *lvl < 0 || *lvl > mgmapi::kMaxLevel) {
      r.add("result", -1).add("msg", "Invalid filter item '" + item + "'");
      send(c, r);
      return;
    }
    f.level[mgmapi::category_index(*cat)] = static_cast<int>(*lvl);
  }
  c.filter = f;
  c.parsable = m.get_int("parsable").value_or(0) != 0;
  r.add("result", 0);
  send(c, r);
  c.listener = true;
}

void Server::report_memory(Conn& c) {
  std::vector<uint32_t> nodes;
  for (uint32_t id : connected_data_nodes())
    if (registry_.state(id)->status == NodeStatus::kStarted) nodes.push_back(id);
  uint64_t conn_id = c.id;
  auto g = std::make_shared<Gather>();
  g->remaining = nodes.size();
  g->finish = [this, conn_id](Gather& g) {
    Message r("report memoryusage reply");
    for (auto& [id, rep] : g.replies) {
      std::string p = "node." + std::to_string(id) + ".";
      for (auto k : {"data_used", "data_total", "index_used", "index_total"}) r.add(p + k, rep.get_or(k, "0"));
    }
    r.add("result", "Ok");
    reply_to(conn_id, r);
  };
  if (nodes.empty()) {
    g->finished = true;
    g->finish(*g);
    return;
  }
  for (uint32_t id : nodes) {
    Message cmd;
    cmd.add("command", "report memoryusage");
    command_node(id, cmd, [this, g, id](std::optional<Message> reply) {
      if (!reply || reply->get_or("result", "") != "Ok") return g->one(id, "Node " + std::to_string(id) + " did not report");
      long long du = reply->get_int("data_used").value_or(0), dt = reply->get_int("data_total").value_or(0);
      long long iu = reply->get_int("index_used").value_or(0), it = reply->get_int("index_total").value_or(0);
      auto pct = [](long long u, long long t) { return t > 0 ? u * 100 / t : 0; };
      Event e;
      e.source_node = id;
      e.category = mgmapi::Category::kStatistics;
      e.threshold = 5;
      e.text = "Data usage is " + std::to_string(pct(du, dt)) + "%(" + std::to_string(du) + " 32K pages of total " +
               std::to_string(dt) + ")";
      publish(e);
      e.text = "Index usage is " + std::to_string(pct(iu, it)) + "%(" + std::to_string(iu) + " 8K pages of total " +
               std::to_string(it) + ")";
      publish(e);
      g->one(id, "", &*reply);
    });
  }
}

}  // namespace halb::cluster::mgmd
