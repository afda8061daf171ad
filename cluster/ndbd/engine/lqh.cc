// cluster/ndbd/engine/lqh.cc: participant message handling (see lqh.h).
#include "cluster/ndbd/engine/lqh.h"

#include <algorithm>

#include "cluster/ndbd/engine/error.h"
#include "cluster/ndbd/engine/wait_graph.h"

namespace halb::cluster::engine {

Fragment& Lqh::add_fragment(std::shared_ptr<const Table> table, uint32_t fragment) {
  auto key = std::make_pair(table->id, fragment);
  auto& slot = fragments_[key];
  if (!slot) {
    slot = std::make_unique<Fragment>(std::move(table), fragment, data_, index_);
    slot->set_change_sink(sink_);
  }
  return *slot;
}

void Lqh::set_change_sink(ChangeSink* sink) {
  sink_ = sink;
  for (auto& [key, f] : fragments_) f->set_change_sink(sink);
}

void Lqh::drop_table(uint32_t table_id) {
  for (auto it = fragments_.begin(); it != fragments_.end();)
    it = it->first.first == table_id ? fragments_.erase(it) : std::next(it);
}

Fragment* Lqh::fragment(uint32_t table_id, uint32_t fragment) {
  auto it = fragments_.find({table_id, fragment});
  return it == fragments_.end() ? nullptr : it->second.get();
}

void Lqh::on(uint32_t from, const LqhKeyReq& m, uint64_t now_ms) {
  const uint32_t tc = tc_node_of(m.op.trans);
  if (failed_.count(tc)) return;  // its successor aborts or commits what is already here
  Fragment* f = fragment(m.table_id, m.fragment);
  if (!f) {
    peers_.send(tc, LqhKeyRef{OpResult{m.op.trans, m.op.op_id, err::kNoSuchTable, std::nullopt, false}});
    return;
  }
  const bool committed_read = m.op.type == OpType::kRead && m.op.lock == LockMode::kCommitted;
  if (refuse_writes_ && m.op.type != OpType::kRead) {
    peers_.send(tc, LqhKeyRef{OpResult{m.op.trans, m.op.op_id, refuse_writes_, std::nullopt, false}});
    return;
  }
  if (!committed_read) {
    if (operations_ >= max_operations_) {
      peers_.send(tc, LqhKeyRef{OpResult{m.op.trans, m.op.op_id, err::kLqhOutOfOperations, std::nullopt, false}});
      return;
    }
    TransRecord& rec = trans_[m.op.trans];
    rec.fragments.insert({m.table_id, m.fragment});
    ++rec.operations;
    ++operations_;
  }
  auto r = f->execute(m.op, now_ms);
  if (!r) {
    queued_[{m.op.trans, m.op.op_id}] = m;
    return;
  }
  finish(m, *r);
}

void Lqh::finish(const LqhKeyReq& req, const OpResult& r) {
  const uint32_t tc = tc_node_of(req.op.trans);
  if (r.error != 0) {
    peers_.send(tc, LqhKeyRef{r});
    return;
  }
  const bool write = req.op.type != OpType::kRead;
  if (write && req.chain_pos + 1 < req.chain.size()) {
    // The backups apply the primary's decision: the full after-image (or
    // the delete), not the request, so every replica ends up equal.
    LqhKeyReq next = req;
    next.chain_pos = req.chain_pos + 1;
    next.op.set.clear();
    if (r.row)
      for (uint32_t c = 0; c < r.row->size(); ++c) next.op.set.emplace_back(c, (*r.row)[c]);
    if (next.op.type == OpType::kInsert || next.op.type == OpType::kUpdate) next.op.type = OpType::kWrite;
    peers_.send(req.chain[next.chain_pos], std::move(next));
    return;
  }
  OpResult out = r;
  if (write) out.row.reset();  // the API needs no after-image
  peers_.send(tc, LqhKeyConf{std::move(out)});
}

void Lqh::drain() {
  for (auto& [key, f] : fragments_) {
    for (auto& r : f->take_completions()) {
      auto q = queued_.find({r.trans, r.op_id});
      if (q == queued_.end()) continue;
      LqhKeyReq req = std::move(q->second);
      queued_.erase(q);
      finish(req, r);
    }
  }
}

void Lqh::release(TransRecord& rec) {
  operations_ -= std::min(operations_, rec.operations);
  rec.operations = 0;
}

void Lqh::on(uint32_t from, const CommitReq& m) {
  if (failed_.count(from)) return;  // see TakeoverReq: only the successor decides now
  auto it = trans_.find(m.trans);
  if (it != trans_.end()) {
    // Fragments already committed through their chains are left as they
    // are (commit is idempotent); the rest commit now.
    for (const auto& [table, frag] : it->second.fragments)
      if (Fragment* f = fragment(table, frag)) f->commit(m.trans, m.gci);
    if (!it->second.committed) it->second.gci = m.gci;
    it->second.committed = true;
    release(it->second);
  }
  peers_.send(from, CommitConf{m.trans});
  drain();
}

void Lqh::on(uint32_t, const CommitFragReq& m) {
  if (failed_.count(m.tc)) return;  // see TakeoverReq: only the successor decides now
  auto it = trans_.find(m.trans);
  if (it != trans_.end()) {
    if (Fragment* f = fragment(m.table_id, m.fragment)) f->commit(m.trans, m.gci);
    if (!it->second.committed) it->second.gci = m.gci;
    it->second.committed = true;
    release(it->second);
  }
  if (m.chain_pos > 0 && m.chain_pos <= m.chain.size()) {
    CommitFragReq next = m;
    --next.chain_pos;
    peers_.send(m.chain[next.chain_pos], std::move(next));
  } else {
    peers_.send(m.tc, CommitFragConf{m.trans, m.table_id, m.fragment});
  }
  drain();
}

void Lqh::on(uint32_t from, const CompleteReq& m) {
  if (failed_.count(from)) return;
  trans_.erase(m.trans);
}

void Lqh::on(uint32_t from, const AbortReq& m) {
  if (failed_.count(from)) return;  // see TakeoverReq: only the successor decides now
  auto it = trans_.find(m.trans);
  if (it != trans_.end() && !it->second.committed) {
    for (const auto& [table, frag] : it->second.fragments)
      if (Fragment* f = fragment(table, frag)) f->abort(m.trans);
    release(it->second);
    trans_.erase(it);
  }
  for (auto q = queued_.begin(); q != queued_.end();)
    q = q->first.first == m.trans ? queued_.erase(q) : std::next(q);
  peers_.send(from, AbortConf{m.trans});
  drain();
}

void Lqh::on(uint32_t from, const ScanFragReq& m) {
  ScanFragConf conf;
  conf.scan_ref = m.scan_ref;
  conf.fragment = m.fragment;
  if (Fragment* f = fragment(m.table_id, m.fragment)) {
    conf.batch = f->scan(m.spec, m.cursor);
    conf.error = conf.batch.error;
  } else {
    conf.error = err::kNoSuchTable;
    conf.batch.done = true;
  }
  peers_.send(from, std::move(conf));
}

void Lqh::on(uint32_t from, const TakeoverReq& m) {
  // The successor asks only about a coordinator it saw die. This node may
  // not have noticed yet, and that coordinator's last requests may still be
  // on their way here: refuse them from now on, or one prepared after this
  // report would keep its locks for ever (every later writer of the row
  // then fails with 266).
  failed_.insert(m.failed_tc);
  TakeoverConf conf;
  conf.failed_tc = m.failed_tc;
  for (const auto& [t, rec] : trans_)
    if (tc_node_of(t) == m.failed_tc) conf.transactions.push_back({t, rec.committed, rec.gci});
  // Operations of the dead coordinator still queued behind locks will never
  // be answered; the successor's commit or abort settles what they hold.
  for (auto q = queued_.begin(); q != queued_.end();)
    q = tc_node_of(q->first.first) == m.failed_tc ? queued_.erase(q) : std::next(q);
  peers_.send(from, std::move(conf));
}

void Lqh::on(uint32_t from, const CopyFragReq& m) {
  CopyFragConf conf;
  conf.table_id = m.table_id;
  conf.fragment = m.fragment;
  if (Fragment* f = fragment(m.table_id, m.fragment)) {
    conf.batch = f->copy_rows(m.cursor, m.max_rows, m.since_gci);
  } else {
    conf.error = err::kNoSuchTable;
    conf.batch.done = true;
  }
  peers_.send(from, std::move(conf));
}

void Lqh::tick(uint64_t now_ms) {
  for (auto& [key, f] : fragments_) f->expire_waits(now_ms, deadlock_timeout_ms_);
  drain();
}

std::vector<WaitEdge> Lqh::wait_edges(uint64_t now_ms, uint64_t min_wait_ms) const {
  std::vector<WaitEdge> out;
  if (queued_.empty()) return out;
  for (const auto& [key, f] : fragments_) f->wait_edges(now_ms, min_wait_ms, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > DeadlockDetector::kMaxEdges) out.resize(DeadlockDetector::kMaxEdges);
  return out;
}

void Lqh::fail_waits_of(TransId t) {
  for (auto& [key, f] : fragments_) f->fail_waits_of(t, err::kDeadlockVictim);
  drain();
}

}  // namespace halb::cluster::engine
