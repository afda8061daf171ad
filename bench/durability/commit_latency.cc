// bench/durability/halb-bench-commit: single-row commits, one after the
// other, against a running cluster; prints commits/s and the commit latency
// percentiles. Usage: halb-bench-commit CONNECTSTRING TABLE COUNT [FROM]
// (TABLE is created when missing: id BIGINT key, val VARCHAR(64)).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cluster/api/connection.h"

using namespace halb::cluster;
using namespace halb::cluster::api;

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: halb-bench-commit CONNECTSTRING TABLE COUNT [FROM]\n");
    return 2;
  }
  const std::string table = argv[2];
  const long count = atol(argv[3]);
  const long from = argc > 4 ? atol(argv[4]) : 0;
  Connection c;
  std::string error;
  if (!c.connect(argv[1], 60, error)) {
    fprintf(stderr, "halb-bench-commit: %s\n", error.c_str());
    return 1;
  }
  NdbError e;
  auto t = c.get_table(table, e);
  if (!t) {
    engine::Table def;
    def.name = table;
    def.columns = {{"id", engine::ColumnType::kBigInt, false, false, 0, 0, 0},
                   {"val", engine::ColumnType::kVarchar, false, true, 64, 0, 0}};
    def.primary_key = {0};
    if ((e = c.create_table(def))) {
      fprintf(stderr, "create %s: %u %s\n", table.c_str(), e.code, e.message.c_str());
      return 1;
    }
    t = c.get_table(table, e);
    if (!t) return 1;
  }
  std::vector<double> us;
  us.reserve(static_cast<size_t>(count));
  const auto begin = std::chrono::steady_clock::now();
  for (long k = from; k < from + count; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    auto tx = c.start_transaction(0);
    tx->write(t->id, {int64_t{k}}, {{1, std::string("row-" + std::to_string(k))}});
    e = tx->execute(engine::ExecType::kCommit);
    if (e) {
      fprintf(stderr, "commit %ld: %u %s\n", k, e.code, e.message.c_str());
      return 1;
    }
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us.empty() ? 0.0 : us[std::min(us.size() - 1, static_cast<size_t>(p * us.size()))]; };
  printf("commits %ld per_s %.0f p50_ms %.2f p99_ms %.2f max_ms %.2f\n", count, count / secs, pct(0.50) / 1000,
         pct(0.99) / 1000, us.empty() ? 0.0 : us.back() / 1000);
  return 0;
}
