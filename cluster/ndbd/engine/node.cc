// cluster/ndbd/engine/node.cc: one data node's engine (see node.h).
#include "cluster/ndbd/engine/node.h"

#include <algorithm>

#include "cluster/ndbd/engine/error.h"
#include "cluster/ndbd/engine/table_codec.h"

namespace halb::cluster::engine {

EngineConfig engine_config(const DataNode& node) {
  EngineConfig c;
  c.node_id = node.node_id;
  c.data_memory = node.data_memory;
  c.index_memory = node.index_memory;
  c.deadlock_timeout_ms = node.transaction_deadlock_detection_timeout;
  c.max_tables = node.max_no_of_tables;
  c.max_local_operations = node.local_operations();
  c.tc.max_operations = node.max_no_of_concurrent_operations;
  c.tc.max_transactions = node.max_no_of_concurrent_transactions;
  return c;
}

DataNodeEngine::DataNodeEngine(EngineConfig cfg, std::vector<NodeGroup> groups, Peers& peers, const Clock& clock)
    : cfg_(cfg),
      clock_(clock),
      peers_(cfg.node_id, peers),
      dict_(cfg.max_tables),
      dist_(std::move(groups)),
      data_(cfg.data_memory, kDataPageBytes),
      index_(cfg.index_memory, kIndexPageBytes),
      lqh_(cfg.node_id, data_, index_, peers_, cfg.deadlock_timeout_ms, cfg.max_local_operations),
      tc_(cfg.node_id, dict_, dist_, peers_, cfg.tc) {}

void DataNodeEngine::add_fragments(const std::shared_ptr<const Table>& t) {
  for (uint32_t f = 0; f < std::max<uint32_t>(1, t->fragments); ++f) {
    auto r = dist_.replicas(f);
    if (std::find(r.begin(), r.end(), cfg_.node_id) != r.end()) lqh_.add_fragment(t, f);
  }
}

DictResult DataNodeEngine::create_table(Table t) {
  const uint32_t fragments = default_fragment_count(dist_.data_nodes().size());
  DictResult r = dict_.create(std::move(t), fragments);
  if (r.error) return r;
  add_fragments(r.table);
  for (const auto& i : r.table->indexes)
    if (auto u = dict_.unique_index_table(r.table->id, i.id)) add_fragments(u);
  return r;
}

DictResult DataNodeEngine::install_table(const std::string& encoded) {
  std::string error;
  auto t = decode_table(encoded, error);
  if (!t) return DictResult{err::kBadRequest, error, nullptr};
  DictResult r = dict_.install(std::move(*t));
  if (r.error) return r;
  add_fragments(r.table);
  for (const auto& i : r.table->indexes)
    if (auto u = dict_.unique_index_table(r.table->id, i.id)) add_fragments(u);
  return r;
}

DictResult DataNodeEngine::drop_table(const std::string& name) {
  DictResult r = dict_.drop(name);
  if (r.error) return r;
  lqh_.drop_table(r.table->id);
  for (const auto& i : r.table->indexes)
    if (i.kind == IndexKind::kUniqueHash) lqh_.drop_table(Dictionary::unique_table_id(r.table->id, i.id));
  return r;
}

void DataNodeEngine::dispatch(uint32_t from, Message& m) {
  const uint64_t now = clock_.now_ms();
  std::visit(
      [&](auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, LqhKeyReq>) {
          lqh_.on(from, msg, now);
        } else if constexpr (std::is_same_v<T, CommitReq> || std::is_same_v<T, CompleteReq> ||
                             std::is_same_v<T, AbortReq> || std::is_same_v<T, ScanFragReq> ||
                             std::is_same_v<T, TakeoverReq> || std::is_same_v<T, CopyFragReq> ||
                             std::is_same_v<T, CommitFragReq>) {
          lqh_.on(from, msg);
        } else if constexpr (std::is_same_v<T, CopyFragConf>) {
          on_copy(from, msg);
        } else if constexpr (std::is_same_v<T, WaitGraphReport>) {
          // Only data nodes hold locks: a report from anyone else is ignored.
          const auto nodes = dist_.data_nodes();
          if (from != cfg_.node_id && std::find(nodes.begin(), nodes.end(), from) != nodes.end()) {
            deadlocks_.peer_report(from, std::move(msg.edges), now);  // looked at on the next tick
          }
        } else if constexpr (std::is_same_v<T, ApiExecuteReq> || std::is_same_v<T, ApiScanReq> ||
                             std::is_same_v<T, ApiScanNextReq> ||
                             std::is_same_v<T, LqhKeyConf> || std::is_same_v<T, LqhKeyRef> ||
                             std::is_same_v<T, CommitConf> || std::is_same_v<T, CommitFragConf> ||
                             std::is_same_v<T, AbortConf> ||
                             std::is_same_v<T, ScanFragConf> || std::is_same_v<T, TakeoverConf>) {
          tc_.on(from, msg);
        }
        // ApiExecuteConf and ApiScanBatch are for API nodes: a data node ignores them.
      },
      m);
}

void DataNodeEngine::run_loopback() {
  while (!peers_.queue_.empty()) {
    Message m = std::move(peers_.queue_.front());
    peers_.queue_.pop_front();
    dispatch(cfg_.node_id, m);
  }
}

void DataNodeEngine::receive(uint32_t from, Message m) {
  dispatch(from, m);
  run_loopback();
}

void DataNodeEngine::tick() {
  lqh_.tick(clock_.now_ms());
  if (deadlocks_.due(clock_.now_ms())) detect_deadlocks();
  run_loopback();
}

void DataNodeEngine::detect_deadlocks() {
  const uint64_t now = clock_.now_ms();
  std::vector<WaitEdge> local = lqh_.wait_edges(now, DeadlockDetector::kMinWaitMs);
  if (deadlocks_.report(local, now))
    for (uint32_t n : dist_.data_nodes())
      if (n != cfg_.node_id && dist_.state(n) != NodeState::kDead) peers_.send(n, WaitGraphReport{local});
  for (TransId victim : deadlocks_.victims(local, now)) lqh_.fail_waits_of(victim);
}

void DataNodeEngine::node_failed(uint32_t node) {
  dist_.set_state(node, NodeState::kDead);
  deadlocks_.peer_gone(node);
  lqh_.node_failed(node);
  tc_.node_failed(node);
  // A copy source that died: the next live replica continues from the
  // cursor (replicas hold equal committed rows in the same key order).
  for (auto& [frag, c] : copying_)
    if (c.source == node) request_copy(frag);
  run_loopback();
}

void DataNodeEngine::begin_restart(uint64_t since_gci) {
  copy_since_ = since_gci;
  copy_stats_ = CopyStats{};
  for (const auto& t : dict_.tables())
    for (uint32_t f = 0; f < std::max<uint32_t>(1, t->fragments); ++f)
      if (Fragment* frag = lqh_.fragment(t->id, f)) {
        if (since_gci) frag->begin_catchup(since_gci);
        else frag->begin_copy();
      }
  dist_.set_state(cfg_.node_id, NodeState::kStarting);
}

void DataNodeEngine::start_copy(uint32_t batch_rows) {
  copy_batch_ = std::max<uint32_t>(1, batch_rows);
  copy_error_ = 0;
  for (const auto& t : dict_.tables())
    for (uint32_t f = 0; f < std::max<uint32_t>(1, t->fragments); ++f)
      if (Fragment* frag = lqh_.fragment(t->id, f)) {
        if (!frag->copying()) frag->begin_copy();
        copying_[{t->id, f}] = Copying{"", 0, copy_since_};
      }
  std::vector<std::pair<uint32_t, uint32_t>> all;
  for (auto& [frag, c] : copying_) all.push_back(frag);
  for (auto& frag : all) request_copy(frag);
  run_loopback();
}

void DataNodeEngine::request_copy(std::pair<uint32_t, uint32_t> frag) {
  auto& c = copying_[frag];
  c.source = dist_.primary(frag.second);
  if (c.source == 0 || c.source == cfg_.node_id) {
    // No live replica to copy from: the cluster cannot restart this node.
    copy_error_ = err::kNodeFailureAbort;
    copying_.erase(frag);
    if (Fragment* f = lqh_.fragment(frag.first, frag.second)) f->end_copy();
    return;
  }
  peers_.send(c.source, CopyFragReq{frag.first, frag.second, c.cursor, copy_batch_, c.since});
}

void DataNodeEngine::on_copy(uint32_t from, const CopyFragConf& m) {
  auto key = std::make_pair(m.table_id, m.fragment);
  auto it = copying_.find(key);
  if (it == copying_.end() || it->second.source != from) return;
  Fragment* f = lqh_.fragment(m.table_id, m.fragment);
  uint32_t error = m.error;
  for (const auto& row : m.batch.rows) {
    if (error || !f) break;
    error = f->apply_copy(row);
    if (!error) ++(row.unchanged ? copy_stats_.unchanged_rows : copy_stats_.full_rows);
  }
  if (error == kCatchupMismatch && f && it->second.since) {
    // This replica's own rows do not match: copy the fragment whole.
    ++copy_stats_.fallbacks;
    f->end_catchup();
    f->begin_copy();
    it->second.cursor.clear();
    it->second.since = 0;
    request_copy(key);
    return;
  }
  if (error || !f || m.batch.done) {
    if (error) copy_error_ = error;
    if (f && !error && it->second.since) copy_stats_.removed_rows += f->end_catchup();
    if (f) f->end_copy();
    copying_.erase(it);
    return;
  }
  it->second.cursor = m.batch.cursor;
  request_copy(key);
}

void DataNodeEngine::api_failed(uint32_t api_node) {
  tc_.api_failed(api_node);
  run_loopback();
}

void DataNodeEngine::node_state(uint32_t node, NodeState s) {
  dist_.set_state(node, s);
  if (s != NodeState::kDead) lqh_.node_restarted(node);
}

}  // namespace halb::cluster::engine
