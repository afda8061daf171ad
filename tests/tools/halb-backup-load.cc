// tests/tools/halb-backup-load: the write load of the backup tests.
//
//   create TABLE                 id BIGINT key, v BIGINT, s VARCHAR(40)
//   load TABLE N                 rows 0..N-1 with v = -1
//   churn TABLE HISTORY STOPFILE one writer, one transaction after another
//        until STOPFILE exists: each changes 3 random keys of 0..2N-1 (write
//        v = the transaction's number, or delete) and, once committed, is
//        appended to HISTORY as "<n> <key>=<v|D> ..." -- so the history
//        is the source's exact sequence of states
//   dump TABLE                   every row as "<id> <v> <s>", by id
// Temporary errors are retried; an unknown commit outcome ends the churn
// with exit 3 (the history could not say what happened).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cluster/api/connection.h"

using namespace halb::cluster;

namespace {

engine::Table definition(const std::string& name) {
  engine::Table t;
  t.name = name;
  t.columns = {{"id", engine::ColumnType::kBigInt, false, false, 0, 0, 0},
               {"v", engine::ColumnType::kBigInt, false, true, 0, 0, 0},
               {"s", engine::ColumnType::kVarchar, false, true, 40, 0, 0}};
  t.primary_key = {0};
  return t;
}

std::string text_of(int64_t v) { return "value-" + std::to_string(v); }

int usage() {
  fprintf(stderr, "usage: halb-backup-load -c CS [--node N] create T | load T N | churn T N HISTORY STOPFILE | dump T\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cs;
  uint32_t node = 0;
  std::vector<std::string> a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "-c" && i + 1 < argc) cs = argv[++i];
    else if (s == "--node" && i + 1 < argc) node = static_cast<uint32_t>(atoi(argv[++i]));
    else a.push_back(s);
  }
  if (cs.empty() || a.size() < 2) return usage();
  api::Connection c;
  std::string error;
  if (!c.connect(cs, 60, error)) {
    fprintf(stderr, "connect: %s\n", error.c_str());
    return 1;
  }
  if (a[0] == "create") {
    api::NdbError e = c.create_table(definition(a[1]));
    if (e) return fprintf(stderr, "create: %u %s\n", e.code, e.message.c_str()), 1;
    printf("created %s\n", a[1].c_str());
    return 0;
  }
  api::NdbError e;
  auto t = c.get_table(a[1], e);
  if (!t) return fprintf(stderr, "%s: %u %s\n", a[1].c_str(), e.code, e.message.c_str()), 1;

  if (a[0] == "load" && a.size() == 3) {
    long n = atol(a[2].c_str());
    for (long k = 0; k < n; k += 100) {
      for (int attempt = 0;; ++attempt) {
        auto tx = c.start_transaction(node);
        for (long i = k; i < std::min(n, k + 100); ++i)
          tx->write(t->id, {int64_t{i}}, {{1, int64_t{-1}}, {2, text_of(-1)}});
        e = tx->commit();
        if (!e) break;
        if (!e.temporary() || attempt > 300) return fprintf(stderr, "load: %u %s\n", e.code, e.message.c_str()), 1;
        usleep(20000);
      }
    }
    printf("loaded %ld\n", n);
    return 0;
  }
  if (a[0] == "churn" && a.size() == 5) {
    long n = atol(a[2].c_str());
    FILE* history = fopen(a[3].c_str(), "w");
    if (!history) return perror(a[3].c_str()), 1;
    std::mt19937_64 rng(12345);
    long committed = 0;
    for (int64_t j = 1; access(a[4].c_str(), F_OK) != 0; ++j) {
      std::vector<std::pair<int64_t, bool>> ops;  // key, delete
      while (ops.size() < 3) {
        int64_t k = static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * n));
        bool dup = false;
        for (auto& o : ops) dup |= o.first == k;
        if (!dup) ops.emplace_back(k, rng() % 4 == 0);
      }
      for (int attempt = 0;; ++attempt) {
        auto tx = c.start_transaction(node);
        for (auto& [k, del] : ops) {
          if (del) tx->remove(t->id, {k});
          else tx->write(t->id, {k}, {{1, j}, {2, text_of(j)}});
        }
        e = tx->commit();
        // A delete of a missing row fails the transaction: make it a write.
        if (e.code == 626) {
          for (size_t i = 0; i < ops.size(); ++i)
            if (tx->results().size() > i && tx->results()[i].error == 626) ops[i].second = false;
          continue;
        }
        if (!e) break;
        if (e.status == api::ErrorStatus::kUnknownResult)
          return fprintf(stderr, "churn: unknown outcome of transaction %lld\n", static_cast<long long>(j)), 3;
        if (!e.temporary() || attempt > 300) return fprintf(stderr, "churn: %u %s\n", e.code, e.message.c_str()), 1;
        usleep(20000);
      }
      fprintf(history, "%lld", static_cast<long long>(j));
      for (auto& [k, del] : ops) {
        if (del) fprintf(history, " %lld=D", static_cast<long long>(k));
        else fprintf(history, " %lld=%lld", static_cast<long long>(k), static_cast<long long>(j));
      }
      fprintf(history, "\n");
      fflush(history);
      ++committed;
    }
    fclose(history);
    printf("committed %ld\n", committed);
    return 0;
  }
  if (a[0] == "dump") {
    for (int attempt = 0;; ++attempt) {
      engine::ScanSpec spec;
      spec.batch_rows = 256;
      auto r = c.scan(t->id, spec, node);
      if (r.error) {
        if (!r.error.temporary() || attempt > 300) return fprintf(stderr, "dump: %u\n", r.error.code), 1;
        usleep(20000);
        continue;
      }
      std::sort(r.rows.begin(), r.rows.end(),
                [](const engine::Row& x, const engine::Row& y) { return std::get<int64_t>(x[0]) < std::get<int64_t>(y[0]); });
      for (auto& row : r.rows) {
        printf("%lld %lld %s\n", static_cast<long long>(std::get<int64_t>(row[0])),
               engine::is_null(row[1]) ? 0LL : static_cast<long long>(std::get<int64_t>(row[1])),
               engine::is_null(row[2]) ? "NULL" : std::get<std::string>(row[2]).c_str());
      }
      return 0;
    }
  }
  return usage();
}
