// The backup protocol on two data nodes (engines of tests/unit/cluster/ndbd's
// SimCluster, backup messages on a test bus): a backup while writes go on
// completes with the master's events and files on both nodes whose Data +
// log up to StopGCP equal the table; ABORT BACKUP, a participant's death, a
// participant's refusal and the master's death remove every file; requests
// that cannot work are refused with NDB's codes.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <map>

#include "cluster/ndbd/backup/service.h"
#include "tests/unit/cluster/ndbd/sim_cluster.h"

using namespace halb::cluster;
using namespace halb::cluster::backup;
using engine::ApiExecuteReq;
using engine::ApiOp;
using engine::ColumnType;
using engine::LockMode;
using engine::OpType;
using engine::Row;
using engine::Value;

namespace {

engine::Table items() {
  engine::Table t;
  t.name = "items";
  t.columns = {{"id", ColumnType::kBigInt, false, false, 0, 0, 0}, {"v", ColumnType::kVarchar, false, true, 40, 0, 0}};
  t.primary_key = {0};
  return t;
}

struct Bus {
  uint32_t from, to;
  uint16_t type;
  wire::ControlMsg m;
};

struct Harness {
  engine::test::SimCluster c{{2, 3}, 2};
  std::string root;
  std::shared_ptr<const engine::Table> t;
  std::map<uint32_t, std::unique_ptr<BackupService>> svc;
  struct Sink : engine::ChangeSink {
    BackupService* s = nullptr;
    void on_commit(const engine::RowChange& ch) override { s->on_change(ch); }
  };
  std::map<uint32_t, Sink> sinks;
  std::deque<Bus> bus;
  std::vector<std::string> events;
  uint64_t gci = 5;
  std::set<uint32_t> dead;
  int64_t next_write = 0;
  uint64_t rounds_run = 0;
  struct Change {
    uint64_t gci;
    int64_t key;
    std::optional<std::string> value;  // nullopt: deleted
  };
  std::vector<Change> history;  // every committed change, in commit order

  explicit Harness(BackupSettings s = {}, bool diskless = false) {
    char tmpl[] = "/tmp/halb-backup-svc-XXXXXX";
    root = ::mkdtemp(tmpl);
    t = c.create_table(items());
    for (int64_t k = 0; k < 3000; ++k) write(k, "first");
    for (uint32_t n : {2u, 3u}) {
      ServiceHooks h;
      h.send = [this, n](uint32_t to, uint16_t type, const wire::ControlMsg& m) { bus.push_back({n, to, type, m}); };
      h.event = [this, n](halb::cluster::mgmapi::Severity, const std::string& text) {
        events.push_back("Node " + std::to_string(n) + ": " + text);
      };
      h.gci = [this] { return gci; };
      h.members = [this] {
        std::vector<uint32_t> m;
        for (uint32_t x : {2u, 3u})
          if (!dead.count(x)) m.push_back(x);
        return m;
      };
      h.info = [](const std::string&) {};
      BackupSettings bs = s;
      bs.root = root + "/d" + std::to_string(n);
      svc[n] = std::make_unique<BackupService>(n, c.node(n), bs, std::move(h), diskless);
      sinks[n].s = svc[n].get();
      c.node(n).set_change_sink(&sinks[n]);
    }
  }
  ~Harness() {
    for (uint32_t n : {2u, 3u}) c.node(n).set_change_sink(nullptr);
    std::filesystem::remove_all(root);
  }
  void write(int64_t k, const std::string& v) {
    ApiExecuteReq r;
    r.ops = {ApiOp{t->id, OpType::kWrite, LockMode::kExclusive, {Value{k}}, {{1, Value{v}}}, std::nullopt}};
    r.exec = engine::ExecType::kCommit;
    c.node(2).set_gci(gci);
    c.node(3).set_gci(gci);
    ASSERT_EQ(c.execute(2 + static_cast<uint32_t>(k % 2), r).error, 0u);
    history.push_back({gci, k, v});
  }
  void remove(int64_t k) {
    ApiExecuteReq r;
    r.ops = {ApiOp{t->id, OpType::kDelete, LockMode::kExclusive, {Value{k}}, {}, std::nullopt}};
    r.exec = engine::ExecType::kCommit;
    c.node(2).set_gci(gci);
    c.node(3).set_gci(gci);
    if (c.execute(2, r).error == 0) history.push_back({gci, k, std::nullopt});
  }
  // The table as it was when GCI `stop` closed.
  std::map<int64_t, std::string> as_of(uint64_t stop) const {
    std::map<int64_t, std::string> out;
    for (auto& ch : history) {
      if (ch.gci > stop) continue;
      if (ch.value) out[ch.key] = *ch.value;
      else out.erase(ch.key);
    }
    return out;
  }
  // Messages, ticks, a write now and then and a GCI every few rounds.
  void run(int rounds, bool writes = true) {
    for (int i = 0; i < rounds; ++i) {
      while (!bus.empty()) {
        Bus b = bus.front();
        bus.pop_front();
        if (!dead.count(b.to) && !dead.count(b.from)) svc[b.to]->on_message(b.from, b.type, b.m);
      }
      for (auto& [n, s] : svc)
        if (!dead.count(n)) s->tick();
      if (writes) {
        write((next_write * 37) % 3600, "w" + std::to_string(next_write));
        if (next_write % 7 == 0) remove((next_write * 13) % 3600);
        ++next_write;
      }
      if (++rounds_run % 5 == 0) ++gci;
    }
  }
  void kill(uint32_t n) {
    dead.insert(n);
    c.kill(n);
    for (auto& [m, s] : svc)
      if (m != n) s->node_failed(n);
  }
  std::string dir(uint32_t n, uint32_t id) { return backup_dir(root + "/d" + std::to_string(n), id); }
  bool any_files(uint32_t id) {
    return std::filesystem::exists(dir(2, id)) || std::filesystem::exists(dir(3, id));
  }
  std::map<int64_t, std::string> table() {
    std::map<int64_t, std::string> out;
    for (auto& r : c.scan(2, t->id, engine::ScanSpec{})) out[std::get<int64_t>(r[0])] = std::get<std::string>(r[1]);
    return out;
  }
};

BackupSettings small() {
  BackupSettings s;
  s.data_buffer = 2048;
  s.log_buffer = 4096;
  s.memory = 8192;
  s.write_size = 1024;
  return s;
}

}  // namespace

TEST(BackupService, CompletesWhileWritesGoOnAndRestoresToStopGci) {
  Harness h(small());
  uint32_t code = 0;
  std::string error;
  ASSERT_EQ(h.svc[2]->start(0, 1, code, error), 1u) << error;
  for (int i = 0; i < 2000 && h.events.size() < 2; ++i) h.run(1, true);
  ASSERT_EQ(h.events.size(), 2u);
  EXPECT_EQ(h.events[0], "Node 2: Backup 1 started from node 1");
  ASSERT_EQ(h.events[1].rfind("Node 2: Backup 1 started from node 1 completed. StartGCP: 5 StopGCP: ", 0), 0u)
      << h.events[1];
  uint64_t stop_gci = std::stoull(h.events[1].substr(h.events[1].find("StopGCP: ") + 9));
  EXPECT_GT(stop_gci, 5u) << "the scans took several GCIs";
  EXPECT_FALSE(h.svc[2]->busy());
  EXPECT_FALSE(h.svc[3]->busy());
  // Both nodes' Data files, then their logs up to StopGCP: the table as of StopGCP.
  std::map<int64_t, std::string> restored;
  uint64_t log_entries = 0;
  for (uint32_t n : {2u, 3u}) {
    DataReader d(h.dir(n, 1) + "/" + data_file_name(1, n));
    uint32_t table;
    Row row;
    while (d.next(table, row)) restored[std::get<int64_t>(row[0])] = std::get<std::string>(row[1]);
    ASSERT_TRUE(d.ended()) << d.error();
  }
  for (uint32_t n : {2u, 3u}) {
    LogReader l(h.dir(n, 1) + "/" + log_file_name(1, n));
    LogEntry e;
    while (l.next(e)) {
      if (e.gci > stop_gci) continue;
      ++log_entries;
      if (e.op == LogOp::kDelete) restored.erase(std::get<int64_t>(e.values[0]));
      else restored[std::get<int64_t>(e.values[0])] = std::get<std::string>(e.values[1]);
    }
    ASSERT_TRUE(l.ended()) << l.error();
  }
  EXPECT_GT(log_entries, 0u);
  EXPECT_EQ(restored, h.as_of(stop_gci));
  EXPECT_NE(restored, h.as_of(stop_gci - 1)) << "writes ran in StopGCP itself";
  EXPECT_TRUE(std::filesystem::exists(h.dir(2, 1) + "/" + ctl_file_name(1, 2)));
  EXPECT_TRUE(std::filesystem::exists(h.dir(3, 1) + "/" + ctl_file_name(1, 3)));
  // The next id counts up.
  ASSERT_EQ(h.svc[2]->start(0, 1, code, error), 2u);
}

TEST(BackupService, AbortRemovesEveryFile) {
  Harness h(small());
  uint32_t code = 0;
  std::string error;
  ASSERT_EQ(h.svc[2]->start(0, 1, code, error), 1u);
  h.run(3);
  ASSERT_TRUE(h.any_files(1));
  EXPECT_FALSE(h.svc[2]->abort(9));
  EXPECT_TRUE(h.svc[2]->abort(1));
  h.run(3);
  EXPECT_FALSE(h.any_files(1));
  EXPECT_EQ(h.events.back(), "Node 2: Backup 1 started from 1 has been aborted. Error: 1321");
  EXPECT_FALSE(h.svc[3]->busy());
}

TEST(BackupService, AParticipantsDeathAbortsAndTheMastersDeathToo) {
  {
    Harness h(small());
    uint32_t code = 0;
    std::string error;
    ASSERT_EQ(h.svc[2]->start(0, 1, code, error), 1u);
    h.run(3);
    h.kill(3);
    h.run(2, false);
    EXPECT_FALSE(std::filesystem::exists(h.dir(2, 1)));
    EXPECT_EQ(h.events.back(), "Node 2: Backup 1 started from 1 has been aborted. Error: 1326");
  }
  {
    Harness h(small());
    uint32_t code = 0;
    std::string error;
    ASSERT_EQ(h.svc[2]->start(0, 1, code, error), 1u);
    h.run(3);
    ASSERT_TRUE(std::filesystem::exists(h.dir(3, 1)));
    h.kill(2);
    EXPECT_FALSE(std::filesystem::exists(h.dir(3, 1)));
    EXPECT_FALSE(h.svc[3]->busy());
  }
}

TEST(BackupService, AParticipantThatCannotBeginAbortsTheBackup) {
  Harness h(small());
  std::filesystem::create_directories(h.dir(3, 4));
  { std::ofstream(h.dir(3, 4) + "/" + data_file_name(4, 3)) << "x"; }
  uint32_t code = 0;
  std::string error;
  ASSERT_EQ(h.svc[2]->start(4, 1, code, error), 4u);
  h.run(3);
  EXPECT_EQ(h.events.back(), "Node 2: Backup 4 started from 1 has been aborted. Error: 1350");
  EXPECT_FALSE(std::filesystem::exists(h.dir(2, 4)));
  EXPECT_TRUE(std::filesystem::exists(h.dir(3, 4) + "/" + data_file_name(4, 3))) << "not ours to remove";
}

TEST(BackupService, RequestsThatCannotWorkAreRefused) {
  Harness h(small());
  uint32_t code = 0;
  std::string error;
  EXPECT_EQ(h.svc[3]->start(0, 1, code, error), 0u);
  EXPECT_EQ(code, err::kNotMaster);
  EXPECT_NE(error.find("ask node 2"), std::string::npos) << error;
  ASSERT_EQ(h.svc[2]->start(0, 1, code, error), 1u);
  EXPECT_EQ(h.svc[2]->start(0, 1, code, error), 0u);
  EXPECT_EQ(code, err::kBackupRunning);
  h.svc[2]->abort(1);
  h.run(2);
  std::filesystem::create_directories(h.dir(2, 8));
  EXPECT_EQ(h.svc[2]->start(8, 1, code, error), 0u);
  EXPECT_EQ(code, err::kExists);

  BackupSettings tight = small();
  tight.memory = 1024;
  Harness b(tight);
  EXPECT_EQ(b.svc[2]->start(0, 1, code, error), 0u);
  EXPECT_EQ(code, err::kBadConfig);
  EXPECT_NE(error.find("BackupMemory"), std::string::npos) << error;

  Harness d(small(), true);
  EXPECT_EQ(d.svc[2]->start(0, 1, code, error), 0u);
  EXPECT_EQ(code, err::kDiskless);
}
