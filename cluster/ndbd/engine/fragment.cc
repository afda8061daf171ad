// cluster/ndbd/engine/fragment.cc: rows, locks, prepared changes, indexes
// and scans of one fragment replica (see fragment.h).
#include "cluster/ndbd/engine/fragment.h"

#include <algorithm>

#include "cluster/ndbd/engine/error.h"

namespace halb::cluster::engine {

namespace {
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0 && s.size() >= p.size(); }

std::vector<uint32_t> prefix_of(const std::vector<uint32_t>& cols, size_t n) {
  return std::vector<uint32_t>(cols.begin(), cols.begin() + static_cast<std::ptrdiff_t>(std::min(n, cols.size())));
}

// Writes and exclusive reads hold a row alone; shared reads share it.
bool wants_exclusive(const KeyOp& op) { return op.type != OpType::kRead || op.lock == LockMode::kExclusive; }
}  // namespace

Fragment::Fragment(std::shared_ptr<const Table> table, uint32_t fragment_id, PagePool& data, PagePool& index)
    : table_(std::move(table)),
      id_(fragment_id),
      layout_(*table_),
      data_pool_(data),
      index_pool_(index),
      slots_(data, layout_.fixed_bytes() + kRowHeaderBytes),
      var_pages_(data),
      ordered_pages_(data),
      index_pages_(index) {
  for (const auto& i : table_->indexes)
    if (i.kind == IndexKind::kOrdered) ordered_[i.id];
  ordered_count_ = ordered_.size();
}

Fragment::~Fragment() = default;  // the page holders give every page back

uint32_t Fragment::index_entry_bytes(const std::string& key_bytes) const {
  return align4(static_cast<uint32_t>(key_bytes.size()) + kIndexEntryOverhead);
}

bool Fragment::holds_lock(const Entry& e, TransId t) const {
  if (!e.locks) return false;
  const Locks& l = *e.locks;
  return l.x_holder == t || std::find(l.s_holders.begin(), l.s_holders.end(), t) != l.s_holders.end();
}

bool Fragment::can_grant(const Entry& e, TransId t, bool exclusive, bool queue_fair) const {
  if (!e.locks) return true;
  const Locks& l = *e.locks;
  if (l.x_holder != 0) return l.x_holder == t;
  const bool holder = holds_lock(e, t);
  // A newcomer does not overtake queued requests, so writers are not starved.
  if (queue_fair && !holder && !l.waiters.empty()) return false;
  if (!exclusive) return true;
  return l.s_holders.empty() || (l.s_holders.size() == 1 && l.s_holders.front() == t);
}

void Fragment::take_lock(Entry& e, TransId t, bool exclusive) {
  if (!e.locks) e.locks = std::make_unique<Locks>();
  Locks& l = *e.locks;
  if (exclusive) {
    l.x_holder = t;
    l.s_holders.erase(std::remove(l.s_holders.begin(), l.s_holders.end(), t), l.s_holders.end());
  } else if (l.x_holder != t && std::find(l.s_holders.begin(), l.s_holders.end(), t) == l.s_holders.end()) {
    l.s_holders.push_back(t);
  }
}

void Fragment::release_lock(Entry& e, TransId t) {
  if (!e.locks) return;
  Locks& l = *e.locks;
  if (l.x_holder == t) l.x_holder = 0;
  l.s_holders.erase(std::remove(l.s_holders.begin(), l.s_holders.end(), t), l.s_holders.end());
}

std::vector<Value> Fragment::key_of(const std::string& bytes) const {
  Row row = layout_.decode(bytes);
  std::vector<Value> key;
  key.reserve(table_->primary_key.size());
  for (uint32_t k : table_->primary_key) key.push_back(std::move(row[k]));
  return key;
}

std::optional<OpResult> Fragment::execute(const KeyOp& op, uint64_t now_ms) {
  const Table& t = *table_;
  OpResult res{op.trans, op.op_id, 0, std::nullopt, false};
  if (op.type < OpType::kRead || op.type > OpType::kDelete || op.lock > LockMode::kExclusive ||
      op.key.size() != t.primary_key.size()) {
    res.error = err::kBadRequest;
    return res;
  }
  for (size_t i = 0; i < op.key.size(); ++i)
    if (uint32_t e = check_value(t.columns[t.primary_key[i]], op.key[i])) {
      res.error = e;
      return res;
    }
  if (op.type == OpType::kRead && op.lock == LockMode::kCommitted) {
    res.row = read_committed(op.key);
    if (!res.row) res.error = err::kTupleNotFound;
    return res;
  }
  const std::string key = encode_key_values(t, t.primary_key, op.key);
  Entry& e = rows_[key];
  const bool exclusive = wants_exclusive(op);
  trans_keys_[op.trans].insert(key);
  if (!can_grant(e, op.trans, exclusive, true)) {
    if (!e.locks) e.locks = std::make_unique<Locks>();
    e.locks->waiters.push_back(Waiter{op, now_ms});
    waiting_keys_.insert(key);
    return std::nullopt;
  }
  const bool had_lock = holds_lock(e, op.trans);
  take_lock(e, op.trans, exclusive);
  res = run_locked(e, op);
  if (res.error != 0 && !had_lock) {
    release_lock(e, op.trans);
    grant_waiters(key);
    cleanup(key);
  }
  return res;
}

OpResult Fragment::run_locked(Entry& e, const KeyOp& op) {
  const Table& t = *table_;
  OpResult res{op.trans, op.op_id, 0, std::nullopt, false};
  Locks& l = *e.locks;  // the caller took a lock
  const bool own_pending = l.pending != Pending::kNone && l.x_holder == op.trans;
  const Stored* visible = own_pending ? (l.pending == Pending::kImage ? &*l.pending_image : nullptr)
                                      : (e.committed ? &*e.committed : nullptr);
  OpType type = op.type;
  if (type == OpType::kWrite) type = visible ? OpType::kUpdate : OpType::kInsert;
  if (copying_) {
    // A replica being filled by copy may not have the row a forwarded write
    // expects, or already have one a forwarded insert creates: the primary
    // decided, so apply its after-image.
    if (type == OpType::kInsert && visible) type = OpType::kUpdate;
    if (type == OpType::kUpdate && !visible) type = OpType::kInsert;
  }

  if (type == OpType::kRead) {
    if (!visible) {
      res.error = err::kTupleNotFound;
      return res;
    }
    res.row = layout_.decode(visible->bytes);
    return res;
  }
  if (type == OpType::kDelete) {
    if (!visible && !copying_) {
      res.error = err::kTupleNotFound;
      return res;
    }
    if (l.pending_image) free_stored(*l.pending_image);
    l.pending_image.reset();
    l.pending = Pending::kDeleted;
    res.deleted = true;
    return res;
  }
  if (type == OpType::kInsert && visible) {
    res.error = err::kTupleExists;
    return res;
  }
  if (type == OpType::kUpdate && !visible) {
    res.error = err::kTupleNotFound;
    return res;
  }
  Row row = visible ? layout_.decode(visible->bytes) : Row(t.columns.size());
  for (size_t i = 0; i < t.primary_key.size(); ++i) {
    for (const auto& [col, v] : op.set)
      if (col == t.primary_key[i] && compare_values(t.columns[col], v, op.key[i]) != 0) {
        res.error = err::kBadRequest;  // the primary key is not updatable
        return res;
      }
    row[t.primary_key[i]] = op.key[i];
  }
  for (const auto& [col, v] : op.set) {
    if (col >= t.columns.size()) {
      res.error = err::kBadRequest;
      return res;
    }
    if (uint32_t ec = check_value(t.columns[col], v)) {
      res.error = ec;
      return res;
    }
    row[col] = v;
  }
  for (size_t c = 0; c < t.columns.size(); ++c)
    if (is_null(row[c]) && !t.columns[c].nullable) {
      res.error = err::kNullNotAllowed;
      return res;
    }
  Stored st;
  if (uint32_t ec = make_stored(row, e.index_page == kNoPage, e, st)) {
    res.error = ec;
    return res;
  }
  if (l.pending_image) free_stored(*l.pending_image);
  l.pending_image = std::move(st);
  l.pending = Pending::kImage;
  res.row = std::move(row);
  return res;
}

uint32_t Fragment::make_stored(const Row& row, bool charge_index, Entry& e, Stored& out) {
  std::string bytes = layout_.encode(row);
  const uint32_t var = layout_.var_bytes(bytes);
  if (var > 0 && !var_pages_.pages_needed(var)) return err::kAttributeBad;
  const std::string key = encode_key(*table_, table_->primary_key, row);
  std::vector<uint32_t> entry_bytes;  // one ordered index entry per ordered index
  for (const auto& [id, idx] : ordered_) {
    const uint32_t b = align4(static_cast<uint32_t>(encode_key(*table_, table_->index(id)->columns, row).size() +
                                                    key.size()) + kOrderedEntryOverhead);
    if (!ordered_pages_.pages_needed(b)) return err::kAttributeBad;
    entry_bytes.push_back(b);
  }
  if (charge_index && !index_pages_.pages_needed(index_entry_bytes(key))) return err::kBadRequest;
  // Take every piece; if one does not fit, give back what was taken, so a
  // refused row leaves no trace in either pool.
  Stored st;
  auto rollback = [&](uint32_t error) {
    free_stored(st);
    return error;
  };
  auto slot = slots_.alloc();
  if (!slot) return err::kDataMemoryFull;
  st.slot = *slot;
  st.bytes = std::move(bytes);
  if (var > 0) {
    st.var_page = var_pages_.alloc(var);
    if (!st.var_page) return rollback(err::kDataMemoryFull);
  }
  if (!entry_bytes.empty()) {
    st.ordered_chunks = std::make_unique<std::pair<uint32_t, uint32_t>[]>(entry_bytes.size());
    for (size_t i = 0; i < entry_bytes.size(); ++i) {
      auto page = ordered_pages_.alloc(entry_bytes[i]);
      if (!page) return rollback(err::kDataMemoryFull);
      st.ordered_chunks[i] = {*page, entry_bytes[i]};
    }
  }
  if (charge_index) {
    auto page = index_pages_.alloc(index_entry_bytes(key));
    if (!page) return rollback(err::kIndexMemoryFull);
    e.index_page = *page;
  }
  out = std::move(st);
  return 0;
}

void Fragment::free_stored(Stored& s) {
  slots_.free(s.slot);
  if (s.var_page) var_pages_.free(*s.var_page, layout_.var_bytes(s.bytes));
  s.var_page.reset();
  if (s.ordered_chunks)
    for (size_t i = 0; i < ordered_count_; ++i) {
      // A chunk of 0 bytes: rolled back before its page was taken.
      auto [page, bytes] = s.ordered_chunks[i];
      if (bytes) ordered_pages_.free(page, bytes);
    }
  s.ordered_chunks.reset();
}

void Fragment::index_add(const std::string& pk, const Row& row) {
  for (auto& [id, idx] : ordered_) idx.emplace(encode_key(*table_, table_->index(id)->columns, row) + pk, pk);
}

void Fragment::index_remove(const std::string& pk, const Row& row) {
  for (auto& [id, idx] : ordered_) idx.erase(encode_key(*table_, table_->index(id)->columns, row) + pk);
}

void Fragment::commit(TransId t, uint64_t gci) {
  auto tk = trans_keys_.find(t);
  if (tk == trans_keys_.end()) return;
  std::set<std::string> keys = std::move(tk->second);
  trans_keys_.erase(tk);
  for (const auto& key : keys) {
    auto it = rows_.find(key);
    if (it == rows_.end()) continue;
    Entry& e = it->second;
    if (!e.locks) {
      cleanup(key);
      continue;
    }
    Locks& l = *e.locks;
    if (l.x_holder == t && l.pending != Pending::kNone) {
      // A row's stamp never goes back, whatever stamp a coordinator sends:
      // node restart copy relies on it to tell newer from older.
      if (e.committed) gci = std::max(gci, e.committed->gci);
      const bool had_row = e.committed.has_value();
      if (e.committed) {
        index_remove(key, layout_.decode(e.committed->bytes));
        free_stored(*e.committed);
        e.committed.reset();
        --committed_rows_;
      }
      // A copy batch read before this delete may still be on its way: the
      // tombstone keeps it from bringing the row back.
      if (copying_ && l.pending == Pending::kDeleted) tombstones_.insert(key);
      if (l.pending == Pending::kImage) {
        e.committed = std::move(l.pending_image);
        e.committed->gci = gci;
        Row image = layout_.decode(e.committed->bytes);
        index_add(key, image);
        ++committed_rows_;
        if (sink_)
          sink_->on_commit(RowChange{gci, table_->id, table_->version, id_,
                                     had_row ? ChangeOp::kUpdate : ChangeOp::kInsert, key, &image});
      } else if (sink_ && had_row) {
        sink_->on_commit(RowChange{gci, table_->id, table_->version, id_, ChangeOp::kDelete, key, nullptr});
      }
      l.pending_image.reset();
      l.pending = Pending::kNone;
    }
    l.waiters.erase(std::remove_if(l.waiters.begin(), l.waiters.end(), [t](const Waiter& w) { return w.op.trans == t; }),
                    l.waiters.end());
    release_lock(e, t);
    grant_waiters(key);
    cleanup(key);
  }
}

void Fragment::abort(TransId t) {
  auto tk = trans_keys_.find(t);
  if (tk == trans_keys_.end()) return;
  std::set<std::string> keys = std::move(tk->second);
  trans_keys_.erase(tk);
  for (const auto& key : keys) {
    auto it = rows_.find(key);
    if (it == rows_.end()) continue;
    Entry& e = it->second;
    if (!e.locks) {
      cleanup(key);
      continue;
    }
    Locks& l = *e.locks;
    if (l.x_holder == t && l.pending != Pending::kNone) {
      if (l.pending_image) free_stored(*l.pending_image);
      l.pending_image.reset();
      l.pending = Pending::kNone;
    }
    l.waiters.erase(std::remove_if(l.waiters.begin(), l.waiters.end(), [t](const Waiter& w) { return w.op.trans == t; }),
                    l.waiters.end());
    release_lock(e, t);
    grant_waiters(key);
    cleanup(key);
  }
}

void Fragment::grant_waiters(const std::string& key) {
  auto it = rows_.find(key);
  if (it == rows_.end()) return;
  Entry& e = it->second;
  if (!e.locks) {
    waiting_keys_.erase(key);
    return;
  }
  Locks& l = *e.locks;
  while (!l.waiters.empty()) {
    const Waiter& w = l.waiters.front();
    const bool exclusive = wants_exclusive(w.op);
    if (!can_grant(e, w.op.trans, exclusive, false)) break;
    KeyOp op = std::move(l.waiters.front().op);
    l.waiters.erase(l.waiters.begin());
    const bool had = holds_lock(e, op.trans);
    take_lock(e, op.trans, exclusive);
    OpResult r = run_locked(e, op);
    if (r.error != 0 && !had) release_lock(e, op.trans);
    completions_.push_back(std::move(r));
  }
  if (l.waiters.empty()) waiting_keys_.erase(key);
}

void Fragment::cleanup(const std::string& key) {
  auto it = rows_.find(key);
  if (it == rows_.end()) return;
  Entry& e = it->second;
  if (e.locks && e.locks->idle()) e.locks.reset();
  if (e.committed || e.locks) return;
  if (e.index_page != kNoPage) index_pages_.free(e.index_page, index_entry_bytes(key));
  waiting_keys_.erase(key);
  rows_.erase(it);
}

std::vector<OpResult> Fragment::take_completions() { return std::exchange(completions_, {}); }

uint64_t lock_wait_limit_ms(TransId trans, uint32_t op_id, uint64_t timeout_ms) {
  // splitmix64: consecutive transaction ids land far apart.
  uint64_t z = trans * 0x9E3779B97F4A7C15ull + op_id;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return timeout_ms + z % (timeout_ms / 4 + 1);
}

void Fragment::expire_waits(uint64_t now_ms, uint64_t timeout_ms) {
  fail_waiters(
      [&](const Waiter& w) { return now_ms - w.since_ms >= lock_wait_limit_ms(w.op.trans, w.op.op_id, timeout_ms); },
      err::kDeadlockTimeout);
}

void Fragment::fail_waiters(const std::function<bool(const Waiter&)>& fails, uint32_t error) {
  std::vector<std::string> keys(waiting_keys_.begin(), waiting_keys_.end());
  for (const auto& key : keys) {
    auto it = rows_.find(key);
    if (it == rows_.end()) continue;
    Entry& e = it->second;
    if (e.locks) {
      auto& waiters = e.locks->waiters;
      for (auto w = waiters.begin(); w != waiters.end();) {
        if (fails(*w)) {
          completions_.push_back(OpResult{w->op.trans, w->op.op_id, error, std::nullopt, false});
          w = waiters.erase(w);
        } else {
          ++w;
        }
      }
    }
    grant_waiters(key);
    cleanup(key);
  }
}

void Fragment::wait_edges(uint64_t now_ms, uint64_t min_wait_ms, std::vector<WaitEdge>& out) const {
  for (const auto& key : waiting_keys_) {
    auto it = rows_.find(key);
    if (it == rows_.end() || !it->second.locks) continue;
    const Locks& l = *it->second.locks;
    for (size_t i = 0; i < l.waiters.size(); ++i) {
      const Waiter& w = l.waiters[i];
      if (now_ms - w.since_ms < min_wait_ms) continue;
      const TransId t = w.op.trans;
      const bool exclusive = wants_exclusive(w.op);
      if (l.x_holder != 0 && l.x_holder != t) out.push_back({t, l.x_holder});
      if (exclusive)
        for (TransId s : l.s_holders)
          if (s != t) out.push_back({t, s});
      // The nearest conflicting request ahead stands for the rest: it waits
      // for them in turn (a hot row's queue is a chain, not n^2 edges).
      for (size_t j = i; j-- > 0;) {
        const KeyOp& ahead = l.waiters[j].op;
        if (ahead.trans != t && (exclusive || wants_exclusive(ahead))) {
          out.push_back({t, ahead.trans});
          break;
        }
      }
    }
  }
}

void Fragment::fail_waits_of(TransId t, uint32_t error) {
  fail_waiters([t](const Waiter& w) { return w.op.trans == t; }, error);
}

std::optional<Row> Fragment::read_committed(const std::vector<Value>& key) const {
  auto it = rows_.find(encode_key_values(*table_, table_->primary_key, key));
  if (it == rows_.end() || !it->second.committed) return std::nullopt;
  return layout_.decode(it->second.committed->bytes);
}

namespace {
// Walks one ordered map (sort key -> anything) within bounds, from a cursor,
// in either direction, calling `visit(sort key, value)` until it returns false.
template <typename Map, typename Visit>
bool walk(const Map& m, const std::string& low, bool low_incl, const std::string& high, bool high_incl,
          bool has_low, bool has_high, bool descending, const std::string& cursor, Visit visit) {
  if (!descending) {
    auto it = has_low ? m.lower_bound(low) : m.begin();
    if (has_low && !low_incl)
      while (it != m.end() && starts_with(it->first, low)) ++it;
    if (!cursor.empty()) {
      auto c = m.upper_bound(cursor);
      if (c == m.end() || (it != m.end() && c->first > it->first)) it = c;
    }
    for (; it != m.end(); ++it) {
      const std::string& s = it->first;
      if (has_high) {
        if (high_incl ? (s > high && !starts_with(s, high)) : s >= high) return true;
      }
      if (!visit(s, it->second)) return false;
    }
    return true;
  }
  auto end = m.end();
  if (has_high) {
    end = m.lower_bound(high);
    if (high_incl)
      while (end != m.end() && starts_with(end->first, high)) ++end;
  }
  if (!cursor.empty()) {
    auto c = m.lower_bound(cursor);
    if (end == m.end() || (c != m.end() && c->first < end->first)) end = c;
  }
  for (auto it = end; it != m.begin();) {
    --it;
    const std::string& s = it->first;
    if (has_low) {
      if (low_incl ? s < low : (s < low || starts_with(s, low))) return true;
    }
    if (!visit(s, it->second)) return false;
  }
  return true;
}
}  // namespace

std::string check_scan(const Table& t, const ScanSpec& spec) {
  const std::vector<uint32_t>* cols = &t.primary_key;
  if (spec.index_id) {
    const Index* ix = t.index(*spec.index_id);
    if (!ix || ix->kind != IndexKind::kOrdered) return "no such ordered index";
    cols = &ix->columns;
  }
  for (const auto* bound : {&spec.low, &spec.high}) {
    if (bound->size() > cols->size()) return "bound longer than the index";
    for (size_t i = 0; i < bound->size(); ++i) {
      Column c = t.columns[(*cols)[i]];
      c.nullable = true;
      if (check_value(c, (*bound)[i]) != 0) return "bound value does not suit column " + c.name;
    }
  }
  if (spec.columns.size() > t.columns.size()) return "more columns asked for than the table has";
  for (uint32_t c : spec.columns)
    if (c >= t.columns.size()) return "scan names a missing column";
  return check_filter(t, spec.filter);
}

std::vector<bool> scan_columns(const Table& t, const ScanSpec& spec) {
  if (spec.columns.empty()) return {};
  std::vector<bool> keep(t.columns.size(), false);
  for (uint32_t c : spec.columns) keep[c] = true;
  for (uint32_t c : t.primary_key) keep[c] = true;
  if (spec.index_id)
    if (const Index* ix = t.index(*spec.index_id))
      for (uint32_t c : ix->columns) keep[c] = true;
  mark_filter_columns(spec.filter, keep);
  return keep;
}

ScanBatch Fragment::scan(const ScanSpec& spec, const std::string& cursor) const {
  const Table& t = *table_;
  ScanBatch out;
  if (!check_scan(t, spec).empty()) {
    out.error = err::kBadRequest;
    out.done = true;
    return out;
  }
  const std::vector<uint32_t>* cols = &t.primary_key;
  const std::map<std::string, std::string>* index = nullptr;
  if (spec.index_id) {
    const Index* ix = t.index(*spec.index_id);
    auto found = ordered_.find(*spec.index_id);
    if (!ix || found == ordered_.end()) {
      out.done = true;
      return out;
    }
    cols = &ix->columns;
    index = &found->second;
  }
  const std::string low = encode_key_values(t, prefix_of(*cols, spec.low.size()), spec.low);
  const std::string high = encode_key_values(t, prefix_of(*cols, spec.high.size()), spec.high);
  const uint32_t batch = std::max<uint32_t>(1, spec.batch_rows);
  const std::vector<bool> keep = scan_columns(t, spec);
  size_t bytes = 0;
  auto take = [&](const std::string& sort_key, const Entry* e) {
    if (!e || !e->committed) return true;
    Row row = layout_.decode(e->committed->bytes, keep);
    out.cursor = sort_key;
    if (filter_matches(t, spec.filter, row)) {
      bytes += e->committed->bytes.size();
      out.rows.push_back(std::move(row));
    }
    return out.rows.size() < batch && bytes < kBatchBytes;
  };
  bool finished;
  if (index) {
    finished = walk(*index, low, spec.low_inclusive, high, spec.high_inclusive, !spec.low.empty(), !spec.high.empty(),
                    spec.descending, cursor, [&](const std::string& s, const std::string& pk) {
                      auto r = rows_.find(pk);
                      return take(s, r == rows_.end() ? nullptr : &r->second);
                    });
  } else {
    finished = walk(rows_, low, spec.low_inclusive, high, spec.high_inclusive, !spec.low.empty(), !spec.high.empty(),
                    spec.descending, cursor, [&](const std::string& s, const Entry& e) { return take(s, &e); });
  }
  out.done = finished;
  return out;
}

uint64_t row_digest(std::string_view stored_bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : stored_bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

CopyBatch Fragment::copy_rows(const std::string& cursor, uint32_t max_rows, uint64_t since_gci) const {
  CopyBatch out;
  auto it = cursor.empty() ? rows_.begin() : rows_.upper_bound(cursor);
  size_t bytes = 0;
  for (; it != rows_.end() && out.rows.size() < std::max<uint32_t>(1, max_rows) && bytes < kBatchBytes; ++it) {
    out.cursor = it->first;
    if (!it->second.committed) continue;
    bytes += it->second.committed->bytes.size();
    const uint64_t gci = it->second.committed->gci;
    // Only rows stamped strictly below the restore GCI travel as key and
    // digest: a row of the boundary GCI itself may have changed again
    // within that GCI after the restarting node's copy of it.
    const std::string& bytes = it->second.committed->bytes;
    if (since_gci && gci < since_gci) out.rows.push_back(CopiedRow{key_of(bytes), gci, true, row_digest(bytes)});
    else out.rows.push_back(CopiedRow{layout_.decode(bytes), gci, false, 0});
  }
  out.done = it == rows_.end();
  return out;
}

void Fragment::begin_copy() {
  for (auto& [key, e] : rows_) {
    if (e.committed) free_stored(*e.committed);
    if (e.locks && e.locks->pending_image) free_stored(*e.locks->pending_image);
    if (e.index_page != kNoPage) index_pages_.free(e.index_page, index_entry_bytes(key));
  }
  rows_.clear();
  for (auto& [id, idx] : ordered_) idx.clear();
  trans_keys_.clear();
  waiting_keys_.clear();
  completions_.clear();
  committed_rows_ = 0;
  tombstones_.clear();
  catchup_since_ = 0;
  copying_ = true;
}

void Fragment::begin_catchup(uint64_t since) {
  ++catchup_epoch_;  // every row's mark is now older: none named yet
  catchup_since_ = since;
  tombstones_.clear();
  copying_ = true;
}

void Fragment::mark_named(const std::string& key) {
  if (auto it = rows_.find(key); it != rows_.end()) it->second.catchup_mark = catchup_epoch_;
}

size_t Fragment::end_catchup() {
  std::vector<std::string> gone;
  for (const auto& [key, e] : rows_) {
    // Rows a forwarded write changed during the catch-up are newer than
    // the restore point and stay.
    if (e.catchup_mark == catchup_epoch_ || !e.committed || e.committed->gci > catchup_since_) continue;
    gone.push_back(key);
  }
  for (const auto& key : gone) restore_delete(key);
  catchup_since_ = 0;
  return gone.size();
}

uint32_t Fragment::apply_copy(const CopiedRow& r) {
  const Table& t = *table_;
  if (r.unchanged) {
    if (r.row.size() != t.primary_key.size()) return err::kBadRequest;
    const std::string key = encode_key_values(t, t.primary_key, r.row);
    mark_named(key);
    if (tombstones_.count(key)) return 0;
    auto it = rows_.find(key);
    if (it == rows_.end() || !it->second.committed) return kCatchupMismatch;
    const Stored& own = *it->second.committed;
    if (own.gci > catchup_since_) return 0;  // a forwarded write during the catch-up: newer
    return own.gci == r.gci && row_digest(own.bytes) == r.digest ? 0 : kCatchupMismatch;
  }
  if (r.row.size() != t.columns.size()) return err::kBadRequest;
  for (size_t c = 0; c < t.columns.size(); ++c)
    if (uint32_t ec = check_value(t.columns[c], r.row[c])) return ec;
  const std::string key = encode_key(t, t.primary_key, r.row);
  Entry& e = rows_[key];
  e.catchup_mark = catchup_epoch_;  // named by the source (only a catch-up reads it)
  // This replica already has the row, or saw it deleted, through forwarded
  // writes that are at least as new as anything a copy batch carries.
  // During a catch-up the rows restored from files (stamped at or below
  // the restore GCI) never count as newer: the source's row replaces them.
  const bool own_newer = e.committed && e.committed->gci >= r.gci &&
                         (!catchup_since_ || e.committed->gci > catchup_since_);
  if (own_newer || tombstones_.count(key)) {
    cleanup(key);
    return 0;
  }
  Stored st;
  if (uint32_t ec = make_stored(r.row, e.index_page == kNoPage, e, st)) {
    cleanup(key);
    return ec;
  }
  st.gci = r.gci;
  if (e.committed) {
    index_remove(key, layout_.decode(e.committed->bytes));
    free_stored(*e.committed);
  } else {
    ++committed_rows_;
  }
  e.committed = std::move(st);
  index_add(key, r.row);
  if (sink_) sink_->on_commit(RowChange{r.gci, t.id, t.version, id_, ChangeOp::kRefresh, key, &r.row});
  return 0;
}

uint32_t Fragment::restore_row(const Row& row, uint64_t gci) {
  const Table& t = *table_;
  if (row.size() != t.columns.size()) return err::kBadRequest;
  for (size_t c = 0; c < t.columns.size(); ++c)
    if (uint32_t ec = check_value(t.columns[c], row[c])) return ec;
  const std::string key = encode_key(t, t.primary_key, row);
  Entry& e = rows_[key];
  Stored st;
  if (uint32_t ec = make_stored(row, e.index_page == kNoPage, e, st)) {
    cleanup(key);
    return ec;
  }
  st.gci = gci;
  if (e.committed) {
    index_remove(key, layout_.decode(e.committed->bytes));
    free_stored(*e.committed);
  } else {
    ++committed_rows_;
  }
  e.committed = std::move(st);
  index_add(key, row);
  return 0;
}

void Fragment::restore_delete(std::string_view key_bytes) {
  auto it = rows_.find(std::string(key_bytes));
  if (it == rows_.end() || !it->second.committed) return;
  Entry& e = it->second;
  index_remove(it->first, layout_.decode(e.committed->bytes));
  free_stored(*e.committed);
  e.committed.reset();
  --committed_rows_;
  cleanup(std::string(key_bytes));
}

FragmentStats Fragment::stats() const {
  FragmentStats s;
  s.committed_rows = committed_rows_;
  s.data_pages = slots_.pages_held() + var_pages_.pages_held() + ordered_pages_.pages_held();
  s.index_pages = index_pages_.pages_held();
  for (const auto& key : waiting_keys_)
    if (auto it = rows_.find(key); it != rows_.end() && it->second.locks) s.waiting_ops += it->second.locks->waiters.size();
  s.transactions = trans_keys_.size();
  return s;
}

}  // namespace halb::cluster::engine
