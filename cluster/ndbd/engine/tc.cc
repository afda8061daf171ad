// cluster/ndbd/engine/tc.cc: the transaction coordinator (see tc.h).
#include "cluster/ndbd/engine/tc.h"

#include <algorithm>
#include <iterator>

#include "cluster/ndbd/engine/error.h"

namespace halb::cluster::engine {

void Tc::reply(const Trans& t, TransState state) {
  if (t.api_node == 0) return;
  ApiExecuteConf conf;
  conf.request = t.request;
  conf.trans = t.id;
  conf.state = state;
  conf.error = state == TransState::kAborted ? t.error : 0;
  conf.results = t.results;
  peers_.send(t.api_node, std::move(conf));
}

void Tc::on(uint32_t, const ApiExecuteReq& m) {
  TransId id = m.trans;
  if (id == 0) {
    if (trans_.size() >= limits_.max_transactions) {
      ApiExecuteConf conf{m.request, 0, TransState::kAborted, err::kTcOutOfOperations, {}};
      peers_.send(m.api_node, std::move(conf));
      return;
    }
    id = make_trans_id(self_, ++trans_seq_);
    trans_[id].id = id;
  }
  auto it = trans_.find(id);
  if (it == trans_.end() || it->second.phase != Phase::kOpen) {
    uint32_t error = err::kTransactionAborted;
    if (auto f = failed_.find(id); f != failed_.end()) {
      error = f->second;
      failed_.erase(f);
    }
    ApiExecuteConf conf{m.request, id, TransState::kAborted, error, {}};
    peers_.send(m.api_node, std::move(conf));
    return;
  }
  Trans& t = it->second;
  t.api_node = m.api_node;
  t.request = m.request;
  t.exec = m.exec;
  t.results.assign(m.ops.size(), OpResult{});
  t.phase = Phase::kExecuting;
  if (m.exec == ExecType::kRollback) {
    t.phase = Phase::kAborting;
  } else if (operations_ + m.ops.size() > limits_.max_operations) {
    t.error = err::kTcOutOfOperations;
    t.phase = Phase::kAborting;
  } else {
    operations_ += m.ops.size();
    t.op_count += m.ops.size();
    for (uint32_t i = 0; i < m.ops.size() && t.error == 0; ++i) route(t, m.ops[i], i);
    if (t.error != 0) t.phase = Phase::kAborting;
  }
  progress(id);
}

namespace {
bool has_unique(const Table& t) {
  for (const auto& i : t.indexes)
    if (i.kind == IndexKind::kUniqueHash) return true;
  return false;
}

// The row an insert/update/write leaves, from the old row (or none) and the op.
Row apply_op(const Table& t, const std::optional<Row>& old, const ApiOp& op) {
  Row row = old ? *old : Row(t.columns.size());
  for (size_t i = 0; i < t.primary_key.size() && i < op.key.size(); ++i) row[t.primary_key[i]] = op.key[i];
  for (const auto& [c, v] : op.set)
    if (c < row.size()) row[c] = v;
  return row;
}

// The unique index key of a row, or nullopt when a column is NULL (not indexed).
std::optional<std::vector<Value>> unique_key(const Index& i, const Row& row) {
  std::vector<Value> key;
  for (uint32_t c : i.columns) {
    if (c >= row.size() || is_null(row[c])) return std::nullopt;
    key.push_back(row[c]);
  }
  return key;
}
}  // namespace

void Tc::route(Trans& t, const ApiOp& op, uint32_t index) {
  OpResult& res = t.results[index];
  res.trans = t.id;
  auto table = dict_.find(op.table_id);
  if (!table) {
    res.error = t.error = err::kNoSuchTable;
    return;
  }
  ApiOp o = op;
  if (o.unique_index) {
    // Read through a unique index: look the key up in the hidden table first.
    auto u = dict_.unique_index_table(o.table_id, *o.unique_index);
    if (!u || o.type != OpType::kRead) {
      res.error = t.error = err::kBadRequest;
      return;
    }
    send_key_op(t, *u, OpType::kRead, o.lock, o.key, {}, index, Role::kIndexLookup, o);
    return;
  }
  if (table->hidden_key && o.key.empty() && o.type == OpType::kInsert)
    o.key.emplace_back(std::in_place_type<uint64_t>, (static_cast<uint64_t>(self_) << 48) | ++hidden_key_seq_);
  if (o.type != OpType::kRead && has_unique(*table)) {
    if (o.type == OpType::kInsert) {
      if (send_key_op(t, *table, o.type, LockMode::kExclusive, o.key, o.set, index, Role::kUser, {}))
        send_index_changes(t, *table, std::nullopt, apply_op(*table, std::nullopt, o), index);
      return;
    }
    // Update, write and delete must first learn the old index values: an
    // exclusive read of the row, which also keeps them from changing.
    send_key_op(t, *table, OpType::kRead, LockMode::kExclusive, o.key, {}, index, Role::kPreRead, o);
    return;
  }
  send_key_op(t, *table, o.type, o.type == OpType::kRead ? o.lock : LockMode::kExclusive, o.key, o.set, index,
              Role::kUser, {});
}

bool Tc::send_key_op(Trans& t, const Table& table, OpType type, LockMode lock, const std::vector<Value>& key,
                     const ColumnValues& set, uint32_t index, Role role, ApiOp deferred) {
  OpResult& res = t.results[index];
  if (key.size() != table.primary_key.size()) {
    res.error = t.error = err::kBadRequest;
    return false;
  }
  for (size_t i = 0; i < key.size(); ++i)
    if (uint32_t e = check_value(table.columns[table.primary_key[i]], key[i])) {
      res.error = t.error = e;
      return false;
    }
  const uint32_t fragment = fragment_of_primary_key(table, key);
  std::vector<uint32_t> chain;
  if (type == OpType::kRead) {
    // A committed read never sees prepared changes, not even its own
    // transaction's, so any live replica answers it alike.
    const uint32_t p = lock == LockMode::kCommitted ? dist_.read_replica(fragment, self_) : dist_.primary(fragment);
    if (p) chain.push_back(p);
  } else {
    chain = dist_.write_chain(fragment);
  }
  if (chain.empty()) {
    res.error = t.error = err::kNodeFailureAbort;
    return false;
  }
  const uint32_t op_id = ++op_seq_;
  if (role == Role::kUser) res.op_id = op_id;
  if (!(type == OpType::kRead && lock == LockMode::kCommitted)) {
    t.participants.insert(chain.begin(), chain.end());
    auto& known = t.chains[{table.id, fragment}];
    for (uint32_t n : chain)
      if (std::find(known.begin(), known.end(), n) == known.end()) known.push_back(n);
  }
  t.ops[op_id] = PendingOp{index, chain, false, role, std::move(deferred)};
  ++t.outstanding;
  LqhKeyReq req;
  req.op = KeyOp{t.id, op_id, type, type == OpType::kRead ? lock : LockMode::kExclusive, key, set};
  req.table_id = table.id;
  req.fragment = fragment;
  req.chain = chain;
  req.chain_pos = 0;
  peers_.send(chain.front(), std::move(req));
  return true;
}

void Tc::send_index_changes(Trans& t, const Table& table, const std::optional<Row>& old_row,
                            const std::optional<Row>& new_row, uint32_t index) {
  for (const auto& i : table.indexes) {
    if (i.kind != IndexKind::kUniqueHash) continue;
    auto u = dict_.unique_index_table(table.id, i.id);
    if (!u) continue;
    auto old_key = old_row ? unique_key(i, *old_row) : std::nullopt;
    auto new_key = new_row ? unique_key(i, *new_row) : std::nullopt;
    if (old_key && new_key) {
      bool same = true;
      for (size_t k = 0; k < i.columns.size(); ++k)
        same = same && compare_values(table.columns[i.columns[k]], (*old_key)[k], (*new_key)[k]) == 0;
      if (same) continue;
    }
    if (old_key && !send_key_op(t, *u, OpType::kDelete, LockMode::kExclusive, *old_key, {}, index, Role::kIndex, {}))
      return;
    if (new_key) {
      ColumnValues base;
      for (size_t k = 0; k < table.primary_key.size(); ++k)
        base.emplace_back(static_cast<uint32_t>(i.columns.size() + k), (*new_row)[table.primary_key[k]]);
      if (!send_key_op(t, *u, OpType::kInsert, LockMode::kExclusive, *new_key, base, index, Role::kIndex, {}))
        return;
    }
  }
}

bool Tc::finished_up_to(uint64_t mark) const {
  for (const auto& [id, t] : trans_)
    if (tc_node_of(id) == self_ && (id & 0xFFFFFFFFFFFFull) <= mark) return false;
  return true;
}

void Tc::remember_failed(TransId id, uint32_t error) {
  failed_[id] = error;
  failed_order_.push_back(id);
  while (failed_order_.size() > kRememberedFailures) {
    failed_.erase(failed_order_.front());
    failed_order_.pop_front();
  }
}

void Tc::api_failed(uint32_t api_node) {
  std::vector<TransId> ids;
  for (auto& [id, t] : trans_)
    if (t.api_node == api_node) ids.push_back(id);
  for (TransId id : ids) {
    Trans& t = trans_[id];
    t.api_node = 0;
    if (t.phase == Phase::kOpen || t.phase == Phase::kExecuting) {
      if (t.error == 0) t.error = err::kNodeFailureAbort;
      t.phase = Phase::kAborting;
    }
    progress(id);
  }
  for (auto it = scans_.begin(); it != scans_.end();)
    it = it->second.api_node == api_node ? scans_.erase(it) : std::next(it);
}

void Tc::abort_late(TransId id) {
  auto it = trans_.find(id);
  if (it != trans_.end() && !it->second.abort_sent) {
    // Its abort waits for the operations still out (an abort would drop
    // those queued behind locks unanswered); it then goes to every node.
    it->second.abort_everywhere = true;
    return;
  }
  for (uint32_t n : dist_.live_nodes()) peers_.send(n, AbortReq{id});
}

void Tc::on(uint32_t, const LqhKeyConf& m) {
  auto it = trans_.find(m.result.trans);
  if (it == trans_.end()) {
    abort_late(m.result.trans);
    return;
  }
  Trans& t = it->second;
  auto op = t.ops.find(m.result.op_id);
  if (op == t.ops.end()) return;
  if (op->second.answered) {
    abort_late(t.id);
    return;
  }
  op->second.answered = true;
  const PendingOp p = op->second;
  if (t.error == 0 && (t.phase == Phase::kExecuting || t.phase == Phase::kOpen)) {
    switch (p.role) {
      case Role::kUser:
        t.results[p.index] = m.result;
        break;
      case Role::kIndex:
        break;
      case Role::kPreRead:
        continue_after_pre_read(t, p, m.result.row);
        break;
      case Role::kIndexLookup:
        continue_after_lookup(t, p, m.result.row);
        break;
    }
  }
  --t.outstanding;
  progress(it->first);
}

void Tc::continue_after_pre_read(Trans& t, const PendingOp& p, const std::optional<Row>& old_row) {
  auto table = dict_.find(p.deferred.table_id);
  if (!table) {
    t.results[p.index].error = t.error = err::kNoSuchTable;
    return;
  }
  const ApiOp& o = p.deferred;
  if (!old_row && (o.type == OpType::kUpdate || o.type == OpType::kDelete)) {
    t.results[p.index].error = t.error = err::kTupleNotFound;
    return;
  }
  std::optional<Row> new_row;
  if (o.type != OpType::kDelete) new_row = apply_op(*table, old_row, o);
  OpType type = o.type;
  if (type == OpType::kWrite) type = old_row ? OpType::kUpdate : OpType::kInsert;
  if (send_key_op(t, *table, type, LockMode::kExclusive, o.key, o.set, p.index, Role::kUser, {}))
    send_index_changes(t, *table, old_row, new_row, p.index);
}

void Tc::continue_after_lookup(Trans& t, const PendingOp& p, const std::optional<Row>& index_row) {
  auto table = dict_.find(p.deferred.table_id);
  auto u = dict_.unique_index_table(p.deferred.table_id, *p.deferred.unique_index);
  if (!table || !u || !index_row) {
    t.results[p.index].error = t.error = err::kTupleNotFound;
    return;
  }
  std::vector<Value> key(index_row->begin() + static_cast<std::ptrdiff_t>(u->primary_key.size()), index_row->end());
  send_key_op(t, *table, OpType::kRead, p.deferred.lock, key, {}, p.index, Role::kUser, {});
}

void Tc::on(uint32_t, const LqhKeyRef& m) {
  auto it = trans_.find(m.result.trans);
  if (it == trans_.end()) {
    abort_late(m.result.trans);
    return;
  }
  Trans& t = it->second;
  auto op = t.ops.find(m.result.op_id);
  if (op == t.ops.end()) return;
  if (op->second.answered) {
    abort_late(t.id);
    return;
  }
  op->second.answered = true;
  const PendingOp p = op->second;
  uint32_t error = m.result.error;
  if (p.role == Role::kPreRead && error == err::kTupleNotFound && t.error == 0 &&
      (t.phase == Phase::kExecuting || t.phase == Phase::kOpen)) {
    // No row: a write inserts, an update or delete fails with 626.
    continue_after_pre_read(t, p, std::nullopt);
    --t.outstanding;
    progress(it->first);
    return;
  }
  if (p.role == Role::kIndex && error == err::kTupleExists) error = err::kUniqueViolation;
  --t.outstanding;
  if (t.results[p.index].error == 0) {
    t.results[p.index] = m.result;
    t.results[p.index].error = error;
  }
  if (t.error == 0) t.error = error;
  if (t.phase == Phase::kExecuting || t.phase == Phase::kOpen) t.phase = Phase::kAborting;
  progress(it->first);
}

void Tc::progress(TransId id) {
  auto it = trans_.find(id);
  if (it == trans_.end()) return;
  Trans& t = it->second;
  if (t.error != 0 && (t.phase == Phase::kExecuting || t.phase == Phase::kOpen)) t.phase = Phase::kAborting;
  if (t.outstanding > 0) return;
  switch (t.phase) {
    case Phase::kExecuting:
      if (t.exec == ExecType::kCommit) {
        start_commit(t);
      } else {
        t.phase = Phase::kOpen;
        reply(t, TransState::kOpen);
      }
      return;
    case Phase::kAborting:
      if (!t.abort_sent) send_abort(t);
      if (t.awaiting.empty()) finish(id, TransState::kAborted);
      return;
    case Phase::kCommitting:
      if (t.awaiting.empty() && t.awaiting_fragments.empty()) finish(id, TransState::kCommitted);
      return;
    case Phase::kOpen:
      return;
  }
}

void Tc::hold_commits(bool hold) {
  hold_commits_ = hold;
  if (hold) return;
  std::vector<TransId> ids = std::move(held_);
  held_.clear();
  for (TransId id : ids) {
    auto it = trans_.find(id);
    if (it == trans_.end()) continue;
    if (it->second.phase == Phase::kCommitting || it->second.phase == Phase::kAborting) progress(id);
    else start_commit(it->second);
  }
}

bool Tc::committing_at_or_below(uint64_t gci) const {
  for (const auto& [id, t] : trans_)
    if (t.phase == Phase::kCommitting && t.gci <= gci) return true;
  // A takeover still collecting reports may commit transactions with any
  // GCI the failed coordinator gave out: no GCI is finished until it decided.
  return !takeovers_.empty();
}

void Tc::start_commit(Trans& t) {
  if (hold_commits_ && !t.takeover_gci) {
    if (std::find(held_.begin(), held_.end(), t.id) == held_.end()) held_.push_back(t.id);
    return;
  }
  t.phase = Phase::kCommitting;
  t.gci = t.takeover_gci ? t.takeover_gci : gci_;
  if (t.chains.empty()) {
    for (uint32_t n : t.participants)
      if (dist_.state(n) != NodeState::kDead) t.awaiting.insert(n);
    for (uint32_t n : t.awaiting) peers_.send(n, CommitReq{t.id, t.gci});
  } else {
    std::vector<std::pair<uint32_t, uint32_t>> fragments;
    for (auto& [f, chain] : t.chains) fragments.push_back(f);
    for (auto f : fragments) send_commit_chain(t, f);
  }
  if (t.awaiting.empty() && t.awaiting_fragments.empty()) finish(t.id, TransState::kCommitted);
}

void Tc::send_commit_chain(Trans& t, std::pair<uint32_t, uint32_t> fragment) {
  std::vector<uint32_t> live;
  for (uint32_t n : t.chains[fragment])
    if (dist_.state(n) != NodeState::kDead) live.push_back(n);
  if (live.empty()) {
    // Every replica is gone: the cluster cannot go on without this node
    // group, and nothing is left here to commit.
    t.awaiting_fragments.erase(fragment);
    return;
  }
  t.awaiting_fragments.insert(fragment);
  const uint32_t last = static_cast<uint32_t>(live.size() - 1);
  peers_.send(live[last], CommitFragReq{t.id, t.gci, self_, fragment.first, fragment.second, live, last});
}

void Tc::on(uint32_t, const CommitFragConf& m) {
  auto it = trans_.find(m.trans);
  if (it == trans_.end() || it->second.phase != Phase::kCommitting) return;
  it->second.awaiting_fragments.erase({m.table_id, m.fragment});
  progress(m.trans);
}

void Tc::send_abort(Trans& t) {
  t.abort_sent = true;
  for (uint32_t n : t.participants)
    if (dist_.state(n) != NodeState::kDead) t.awaiting.insert(n);
  if (t.abort_everywhere)
    for (uint32_t n : dist_.live_nodes()) t.awaiting.insert(n);
  for (uint32_t n : t.awaiting) peers_.send(n, AbortReq{t.id});
}

void Tc::finish(TransId id, TransState state) {
  auto it = trans_.find(id);
  if (it == trans_.end()) return;
  Trans& t = it->second;
  if (state == TransState::kCommitted)
    for (uint32_t n : t.participants)
      if (dist_.state(n) != NodeState::kDead) peers_.send(n, CompleteReq{t.id});
  reply(t, state);
  operations_ -= std::min(operations_, t.op_count);
  trans_.erase(it);
}

void Tc::on(uint32_t from, const CommitConf& m) {
  auto it = trans_.find(m.trans);
  if (it == trans_.end() || it->second.phase != Phase::kCommitting) return;
  it->second.awaiting.erase(from);
  progress(m.trans);
}

void Tc::on(uint32_t from, const AbortConf& m) {
  auto it = trans_.find(m.trans);
  if (it == trans_.end() || it->second.phase != Phase::kAborting) return;
  it->second.awaiting.erase(from);
  progress(m.trans);
}

void Tc::node_failed(uint32_t node) {
  std::vector<TransId> ids;
  for (auto& [id, t] : trans_) ids.push_back(id);
  for (TransId id : ids) {
    auto it = trans_.find(id);
    if (it == trans_.end()) continue;
    Trans& t = it->second;
    for (auto& [op_id, op] : t.ops) {
      if (op.answered || std::find(op.chain.begin(), op.chain.end(), node) == op.chain.end()) continue;
      op.answered = true;
      --t.outstanding;
      t.results[op.index].error = err::kNodeFailureAbort;
      if (t.error == 0) t.error = err::kNodeFailureAbort;
      if (t.phase == Phase::kExecuting) t.phase = Phase::kAborting;
    }
    // Locks a dead node held are gone (a locking read holds its lock on the
    // primary only), so a transaction that touched it cannot go on safely:
    // abort it unless it is already committing.
    if ((t.phase == Phase::kOpen || t.phase == Phase::kExecuting) && t.participants.count(node)) {
      if (t.error == 0) t.error = err::kNodeFailureAbort;
      if (t.phase == Phase::kOpen) {
        remember_failed(t.id, t.error);
        t.api_node = 0;  // nobody is waiting; the next request learns the error
      }
      t.phase = Phase::kAborting;
    }
    t.awaiting.erase(node);
    if (t.phase == Phase::kCommitting) {
      // A commit travelling a chain through the dead node may be lost:
      // send it again along the survivors (committing twice is harmless).
      std::vector<std::pair<uint32_t, uint32_t>> again;
      for (auto f : t.awaiting_fragments) {
        const auto& chain = t.chains[f];
        if (std::find(chain.begin(), chain.end(), node) != chain.end()) again.push_back(f);
      }
      for (auto f : again) send_commit_chain(t, f);
    }
    progress(id);
  }
  std::vector<std::pair<uint64_t, uint32_t>> refs;
  for (auto& [ref, s] : scans_)
    for (uint32_t f = 0; f < s.fragments.size(); ++f)
      if (s.fragments[f].fetching && s.fragments[f].node == node) refs.emplace_back(ref, f);
  // Scans read committed rows by cursor, so another replica resumes them.
  for (auto [ref, f] : refs)
    if (scans_.count(ref)) request_fragment(ref, f);
  for (auto& [tc, tk] : takeovers_) tk.awaiting.erase(node);
  std::vector<uint32_t> ready;
  for (auto& [tc, tk] : takeovers_)
    if (tk.awaiting.empty()) ready.push_back(tc);
  for (uint32_t tc : ready) decide_takeover(tc);
  // The lowest live node takes over; if an earlier successor died too, it
  // takes over every dead node again (commit and abort are idempotent).
  auto live = dist_.live_nodes();
  if (live.empty() || live.front() != self_) return;
  for (uint32_t n : dist_.data_nodes())
    if (dist_.state(n) == NodeState::kDead && n != self_) take_over(n);
}

void Tc::take_over(uint32_t failed_tc) {
  Takeover& tk = takeovers_[failed_tc];
  for (uint32_t n : dist_.live_nodes()) tk.awaiting.insert(n);
  for (uint32_t n : tk.awaiting) peers_.send(n, TakeoverReq{failed_tc});
  if (tk.awaiting.empty()) decide_takeover(failed_tc);
}

void Tc::on(uint32_t from, const TakeoverConf& m) {
  auto it = takeovers_.find(m.failed_tc);
  if (it == takeovers_.end()) return;
  for (const auto& t : m.transactions) {
    auto& r = it->second.reports[t.trans];
    r.nodes.insert(from);
    if (t.committed && !r.committed) r.gci = t.gci;
    r.committed = r.committed || t.committed;
  }
  it->second.awaiting.erase(from);
  if (it->second.awaiting.empty()) decide_takeover(m.failed_tc);
}

void Tc::decide_takeover(uint32_t failed_tc) {
  auto it = takeovers_.find(failed_tc);
  if (it == takeovers_.end()) return;
  auto reports = std::move(it->second.reports);
  takeovers_.erase(it);
  for (auto& [id, report] : reports) {
    if (trans_.count(id)) continue;
    Trans& t = trans_[id];
    t.id = id;
    t.api_node = 0;
    t.participants = report.nodes;
    if (report.committed) {
      // Some replica committed: the decision was commit, so finish it with
      // the GCI it already carries there (NDB keeps the transaction's GCI:
      // a system restart to any GCI has all of it or none).
      t.takeover_gci = report.gci;
      start_commit(t);
    } else {
      t.phase = Phase::kAborting;
      t.error = err::kNodeFailureAbort;
      send_abort(t);
      if (t.awaiting.empty()) finish(id, TransState::kAborted);
    }
  }
}

void Tc::on(uint32_t, const ApiScanReq& m) {
  auto table = dict_.find(m.table_id);
  uint32_t error = 0;
  if (!table) {
    error = err::kNoSuchTable;
  } else if (!check_scan(*table, m.spec).empty()) {
    error = err::kBadRequest;
  }
  if (error) {
    peers_.send(m.api_node, ApiScanBatch{m.scan, {}, true, error});
    return;
  }
  const uint64_t ref = ++scan_seq_;
  Scan& s = scans_[ref];
  s.api_node = m.api_node;
  s.scan = m.scan;
  s.table_id = m.table_id;
  s.fragments.resize(std::max<uint32_t>(1, table->fragments));
  s.spec = m.spec;
  s.merge = m.spec.index_id.has_value();
  pump(ref);
}

bool Tc::request_fragment(uint64_t ref, uint32_t fragment) {
  Scan& s = scans_[ref];
  ScanFragment& f = s.fragments[fragment];
  f.node = dist_.read_replica(fragment, self_);
  if (f.node == 0) {
    scan_done(ref, err::kNodeFailureAbort);
    return false;
  }
  f.fetching = true;
  peers_.send(f.node, ScanFragReq{ref, s.table_id, fragment, s.spec, f.cursor});
  return true;
}

namespace {

size_t string_bytes(const Row& row) {
  size_t bytes = 0;
  for (const auto& v : row)
    if (const auto* str = std::get_if<std::string>(&v)) bytes += str->size();
  return bytes;
}

}  // namespace

void Tc::on(uint32_t from, ScanFragConf& m) {
  auto it = scans_.find(m.scan_ref);
  if (it == scans_.end()) return;
  Scan& s = it->second;
  if (m.fragment >= s.fragments.size()) return;
  ScanFragment& f = s.fragments[m.fragment];
  if (!f.fetching || from != f.node) return;  // from a replica that has since died
  f.fetching = false;
  if (m.error) {
    scan_done(m.scan_ref, m.error);
    return;
  }
  if (s.merge) {
    s.buffer.insert(s.buffer.end(), std::make_move_iterator(m.batch.rows.begin()),
                    std::make_move_iterator(m.batch.rows.end()));
  } else if (!m.batch.rows.empty()) {
    f.ready.push_back(std::move(m.batch.rows));
  }
  if (!m.batch.done) {
    f.cursor = m.batch.cursor;
  } else {
    f.cursor.clear();
    f.done = true;
  }
  if (s.merge && !s.sorted &&
      std::all_of(s.fragments.begin(), s.fragments.end(), [](const ScanFragment& x) { return x.done; })) {
    auto table = dict_.find(s.table_id);
    const Index* ix = table ? table->index(*s.spec.index_id) : nullptr;
    if (ix) {
      std::vector<uint32_t> order = ix->columns;
      order.insert(order.end(), table->primary_key.begin(), table->primary_key.end());
      std::stable_sort(s.buffer.begin(), s.buffer.end(), [&](const Row& a, const Row& b) {
        for (uint32_t c : order) {
          int r = compare_values(table->columns[c], a[c], b[c]);
          if (r != 0) return s.spec.descending ? r > 0 : r < 0;
        }
        return false;
      });
    }
    // batches of batch_rows rows, or fewer when they add up to a frame's worth
    const size_t batch = std::max<uint32_t>(1, s.spec.batch_rows);
    for (size_t i = 0; i < s.buffer.size();) {
      size_t end = i, bytes = 0;
      while (end < s.buffer.size() && end - i < batch && (end == i || bytes < Fragment::kBatchBytes)) {
        bytes += string_bytes(s.buffer[end]);
        ++end;
      }
      s.ready.emplace_back(std::make_move_iterator(s.buffer.begin() + static_cast<std::ptrdiff_t>(i)),
                           std::make_move_iterator(s.buffer.begin() + static_cast<std::ptrdiff_t>(end)));
      i = end;
    }
    s.buffer.clear();
    s.sorted = true;
  }
  pump(m.scan_ref);
}

bool Tc::all_handed_on(Scan& s) {
  while (s.next < s.fragments.size() && s.fragments[s.next].done && s.fragments[s.next].ready.empty()) ++s.next;
  return s.next >= s.fragments.size();
}

bool Tc::worth_handing_on(Scan& s) {
  bool in_flight = false;
  for (const auto& f : s.fragments) in_flight = in_flight || f.fetching;
  if (!in_flight) return true;
  // Rows the API could have now, in order. Hand them on only when they fill
  // a batch anyway; else wait for the answers in flight, so the few rows
  // of a short range on many fragments go as one (final) batch.
  size_t rows = 0;
  for (uint32_t f = s.next; f < s.fragments.size(); ++f) {
    for (const auto& b : s.fragments[f].ready) rows += b.size();
    if (!s.fragments[f].done) break;  // its later rows come before the next fragment's
  }
  return rows >= std::max<uint32_t>(1, s.spec.batch_rows);
}

std::vector<Row> Tc::gather_batch(Scan& s) {
  std::vector<Row> rows;
  size_t bytes = 0;
  const size_t limit = std::max<uint32_t>(1, s.spec.batch_rows);
  while (!all_handed_on(s)) {
    auto& ready = s.fragments[s.next].ready;
    if (ready.empty()) break;  // the fragment's next batch is not here yet
    size_t more = 0;
    for (const auto& r : ready.front()) more += string_bytes(r);
    if (!rows.empty() && (rows.size() + ready.front().size() > limit || bytes + more > Fragment::kBatchBytes)) break;
    for (auto& r : ready.front()) rows.push_back(std::move(r));
    bytes += more;
    ready.pop_front();
  }
  return rows;
}

void Tc::pump(uint64_t ref) {
  auto it = scans_.find(ref);
  if (it == scans_.end()) return;
  Scan& s = it->second;
  if (!s.api_holds) {
    std::vector<Row> rows;
    if (s.merge) {
      if (s.sorted && !s.ready.empty()) {
        rows = std::move(s.ready.front());
        s.ready.pop_front();
      }
    } else if (worth_handing_on(s)) {
      rows = gather_batch(s);
    }
    const bool finished = s.merge ? s.sorted && s.ready.empty() : all_handed_on(s);
    // The last batch says so itself: the API need not ask for an empty one.
    if (finished) {
      peers_.send(s.api_node, ApiScanBatch{s.scan, std::move(rows), true, 0});
      scans_.erase(it);
      return;
    }
    if (!rows.empty()) {
      peers_.send(s.api_node, ApiScanBatch{s.scan, std::move(rows), false, 0});
      s.api_holds = true;
    }
  }
  // Every fragment reads ahead one batch while the API works on the last;
  // a merge scan must see every fragment before its first row is known.
  for (uint32_t f = 0; f < s.fragments.size(); ++f) {
    const ScanFragment& frag = s.fragments[f];
    if (frag.fetching || frag.done || (!s.merge && !frag.ready.empty())) continue;
    if (!request_fragment(ref, f)) return;
  }
}

uint64_t Tc::find_scan(uint32_t api_node, uint32_t scan) const {
  for (const auto& [ref, s] : scans_)
    if (s.api_node == api_node && s.scan == scan) return ref;
  return 0;
}

void Tc::on(uint32_t, const ApiScanNextReq& m) {
  const uint64_t ref = find_scan(m.api_node, m.scan);
  if (ref == 0) return;
  if (m.close) {
    scan_done(ref, 0);
    return;
  }
  scans_[ref].api_holds = false;
  pump(ref);
}

void Tc::scan_done(uint64_t ref, uint32_t error) {
  auto it = scans_.find(ref);
  if (it == scans_.end()) return;
  peers_.send(it->second.api_node, ApiScanBatch{it->second.scan, {}, true, error});
  scans_.erase(it);
}

}  // namespace halb::cluster::engine
