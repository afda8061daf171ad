// One fragment replica: committed reads see committed data only, abort
// restores exactly, locks queue and time out with 266, DataMemory and
// IndexMemory run out with 827/625 leaving nothing behind and come back when
// rows go, ordered index ranges in both directions, the pushed-down filter,
// and the node-restart copy while writes continue.
#include <gtest/gtest.h>

#include <set>

#include <memory>
#include <random>

#include "cluster/ndbd/engine/error.h"
#include "cluster/ndbd/engine/fragment.h"

using namespace halb::cluster::engine;

namespace {

std::shared_ptr<const Table> people() {
  Table t;
  t.id = 1;
  t.name = "people";
  t.columns = {{"id", ColumnType::kInt, false, false, 0, 0, 0},
               {"name", ColumnType::kVarchar, false, true, 32, 0, 0},
               {"age", ColumnType::kBigInt, false, true, 0, 0, 0}};
  t.primary_key = {0};
  t.indexes = {Index{1, "by_age", IndexKind::kOrdered, {2}}};
  EXPECT_EQ(normalise(t), "");
  return std::make_shared<const Table>(std::move(t));
}

KeyOp op(TransId t, OpType type, int64_t id, ColumnValues set = {}, LockMode lock = LockMode::kCommitted) {
  static uint32_t next = 1;
  return KeyOp{t, next++, type, lock, {Value{id}}, std::move(set)};
}

ColumnValues person(const std::string& name, int64_t age) { return {{1, Value{name}}, {2, Value{age}}}; }

struct Replica {
  PagePool data{8 * kDataPageBytes, kDataPageBytes};
  PagePool index{4 * kIndexPageBytes, kIndexPageBytes};
  Fragment frag{people(), 0, data, index};

  uint32_t run(TransId t, OpType type, int64_t id, ColumnValues set = {}) {
    auto r = frag.execute(op(t, type, id, std::move(set)), 0);
    EXPECT_TRUE(r.has_value());
    return r ? r->error : 9999;
  }
  void put(int64_t id, const std::string& name, int64_t age, uint64_t gci = 1) {
    ASSERT_EQ(run(100, OpType::kInsert, id, person(name, age)), 0u);
    frag.commit(100, gci);
  }
};

TEST(Fragment, CommittedReadsSeeOnlyCommittedData) {
  Replica r;
  EXPECT_EQ(r.run(1, OpType::kInsert, 7, person("ann", 30)), 0u);
  EXPECT_FALSE(r.frag.read_committed({Value{int64_t{7}}}));
  // The writer sees its own change.
  auto own = r.frag.execute(op(1, OpType::kRead, 7, {}, LockMode::kShared), 0);
  ASSERT_TRUE(own && own->row);
  EXPECT_EQ(std::get<std::string>((*own->row)[1]), "ann");
  r.frag.commit(1, 5);
  auto row = r.frag.read_committed({Value{int64_t{7}}});
  ASSERT_TRUE(row);
  EXPECT_EQ(std::get<int64_t>((*row)[2]), 30);
  EXPECT_EQ(r.frag.stats().committed_rows, 1u);
}

TEST(Fragment, KeyErrors) {
  Replica r;
  r.put(1, "a", 1);
  EXPECT_EQ(r.run(2, OpType::kInsert, 1, person("b", 2)), err::kTupleExists);
  EXPECT_EQ(r.run(2, OpType::kUpdate, 9, person("b", 2)), err::kTupleNotFound);
  EXPECT_EQ(r.run(2, OpType::kDelete, 9), err::kTupleNotFound);
  EXPECT_EQ(r.run(2, OpType::kUpdate, 1, {{2, Value{std::string("x")}}}), err::kAttributeBad);
  EXPECT_EQ(r.run(2, OpType::kUpdate, 1, {{1, Value{std::string(33, 'x')}}}), err::kAttributeBad);
  EXPECT_EQ(std::string(error_text(err::kTupleExists)), "Tuple already existed when attempting to insert");
  // Failed operations hold no locks: another transaction writes at once.
  EXPECT_EQ(r.run(3, OpType::kUpdate, 1, person("c", 3)), 0u);
  r.frag.commit(3, 2);
  r.frag.commit(2, 2);
  EXPECT_EQ(std::get<std::string>((*r.frag.read_committed({Value{int64_t{1}}}))[1]), "c");
}

TEST(Fragment, AbortRestoresRowsIndexesAndMemory) {
  Replica r;
  r.put(1, "a", 10);
  r.put(2, "b", 20);
  const auto before = r.frag.stats();
  const uint32_t data_used = r.data.used_pages(), index_used = r.index.used_pages();
  EXPECT_EQ(r.run(5, OpType::kUpdate, 1, person(std::string(30, 'z'), 99)), 0u);
  EXPECT_EQ(r.run(5, OpType::kDelete, 2), 0u);
  for (int64_t k = 3; k < 300; ++k) ASSERT_EQ(r.run(5, OpType::kInsert, k, person("n", k)), 0u);
  EXPECT_EQ(r.run(5, OpType::kWrite, 2, person("again", 21)), 0u);  // write over its own delete
  r.frag.abort(5);
  EXPECT_EQ(r.data.used_pages(), data_used);
  EXPECT_EQ(r.index.used_pages(), index_used);
  EXPECT_EQ(r.frag.stats().committed_rows, before.committed_rows);
  EXPECT_EQ(std::get<std::string>((*r.frag.read_committed({Value{int64_t{1}}}))[1]), "a");
  EXPECT_EQ(std::get<std::string>((*r.frag.read_committed({Value{int64_t{2}}}))[1]), "b");
  EXPECT_FALSE(r.frag.read_committed({Value{int64_t{3}}}));
  ScanSpec by_age;
  by_age.index_id = 1;
  auto b = r.frag.scan(by_age, "");
  ASSERT_EQ(b.rows.size(), 2u);
  EXPECT_EQ(std::get<int64_t>(b.rows[0][2]), 10);
  EXPECT_EQ(r.frag.stats().transactions, 0u);
}

TEST(Fragment, ConflictingWriterWaitsThenRuns) {
  Replica r;
  r.put(1, "a", 1);
  EXPECT_EQ(r.run(1, OpType::kUpdate, 1, person("t1", 1)), 0u);
  auto waiting = r.frag.execute(op(2, OpType::kUpdate, 1, {{2, Value{int64_t{2}}}}), 10);
  EXPECT_FALSE(waiting.has_value());
  EXPECT_EQ(r.frag.stats().waiting_ops, 1u);
  // Committed reads do not wait and see the old row.
  EXPECT_EQ(std::get<std::string>((*r.frag.read_committed({Value{int64_t{1}}}))[1]), "a");
  r.frag.commit(1, 2);
  auto done = r.frag.take_completions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].trans, 2u);
  EXPECT_EQ(done[0].error, 0u);
  EXPECT_EQ(std::get<std::string>((*done[0].row)[1]), "t1");  // built on the committed t1 row
  r.frag.commit(2, 3);
  auto row = *r.frag.read_committed({Value{int64_t{1}}});
  EXPECT_EQ(std::get<std::string>(row[1]), "t1");
  EXPECT_EQ(std::get<int64_t>(row[2]), 2);
}

TEST(Fragment, SharedLocksShareAndBlockWriters) {
  Replica r;
  r.put(1, "a", 1);
  EXPECT_TRUE(r.frag.execute(op(1, OpType::kRead, 1, {}, LockMode::kShared), 0));
  EXPECT_TRUE(r.frag.execute(op(2, OpType::kRead, 1, {}, LockMode::kShared), 0));
  EXPECT_FALSE(r.frag.execute(op(3, OpType::kDelete, 1), 0));
  // A later shared reader queues behind the writer (no starvation).
  EXPECT_FALSE(r.frag.execute(op(4, OpType::kRead, 1, {}, LockMode::kShared), 0));
  r.frag.commit(1, 2);
  EXPECT_TRUE(r.frag.take_completions().empty());
  r.frag.abort(2);
  auto done = r.frag.take_completions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].trans, 3u);
  r.frag.commit(3, 3);
  done = r.frag.take_completions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].trans, 4u);
  EXPECT_EQ(done[0].error, err::kTupleNotFound);
}

TEST(Fragment, WaitEdgesNameHoldersAndTheNearestConflictingRequestAhead) {
  Replica r;
  r.put(1, "a", 1);
  // 1 and 2 share the row; 3 wants to write it; 4 reads shared behind 3;
  // 5..104 all want to write it too.
  EXPECT_TRUE(r.frag.execute(op(1, OpType::kRead, 1, {}, LockMode::kShared), 0));
  EXPECT_TRUE(r.frag.execute(op(2, OpType::kRead, 1, {}, LockMode::kShared), 0));
  EXPECT_FALSE(r.frag.execute(op(3, OpType::kUpdate, 1, person("b", 2)), 0));
  EXPECT_FALSE(r.frag.execute(op(4, OpType::kRead, 1, {}, LockMode::kShared), 5));
  for (TransId t = 5; t < 105; ++t) EXPECT_FALSE(r.frag.execute(op(t, OpType::kUpdate, 1, person("c", 3)), 10));
  std::vector<WaitEdge> edges;
  r.frag.wait_edges(10, 10, edges);  // only the waits of at least 10 ms: 3's
  EXPECT_EQ(edges, (std::vector<WaitEdge>{{3, 1}, {3, 2}}));
  edges.clear();
  r.frag.wait_edges(10, 0, edges);
  std::set<WaitEdge> got(edges.begin(), edges.end());
  EXPECT_EQ(got.size(), edges.size());
  EXPECT_TRUE(got.count({4, 3}));   // a shared reader waits for the writer ahead, not the shared holders
  EXPECT_FALSE(got.count({4, 1}));
  EXPECT_TRUE(got.count({5, 4}));   // a writer for the nearest request ahead...
  EXPECT_FALSE(got.count({5, 3}));  // ...which stands for the ones before it
  EXPECT_TRUE(got.count({104, 103}));
  EXPECT_EQ(edges.size(), 2u + 1u + 100u * 3u);  // 3; 4; and each writer: two holders and one ahead
  // A deadlock victim's waits fail with 266; the queue behind it moves up.
  r.frag.fail_waits_of(3, err::kDeadlockTimeout);
  auto done = r.frag.take_completions();
  ASSERT_EQ(done.size(), 2u);  // 3 failed, and 4 (shared, now first) granted
  EXPECT_EQ(done[0].trans, 3u);
  EXPECT_EQ(done[0].error, err::kDeadlockTimeout);
  EXPECT_EQ(done[1].trans, 4u);
  EXPECT_EQ(done[1].error, 0u);
  for (TransId t = 1; t < 105; ++t) r.frag.abort(t);
  EXPECT_EQ(r.frag.stats().transactions, 0u);
}

TEST(Fragment, LockWaitTimesOutWith266) {
  Replica r;
  r.put(1, "a", 1);
  EXPECT_TRUE(r.frag.execute(op(1, OpType::kRead, 1, {}, LockMode::kExclusive), 1000));
  KeyOp waiter = op(2, OpType::kUpdate, 1, person("b", 2));
  uint64_t limit = lock_wait_limit_ms(2, waiter.op_id, 1200);
  EXPECT_GE(limit, 1200u);
  EXPECT_LE(limit, 1500u);
  EXPECT_FALSE(r.frag.execute(waiter, 1000));
  r.frag.expire_waits(1000 + limit - 1, 1200);
  EXPECT_TRUE(r.frag.take_completions().empty());
  r.frag.expire_waits(1000 + limit, 1200);
  auto done = r.frag.take_completions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].error, err::kDeadlockTimeout);
  EXPECT_EQ(std::string(error_text(done[0].error)), "Time-out in NDB, probably caused by deadlock");
  r.frag.abort(2);
  r.frag.commit(1, 2);
  EXPECT_EQ(r.frag.stats().transactions, 0u);
}

// Two transactions waiting for each other, both waits begun in the same
// millisecond, expired on the data node's 10 ms tick: the tick that fails
// one of them must leave the other waiting, so that the first one's abort
// frees its row for the second (before, both failed together, both retried
// in step and deadlocked again).
TEST(Fragment, WaitersOfOneDeadlockDoNotTimeOutInTheSameTick) {
  Replica r;
  r.put(1, "a", 1);
  r.put(2, "b", 2);
  EXPECT_TRUE(r.frag.execute(KeyOp{1001, 1, OpType::kRead, LockMode::kExclusive, {Value{int64_t{1}}}, {}}, 0));
  EXPECT_TRUE(r.frag.execute(KeyOp{1002, 1, OpType::kRead, LockMode::kExclusive, {Value{int64_t{2}}}, {}}, 0));
  EXPECT_FALSE(r.frag.execute(KeyOp{1001, 2, OpType::kUpdate, LockMode::kCommitted, {Value{int64_t{2}}},
                                    person("x", 9)}, 5));
  EXPECT_FALSE(r.frag.execute(KeyOp{1002, 2, OpType::kUpdate, LockMode::kCommitted, {Value{int64_t{1}}},
                                    person("y", 9)}, 5));
  std::vector<OpResult> done;
  uint64_t now = 5;
  for (; now < 2000 && done.empty(); now += 10) {
    r.frag.expire_waits(now, 1200);
    done = r.frag.take_completions();
  }
  ASSERT_EQ(done.size(), 1u);
  EXPECT_GE(now, 1205u);
  EXPECT_EQ(done[0].error, err::kDeadlockTimeout);
  TransId loser = done[0].trans, winner = loser == 1001 ? 1002 : 1001;
  r.frag.abort(loser);
  done = r.frag.take_completions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].trans, winner);
  EXPECT_EQ(done[0].error, 0u);
}

// The spread itself: never below the configured timeout, at most a quarter
// above it, and consecutive transactions of one coordinator rarely within a
// tick of each other.
TEST(Fragment, LockWaitLimitsSpreadOverAQuarterOfTheTimeout) {
  int close_pairs = 0;
  uint64_t prev = 0;
  for (uint64_t seq = 1; seq <= 1000; ++seq) {
    uint64_t limit = lock_wait_limit_ms(make_trans_id(3, seq), 2, 1200);
    ASSERT_GE(limit, 1200u);
    ASSERT_LE(limit, 1500u);
    if (seq > 1 && (limit > prev ? limit - prev : prev - limit) < 10) ++close_pairs;
    prev = limit;
  }
  EXPECT_LT(close_pairs, 100);
  EXPECT_EQ(lock_wait_limit_ms(7, 7, 0), 0u);
}

TEST(Fragment, DataMemoryExhaustionIs827AndReversible) {
  auto table = people();
  PagePool data(3 * kDataPageBytes, kDataPageBytes);  // a page each for slots, var parts, ordered index entries
  PagePool index(64 * kIndexPageBytes, kIndexPageBytes);
  Fragment f(table, 0, data, index);
  int64_t k = 0;
  uint32_t error = 0;
  for (; k < 100000 && error == 0; ++k) {
    auto r = f.execute(op(1, OpType::kInsert, k, person("some name here", k)), 0);
    error = r->error;
  }
  EXPECT_EQ(error, err::kDataMemoryFull);
  EXPECT_EQ(std::string(error_text(error)), "Out of memory in Ndb Kernel, table data (increase DataMemory)");
  const int64_t fitted = k - 1;
  EXPECT_GT(fitted, 500);
  f.commit(1, 1);
  EXPECT_EQ(f.stats().committed_rows, static_cast<size_t>(fitted));
  EXPECT_EQ(data.free_pages(), 0u);
  // Nothing half-written: the failed key is absent and retrying still fails.
  EXPECT_FALSE(f.read_committed({Value{fitted}}));
  EXPECT_EQ(f.execute(op(2, OpType::kInsert, fitted, person("x", 1)), 0)->error, err::kDataMemoryFull);
  f.abort(2);
  // Deleting every row gives every page back; inserting works again.
  for (int64_t d = 0; d < fitted; ++d) ASSERT_EQ(f.execute(op(3, OpType::kDelete, d), 0)->error, 0u);
  f.commit(3, 2);
  EXPECT_EQ(data.used_pages(), 0u);
  EXPECT_EQ(index.used_pages(), 0u);
  EXPECT_EQ(f.execute(op(4, OpType::kInsert, 1, person("back", 1)), 0)->error, 0u);
}

TEST(Fragment, IndexMemoryExhaustionIs625) {
  auto table = people();
  PagePool data(64 * kDataPageBytes, kDataPageBytes);
  PagePool index(1 * kIndexPageBytes, kIndexPageBytes);
  Fragment f(table, 0, data, index);
  uint32_t error = 0;
  int64_t k = 0;
  for (; k < 100000 && error == 0; ++k) error = f.execute(op(1, OpType::kInsert, k, person("n", k)), 0)->error;
  EXPECT_EQ(error, err::kIndexMemoryFull);
  // 9 key bytes + 16 overhead, aligned: 28 bytes an entry in an 8 KB page.
  EXPECT_EQ(k - 1, 8192 / 28);
  const uint32_t data_used = data.used_pages();
  f.commit(1, 1);
  EXPECT_EQ(data.used_pages(), data_used);  // the failed insert took no data page either
}

TEST(Fragment, OrderedIndexRangesBothWaysWithBatches) {
  Replica r;
  for (int64_t k = 1; k <= 20; ++k) r.put(k, "p" + std::to_string(k), 100 - k);  // ages 80..99
  ScanSpec s;
  s.index_id = 1;
  s.low = {Value{int64_t{85}}};
  s.high = {Value{int64_t{90}}};
  s.high_inclusive = false;
  s.batch_rows = 2;
  std::vector<int64_t> ages;
  std::string cursor;
  int batches = 0;
  for (;;) {
    auto b = r.frag.scan(s, cursor);
    ++batches;
    for (auto& row : b.rows) ages.push_back(std::get<int64_t>(row[2]));
    if (b.done) break;
    cursor = b.cursor;
  }
  EXPECT_EQ(ages, (std::vector<int64_t>{85, 86, 87, 88, 89}));
  EXPECT_GE(batches, 3);

  s.descending = true;
  s.low_inclusive = false;
  s.high_inclusive = true;
  s.batch_rows = 100;
  ages.clear();
  for (auto& row : r.frag.scan(s, "").rows) ages.push_back(std::get<int64_t>(row[2]));
  EXPECT_EQ(ages, (std::vector<int64_t>{90, 89, 88, 87, 86}));

  // Full scan with a filter: name LIKE 'p1%' AND NOT age >= 89.
  ScanSpec f;
  f.filter = Filter::all_of({Filter::compare(Filter::Op::kLikePrefix, 1, Value{std::string("p1")}),
                             Filter::negate(Filter::compare(Filter::Op::kGe, 2, Value{int64_t{89}}))});
  std::vector<int64_t> ids;
  for (auto& row : r.frag.scan(f, "").rows) ids.push_back(std::get<int64_t>(row[0]));
  EXPECT_EQ(ids, (std::vector<int64_t>{12, 13, 14, 15, 16, 17, 18, 19}));
}

TEST(Fragment, ScanReturnsTheAskedColumnsAndWhatTheScanItselfNeeds) {
  Replica r;
  for (int64_t k = 1; k <= 5; ++k) r.put(k, "p" + std::to_string(k), 10 * k);
  ScanSpec s;
  s.columns = {1};  // name only: the key comes back too
  auto rows = r.frag.scan(s, "").rows;
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(std::get<int64_t>(rows[0][0]), 1);
  EXPECT_EQ(std::get<std::string>(rows[0][1]), "p1");
  EXPECT_TRUE(is_null(rows[0][2]));
  // The index scanned by and the filter's columns come back whatever is asked.
  s.index_id = 1;
  s.columns = {0};
  s.filter = Filter::compare(Filter::Op::kLikePrefix, 1, Value{std::string("p4")});
  rows = r.frag.scan(s, "").rows;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(rows[0][2]), 40);
  EXPECT_EQ(std::get<std::string>(rows[0][1]), "p4");
  // A column the table lacks is refused, not read.
  s.columns = {0, 3};
  EXPECT_EQ(check_scan(r.frag.table(), s), "scan names a missing column");
  EXPECT_EQ(r.frag.scan(s, "").error, err::kBadRequest);
  s.columns.assign(4, 0);
  EXPECT_NE(check_scan(r.frag.table(), s), "");
}

TEST(Fragment, FilterNullIsUnknown) {
  Replica r;
  ASSERT_EQ(r.run(1, OpType::kInsert, 1, {{2, Value{int64_t{5}}}}), 0u);  // name NULL
  r.frag.commit(1, 1);
  r.put(2, "b", 6);
  auto ids = [&](Filter flt) {
    ScanSpec s;
    s.filter = std::move(flt);
    std::vector<int64_t> out;
    for (auto& row : r.frag.scan(s, "").rows) out.push_back(std::get<int64_t>(row[0]));
    return out;
  };
  using Op = Filter::Op;
  EXPECT_EQ(ids(Filter::compare(Op::kNe, 1, Value{std::string("b")})), (std::vector<int64_t>{}));
  EXPECT_EQ(ids(Filter::negate(Filter::compare(Op::kEq, 1, Value{std::string("b")}))), (std::vector<int64_t>{}));
  EXPECT_EQ(ids(Filter::compare(Op::kIsNull, 1, {})), (std::vector<int64_t>{1}));
  EXPECT_EQ(ids(Filter::any_of({Filter::compare(Op::kIsNull, 1, {}), Filter::compare(Op::kGt, 2, Value{int64_t{5}})})),
            (std::vector<int64_t>{1, 2}));
  Table t = *people();
  EXPECT_NE(check_filter(t, Filter::compare(Op::kEq, 9, Value{int64_t{1}})), "");
  EXPECT_NE(check_filter(t, Filter::compare(Op::kEq, 2, Value{std::string("x")})), "");
  EXPECT_EQ(check_filter(t, Filter::compare(Op::kLt, 2, Value{int64_t{1}})), "");
}

TEST(Fragment, CopyToEmptyReplicaWhileWritesContinue) {
  Replica source, target;
  for (int64_t k = 0; k < 50; ++k) source.put(k, "v1", k, 1 + static_cast<uint64_t>(k));
  target.put(999, "stale", 1);  // left over from before the node stopped
  target.frag.begin_copy();
  EXPECT_EQ(target.frag.stats().committed_rows, 0u);
  std::string cursor;
  uint64_t gci = 100;
  int64_t writes = 0;
  for (;;) {
    auto b = source.frag.copy_rows(cursor, 7);
    for (auto& row : b.rows) ASSERT_EQ(target.frag.apply_copy(row), 0u);
    // Between batches, a transaction updates one row, deletes one, inserts one;
    // the primary's after-images are forwarded to the target as NDB does.
    TransId t = 1000 + static_cast<TransId>(writes);
    const int64_t upd = (writes * 13) % 50, del = 10 + writes, ins = 500 + writes;
    for (auto [type, key, set] : {std::tuple{OpType::kUpdate, upd, person("v2", upd)},
                                  std::tuple{OpType::kDelete, del, ColumnValues{}},
                                  std::tuple{OpType::kInsert, ins, person("new", ins)}}) {
      auto res = source.frag.execute(op(t, type, key, set), 0);
      ASSERT_TRUE(res);
      if (res->error) continue;  // deleted earlier
      ColumnValues full;
      if (res->row)
        for (uint32_t c = 0; c < res->row->size(); ++c) full.emplace_back(c, (*res->row)[c]);
      auto fwd = target.frag.execute(op(t, type, key, full), 0);
      ASSERT_TRUE(fwd);
      ASSERT_EQ(fwd->error, 0u);
    }
    source.frag.commit(t, gci);
    target.frag.commit(t, gci);
    ++gci;
    ++writes;
    if (b.done) break;
    cursor = b.cursor;
  }
  target.frag.end_copy();
  auto all = [](Fragment& f) {
    ScanSpec s;
    s.batch_rows = 100000;
    return f.scan(s, "").rows;
  };
  EXPECT_EQ(all(target.frag), all(source.frag));
  EXPECT_FALSE(target.frag.read_committed({Value{int64_t{999}}}));
  EXPECT_GT(writes, 5);
}

TEST(RowFormat, EveryTypeRoundTrips) {
  Table t;
  t.name = "types";
  auto col = [](std::string n, ColumnType ty, uint32_t len = 0, bool uns = false) {
    Column c;
    c.name = std::move(n);
    c.type = ty;
    c.length = len;
    c.is_unsigned = uns;
    c.nullable = true;
    if (ty == ColumnType::kDecimal) {
      c.precision = 10;
      c.scale = 2;
    }
    return c;
  };
  t.columns = {col("i", ColumnType::kInt), col("u", ColumnType::kInt, 0, true), col("b", ColumnType::kBigInt),
               col("f", ColumnType::kFloat), col("d", ColumnType::kDouble), col("dec", ColumnType::kDecimal),
               col("dt", ColumnType::kDatetime), col("da", ColumnType::kDate), col("ti", ColumnType::kTime),
               col("ts", ColumnType::kTimestamp), col("c", ColumnType::kChar, 5), col("bi", ColumnType::kBinary, 3),
               col("vc", ColumnType::kVarchar, 300), col("vb", ColumnType::kVarbinary, 10),
               col("tx", ColumnType::kText, 5000), col("bl", ColumnType::kBlob, 100)};
  ASSERT_EQ(normalise(t), "");
  ASSERT_TRUE(t.hidden_key);
  ASSERT_EQ(t.columns.back().name, "$PK");
  Row row = {Value{int64_t{-5}},          Value{uint64_t{4000000000}}, Value{int64_t{-1} << 40},
             Value{1.5},                  Value{-2.25},                Value{int64_t{-12345}},
             Value{int64_t{20061123093000}}, Value{int64_t{20061123}},  Value{int64_t{-123000}},
             Value{uint64_t{1164274200}}, Value{std::string("ab")},    Value{std::string("x\0", 2)},
             Value{std::string(300, 'v')}, Value{std::string("\0\1", 2)}, Value{std::string(5000, 't')},
             Value{},                     Value{uint64_t{77}}};
  for (size_t i = 0; i < t.columns.size(); ++i) ASSERT_EQ(check_value(t.columns[i], row[i]), 0u) << i;
  RowLayout layout(t);
  std::string bytes = layout.encode(row);
  Row back = layout.decode(bytes);
  row[11] = std::string("x\0\0", 3);  // BINARY keeps its zero padding
  EXPECT_EQ(back, row);
  // 16 nullable columns: a 2-byte bitmap.
  EXPECT_EQ(layout.fixed_bytes(), 2u + 4 + 4 + 8 + 4 + 8 + 8 + 8 + 4 + 4 + 4 + 5 + 3 + 8);
  EXPECT_EQ(check_value(t.columns[0], Value{int64_t{1} << 40}), err::kAttributeBad);
  EXPECT_EQ(check_value(t.columns[5], Value{int64_t{10000000000}}), err::kAttributeBad);
}

TEST(KeyEncoding, BytesSortLikeValues) {
  Table t;
  t.name = "k";
  t.columns = {{"s", ColumnType::kVarchar, false, false, 10, 0, 0}, {"n", ColumnType::kInt, false, false, 0, 0, 0},
               {"d", ColumnType::kDouble, false, false, 0, 0, 0}};
  t.primary_key = {0, 1};
  ASSERT_EQ(normalise(t), "");
  auto k = [&](std::string s, int64_t n) { return encode_key_values(t, {0, 1}, {Value{s}, Value{n}}); };
  EXPECT_LT(k("ab", 9), k("b", 1));
  EXPECT_LT(k("a", 5), k("ab", 1));
  EXPECT_LT(k("a", -5), k("a", 3));
  EXPECT_EQ(k("a  ", 1), k("a", 1));  // PAD SPACE
  auto d = [&](double x) { return encode_key_values(t, {2}, {Value{x}}); };
  EXPECT_LT(d(-3.5), d(-1.0));
  EXPECT_LT(d(-1.0), d(0.0));
  EXPECT_EQ(d(-0.0), d(0.0));
  EXPECT_LT(d(0.5), d(2.0));
}

}  // namespace

namespace {

Value random_value(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0: return Value{};
    case 1: return Value{static_cast<int64_t>(rng())};
    case 2: return Value{static_cast<uint64_t>(rng())};
    case 3: return Value{static_cast<double>(rng() % 1000) / 7};
    default: return Value{std::string(rng() % 40, 'x')};
  }
}

TEST(Fragment, HostileRequestsAreRefusedNotCrashed) {
  Replica r;
  r.put(1, "a", 1);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    KeyOp op;
    op.trans = 1 + rng() % 5;
    op.op_id = static_cast<uint32_t>(i);
    op.type = static_cast<OpType>(rng() % 8);
    op.lock = static_cast<LockMode>(rng() % 5);
    for (size_t k = rng() % 3; k > 0; --k) op.key.push_back(random_value(rng));
    for (size_t k = rng() % 4; k > 0; --k) op.set.emplace_back(static_cast<uint32_t>(rng() % 5), random_value(rng));
    r.frag.execute(op, 0);
    ScanSpec s;
    if (rng() % 2) s.index_id = static_cast<uint32_t>(rng() % 3);
    for (size_t k = rng() % 3; k > 0; --k) s.low.push_back(random_value(rng));
    s.filter = Filter::compare(static_cast<Filter::Op>(rng() % 14), static_cast<uint32_t>(rng() % 4), random_value(rng));
    auto b = r.frag.scan(s, std::string(rng() % 4, 'c'));
    if (b.error == 0) {
      EXPECT_TRUE(check_scan(r.frag.table(), s).empty());
    }
    if (i % 100 == 99)
      for (TransId t = 1; t <= 5; ++t) (rng() % 2) ? r.frag.commit(t, 2) : r.frag.abort(t);
    r.frag.take_completions();
  }
  for (TransId t = 1; t <= 5; ++t) r.frag.abort(t);
  EXPECT_EQ(r.frag.stats().transactions, 0u);
  // Every committed row is still well-formed.
  for (auto& row : r.frag.scan(ScanSpec{}, "").rows)
    for (size_t c = 0; c < row.size(); ++c) EXPECT_EQ(check_value(r.frag.table().columns[c], row[c]), 0u);
  Filter deep;
  for (int i = 0; i < 100; ++i) deep = Filter::negate(deep);
  EXPECT_EQ(check_filter(r.frag.table(), deep), "filter nested too deeply");
}

}  // namespace

namespace {

TEST(Fragment, OrderedIndexEntriesAreChargedToDataMemory) {
  Table plain = *people();
  plain.indexes.clear();
  auto without = std::make_shared<const Table>(plain);
  PagePool d1(64 * kDataPageBytes, kDataPageBytes), i1(64 * kIndexPageBytes, kIndexPageBytes);
  PagePool d2(64 * kDataPageBytes, kDataPageBytes), i2(64 * kIndexPageBytes, kIndexPageBytes);
  Fragment a(people(), 0, d1, i1), b(without, 0, d2, i2);
  for (int64_t k = 0; k < 5000; ++k) {
    ASSERT_EQ(a.execute(op(1, OpType::kInsert, k, person("n", k)), 0)->error, 0u);
    ASSERT_EQ(b.execute(op(1, OpType::kInsert, k, person("n", k)), 0)->error, 0u);
  }
  a.commit(1, 1);
  b.commit(1, 1);
  // 9 + 9 key bytes + 8 = 28 bytes an entry: 5000 entries need 5 more pages.
  EXPECT_EQ(a.stats().data_pages, b.stats().data_pages + 5);
  EXPECT_EQ(a.stats().index_pages, b.stats().index_pages);
}

}  // namespace
