// tests/tools/halb-ndbapi-tool: drives the client API from the command line
// for the integration tests -- create a table, load N rows (retrying
// temporary errors as an application should), read them back and verify,
// count them with a scan, read through the unique index, delete rows, drop
// the table; and, for atomicity checks, move money between accounts. Also
// lists and writes rows of a string-keyed table such as halb-sqld's catalog.
//
// The table: id BIGINT primary key, val VARCHAR(64), num INT with a unique
// hash index. Row k holds val "row-k" and num k. An accounts table holds
// id BIGINT primary key and bal BIGINT; every account starts at 1000.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "cluster/api/connection.h"
#include "lib/version/version.h"

using namespace halb::cluster;
using namespace halb::cluster::api;

namespace {

int usage() {
  fprintf(stderr,
          "usage: halb-ndbapi-tool -c CONNECTSTRING [--node N] [--batch B] [--from K] [--latency] COMMAND\n"
          "  create TABLE | drop TABLE | load TABLE N | verify TABLE N | count TABLE | unique TABLE K\n"
          "  delete TABLE N | accounts TABLE N | transfer TABLE N COUNT | sum TABLE N\n"
          "  keys TABLE PREFIX | put TABLE KEY VALUE (string key in column 0, string column 1)\n");
  return 2;
}

engine::Table definition(const std::string& name) {
  engine::Table t;
  t.name = name;
  t.columns = {{"id", engine::ColumnType::kBigInt, false, false, 0, 0, 0},
               {"val", engine::ColumnType::kVarchar, false, true, 64, 0, 0},
               {"num", engine::ColumnType::kInt, false, true, 0, 0, 0}};
  t.primary_key = {0};
  t.indexes = {{1, "num_unique", engine::IndexKind::kUniqueHash, {2}}};
  return t;
}

engine::Table accounts_definition(const std::string& name) {
  engine::Table t;
  t.name = name;
  t.columns = {{"id", engine::ColumnType::kBigInt, false, false, 0, 0, 0},
               {"bal", engine::ColumnType::kBigInt, false, false, 0, 0, 0}};
  t.primary_key = {0};
  return t;
}

constexpr int64_t kOpeningBalance = 1000;

std::string describe(const NdbError& e) {
  return std::to_string(e.code) + " '" + e.message + "' (" + std::string(class_name(e.classification)) + ", " +
         std::string(status_name(e.status)) + ")";
}

struct Retrier {
  int max_attempts = 1200;
  long retries = 0;
  std::map<uint32_t, long> by_code;
  // True when the error is worth another try (and pauses a little).
  bool again(const NdbError& e, int attempt) {
    if (!e.temporary() && e.status != ErrorStatus::kUnknownResult) return false;
    if (attempt >= max_attempts) return false;
    ++retries;
    ++by_code[e.code];
    usleep(50000);
    return true;
  }
  std::string summary() const {
    std::string s;
    for (auto& [c, n] : by_code) s += " " + std::to_string(c) + "x" + std::to_string(n);
    return s.empty() ? " none" : s;
  }
};

const char* done_word(const std::string& cmd) {
  return cmd == "load" ? "loaded" : cmd == "delete" ? "deleted" : "verified";
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv)) return halb::version::print("halb-ndbapi-tool");
  std::string cs;
  uint32_t node = 0;
  long batch = 100, from = 0;
  bool latency = false;  // load/verify/delete: per-transaction p50/p99 for bench/cluster-api
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "-c") cs = value();
    else if (a == "--node") node = static_cast<uint32_t>(atoi(value().c_str()));
    else if (a == "--batch") batch = atol(value().c_str());
    else if (a == "--from") from = atol(value().c_str());
    else if (a == "--latency") latency = true;
    else args.push_back(a);
  }
  if (cs.empty() || args.size() < 2 || batch < 1) return usage();
  const std::string& cmd = args[0];
  const std::string& table = args[1];

  Connection c;
  std::string error;
  if (!c.connect(cs, 60, error)) {
    fprintf(stderr, "halb-ndbapi-tool: %s\n", error.c_str());
    return 1;
  }
  Retrier retry;

  if (cmd == "create" || cmd == "accounts") {
    NdbError e = c.create_table(cmd == "create" ? definition(table) : accounts_definition(table));
    if (e) {
      fprintf(stderr, "create %s: %s\n", table.c_str(), describe(e).c_str());
      return 1;
    }
    printf("created %s\n", table.c_str());
    if (cmd == "create") return 0;
  }
  if (cmd == "drop") {
    NdbError e = c.drop_table(table);
    if (e) {
      fprintf(stderr, "drop %s: %s\n", table.c_str(), describe(e).c_str());
      return 1;
    }
    printf("dropped %s\n", table.c_str());
    return 0;
  }
  NdbError e;
  auto t = c.get_table(table, e);
  if (!t) {
    fprintf(stderr, "%s: %s\n", table.c_str(), describe(e).c_str());
    return 1;
  }

  if (cmd == "load" || cmd == "verify" || cmd == "delete") {
    if (args.size() < 3) return usage();
    long n = atol(args[2].c_str());
    long acknowledged = 0, bad = 0;
    std::vector<double> latencies_us;  // first attempt to success, retries included
    for (long k = from; k < from + n; k += batch) {
      long end = std::min(from + n, k + batch);
      auto began = std::chrono::steady_clock::now();
      for (int attempt = 1;; ++attempt) {
        auto tx = c.start_transaction(node);
        for (long i = k; i < end; ++i) {
          if (cmd == "load")
            tx->write(t->id, {int64_t{i}}, {{1, std::string("row-" + std::to_string(i))}, {2, int64_t{i}}});
          else if (cmd == "delete")
            tx->remove(t->id, {int64_t{i}});
          else
            tx->read(t->id, {int64_t{i}});
        }
        e = tx->execute(engine::ExecType::kCommit);
        if (cmd == "verify" && e.code == 626) e = NdbError{};  // a missing row: reported below
        if (!e) {
          if (latency)
            latencies_us.push_back(
                std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - began).count());
          if (cmd != "verify") {
            acknowledged += end - k;
          } else {
            for (long i = k; i < end; ++i) {
              const auto& r = tx->results()[i - k];
              std::string want = "row-" + std::to_string(i);
              if (r.error || !r.row || std::get_if<std::string>(&(*r.row)[1]) == nullptr ||
                  std::get<std::string>((*r.row)[1]) != want) {
                if (bad < 10) printf("bad row %ld: error %u\n", i, r.error);
                ++bad;
              } else {
                ++acknowledged;
              }
            }
          }
          break;
        }
        if (!retry.again(e, attempt)) {
          fprintf(stderr, "%s rows %ld..%ld: %s\n", cmd.c_str(), k, end - 1, describe(e).c_str());
          printf("%s %ld rows before the error, retries%s\n", done_word(cmd), acknowledged, retry.summary().c_str());
          return 1;
        }
      }
    }
    printf("%s %ld rows, %ld bad, retries%s\n", done_word(cmd), acknowledged, bad, retry.summary().c_str());
    if (latency && !latencies_us.empty()) {
      std::sort(latencies_us.begin(), latencies_us.end());
      auto at = [&](double q) { return latencies_us[std::min(latencies_us.size() - 1, size_t(q * latencies_us.size()))]; };
      printf("latency_us p50=%.0f p99=%.0f transactions=%zu\n", at(0.50), at(0.99), latencies_us.size());
    }
    return bad ? 1 : 0;
  }
  // A table keyed by a string in column 0 with a string column 1 (such as
  // halb-sqld's catalog): list the keys starting with PREFIX, or write a row.
  if (cmd == "keys") {
    if (args.size() < 3) return usage();
    engine::ScanSpec spec;
    spec.filter = engine::Filter::compare(engine::Filter::Op::kLikePrefix, 0, args[2]);
    auto r = c.scan(t->id, spec, node);
    if (r.error) {
      fprintf(stderr, "keys: %s\n", describe(r.error).c_str());
      return 1;
    }
    for (const auto& row : r.rows)
      if (auto* k = std::get_if<std::string>(&row[0])) printf("%s\n", k->c_str());
    return 0;
  }
  if (cmd == "put") {
    if (args.size() < 4) return usage();
    auto tx = c.start_transaction();
    tx->write(t->id, {args[2]}, {{1, args[3]}});
    if (NdbError we = tx->execute(engine::ExecType::kCommit)) {
      fprintf(stderr, "put: %s\n", describe(we).c_str());
      return 1;
    }
    printf("put %s\n", args[2].c_str());
    return 0;
  }
  if (cmd == "count") {
    for (int attempt = 1;; ++attempt) {
      engine::ScanSpec spec;
      spec.batch_rows = 256;
      auto r = c.scan(t->id, spec, node);
      if (!r.error) {
        printf("rows %zu\n", r.rows.size());
        return 0;
      }
      if (!retry.again(r.error, attempt)) {
        fprintf(stderr, "count: %s\n", describe(r.error).c_str());
        return 1;
      }
    }
  }
  if (cmd == "accounts") {  // created above; now open the accounts
    if (args.size() < 3) return usage();
    long n = atol(args[2].c_str());
    for (long k = 0; k < n; k += batch) {
      for (int attempt = 1;; ++attempt) {
        auto tx = c.start_transaction(node);
        for (long i = k; i < std::min(n, k + batch); ++i) tx->write(t->id, {int64_t{i}}, {{1, kOpeningBalance}});
        if (!(e = tx->commit())) break;
        if (!retry.again(e, attempt)) {
          fprintf(stderr, "accounts: %s\n", describe(e).c_str());
          return 1;
        }
      }
    }
    printf("opened %ld accounts\n", n);
    return 0;
  }
  if (cmd == "transfer") {
    // Each transaction locks two accounts (lower id first, so transfers do
    // not deadlock each other), then moves an amount from one to the other.
    // A retried transfer whose first try had an unknown result may move
    // money twice; that keeps the total, which is all this checks.
    if (args.size() < 4) return usage();
    long n = atol(args[2].c_str()), count = atol(args[3].c_str());
    if (n < 2) return usage();
    srand(static_cast<unsigned>(getpid()));
    for (long done = 0; done < count; ++done) {
      int64_t a = rand() % n, b = rand() % (n - 1);
      if (b >= a) ++b;
      int64_t amount = 1 + rand() % 50;
      int64_t lo = std::min(a, b), hi = std::max(a, b);
      for (int attempt = 1;; ++attempt) {
        auto tx = c.start_transaction(node);
        tx->read(t->id, {lo}, engine::LockMode::kExclusive);
        tx->read(t->id, {hi}, engine::LockMode::kExclusive);
        e = tx->execute(engine::ExecType::kNoCommit);
        if (!e) {
          const auto& r = tx->results();
          if (r.size() != 2 || !r[0].row || !r[1].row) {
            fprintf(stderr, "transfer: account %lld or %lld is missing\n", static_cast<long long>(lo),
                    static_cast<long long>(hi));
            return 1;
          }
          int64_t bal_lo = std::get<int64_t>((*r[0].row)[1]), bal_hi = std::get<int64_t>((*r[1].row)[1]);
          int64_t move = lo == a ? amount : -amount;  // from a to b
          tx->update(t->id, {lo}, {{1, bal_lo - move}});
          tx->update(t->id, {hi}, {{1, bal_hi + move}});
          e = tx->commit();
          if (!e) break;
        }
        if (!retry.again(e, attempt)) {
          fprintf(stderr, "transfer %ld: %s\n", done, describe(e).c_str());
          printf("transferred %ld before the error, retries%s\n", done, retry.summary().c_str());
          return 1;
        }
      }
    }
    printf("transferred %ld, retries%s\n", count, retry.summary().c_str());
    return 0;
  }
  if (cmd == "sum") {
    if (args.size() < 3) return usage();
    long n = atol(args[2].c_str()), missing = 0;
    int64_t sum = 0;
    for (long k = 0; k < n; k += batch) {
      long end = std::min(n, k + batch);
      for (int attempt = 1;; ++attempt) {
        auto tx = c.start_transaction(node);
        for (long i = k; i < end; ++i) tx->read(t->id, {int64_t{i}});
        e = tx->commit();
        if (e.code == 626) e = NdbError{};  // a missing account: counted below
        if (!e) {
          for (const auto& r : tx->results()) {
            if (r.row) sum += std::get<int64_t>((*r.row)[1]);
            else ++missing;
          }
          break;
        }
        if (!retry.again(e, attempt)) {
          fprintf(stderr, "sum: %s\n", describe(e).c_str());
          return 1;
        }
      }
    }
    printf("sum %lld expected %lld missing %ld\n", static_cast<long long>(sum),
           static_cast<long long>(n * kOpeningBalance), missing);
    return missing || sum != n * kOpeningBalance ? 1 : 0;
  }
  if (cmd == "unique") {
    if (args.size() < 3) return usage();
    long k = atol(args[2].c_str());
    auto tx = c.start_transaction(node);
    tx->read_unique(t->id, 1, {int64_t{k}});
    e = tx->commit();
    if (e) {
      fprintf(stderr, "unique %ld: %s\n", k, describe(e).c_str());
      return 1;
    }
    auto& row = tx->results().at(0).row;
    if (!row) return 1;
    printf("id %lld val %s\n", static_cast<long long>(std::get<int64_t>((*row)[0])),
           std::get<std::string>((*row)[1]).c_str());
    return 0;
  }
  return usage();
}
