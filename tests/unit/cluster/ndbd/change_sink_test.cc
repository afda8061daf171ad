// The change stream: every committed row change reaches the sink once, with
// its GCI, operation, key bytes and after-image; aborted changes and
// restored rows never do; copied rows come as kRefresh.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "cluster/ndbd/engine/fragment.h"

using namespace halb::cluster::engine;

namespace {

std::shared_ptr<const Table> items() {
  Table t;
  t.id = 3;
  t.version = 2;
  t.name = "items";
  t.columns = {{"id", ColumnType::kInt, false, false, 0, 0, 0},
               {"label", ColumnType::kVarchar, false, true, 16, 0, 0}};
  t.primary_key = {0};
  EXPECT_EQ(normalise(t), "");
  return std::make_shared<const Table>(std::move(t));
}

struct Recorded {
  uint64_t gci;
  uint32_t table, version, fragment;
  ChangeOp op;
  std::string key;
  std::optional<Row> row;
};

struct Recorder : ChangeSink {
  std::vector<Recorded> seen;
  void on_commit(const RowChange& c) override {
    seen.push_back({c.gci, c.table_id, c.table_version, c.fragment, c.op, std::string(c.key),
                    c.row ? std::optional<Row>(*c.row) : std::nullopt});
  }
};

struct Replica {
  PagePool data{8 * kDataPageBytes, kDataPageBytes};
  PagePool index{4 * kIndexPageBytes, kIndexPageBytes};
  Fragment frag{items(), 1, data, index};
  Recorder sink;
  uint32_t next_op = 1;
  Replica() { frag.set_change_sink(&sink); }
  void write(TransId t, OpType type, int64_t id, const std::string& label = "") {
    ColumnValues set;
    if (type != OpType::kDelete) set = {{1, Value{label}}};
    auto r = frag.execute(KeyOp{t, next_op++, type, LockMode::kExclusive, {Value{id}}, set}, 0);
    ASSERT_TRUE(r && r->error == 0);
  }
};

}  // namespace

TEST(ChangeSink, CommitsReachTheSinkWithGciOpKeyAndImage) {
  Replica s;
  s.write(1, OpType::kInsert, 5, "five");
  s.write(1, OpType::kInsert, 6, "six");
  EXPECT_TRUE(s.sink.seen.empty());  // prepared, not committed
  s.frag.commit(1, 10);
  ASSERT_EQ(s.sink.seen.size(), 2u);
  for (auto& r : s.sink.seen) {
    EXPECT_EQ(r.gci, 10u);
    EXPECT_EQ(r.table, 3u);
    EXPECT_EQ(r.version, 2u);
    EXPECT_EQ(r.fragment, 1u);
    EXPECT_EQ(r.op, ChangeOp::kInsert);
    ASSERT_TRUE(r.row);
  }
  EXPECT_EQ(encode_key(*items(), {0}, *s.sink.seen[0].row), s.sink.seen[0].key);

  s.write(2, OpType::kUpdate, 5, "FIVE");
  s.write(2, OpType::kDelete, 6);
  s.frag.commit(2, 11);
  ASSERT_EQ(s.sink.seen.size(), 4u);
  EXPECT_EQ(s.sink.seen[2].op, ChangeOp::kUpdate);
  EXPECT_EQ(std::get<std::string>((*s.sink.seen[2].row)[1]), "FIVE");
  EXPECT_EQ(s.sink.seen[3].op, ChangeOp::kDelete);
  EXPECT_FALSE(s.sink.seen[3].row);
  EXPECT_EQ(s.sink.seen[3].gci, 11u);
}

TEST(ChangeSink, AbortsAndInsertDeleteInOneTransactionLeaveNothing) {
  Replica s;
  s.write(1, OpType::kInsert, 5, "five");
  s.frag.abort(1);
  s.write(2, OpType::kInsert, 7, "seven");
  s.write(2, OpType::kDelete, 7);
  s.frag.commit(2, 3);
  EXPECT_TRUE(s.sink.seen.empty());
}

TEST(ChangeSink, CopiedRowsAreRefreshesRestoredRowsAreSilent) {
  Replica s;
  s.frag.begin_copy();
  EXPECT_EQ(s.frag.apply_copy(CopiedRow{Row{Value{int64_t{1}}, Value{std::string("one")}}, 4}), 0u);
  s.frag.end_copy();
  ASSERT_EQ(s.sink.seen.size(), 1u);
  EXPECT_EQ(s.sink.seen[0].op, ChangeOp::kRefresh);
  EXPECT_EQ(s.sink.seen[0].gci, 4u);

  EXPECT_EQ(s.frag.restore_row(Row{Value{int64_t{2}}, Value{std::string("two")}}, 2), 0u);
  EXPECT_EQ(s.frag.restore_row(Row{Value{int64_t{2}}, Value{std::string("deux")}}, 3), 0u);
  s.frag.restore_delete(encode_key(*items(), {0}, Row{Value{int64_t{1}}, Value{}}));
  EXPECT_EQ(s.sink.seen.size(), 1u);
  EXPECT_FALSE(s.frag.read_committed({Value{int64_t{1}}}));
  auto two = s.frag.read_committed({Value{int64_t{2}}});
  ASSERT_TRUE(two);
  EXPECT_EQ(std::get<std::string>((*two)[1]), "deux");
  EXPECT_EQ(s.frag.stats().committed_rows, 1u);
  auto copy = s.frag.copy_rows("", 10);
  ASSERT_EQ(copy.rows.size(), 1u);
  EXPECT_EQ(copy.rows[0].gci, 3u);
  // A bad row is refused, not installed.
  EXPECT_NE(s.frag.restore_row(Row{Value{int64_t{3}}}, 1), 0u);
}
