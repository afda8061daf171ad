// One node's part of a backup: the scan writes every committed row of its
// fragments while changes keep coming, the log records those changes, the
// Data file replayed with the log up to StopGCP equals the fragment at
// StopGCP; buffers bound what is held and writes come in BackupWriteSize
// chunks; settings that cannot work are refused; abort leaves no files.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "cluster/ndbd/backup/local_backup.h"
#include "cluster/ndbd/engine/table_codec.h"

using namespace halb::cluster;
using namespace halb::cluster::backup;
using engine::ColumnType;
using engine::OpType;
using engine::Row;
using engine::Value;

namespace {

struct NoPeers : engine::Peers {
  void send(uint32_t, engine::Message) override {}
};

std::shared_ptr<const engine::Table> items() {
  engine::Table t;
  t.id = 4;
  t.name = "items";
  t.columns = {{"id", ColumnType::kInt, false, false, 0, 0, 0}, {"v", ColumnType::kVarchar, false, true, 64, 0, 0}};
  t.primary_key = {0};
  EXPECT_EQ(engine::normalise(t), "");
  return std::make_shared<const engine::Table>(std::move(t));
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/halb-backup-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct Node {
  engine::PagePool data{64 * engine::kDataPageBytes, engine::kDataPageBytes};
  engine::PagePool index{16 * engine::kIndexPageBytes, engine::kIndexPageBytes};
  NoPeers peers;
  engine::Lqh lqh{2, data, index, peers, 1000};
  std::shared_ptr<const engine::Table> table = items();
  engine::Fragment& frag = lqh.add_fragment(table, 0);
  uint64_t trans = 1;
  uint64_t gci = 10;

  void write(int64_t id, const std::string& v) {
    engine::KeyOp op{trans, 1, OpType::kWrite, engine::LockMode::kExclusive, {Value{id}}, {{1, Value{v}}}};
    ASSERT_EQ(frag.execute(op, 0)->error, 0u);
    frag.commit(trans++, gci);
  }
  void remove(int64_t id) {
    engine::KeyOp op{trans, 1, OpType::kDelete, engine::LockMode::kExclusive, {Value{id}}, {}};
    ASSERT_EQ(frag.execute(op, 0)->error, 0u);
    frag.commit(trans++, gci);
  }
  std::map<int64_t, std::string> contents() {
    std::map<int64_t, std::string> out;
    auto b = frag.copy_rows("", 1u << 30);
    for (auto& r : b.rows) out[std::get<int64_t>(r.row[0])] = std::get<std::string>(r.row[1]);
    return out;
  }
};

// Data file, then the log up to stop_gci: what restore does.
std::map<int64_t, std::string> replay(const std::string& dir, uint32_t id, uint32_t node, uint64_t stop_gci) {
  std::map<int64_t, std::string> out;
  DataReader d(dir + "/" + data_file_name(id, node));
  uint32_t table;
  Row row;
  while (d.next(table, row)) out[std::get<int64_t>(row[0])] = std::get<std::string>(row[1]);
  EXPECT_TRUE(d.ended()) << d.error();
  LogReader l(dir + "/" + log_file_name(id, node));
  LogEntry e;
  while (l.next(e)) {
    if (e.gci > stop_gci) continue;
    if (e.op == LogOp::kDelete) out.erase(std::get<int64_t>(e.values[0]));
    else out[std::get<int64_t>(e.values[0])] = std::get<std::string>(e.values[1]);
  }
  EXPECT_TRUE(l.ended()) << l.error();
  return out;
}

BackupSettings small(const std::string& root) {
  BackupSettings s;
  s.root = root;
  s.data_buffer = 4096;
  s.log_buffer = 4096;
  s.memory = 8192;
  s.write_size = 2048;
  return s;
}

}  // namespace

TEST(LocalBackup, ScanPlusLogEqualsTheFragmentAtStopGci) {
  TempDir tmp;
  Node n;
  for (int i = 0; i < 2000; ++i) n.write(i, "v" + std::to_string(i));
  LocalBackup b(9, 2, small(tmp.path));
  struct Sink : engine::ChangeSink {
    LocalBackup* b;
    void on_commit(const engine::RowChange& c) override { b->on_change(c); }
  } sink;
  sink.b = &b;
  n.lqh.set_change_sink(&sink);
  std::string error;
  ASSERT_TRUE(b.begin({{n.table, 0}}, error)) << error;
  // Writes between scan steps: updates behind and ahead of the cursor,
  // deletes, inserts; then StopGCP 11 and writes after it that must not count.
  int step = 0;
  LocalBackup::Step s;
  while ((s = b.scan_step(n.lqh, error)) == LocalBackup::Step::kMore) {
    ++step;
    n.write(step * 97 % 2000, "u" + std::to_string(step));
    n.write(1000 + step, "new" + std::to_string(step));
    n.remove(step * 131 % 2000);
    if (step == 3) n.gci = 11;
  }
  ASSERT_EQ(s, LocalBackup::Step::kDone) << error;
  ASSERT_GT(step, 3) << "the scan should take several buffer-sized steps";
  n.write(2, "after");
  n.remove(3);
  auto at_stop = n.contents();
  n.gci = 12;
  n.write(4, "past stop gci");
  n.remove(5);
  CtlFile ctl;
  ctl.stop_gci = 11;
  ctl.start_gci = 10;
  ctl.tables = {engine::encode_table(*n.table)};
  ctl.fragments = b.fragment_refs();
  ASSERT_TRUE(b.finish(ctl, error)) << error;
  n.lqh.set_change_sink(nullptr);
  std::string dir = backup_dir(tmp.path, 9);
  EXPECT_EQ(replay(dir, 9, 2, 11), at_stop);
  BackupStats st = b.stats();
  EXPECT_GT(st.records, 1800u);
  EXPECT_GT(st.log_records, 0u);
  std::ifstream f(dir + "/" + ctl_file_name(9, 2), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto c = decode_ctl(bytes, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->stop_gci, 11u);
  EXPECT_EQ(c->fragments, (std::vector<FragmentRef>{{4, 0, 2}}));
}

TEST(LocalBackup, AbortLeavesNoFiles) {
  TempDir tmp;
  Node n;
  for (int i = 0; i < 50; ++i) n.write(i, "x");
  std::string error;
  {
    LocalBackup b(3, 2, small(tmp.path));
    ASSERT_TRUE(b.begin({{n.table, 0}}, error)) << error;
    b.scan_step(n.lqh, error);
    EXPECT_TRUE(std::filesystem::exists(backup_dir(tmp.path, 3)));
    b.remove_files();
  }
  EXPECT_FALSE(std::filesystem::exists(backup_dir(tmp.path, 3)));
  {
    LocalBackup b(4, 2, small(tmp.path));
    ASSERT_TRUE(b.begin({{n.table, 0}}, error)) << error;
  }  // destroyed unfinished: the same
  EXPECT_FALSE(std::filesystem::exists(backup_dir(tmp.path, 4)));
}

TEST(LocalBackup, AnExistingBackupIsNotOverwritten) {
  TempDir tmp;
  Node n;
  std::string error;
  LocalBackup a(5, 2, small(tmp.path));
  ASSERT_TRUE(a.begin({{n.table, 0}}, error));
  ASSERT_EQ(a.scan_step(n.lqh, error), LocalBackup::Step::kDone);
  ASSERT_TRUE(a.finish(CtlFile{}, error)) << error;
  LocalBackup b(5, 2, small(tmp.path));
  EXPECT_FALSE(b.begin({{n.table, 0}}, error));
  EXPECT_NE(error.find("already exists"), std::string::npos) << error;
  EXPECT_TRUE(std::filesystem::exists(backup_dir(tmp.path, 5) + "/" + ctl_file_name(5, 2)));
}

TEST(LocalBackup, SettingsThatCannotWorkAreRefused) {
  BackupSettings s = small("/tmp");
  EXPECT_EQ(check_settings(s), "");
  s.memory = 4096;
  EXPECT_NE(check_settings(s).find("more than BackupMemory"), std::string::npos);
  s = small("/tmp");
  s.write_size = 8192;
  EXPECT_NE(check_settings(s).find("larger than BackupDataBufferSize"), std::string::npos);
  s = small("");
  EXPECT_NE(check_settings(s).find("BackupDataDir"), std::string::npos);
}

TEST(ChunkedFile, WritesWholeChunksAndHoldsAtMostItsBuffer) {
  TempDir tmp;
  ChunkedFile f;
  std::string error;
  ASSERT_TRUE(f.open(tmp.path + "/f", 4096, 1024, error)) << error;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(f.append(std::string(300, 'a' + i % 26), error));
  EXPECT_LE(f.max_buffered(), 4096u);
  uint64_t writes = f.writes();
  EXPECT_EQ(writes, 30000u / 1024);  // only whole chunks before finish
  ASSERT_TRUE(f.finish(error)) << error;
  EXPECT_EQ(std::filesystem::file_size(tmp.path + "/f"), 30000u);
  ChunkedFile again;
  EXPECT_FALSE(again.open(tmp.path + "/f", 4096, 1024, error));
}
