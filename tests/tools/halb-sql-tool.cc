// tests/tools/halb-sql-tool: drives halb-sqld's SQL side (the Engine and
// its Sessions) without the MySQL protocol, for the integration tests.
//
// Reads statements from stdin, one per line, and prints each result:
//   cols: a<TAB>b          then one line per row (NULL as \N), then "rows: N"
//   ok affected=N insert_id=M warnings=W info=...
//   error CODE (STATE): message
// Line prefixes: "@N " runs the line in session N (opened on first use, all
// sessions share one engine); "!prepare SQL" prints "stmt ID params=P cols=C"
// and the column types; "!execute ID v1 v2 ..." (NULL, integers, or text)
// runs it; "!status" prints the status flags; "!close" closes the session.
// --threads N --repeat M runs the whole script in N threads, M times each,
// with $T replaced by the thread number and $I by the iteration, and prints
// only errors and a final "done" line.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/sqld/sql/cluster_engine.h"
#include "cluster/sqld/sql/session.h"

using namespace halb;
using namespace halb::cluster::sqld;

namespace {

std::mutex out_mu;

std::string show(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "\\N";
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* u = std::get_if<uint64_t>(&v)) return std::to_string(*u);
  if (auto* d = std::get_if<double>(&v)) {
    char b[64];
    snprintf(b, sizeof b, "%.15g", *d);
    return b;
  }
  return std::get<std::string>(v);
}

std::string print(const StatementResult& r) {
  std::string s;
  if (r.error) return "error " + std::to_string(r.error->code) + " (" + r.error->sqlstate + "): " + r.error->message + "\n";
  if (r.has_result_set) {
    s += "cols:";
    for (size_t i = 0; i < r.columns.size(); ++i) s += (i ? "\t" : " ") + r.columns[i].name;
    s += "\n";
    for (auto& row : r.rows) {
      for (size_t i = 0; i < row.size(); ++i) s += (i ? "\t" : "") + show(row[i]);
      s += "\n";
    }
    s += "rows: " + std::to_string(r.rows.size()) + "\n";
    return s;
  }
  return "ok affected=" + std::to_string(r.affected_rows) + " insert_id=" + std::to_string(r.last_insert_id) +
         " warnings=" + std::to_string(r.warning_count) + " info=" + r.info + "\n";
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

Value param(const std::string& w) {
  if (w == "NULL") return std::monostate{};
  char* end = nullptr;
  long long v = strtoll(w.c_str(), &end, 10);
  if (!w.empty() && *end == '\0') return static_cast<int64_t>(v);
  return w;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

struct Sessions {
  Engine& engine;
  std::string db;
  std::map<int, std::unique_ptr<Session>> open;

  Session* get(int n) {
    auto it = open.find(n);
    if (it != open.end()) return it->second.get();
    ClientInfo ci;
    ci.connection_id = engine.next_connection_id();
    ci.user = "root";
    ci.host = "127.0.0.1";
    ci.account_host = "localhost";
    ci.database = db;
    auto s = engine.open_session(ci);
    if (!s) return nullptr;
    return (open[n] = std::move(s)).get();
  }
};

std::string run_line(Sessions& sessions, std::string line) {
  int n = 0;
  if (line.size() > 1 && line[0] == '@') {
    size_t sp = line.find(' ');
    n = atoi(line.substr(1, sp).c_str());
    line = sp == std::string::npos ? "" : line.substr(sp + 1);
  }
  Session* s = sessions.get(n);
  if (!s) return "error: cannot open a session\n";
  if (line.rfind("!prepare ", 0) == 0) {
    PrepareResult p = s->prepare(line.substr(9));
    if (p.error) return "error " + std::to_string(p.error->code) + " (" + p.error->sqlstate + "): " + p.error->message + "\n";
    std::string out = "stmt " + std::to_string(p.statement_id) + " params=" + std::to_string(p.param_count) +
                      " cols=" + std::to_string(p.columns.size()) + "\n";
    for (auto& c : p.columns)
      out += "col " + c.name + " type=" + std::to_string(static_cast<int>(c.type)) + " flags=" + std::to_string(c.flags) +
             " length=" + std::to_string(c.length) + " table=" + c.org_table + "\n";
    return out;
  }
  if (line.rfind("!execute ", 0) == 0) {
    auto w = split_words(line.substr(9));
    if (w.empty()) return "error: !execute needs an id\n";
    std::vector<Value> params;
    for (size_t i = 1; i < w.size(); ++i) params.push_back(param(w[i]));
    return print(s->execute(static_cast<uint32_t>(atoi(w[0].c_str())), params));
  }
  if (line == "!status") return "status " + std::to_string(s->status_flags()) + "\n";
  if (line == "!close") {
    s->close();
    sessions.open.erase(n);
    return "closed\n";
  }
  std::string out;
  for (auto& r : s->query(line, true)) out += print(r);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  EngineOptions o;
  std::string db;
  int threads = 0, repeat = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-c" && i + 1 < argc) o.connectstring = argv[++i];
    else if (a == "-D" && i + 1 < argc) db = argv[++i];
    else if (a == "--threads" && i + 1 < argc) threads = atoi(argv[++i]);
    else if (a == "--repeat" && i + 1 < argc) repeat = atoi(argv[++i]);
    else if (a == "--root-password" && i + 1 < argc) o.initial_root_password = argv[++i];
    else {
      fprintf(stderr, "usage: halb-sql-tool -c CONNECTSTRING [-D DB] [--threads N --repeat M] < script\n");
      return 2;
    }
  }
  log::Sinks sinks;
  sinks.ident = "halb-sql-tool";
  sinks.to_stderr = getenv("HALB_SQL_TOOL_LOG") != nullptr;
  log::Logger logger(sinks);
  std::string error;
  o.connect_timeout_s = 60;
  auto engine = make_cluster_engine(o, logger, error);
  if (!engine) {
    fprintf(stderr, "cannot start the engine: %s\n", error.c_str());
    return 1;
  }
  auto wanted = [](const std::string& line) { return !line.empty() && line[0] != '#'; };
  if (threads <= 0) {
    // Each line runs as it arrives: a test may drive two SQL nodes in turn.
    Sessions sessions{*engine, db, {}};
    for (std::string line; std::getline(std::cin, line);) {
      if (!wanted(line)) continue;
      std::string out = run_line(sessions, line);
      fputs(out.c_str(), stdout);
      fflush(stdout);
    }
    return 0;
  }
  std::vector<std::string> script;
  for (std::string line; std::getline(std::cin, line);)
    if (wanted(line)) script.push_back(line);
  std::atomic<int> errors{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Sessions sessions{*engine, db, {}};
      for (int it = 0; it < repeat; ++it)
        for (auto& line : script) {
          std::string l = replace_all(replace_all(line, "$T", std::to_string(t)), "$I", std::to_string(it));
          std::string out = run_line(sessions, l);
          if (out.rfind("error", 0) == 0) {
            ++errors;
            std::lock_guard<std::mutex> lk(out_mu);
            fprintf(stdout, "thread %d: %s -> %s", t, l.c_str(), out.c_str());
          }
        }
    });
  }
  for (auto& th : pool) th.join();
  printf("done errors=%d\n", errors.load());
  return 0;
}
