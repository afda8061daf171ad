// cluster/ndbd/engine/tc.cc: the transaction coordinator (see tc.h).
#include "cluster/ndbd/engine/tc.h"

#include <algorithm>

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

void Tc::route(Trans& t, const ApiOp& op, uint32_t index) {
  OpResult& res = t.results[index];
  res.trans = t.id;
  auto table = dict_.find(op.table_id);
  if (!table) {
    res.error = t.error = err::kNoSuchTable;
    return;
  }
  std::vector<Value> key = op.key;
  if (table->hidden_key && key.empty() && op.type == OpType::kInsert)
    key.emplace_back(std::in_place_type<uint64_t>, (static_cast<uint64_t>(self_) << 48) | ++hidden_key_seq_);
  if (key.size() != table->primary_key.size()) {
    res.error = t.error = err::kBadRequest;
    return;
  }
  for (size_t i = 0; i < key.size(); ++i)
    if (uint32_t e = check_value(table->columns[table->primary_key[i]], key[i])) {
      res.error = t.error = e;
      return;
    }
  const uint32_t fragment =
      fragment_of_key(encode_key_values(*table, table->primary_key, key), std::max<uint32_t>(1, table->fragments));
  std::vector<uint32_t> chain;
  if (op.type == OpType::kRead) {
    if (uint32_t p = dist_.primary(fragment)) chain.push_back(p);
  } else {
    chain = dist_.write_chain(fragment);
  }
  if (chain.empty()) {
    res.error = t.error = err::kNodeFailureAbort;
    return;
  }
  const uint32_t op_id = ++op_seq_;
  res.op_id = op_id;
  if (!(op.type == OpType::kRead && op.lock == LockMode::kCommitted))
    t.participants.insert(chain.begin(), chain.end());
  t.ops[op_id] = PendingOp{index, chain, false};
  ++t.outstanding;
  LqhKeyReq req;
  req.op = KeyOp{t.id, op_id, op.type, op.type == OpType::kRead ? op.lock : LockMode::kExclusive, std::move(key),
                 op.set};
  req.table_id = op.table_id;
  req.fragment = fragment;
  req.chain = chain;
  req.chain_pos = 0;
  peers_.send(chain.front(), std::move(req));
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

void Tc::on(uint32_t, const LqhKeyConf& m) {
  auto it = trans_.find(m.result.trans);
  if (it == trans_.end()) return;
  auto op = it->second.ops.find(m.result.op_id);
  if (op == it->second.ops.end() || op->second.answered) return;
  op->second.answered = true;
  --it->second.outstanding;
  it->second.results[op->second.index] = m.result;
  progress(it->first);
}

void Tc::on(uint32_t, const LqhKeyRef& m) {
  auto it = trans_.find(m.result.trans);
  if (it == trans_.end()) return;
  Trans& t = it->second;
  auto op = t.ops.find(m.result.op_id);
  if (op == t.ops.end() || op->second.answered) return;
  op->second.answered = true;
  --t.outstanding;
  t.results[op->second.index] = m.result;
  if (t.error == 0) t.error = m.result.error;
  if (t.phase == Phase::kExecuting || t.phase == Phase::kOpen) t.phase = Phase::kAborting;
  progress(it->first);
}

void Tc::progress(TransId id) {
  auto it = trans_.find(id);
  if (it == trans_.end()) return;
  Trans& t = it->second;
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
      if (t.awaiting.empty()) finish(id, TransState::kCommitted);
      return;
    case Phase::kOpen:
      return;
  }
}

void Tc::start_commit(Trans& t) {
  t.phase = Phase::kCommitting;
  for (uint32_t n : t.participants)
    if (dist_.state(n) != NodeState::kDead) t.awaiting.insert(n);
  for (uint32_t n : t.awaiting) peers_.send(n, CommitReq{t.id, gci_});
  if (t.awaiting.empty()) finish(t.id, TransState::kCommitted);
}

void Tc::send_abort(Trans& t) {
  t.abort_sent = true;
  for (uint32_t n : t.participants)
    if (dist_.state(n) != NodeState::kDead) t.awaiting.insert(n);
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
    progress(id);
  }
  std::vector<uint64_t> refs;
  for (auto& [ref, s] : scans_)
    if (s.node == node) refs.push_back(ref);
  // Scans read committed rows by cursor, so another replica resumes them.
  for (uint64_t ref : refs) request_fragment(ref);
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
    r.first.insert(from);
    r.second = r.second || t.committed;
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
    t.participants = report.first;
    if (report.second) {
      // Some replica committed: the decision was commit, so finish it.
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
  } else if (!check_filter(*table, m.spec.filter).empty() ||
             (m.spec.index_id && (!table->index(*m.spec.index_id) ||
                                  table->index(*m.spec.index_id)->kind != IndexKind::kOrdered))) {
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
  s.fragments = std::max<uint32_t>(1, table->fragments);
  s.spec = m.spec;
  s.merge = m.spec.index_id.has_value();
  request_fragment(ref);
}

void Tc::request_fragment(uint64_t ref) {
  Scan& s = scans_[ref];
  s.node = dist_.primary(s.fragment);
  if (s.node == 0) {
    scan_done(ref, err::kNodeFailureAbort);
    return;
  }
  peers_.send(s.node, ScanFragReq{ref, s.table_id, s.fragment, s.spec, s.cursor});
}

void Tc::on(uint32_t from, const ScanFragConf& m) {
  auto it = scans_.find(m.scan_ref);
  if (it == scans_.end()) return;
  Scan& s = it->second;
  if (m.fragment != s.fragment || from != s.node) return;  // from a replica that has since died
  if (m.error) {
    scan_done(m.scan_ref, m.error);
    return;
  }
  if (s.merge) {
    s.buffer.insert(s.buffer.end(), m.batch.rows.begin(), m.batch.rows.end());
  } else if (!m.batch.rows.empty()) {
    peers_.send(s.api_node, ApiScanBatch{s.scan, m.batch.rows, false, 0});
  }
  if (!m.batch.done) {
    s.cursor = m.batch.cursor;
    request_fragment(m.scan_ref);
    return;
  }
  s.cursor.clear();
  if (++s.fragment < s.fragments) {
    request_fragment(m.scan_ref);
    return;
  }
  scan_done(m.scan_ref, 0);
}

void Tc::scan_done(uint64_t ref, uint32_t error) {
  auto it = scans_.find(ref);
  if (it == scans_.end()) return;
  Scan& s = it->second;
  if (s.merge && error == 0) {
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
    const size_t batch = std::max<uint32_t>(1, s.spec.batch_rows);
    for (size_t i = 0; i < s.buffer.size(); i += batch) {
      std::vector<Row> rows(s.buffer.begin() + static_cast<std::ptrdiff_t>(i),
                            s.buffer.begin() + static_cast<std::ptrdiff_t>(std::min(s.buffer.size(), i + batch)));
      peers_.send(s.api_node, ApiScanBatch{s.scan, std::move(rows), false, 0});
    }
  }
  peers_.send(s.api_node, ApiScanBatch{s.scan, {}, true, error});
  scans_.erase(it);
}

}  // namespace halb::cluster::engine
