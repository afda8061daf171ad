// A data node's files end to end, without the daemon: changes through the
// change stream into the redo log, a local checkpoint taken while writes go
// on, restore to a chosen GCI from checkpoint + redo, and the restart mark
// that keeps changes of GCIs given up by a restart from coming back later.
#include <gtest/gtest.h>

#include <stdlib.h>

#include "cluster/ndbd/daemon/durability.h"
#include "cluster/ndbd/fs/files.h"
#include "tests/unit/cluster/ndbd/sim_cluster.h"

using namespace halb::cluster;
using namespace halb::cluster::engine;
using namespace halb::cluster::engine::test;

namespace {

Table items() {
  Table t;
  t.name = "items";
  t.columns = {{"id", ColumnType::kBigInt, false, false, 0, 0, 0}, {"v", ColumnType::kBigInt, false, true, 0, 0, 0}};
  t.primary_key = {0};
  return t;
}

struct Node {
  SimCluster c{{2}, 1};
  std::shared_ptr<const Table> t;
  void write(int64_t id, int64_t v) {
    ApiExecuteReq r;
    r.ops = {ApiOp{t->id, OpType::kWrite, LockMode::kExclusive, {Value{id}}, {{1, Value{v}}}, std::nullopt}};
    r.exec = ExecType::kCommit;
    ASSERT_EQ(c.execute(2, r).state, TransState::kCommitted);
  }
  void remove(int64_t id) {
    ApiExecuteReq r;
    r.ops = {ApiOp{t->id, OpType::kDelete, LockMode::kExclusive, {Value{id}}, {}, std::nullopt}};
    r.exec = ExecType::kCommit;
    ASSERT_EQ(c.execute(2, r).state, TransState::kCommitted);
  }
  std::optional<int64_t> value(int64_t id) {
    auto tt = c.node(2).dictionary().find("items");
    if (!tt) return std::nullopt;
    auto* f = c.node(2).lqh().fragment(tt->id, 0);
    auto row = f ? f->read_committed({Value{id}}) : std::nullopt;
    if (!row) return std::nullopt;
    return std::get<int64_t>((*row)[1]);
  }
  size_t rows() {
    auto tt = c.node(2).dictionary().find("items");
    return c.node(2).lqh().fragment(tt->id, 0)->stats().committed_rows;
  }
  // Changes go to `dur` from now on; the table is created and its schema
  // written as of GCI `schema_gci`.
  void log_to(ndbd::Durability& dur, uint64_t schema_gci) {
    std::string error;
    c.node(2).set_change_sink(&dur);
    t = c.create_table(items());
    ASSERT_TRUE(dur.write_schema(c.node(2), schema_gci, error)) << error;
  }
};

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/halb-dur-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::string e;
    fs::remove_tree(path, e);
  }
};

ndbd::DurabilityOptions options(const std::string& dir) {
  ndbd::DurabilityOptions o;
  o.fs_dir = dir;
  o.fragment_log_files = 3;
  o.fragment_log_file_size = 64 * 1024;
  o.lcp_log2_words = 30;  // only when asked
  return o;
}

}  // namespace

TEST(Durability, RestoreFromCheckpointAndRedoToAGci) {
  TempDir d;
  halb::log::Logger logger;
  std::string error, summary;
  {
    Node n;
    ndbd::Durability dur(options(d.path), logger, 2);
    ASSERT_TRUE(dur.create(error)) << error;
    n.log_to(dur, 1);
    n.c.node(2).set_gci(1);
    for (int64_t k = 0; k < 3000; ++k) n.write(k, 1);
    ASSERT_TRUE(dur.save_gci(1, error));
    n.c.node(2).set_gci(2);
    // A checkpoint taken while writes go on (fuzzy), usable once GCI 2 is complete.
    dur.request_lcp();
    int steps = 0;
    while (dur.lcps_completed() == 0 && steps++ < 10000) {
      dur.step(n.c.node(2), 2);
      if (steps % 3 == 0) n.write(steps, 2);
    }
    ASSERT_EQ(dur.lcps_completed(), 1u);
    for (int64_t k = 0; k < 100; ++k) n.remove(k);
    ASSERT_TRUE(dur.save_gci(2, error));
    dur.complete_gci(2);
    n.c.node(2).set_gci(3);
    for (int64_t k = 100; k < 200; ++k) n.write(k, 3);
    ASSERT_TRUE(dur.save_gci(3, error));
    n.c.node(2).set_gci(4);
    for (int64_t k = 200; k < 300; ++k) n.write(k, 4);  // never saved
    ASSERT_TRUE(dur.flush(error));
    n.c.node(2).set_change_sink(nullptr);
  }
  {
    Node n;
    ndbd::Durability dur(options(d.path), logger, 2);
    auto st = dur.inspect();
    EXPECT_TRUE(st.has_files);
    EXPECT_EQ(st.restorable_gci, 3u);
    ASSERT_TRUE(dur.restore(n.c.node(2), 3, summary, error)) << error;
    EXPECT_NE(summary.find("local checkpoint 1"), std::string::npos) << summary;
    EXPECT_FALSE(n.value(50));
    EXPECT_EQ(n.value(150), 3);
    EXPECT_EQ(n.value(250), 1);  // GCI 4 is past the restore point
    EXPECT_EQ(n.value(2999), 1);
    EXPECT_EQ(n.rows(), 2900u);
    // Life goes on after the restart: GCI 4 again, with other changes.
    n.c.node(2).set_change_sink(&dur);
    n.t = n.c.node(2).dictionary().find("items");
    n.c.node(2).set_gci(4);
    n.write(5000, 44);
    ASSERT_TRUE(dur.save_gci(4, error));
    n.c.node(2).set_change_sink(nullptr);
  }
  {
    Node n;
    ndbd::Durability dur(options(d.path), logger, 2);
    EXPECT_EQ(dur.inspect().restorable_gci, 4u);
    ASSERT_TRUE(dur.restore(n.c.node(2), 4, summary, error)) << error;
    // The first run's GCI 4 was given up by the restart: it stays away.
    EXPECT_EQ(n.value(250), 1);
    EXPECT_EQ(n.value(5000), 44);
    EXPECT_EQ(n.rows(), 2901u);
  }
}

TEST(Durability, ADamagedCheckpointIsRefusedWhenTheRedoWasTrimmed) {
  TempDir d;
  halb::log::Logger logger;
  std::string error, summary;
  {
    Node n;
    ndbd::Durability dur(options(d.path), logger, 2);
    ASSERT_TRUE(dur.create(error));
    n.log_to(dur, 1);
    n.c.node(2).set_gci(1);
    for (int64_t k = 0; k < 4000; ++k) n.write(k, 1);  // > one 64 KB segment of redo
    ASSERT_TRUE(dur.save_gci(1, error));
    dur.complete_gci(1);
    n.c.node(2).set_gci(2);
    dur.request_lcp();
    for (int i = 0; i < 10000 && dur.lcps_completed() == 0; ++i) dur.step(n.c.node(2), 2);
    ASSERT_TRUE(dur.save_gci(2, error));
    dur.complete_gci(2);  // the checkpoint becomes the base; the redo before it goes
    EXPECT_GT(dur.redo()->tail_lsn(), 0u);
    n.c.node(2).set_change_sink(nullptr);
  }
  // Flip a byte in the middle of the checkpoint's data file.
  auto lcps = fs::list_lcps(d.path + "/lcp");
  ASSERT_EQ(lcps.size(), 1u);
  std::string data_file;
  for (auto& name : fs::list_dir(fs::lcp_dir(d.path + "/lcp", lcps[0])))
    if (name.find(".data") != std::string::npos) data_file = fs::lcp_dir(d.path + "/lcp", lcps[0]) + "/" + name;
  ASSERT_FALSE(data_file.empty());
  auto bytes = *fs::read_all(data_file, error);
  bytes[bytes.size() / 2] ^= 0x20;
  ASSERT_TRUE(fs::write_atomic(data_file, bytes, error));
  Node n;
  ndbd::Durability dur(options(d.path), logger, 2);
  auto st = dur.inspect();
  EXPECT_FALSE(st.has_files);
  EXPECT_TRUE(st.damaged);
  EXPECT_NE(st.note.find("checksum"), std::string::npos) << st.note;
  EXPECT_FALSE(dur.restore(n.c.node(2), 2, summary, error));
}

namespace {

// GCI 1: table items with 50 rows, complete. GCI 2 (saved, not complete
// cluster-wide): items dropped, table other created with a row.
void ddl_in_two_gcis(const std::string& dir, halb::log::Logger& logger) {
  std::string error;
  Node n;
  ndbd::Durability dur(options(dir), logger, 2);
  ASSERT_TRUE(dur.create(error)) << error;
  n.log_to(dur, 1);
  n.c.node(2).set_gci(1);
  for (int64_t k = 0; k < 50; ++k) n.write(k, 1);
  ASSERT_TRUE(dur.save_gci(1, error));
  dur.complete_gci(1);
  n.c.node(2).set_gci(2);
  ASSERT_EQ(n.c.node(2).drop_table("items").error, 0u);
  Table other = items();
  other.name = "other";
  n.t = n.c.create_table(other);
  ASSERT_TRUE(n.t);
  ASSERT_TRUE(dur.write_schema(n.c.node(2), 2, error)) << error;
  n.write(7, 2);
  ASSERT_TRUE(dur.save_gci(2, error));
  n.c.node(2).set_change_sink(nullptr);
}

}  // namespace

TEST(Durability, ARestoreBelowTheDropPutsTheTableBackAndLeavesALaterCreateOut) {
  TempDir d;
  halb::log::Logger logger;
  ddl_in_two_gcis(d.path, logger);
  std::string error, summary;
  Node n;
  ndbd::Durability dur(options(d.path), logger, 2);
  ASSERT_TRUE(dur.restore(n.c.node(2), 1, summary, error)) << error;
  EXPECT_NE(summary.find("1 created after GCI 1 left out"), std::string::npos) << summary;
  EXPECT_NE(summary.find("1 dropped after GCI 1 put back"), std::string::npos) << summary;
  EXPECT_FALSE(n.c.node(2).dictionary().find("other"));
  ASSERT_TRUE(n.c.node(2).dictionary().find("items"));
  EXPECT_EQ(n.rows(), 50u);
  EXPECT_EQ(n.value(49), 1);
  // The schema file was rewritten to that state: restored once more, the
  // node still knows nothing of "other".
  Node again;
  ndbd::Durability dur2(options(d.path), logger, 2);
  ASSERT_TRUE(dur2.restore(again.c.node(2), 1, summary, error)) << error;
  EXPECT_FALSE(again.c.node(2).dictionary().find("other"));
  EXPECT_TRUE(again.c.node(2).dictionary().find("items"));
}

TEST(Durability, ARestoreAtTheDropLeavesTheTableOutAndKeepsTheNewOne) {
  TempDir d;
  halb::log::Logger logger;
  ddl_in_two_gcis(d.path, logger);
  std::string error, summary;
  Node n;
  ndbd::Durability dur(options(d.path), logger, 2);
  ASSERT_TRUE(dur.restore(n.c.node(2), 2, summary, error)) << error;
  EXPECT_FALSE(n.c.node(2).dictionary().find("items"));
  auto other = n.c.node(2).dictionary().find("other");
  ASSERT_TRUE(other);
  auto* f = n.c.node(2).lqh().fragment(other->id, 0);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->stats().committed_rows, 1u);
}

// The files say who took part in each saved GCI, and a node that leaves
// while others go on says so: its restart alone must wait for them.
TEST(Durability, EndMarksNameTheNodesAndWhoWentOn) {
  TempDir d;
  halb::log::Logger logger;
  std::string error, summary;
  {
    ndbd::Durability dur(options(d.path), logger, 3);
    ASSERT_TRUE(dur.create(error)) << error;
    dur.note_alive({2, 3}, 5);
    ASSERT_TRUE(dur.save_gci(5, error)) << error;
    dur.note_alive({2, 3}, 6);
    ASSERT_TRUE(dur.save_gci(6, error)) << error;
  }
  {
    ndbd::Durability dur(options(d.path), logger, 3);
    auto st = dur.inspect();
    EXPECT_EQ(st.restorable_gci, 6u);
    EXPECT_EQ(st.node_gcis, (std::map<uint32_t, uint64_t>{{2, 6}, {3, 6}}));
    Node n;
    ASSERT_TRUE(dur.restore(n.c.node(2), 6, summary, error)) << error;
    // Node 2 fails; node 3 goes on alone, then stops while node 4 (say) runs.
    dur.note_alive({3}, 8);
    ASSERT_TRUE(dur.save_gci(8, error)) << error;
    ASSERT_TRUE(dur.save_leaving({4}, error)) << error;
  }
  ndbd::Durability dur(options(d.path), logger, 3);
  auto st = dur.inspect();
  EXPECT_EQ(st.restorable_gci, 8u);  // the leaving mark repeats the last saved GCI
  EXPECT_EQ(st.node_gcis, (std::map<uint32_t, uint64_t>{{2, 6}, {3, 8}, {4, 9}}));
}

// An initial node restart: the copy (more rows than the redo log holds)
// is not logged; the files are refused until the checkpoint after the
// copy is on disk and a GCI at or past it is saved, then restore fully.
TEST(Durability, ACopyBiggerThanTheRedoCountsOnceItsCheckpointIsOnDisk) {
  TempDir d;
  halb::log::Logger logger;
  std::string error, summary;
  const auto refused = [&](const char* when) {
    Node other;
    ndbd::Durability look(options(d.path), logger, 2);
    auto st = look.inspect();
    EXPECT_FALSE(st.has_files) << when;
    EXPECT_TRUE(st.damaged) << when;
    EXPECT_NE(st.note.find("initial node restart did not complete"), std::string::npos) << when << ": " << st.note;
    EXPECT_FALSE(look.restore(other.c.node(2), 1, summary, error)) << when;
  };
  {
    Node n;
    ndbd::Durability dur(options(d.path), logger, 2);
    ASSERT_TRUE(dur.create_for_copy(error)) << error;
    const uint64_t start = dur.redo()->head_lsn();
    EXPECT_GT(start, 0u);  // never "the redo holds everything"
    dur.begin_copy();
    n.log_to(dur, 0);
    n.c.node(2).set_gci(1);
    // ~20 bytes of row each: about 1.5 MB of changes for a 768 KB redo.
    for (int64_t k = 0; k < 40000; ++k) n.write(k, 1);
    ASSERT_TRUE(dur.save_gci(1, error)) << error;
    EXPECT_EQ(dur.redo()->head_lsn(), start);  // nothing logged, no end mark
    EXPECT_FALSE(dur.broken());
    refused("during the copy");
    dur.end_copy();
    n.c.node(2).set_gci(2);
    refused("after the copy, before its checkpoint");
    for (int i = 0; i < 100000 && !dur.copy_on_disk(); ++i) {
      dur.step(n.c.node(2), 2);
      if (i % 5 == 0) n.write(40000 + i, 2);  // writes go on, logged again
    }
    ASSERT_TRUE(dur.copy_on_disk());
    EXPECT_EQ(dur.marks_from_gci(), 2u);
    ASSERT_TRUE(dur.save_gci(1, error));  // below the checkpoint: still no end mark
    refused("checkpoint on disk, no GCI saved past it");
    n.write(7, 2);
    ASSERT_TRUE(dur.save_gci(2, error)) << error;
    dur.complete_gci(2);
    n.c.node(2).set_gci(3);
    n.write(8, 3);  // never saved
    ASSERT_TRUE(dur.flush(error));
    n.c.node(2).set_change_sink(nullptr);
  }
  Node n;
  ndbd::Durability dur(options(d.path), logger, 2);
  auto st = dur.inspect();
  EXPECT_TRUE(st.has_files) << st.note;
  EXPECT_EQ(st.restorable_gci, 2u);
  ASSERT_TRUE(dur.restore(n.c.node(2), 2, summary, error)) << error;
  EXPECT_NE(summary.find("local checkpoint"), std::string::npos) << summary;
  EXPECT_EQ(n.value(7), 2);
  EXPECT_EQ(n.value(8), 1);
  EXPECT_EQ(n.value(39999), 1);
  EXPECT_GE(n.rows(), 40000u);
}

// A node restart from own files (catch-up): the files stay restorable to
// their own GCI while the catch-up runs (nothing of it is logged), and a
// later GCI counts only from the checkpoint after it -- so a row the
// catch-up removed (deleted while the node was down) never comes back.
TEST(Durability, ACatchUpCountsFromItsCheckpointSoRemovedRowsStayAway) {
  TempDir d;
  halb::log::Logger logger;
  std::string error, summary;
  {
    Node n;
    ndbd::Durability dur(options(d.path), logger, 2);
    ASSERT_TRUE(dur.create(error)) << error;
    n.log_to(dur, 1);
    n.c.node(2).set_gci(1);
    for (int64_t k = 0; k < 100; ++k) n.write(k, 1);
    ASSERT_TRUE(dur.save_gci(1, error));
    dur.complete_gci(1);
    n.c.node(2).set_change_sink(nullptr);
  }
  {
    Node n;
    ndbd::Durability dur(options(d.path), logger, 2);
    ASSERT_TRUE(dur.inspect().has_files);
    ASSERT_TRUE(dur.restore(n.c.node(2), 1, summary, error)) << error;
    n.t = n.c.node(2).dictionary().find("items");
    dur.begin_copy();
    n.c.node(2).set_change_sink(&dur);
    n.c.node(2).set_gci(2);
    n.remove(5);        // as the catch-up removes a row the live nodes deleted
    n.write(200, 2);    // a forwarded write
    ASSERT_TRUE(dur.save_gci(2, error));
    {
      ndbd::Durability look(options(d.path), logger, 2);
      auto st = look.inspect();
      EXPECT_TRUE(st.has_files);
      EXPECT_EQ(st.restorable_gci, 1u);  // not 2: GCI 2 is not in the files
    }
    dur.end_copy();
    n.c.node(2).set_gci(3);
    for (int i = 0; i < 10000 && !dur.copy_on_disk(); ++i) dur.step(n.c.node(2), 3);
    ASSERT_TRUE(dur.copy_on_disk());
    EXPECT_EQ(dur.marks_from_gci(), 3u);
    n.write(300, 3);
    ASSERT_TRUE(dur.save_gci(3, error));
    dur.complete_gci(3);
    n.c.node(2).set_change_sink(nullptr);
  }
  Node n;
  ndbd::Durability dur(options(d.path), logger, 2);
  EXPECT_EQ(dur.inspect().restorable_gci, 3u);
  ASSERT_TRUE(dur.restore(n.c.node(2), 3, summary, error)) << error;
  EXPECT_FALSE(n.value(5));
  EXPECT_EQ(n.value(200), 2);
  EXPECT_EQ(n.value(300), 3);
  EXPECT_EQ(n.rows(), 101u);
}

// The checkpoint that ends a node restart writes at MaxDiskWriteSpeedOwnRestart,
// later ones at MaxDiskWriteSpeed again.
TEST(Durability, TheCheckpointEndingARestartHasItsOwnWriteSpeed) {
  TempDir d;
  halb::log::Logger logger;
  std::string error;
  Node n;
  auto opt = options(d.path);
  opt.max_disk_write_speed = 64 * 1024;
  opt.max_disk_write_speed_own_restart = 100ull << 20;
  ndbd::Durability dur(opt, logger, 2);
  ASSERT_TRUE(dur.create_for_copy(error)) << error;
  dur.begin_copy();
  n.log_to(dur, 0);
  n.c.node(2).set_gci(1);
  for (int64_t k = 0; k < 2000; ++k) n.write(k, 1);
  dur.end_copy();
  n.c.node(2).set_gci(2);
  dur.step(n.c.node(2), 2);
  ASSERT_TRUE(dur.lcp_running());
  EXPECT_EQ(dur.lcp_write_speed(), 100ull << 20);
  for (int i = 0; i < 10000 && !dur.copy_on_disk(); ++i) dur.step(n.c.node(2), 2);
  ASSERT_TRUE(dur.copy_on_disk());
  n.write(5, 2);
  dur.request_lcp();
  dur.step(n.c.node(2), 2);
  ASSERT_TRUE(dur.lcp_running());
  EXPECT_EQ(dur.lcp_write_speed(), 64u * 1024);
  n.c.node(2).set_change_sink(nullptr);
}
