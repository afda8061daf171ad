// A simulated cluster for engine tests: N data node engines in one process,
// a network that delivers messages one at a time (in order, or in a seeded
// random interleaving that keeps each link FIFO), node kills that drop the
// dead node's traffic as a closed TCP link would, a fake clock, and one API
// node that collects answers.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "cluster/ndbd/engine/node.h"
#include "cluster/ndbd/engine/table_codec.h"

namespace halb::cluster::engine::test {

struct FakeClock : Clock {
  uint64_t now = 0;
  uint64_t now_ms() const override { return now; }
};

inline constexpr uint32_t kApi = 100;

class SimCluster {
 public:
  struct Envelope {
    uint32_t from = 0, to = 0;
    Message m;
  };

  SimCluster(std::vector<uint32_t> data_nodes, uint32_t replicas, EngineConfig base = {}, uint64_t seed = 0)
      : rng_(seed), random_(seed != 0) {
    groups_ = make_node_groups(data_nodes, replicas);
    base_ = base;
    for (uint32_t n : data_nodes) {
      EngineConfig c = base;
      c.node_id = n;
      links_[n] = std::make_unique<Link>(this, n);
      nodes_[n] = std::make_unique<DataNodeEngine>(c, groups_, *links_[n], clock);
    }
  }

  // A dead node comes back as a fresh process: it learns the tables and the
  // membership, empties its replicas and is marked starting everywhere;
  // copy with finish_restart().
  void restart(uint32_t n, uint64_t incarnation) {
    EngineConfig c = base_;
    c.node_id = n;
    nodes_[n] = std::make_unique<DataNodeEngine>(c, groups_, *links_[n], clock);
    dead_.erase(n);
    lingering_.erase(n);
    DataNodeEngine& fresh = *nodes_[n];
    fresh.tc().set_sequence_base(incarnation << 32);
    uint32_t donor = 0;
    for (uint32_t l : live())
      if (l != n) donor = l;
    for (auto& t : node(donor).dictionary().tables())
      if (t->id < 0x800000u) fresh.install_table(encode_table(*t));
    for (uint32_t d : node(donor).distribution().data_nodes())
      if (d != n) fresh.node_state(d, node(donor).distribution().state(d));
    fresh.begin_restart();
    for (uint32_t l : live())
      if (l != n) node(l).node_state(n, NodeState::kStarting);
  }
  // Barrier, copy (interleaved with whatever else is in flight), then alive.
  bool finish_restart(uint32_t n, uint32_t batch_rows, const std::function<void()>& between = {}) {
    std::map<uint32_t, uint64_t> marks;
    for (uint32_t l : live()) marks[l] = node(l).tc().mark();
    for (int guard = 0; guard < 100000; ++guard) {
      bool passed = true;
      for (auto [l, m] : marks)
        if (!dead(l) && !node(l).tc().finished_up_to(m)) passed = false;
      if (passed) break;
      if (!step()) advance(1000);
    }
    node(n).start_copy(batch_rows);
    for (int guard = 0; guard < 100000 && !node(n).copy_complete(); ++guard) {
      if (between) between();
      if (!step()) advance(1000);
    }
    if (!node(n).copy_complete() || node(n).copy_error()) return false;
    for (uint32_t l : live()) node(l).node_state(n, NodeState::kAlive);
    return true;
  }

  DataNodeEngine& node(uint32_t n) { return *nodes_.at(n); }
  bool dead(uint32_t n) const { return dead_.count(n) != 0; }
  std::vector<uint32_t> live() const {
    std::vector<uint32_t> out;
    for (auto& [n, e] : nodes_)
      if (!dead(n)) out.push_back(n);
    return out;
  }

  // Creates on the first live node, installs the encoded definition elsewhere.
  std::shared_ptr<const Table> create_table(Table t) {
    auto first = live().front();
    auto r = node(first).create_table(std::move(t));
    if (r.error) return nullptr;
    for (auto& [n, e] : nodes_)
      if (n != first) e->install_table(encode_table(*r.table));
    return r.table;
  }

  void send(uint32_t from, uint32_t to, Message m) { net_.push_back(Envelope{from, to, std::move(m)}); }

  // Delivers one message; false when the network is empty.
  bool step() {
    if (net_.empty()) return false;
    size_t i = 0;
    if (random_) {
      std::uniform_int_distribution<size_t> pick(0, net_.size() - 1);
      size_t r = pick(rng_);
      // Keep each (from, to) link in order: deliver that link's oldest message.
      for (i = 0; i < r; ++i)
        if (net_[i].from == net_[r].from && net_[i].to == net_[r].to) break;
    }
    Envelope e = std::move(net_[i]);
    net_.erase(net_.begin() + static_cast<std::ptrdiff_t>(i));
    deliver(std::move(e));
    return true;
  }
  void run() {
    while (step()) {
    }
  }
  // Delivers messages until `stop` is true for the next one (left undelivered).
  bool run_until(const std::function<bool(const Envelope&)>& stop) {
    for (;;) {
      if (net_.empty()) return false;
      if (!random_ && stop(net_.front())) return true;
      if (random_)
        for (auto& e : net_)
          if (stop(e)) return true;
      step();
    }
  }

  // A process crash as the survivors' sockets see it: nothing more reaches
  // `n`, but what it sent before it died is still in flight and arrives.
  // Nobody has noticed yet: call declare_failed() for each survivor, in
  // any order, interleaved with deliveries.
  void crash(uint32_t n) {
    dead_.insert(n);
    lingering_.insert(n);
    std::deque<Envelope> keep;
    for (auto& e : net_)
      if (e.to != n) keep.push_back(std::move(e));
    net_ = std::move(keep);
  }
  void declare_failed(uint32_t observer, uint32_t n) { node(observer).node_failed(n); }
  // Delivers the oldest message matching `pick` ahead of the others (a
  // faster link); false when none matches.
  bool deliver_first(const std::function<bool(const Envelope&)>& pick) {
    for (size_t i = 0; i < net_.size(); ++i)
      if (pick(net_[i])) {
        Envelope e = std::move(net_[i]);
        net_.erase(net_.begin() + static_cast<std::ptrdiff_t>(i));
        deliver(std::move(e));
        return true;
      }
    return false;
  }
  bool pending(const std::function<bool(const Envelope&)>& pick) const {
    for (auto& e : net_)
      if (pick(e)) return true;
    return false;
  }

  void kill(uint32_t n) {
    dead_.insert(n);
    std::deque<Envelope> keep;
    for (auto& e : net_)
      if (e.from != n && e.to != n) keep.push_back(std::move(e));
    net_ = std::move(keep);
    for (uint32_t l : live()) node(l).node_failed(n);
  }

  void advance(uint64_t ms) {
    clock.now += ms;
    for (uint32_t l : live()) node(l).tick();
  }

  // API side.
  ApiExecuteConf execute(uint32_t tc, ApiExecuteReq req) {
    req.api_node = kApi;
    req.request = ++request_;
    send(kApi, tc, std::move(req));
    run();
    return take_reply(request_).value_or(ApiExecuteConf{});
  }
  uint32_t submit(uint32_t tc, ApiExecuteReq req) {
    req.api_node = kApi;
    req.request = ++request_;
    send(kApi, tc, std::move(req));
    return request_;
  }
  std::optional<ApiExecuteConf> take_reply(uint32_t request) {
    auto it = replies_.find(request);
    if (it == replies_.end()) return std::nullopt;
    auto r = std::move(it->second);
    replies_.erase(it);
    return r;
  }
  std::vector<Row> scan(uint32_t tc, uint32_t table, ScanSpec spec, uint32_t* error = nullptr,
                        size_t* batches = nullptr) {
    const uint32_t id = ++request_;
    send(kApi, tc, ApiScanReq{kApi, id, table, std::move(spec)});
    run();
    std::vector<Row> rows;
    size_t n = 0;
    for (auto& b : scan_batches_[id]) {
      rows.insert(rows.end(), b.rows.begin(), b.rows.end());
      if (error && b.error) *error = b.error;
      ++n;
    }
    if (batches) *batches = n;
    return rows;
  }

  // Rows and completion of a scan started by hand with send().
  std::vector<Row> scan_rows(uint32_t scan, bool* done = nullptr) {
    std::vector<Row> rows;
    if (done) *done = false;
    for (auto& b : scan_batches_[scan]) {
      rows.insert(rows.end(), b.rows.begin(), b.rows.end());
      if (done && b.done && b.error == 0) *done = true;
    }
    return rows;
  }

  FakeClock clock;
  bool auto_scan_next = true;
  // Sees every message just before it is delivered (e.g. to count what
  // travels between data nodes).
  std::function<void(const Envelope&)> on_deliver;

 private:
  struct Link : Peers {
    Link(SimCluster* c, uint32_t self) : c_(c), self_(self) {}
    void send(uint32_t to, Message m) override { c_->send(self_, to, std::move(m)); }
    SimCluster* c_;
    uint32_t self_;
  };

  void deliver(Envelope e) {
    if ((dead(e.from) && !lingering_.count(e.from)) || dead(e.to)) return;
    if (on_deliver) on_deliver(e);
    if (e.to == kApi) {
      if (auto* c = std::get_if<ApiExecuteConf>(&e.m)) replies_[c->request] = std::move(*c);
      if (auto* b = std::get_if<ApiScanBatch>(&e.m)) {
        // The API reads each batch at once and asks for the next.
        if (!b->done && auto_scan_next) send(kApi, e.from, ApiScanNextReq{kApi, b->scan, false});
        scan_batches_[b->scan].push_back(std::move(*b));
      }
      return;
    }
    auto it = nodes_.find(e.to);
    if (it != nodes_.end()) it->second->receive(e.from, std::move(e.m));
  }

  std::mt19937_64 rng_;
  bool random_;
  std::vector<NodeGroup> groups_;
  EngineConfig base_;
  std::map<uint32_t, std::unique_ptr<Link>> links_;
  std::map<uint32_t, std::unique_ptr<DataNodeEngine>> nodes_;
  std::set<uint32_t> dead_;
  std::set<uint32_t> lingering_;  // crashed, their last messages still arrive
  std::deque<Envelope> net_;
  uint32_t request_ = 0;
  std::map<uint32_t, ApiExecuteConf> replies_;
  std::map<uint32_t, std::vector<ApiScanBatch>> scan_batches_;
};

}  // namespace halb::cluster::engine::test
