// Node restart catch-up between two fragment replicas: the source ships
// rows stamped after the restore GCI whole and the others as key + stamp;
// the target keeps its matching rows, takes the changed ones, drops the
// ones the source lost, and reports a mismatch when its own rows differ.
#include <gtest/gtest.h>

#include <memory>

#include "cluster/ndbd/engine/fragment.h"

using namespace halb::cluster::engine;

namespace {

std::shared_ptr<const Table> items() {
  Table t;
  t.id = 3;
  t.name = "items";
  t.columns = {{"id", ColumnType::kInt, false, false, 0, 0, 0}, {"v", ColumnType::kInt, false, true, 0, 0, 0}};
  t.primary_key = {0};
  EXPECT_EQ(normalise(t), "");
  return std::make_shared<const Table>(std::move(t));
}

struct Replica {
  PagePool data{8 * kDataPageBytes, kDataPageBytes};
  PagePool index{4 * kIndexPageBytes, kIndexPageBytes};
  Fragment frag{items(), 0, data, index};
  void put(int64_t id, int64_t v, uint64_t gci) { ASSERT_EQ(frag.restore_row(Row{Value{id}, Value{v}}, gci), 0u); }
  std::optional<int64_t> get(int64_t id) {
    auto r = frag.read_committed({Value{id}});
    return r ? std::optional<int64_t>(std::get<int64_t>((*r)[1])) : std::nullopt;
  }
};

// Pulls every batch of `src` into `dst` the way DataNodeEngine does.
uint32_t pull(Replica& src, Replica& dst, uint64_t since, size_t* full = nullptr, size_t* keys = nullptr) {
  std::string cursor;
  for (;;) {
    auto b = src.frag.copy_rows(cursor, 3, since);
    for (auto& r : b.rows) {
      if (uint32_t e = dst.frag.apply_copy(r)) return e;
      if (full && !r.unchanged) ++*full;
      if (keys && r.unchanged) ++*keys;
    }
    if (b.done) return 0;
    cursor = b.cursor;
  }
}

}  // namespace

TEST(Catchup, OnlyChangedRowsTravelAndLostRowsGo) {
  Replica live, back;
  for (int64_t k = 0; k < 10; ++k) {
    live.put(k, k, 4);
    back.put(k, k, 4);
  }
  // While `back` was down (its files end at GCI 5): 3 changed, 4 deleted, 20 new.
  live.put(3, 33, 7);
  live.frag.restore_delete(encode_key(*items(), {0}, Row{Value{int64_t{4}}, Value{}}));
  live.put(20, 20, 8);
  back.frag.begin_catchup(5);
  size_t full = 0, keys = 0;
  ASSERT_EQ(pull(live, back, 5, &full, &keys), 0u);
  EXPECT_EQ(back.frag.end_catchup(), 1u);
  back.frag.end_copy();
  EXPECT_EQ(full, 2u);
  EXPECT_EQ(keys, 8u);
  EXPECT_EQ(back.get(3), 33);
  EXPECT_FALSE(back.get(4));
  EXPECT_EQ(back.get(20), 20);
  EXPECT_EQ(back.get(9), 9);
  EXPECT_EQ(back.frag.stats().committed_rows, live.frag.stats().committed_rows);
}

TEST(Catchup, OwnRowsThatDifferAreAMismatch) {
  Replica live, back;
  live.put(1, 1, 4);
  back.put(1, 99, 3);  // another version below the restore GCI
  back.frag.begin_catchup(5);
  EXPECT_EQ(pull(live, back, 5), kCatchupMismatch);
  Replica live2, empty;
  live2.put(1, 1, 4);
  empty.frag.begin_catchup(5);
  EXPECT_EQ(pull(live2, empty, 5), kCatchupMismatch);  // a row it should have had
}

TEST(Catchup, SameStampOtherContentsIsAMismatch) {
  // Equal GCI stamps do not prove equal rows: a takeover commit or a row
  // changed twice within one GCI leaves two versions with one stamp.
  Replica live, back;
  live.put(1, 1, 4);
  live.put(2, 2, 4);
  back.put(1, 1, 4);
  back.put(2, 99, 4);
  back.frag.begin_catchup(5);
  EXPECT_EQ(pull(live, back, 5), kCatchupMismatch);
}

TEST(Catchup, RowsOfTheBoundaryGciTravelWhole) {
  // The restarting node's files end at GCI 5, but the row changed again
  // within GCI 5 after its copy was made: the source's version wins.
  Replica live, back;
  live.put(1, 1, 5);
  live.put(2, 2, 3);
  back.put(1, 99, 5);
  back.put(2, 2, 3);
  back.frag.begin_catchup(5);
  size_t full = 0, keys = 0;
  ASSERT_EQ(pull(live, back, 5, &full, &keys), 0u);
  EXPECT_EQ(back.frag.end_catchup(), 0u);
  back.frag.end_copy();
  EXPECT_EQ(full, 1u);
  EXPECT_EQ(keys, 1u);
  EXPECT_EQ(back.get(1), 1);
  EXPECT_EQ(back.get(2), 2);
}
