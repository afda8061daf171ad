// The data node's files: redo records, LCP files and the schema file round
// trip; a truncated or bit-flipped tail is found and everything before it
// kept; a damaged checkpoint or schema is refused, never half believed; the
// redo log is bounded by its segment count and trim frees segments.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cluster/ndbd/fs/crc32c.h"
#include "cluster/ndbd/fs/files.h"
#include "cluster/ndbd/fs/lcp_files.h"
#include "cluster/ndbd/fs/redo_log.h"
#include "cluster/ndbd/fs/schema_file.h"

using namespace halb::cluster;
using engine::ChangeOp;
using engine::Row;
using engine::Value;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/halb-fs-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::string e;
    fs::remove_tree(path, e);
  }
};

fs::RedoRecord change(uint64_t gci, int64_t id, const std::string& text) {
  fs::RedoRecord r;
  r.gci = gci;
  r.table_id = 4;
  r.table_version = 1;
  r.fragment = 2;
  r.op = ChangeOp::kUpdate;
  r.key = "k" + std::to_string(id);
  r.row = Row{Value{id}, Value{text}, Value{}, Value{uint64_t{7}}, Value{2.5}};
  return r;
}

fs::RedoRecord mark(fs::RedoKind k, uint64_t gci) {
  fs::RedoRecord r;
  r.kind = k;
  r.gci = gci;
  return r;
}

std::vector<std::pair<fs::RedoRecord, uint64_t>> read_all_records(const fs::RedoOptions& o, fs::RedoScan* out = nullptr) {
  std::vector<std::pair<fs::RedoRecord, uint64_t>> seen;
  auto s = fs::RedoLog::scan(o, [&](const fs::RedoRecord& r, uint64_t lsn) { seen.emplace_back(r, lsn); });
  if (out) *out = s;
  return seen;
}

void flip_byte(const std::string& path, off_t at) {
  int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char c;
  ASSERT_EQ(::pread(fd, &c, 1, at), 1);
  c ^= 0x10;
  ASSERT_EQ(::pwrite(fd, &c, 1, at), 1);
  ::close(fd);
}

off_t file_size(const std::string& path) {
  std::string e;
  auto b = fs::read_all(path, e);
  return b ? static_cast<off_t>(b->size()) : -1;
}

}  // namespace

TEST(FsFormats, Crc32cKnownValue) {
  EXPECT_EQ(fs::crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(fs::crc32c(""), 0u);
}

TEST(FsFormats, RedoRecordsRoundTrip) {
  for (auto op : {ChangeOp::kInsert, ChangeOp::kUpdate, ChangeOp::kDelete, ChangeOp::kRefresh}) {
    auto r = change(9, 3, "three");
    r.op = op;
    if (op == ChangeOp::kDelete) r.row.reset();
    std::string err;
    auto back = fs::decode_redo(fs::encode_redo(r), err);
    ASSERT_TRUE(back) << err;
    EXPECT_EQ(back->gci, 9u);
    EXPECT_EQ(back->op, op);
    EXPECT_EQ(back->key, "k3");
    EXPECT_EQ(back->row, r.row);
  }
  // The change stream's own encoding is the same bytes.
  auto r = change(5, 1, "x");
  engine::RowChange c{5, 4, 1, 2, ChangeOp::kUpdate, r.key, &*r.row};
  EXPECT_EQ(fs::encode_change(c), fs::encode_redo(r));
  std::string err;
  EXPECT_FALSE(fs::decode_redo(std::string("\x09", 1), err));
  EXPECT_FALSE(fs::decode_redo(fs::encode_redo(r) + "x", err));
  EXPECT_FALSE(fs::decode_redo(fs::encode_redo(r).substr(0, 20), err));
}

TEST(FsFormats, RedoLogAppendsSyncsAndScansInOrder) {
  TempDir d;
  fs::RedoOptions o{d.path, 8, 1024};
  std::string err;
  {
    fs::RedoLog log(o);
    ASSERT_TRUE(log.create(err)) << err;
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(log.append(change(1 + i / 10, i, "row" + std::to_string(i))));
    ASSERT_TRUE(log.append(mark(fs::RedoKind::kGciEnd, 5)));
    ASSERT_TRUE(log.sync(err)) << err;
    EXPECT_EQ(log.synced_lsn(), log.head_lsn());
  }
  fs::RedoScan s;
  auto seen = read_all_records(o, &s);
  ASSERT_EQ(seen.size(), 51u);
  EXPECT_EQ(s.damage, "");
  EXPECT_EQ(s.last_gci_end, 5u);
  EXPECT_GT(fs::list_dir(d.path).size(), 1u);  // it rolled over segments
  for (int i = 0; i < 50; ++i) EXPECT_EQ(std::get<int64_t>((*seen[i].first.row)[0]), i);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i].second, seen[i - 1].second);
}

TEST(FsFormats, RedoTruncatedTailIsCutBackToTheLastGoodRecord) {
  TempDir d;
  fs::RedoOptions o{d.path, 8, 1 << 20};
  std::string err;
  fs::RedoLog log(o);
  ASSERT_TRUE(log.create(err));
  for (int i = 0; i < 10; ++i) log.append(change(1, i, "a"));
  log.append(mark(fs::RedoKind::kGciEnd, 1));
  for (int i = 10; i < 20; ++i) log.append(change(2, i, "b"));
  ASSERT_TRUE(log.sync(err));
  const std::string seg = d.path + "/redo.0000000000000000";
  const off_t size = file_size(seg);
  ASSERT_EQ(::truncate(seg.c_str(), size - 5), 0);
  fs::RedoScan s;
  auto seen = read_all_records(o, &s);
  EXPECT_EQ(seen.size(), 20u);  // the cut record is gone, the rest is there
  EXPECT_NE(s.damage.find("cut short"), std::string::npos) << s.damage;
  EXPECT_EQ(s.last_gci_end, 1u);
  // Reopening cuts the tail off and appends after the last good record.
  fs::RedoLog again(o);
  ASSERT_TRUE(again.reopen(s, err)) << err;
  again.append(mark(fs::RedoKind::kRestart, 1));
  ASSERT_TRUE(again.sync(err));
  seen = read_all_records(o, &s);
  ASSERT_EQ(seen.size(), 21u);
  EXPECT_EQ(seen.back().first.kind, fs::RedoKind::kRestart);
  EXPECT_EQ(s.damage, "");
}

TEST(FsFormats, RedoBitFlipStopsTheScanThere) {
  TempDir d;
  fs::RedoOptions o{d.path, 8, 1 << 20};
  std::string err;
  fs::RedoLog log(o);
  ASSERT_TRUE(log.create(err));
  std::vector<uint64_t> lsns;
  for (int i = 0; i < 10; ++i) {
    lsns.push_back(log.head_lsn());
    log.append(change(1, i, "abcdef"));
  }
  ASSERT_TRUE(log.sync(err));
  flip_byte(d.path + "/redo.0000000000000000", static_cast<off_t>(lsns[6] + 12));
  fs::RedoScan s;
  auto seen = read_all_records(o, &s);
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_NE(s.damage.find("checksum"), std::string::npos) << s.damage;
  EXPECT_EQ(s.end_lsn, lsns[6]);
  // A flipped length byte is caught too.
  flip_byte(d.path + "/redo.0000000000000000", static_cast<off_t>(lsns[2] + 3));
  seen = read_all_records(o, &s);
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_NE(s.damage, "");
}

TEST(FsFormats, RedoIsBoundedAndTrimFreesSegments) {
  TempDir d;
  fs::RedoOptions o{d.path, 3, 1024};
  std::string err;
  fs::RedoLog log(o);
  ASSERT_TRUE(log.create(err));
  int appended = 0;
  while (log.append(change(1, appended, std::string(100, 'x')))) ++appended;
  EXPECT_GT(appended, 10);
  EXPECT_TRUE(log.nearly_full());
  EXPECT_LE(log.used(), log.capacity());
  const uint64_t head = log.head_lsn();
  log.trim(head);  // everything before the head segment goes
  EXPECT_FALSE(log.nearly_full());
  EXPECT_TRUE(log.append(change(2, 0, "y")));
  ASSERT_TRUE(log.sync(err));
  fs::RedoScan s;
  auto seen = read_all_records(o, &s);
  EXPECT_EQ(s.damage, "");
  EXPECT_GE(s.tail_lsn, 2048u);
  EXPECT_EQ(seen.back().first.gci, 2u);
}

namespace {

void write_lcp(const std::string& root, uint64_t id, int rows) {
  fs::LcpWriter w;
  std::string err;
  ASSERT_TRUE(w.begin(root, id, 1234, err)) << err;
  for (uint32_t f = 0; f < 2; ++f) {
    ASSERT_TRUE(w.begin_fragment(7, 3, f, err)) << err;
    for (int i = 0; i < rows; ++i) ASSERT_TRUE(w.add_row(Row{Value{int64_t{i}}, Value{std::string(40, 'a' + f)}}, 10 + i % 5, err));
    ASSERT_TRUE(w.end_fragment(err)) << err;
  }
  ASSERT_TRUE(w.finish(99, err)) << err;
}

}  // namespace

TEST(FsFormats, LcpRoundTrip) {
  TempDir d;
  write_lcp(d.path, 2, 10000);  // several blocks per fragment
  write_lcp(d.path, 3, 5);
  EXPECT_EQ(fs::list_lcps(d.path), (std::vector<uint64_t>{3, 2}));
  std::string err;
  auto info = fs::read_lcp_ctl(d.path, 2, err);
  ASSERT_TRUE(info) << err;
  EXPECT_EQ(info->start_lsn, 1234u);
  EXPECT_EQ(info->max_gci, 99u);
  ASSERT_EQ(info->fragments.size(), 2u);
  EXPECT_EQ(info->fragments[1].rows, 10000u);
  uint64_t n = 0, gcis = 0;
  ASSERT_TRUE(fs::read_lcp_fragment(*info, info->fragments[1], [&](Row&& r, uint64_t gci) {
    EXPECT_EQ(std::get<int64_t>(r[0]), static_cast<int64_t>(n));
    EXPECT_EQ(std::get<std::string>(r[1]), std::string(40, 'b'));
    ++n;
    gcis += gci;
    return true;
  }, err)) << err;
  EXPECT_EQ(n, 10000u);
  EXPECT_EQ(gcis, 10000u * 12);
}

TEST(FsFormats, DamagedLcpIsRefused) {
  TempDir d;
  write_lcp(d.path, 1, 3000);
  std::string err;
  auto info = fs::read_lcp_ctl(d.path, 1, err);
  ASSERT_TRUE(info);
  const std::string data = info->dir + "/T7V3F0.data";
  auto count = [&](const fs::LcpFragment& f) {
    return fs::read_lcp_fragment(*info, f, [](Row&&, uint64_t) { return true; }, err);
  };
  ASSERT_TRUE(count(info->fragments[0]));
  // A bit flip in a row block.
  flip_byte(data, file_size(data) / 2);
  EXPECT_FALSE(count(info->fragments[0]));
  EXPECT_NE(err.find("checksum"), std::string::npos) << err;
  // A cut-short file (no end mark).
  write_lcp(d.path, 1, 3000);
  ASSERT_EQ(::truncate(data.c_str(), file_size(data) - 20), 0);
  EXPECT_FALSE(count(info->fragments[0]));
  // The control file damaged: the checkpoint does not count at all.
  write_lcp(d.path, 1, 3000);
  flip_byte(info->dir + "/ctl", 10);
  EXPECT_FALSE(fs::read_lcp_ctl(d.path, 1, err));
  ::unlink((info->dir + "/ctl").c_str());
  EXPECT_FALSE(fs::read_lcp_ctl(d.path, 1, err));
}

TEST(FsFormats, SchemaRoundTripAndDamage) {
  TempDir d;
  std::string err;
  const std::string path = d.path + "/schema";
  const std::vector<fs::SchemaEntry> tables{{"one", 0, 0}, {std::string("t\0wo", 4), 7, 9}};
  ASSERT_TRUE(fs::write_schema(path, tables, err)) << err;
  auto back = fs::read_schema(path, err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(*back, tables);
  // Present exactly from the CREATE's GCI until before the DROP's.
  EXPECT_FALSE(tables[1].present_at(6));
  EXPECT_TRUE(tables[1].present_at(7));
  EXPECT_TRUE(tables[1].present_at(8));
  EXPECT_FALSE(tables[1].present_at(9));
  EXPECT_TRUE(tables[0].present_at(0));
  flip_byte(path, 14);
  EXPECT_FALSE(fs::read_schema(path, err));
  EXPECT_FALSE(fs::read_schema(d.path + "/missing", err));
}

// A GCI end mark carries who took part up to which GCI (the sysfile's
// node states); a mark without them (older files) still reads.
TEST(FsFormats, GciEndCarriesNodeGcis) {
  fs::RedoRecord m = mark(fs::RedoKind::kGciEnd, 12);
  m.nodes = {{2, 12}, {3, 9}, {4, 13}};
  std::string error;
  auto back = fs::decode_redo(fs::encode_redo(m), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->gci, 12u);
  EXPECT_EQ(back->nodes, m.nodes);
  auto plain = fs::decode_redo(fs::encode_redo(mark(fs::RedoKind::kGciEnd, 5)), error);
  ASSERT_TRUE(plain) << error;
  EXPECT_TRUE(plain->nodes.empty());
  // A node id that cannot be, or a count past the body, is refused.
  std::string bad = fs::encode_redo(m);
  bad[13] = 0;  // the first node id (kind 1 + gci 8 + count 4)
  EXPECT_FALSE(fs::decode_redo(bad, error));
  EXPECT_FALSE(fs::decode_redo(fs::encode_redo(m).substr(0, 20), error));
}

TEST(FsFormats, RedoScanGivesTheLastMarksNodeGcisAndIgnoresATornOne) {
  TempDir d;
  fs::RedoOptions o{d.path, 4, 64 * 1024};
  fs::RedoLog log(o);
  std::string error;
  ASSERT_TRUE(log.create(error)) << error;
  fs::RedoRecord m1 = mark(fs::RedoKind::kGciEnd, 7);
  m1.nodes = {{2, 7}, {3, 7}};
  ASSERT_TRUE(log.append(m1));
  ASSERT_TRUE(log.append(mark(fs::RedoKind::kGciEnd, 8)));  // a restart mark's end: no node GCIs
  ASSERT_TRUE(log.sync(error)) << error;
  const uint64_t good_end = log.head_lsn();
  fs::RedoRecord m2 = mark(fs::RedoKind::kGciEnd, 9);
  m2.nodes = {{2, 9}, {3, 10}};
  ASSERT_TRUE(log.append(m2));
  ASSERT_TRUE(log.sync(error)) << error;
  fs::RedoScan s;
  read_all_records(o, &s);
  EXPECT_EQ(s.last_gci_end, 9u);
  EXPECT_EQ(s.node_gcis, m2.nodes);
  // Torn last mark: back to the one before, with the node GCIs it had.
  ASSERT_EQ(::truncate((d.path + "/redo.0000000000000000").c_str(), static_cast<off_t>(good_end + 5)), 0);
  read_all_records(o, &s);
  EXPECT_EQ(s.last_gci_end, 8u);
  EXPECT_EQ(s.node_gcis, m1.nodes);
  EXPECT_FALSE(s.damage.empty());
}
