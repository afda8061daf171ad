// Heap a fragment replica spends per row, against the DataMemory it
// charges for it (issue 6: bench/durability's 1 GB data set did not fit in
// memory). Rows of bench/durability's shape -- (BIGINT, VARCHAR(64), INT)
// with a unique hash index on the INT, so every row is one row in the base
// table and one in its hidden unique index table -- committed through
// Fragment::execute/commit as the load does, heap measured with mallinfo2.
// The figures go to stdout (2171 B of heap against 72 B of DataMemory
// per row while every row carried its own lock state and an empty
// std::deque; 388 B since). The test fails when the heap per row grows
// back past 7x the DataMemory charged, as per-row lock state would make it.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <memory>

#include "cluster/ndbd/engine/dictionary.h"
#include "cluster/ndbd/engine/fragment.h"

using namespace halb::cluster::engine;

namespace {

Table bench_shape() {
  Table t;
  t.name = "big";
  t.columns = {{"id", ColumnType::kBigInt, false, false, 0, 0, 0},
               {"val", ColumnType::kVarchar, false, true, 64, 0, 0},
               {"num", ColumnType::kInt, false, true, 0, 0, 0}};
  t.primary_key = {0};
  t.indexes = {{1, "num_unique", IndexKind::kUniqueHash, {2}}};
  return t;
}

size_t heap_in_use() { return mallinfo2().uordblks; }

struct Figures {
  double heap_per_row = 0;  // both fragments
  double data_per_row = 0;  // DataMemory bytes charged, both fragments
  double index_per_row = 0;  // IndexMemory bytes charged, both fragments
};

Figures measure(int64_t rows) {
  Dictionary dict;
  auto created = dict.create(bench_shape(), 1);
  EXPECT_EQ(created.error, 0u);
  auto unique = dict.unique_index_table(created.table->id, 1);
  EXPECT_TRUE(unique);
  PagePool data(uint64_t{1} << 30, kDataPageBytes);
  PagePool index(uint64_t{1} << 29, kIndexPageBytes);
  const size_t before = heap_in_use();
  Fragment base(created.table, 0, data, index);
  Fragment uniq(unique, 0, data, index);
  // Transactions of 200 rows, as the bench loads them.
  for (int64_t k = 0; k < rows; k += 200) {
    const TransId t = make_trans_id(2, static_cast<uint64_t>(k + 1));
    for (int64_t i = k; i < std::min(rows, k + 200); ++i) {
      KeyOp b{t, 1, OpType::kWrite, LockMode::kExclusive, {Value{i}},
              {{1, Value{"row-" + std::to_string(i)}}, {2, Value{i}}}};
      KeyOp u{t, 2, OpType::kInsert, LockMode::kExclusive, {Value{i}}, {{1, Value{i}}}};
      auto rb = base.execute(b, 0);
      auto ru = uniq.execute(u, 0);
      EXPECT_TRUE(rb && rb->error == 0 && ru && ru->error == 0);
    }
    base.commit(t, 1);
    uniq.commit(t, 1);
  }
  Figures f;
  f.heap_per_row = static_cast<double>(heap_in_use() - before) / static_cast<double>(rows);
  f.data_per_row = static_cast<double>(data.used_pages()) * kDataPageBytes / static_cast<double>(rows);
  f.index_per_row = static_cast<double>(index.used_pages()) * kIndexPageBytes / static_cast<double>(rows);
  EXPECT_EQ(base.stats().committed_rows, static_cast<size_t>(rows));
  return f;
}

TEST(RowMemory, HeapPerRowStaysNearTheDataMemoryCharged) {
  const Figures f = measure(100000);
  printf("per row of (BIGINT, VARCHAR(64), INT + unique index), base + unique index table: heap %.0f B,"
         " DataMemory charged %.0f B (%.1fx), IndexMemory charged %.0f B\n",
         f.heap_per_row, f.data_per_row, f.heap_per_row / f.data_per_row, f.index_per_row);
  EXPECT_LT(f.heap_per_row, 7 * f.data_per_row);
}

// Lock records go when the transaction ends: a row read under a shared
// lock, or updated and rolled back, costs no more heap afterwards than
// before (the slack covers containers that keep their capacity).
TEST(RowMemory, LockStateGoesWhenTheTransactionEnds) {
  Dictionary dict;
  auto created = dict.create(bench_shape(), 1);
  ASSERT_EQ(created.error, 0u);
  PagePool data(uint64_t{1} << 28, kDataPageBytes);
  PagePool index(uint64_t{1} << 27, kIndexPageBytes);
  Fragment base(created.table, 0, data, index);
  constexpr int64_t kRows = 20000;
  for (int64_t i = 0; i < kRows; ++i) {
    KeyOp w{1, 1, OpType::kInsert, LockMode::kExclusive, {Value{i}}, {{1, Value{"row-" + std::to_string(i)}}}};
    ASSERT_TRUE(base.execute(w, 0));
  }
  base.commit(1, 1);
  const size_t loaded = heap_in_use();
  const uint32_t pages = data.used_pages();
  for (int64_t i = 0; i < kRows; ++i) {
    KeyOp r{2, 1, OpType::kRead, LockMode::kShared, {Value{i}}, {}};
    ASSERT_TRUE(base.execute(r, 0));
  }
  EXPECT_GT(heap_in_use(), loaded + kRows * 50);  // the lock records are there
  base.commit(2, 2);
  EXPECT_LT(heap_in_use(), loaded + kRows * 8);
  for (int64_t i = 0; i < kRows; ++i) {
    KeyOp u{3, 1, OpType::kUpdate, LockMode::kExclusive, {Value{i}}, {{2, Value{i}}}};
    ASSERT_TRUE(base.execute(u, 0));
  }
  EXPECT_GT(heap_in_use(), loaded + kRows * 50);  // lock records and prepared images
  base.abort(3);
  EXPECT_LT(heap_in_use(), loaded + kRows * 8);
  EXPECT_EQ(data.used_pages(), pages);
  EXPECT_EQ(base.stats().transactions, 0u);
}

}  // namespace
