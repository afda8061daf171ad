// cluster/restore/restorer.cc: see restorer.h.
#include "cluster/restore/restorer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "cluster/api/connection.h"
#include "cluster/ndbd/engine/table_codec.h"

namespace halb::cluster::restore {

using backup::LogEntry;
using backup::LogOp;

namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

uint64_t file_size(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string show_value(const engine::Value& v) {
  if (engine::is_null(v)) return "NULL";
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* u = std::get_if<uint64_t>(&v)) return std::to_string(*u);
  if (auto* d = std::get_if<double>(&v)) {
    std::ostringstream s;
    s << *d;
    return s.str();
  }
  return "\"" + std::get<std::string>(v) + "\"";
}

std::string show_row(const engine::Row& r) {
  std::string s;
  for (auto& v : r) s += (s.empty() ? "" : "\t") + show_value(v);
  return s;
}

// One change to write: the row (write) or the key (delete).
struct Op {
  const engine::Table* table = nullptr;  // in the restored cluster
  bool remove = false;
  engine::Row values;
};

// A connection of its own and the batches it writes, retrying temporary
// errors as an application should.
class Writer {
 public:
  bool connect(const std::string& cs, double timeout_s, std::string& error) {
    return c_.connect(cs, timeout_s, error);
  }
  api::Connection& connection() { return c_; }

  // Writes `ops` in one transaction. A delete of a row that is not there
  // (626) is no error: the scan never saw that row. That failure aborts the
  // whole batch, so the batch is then redone one change at a time.
  bool apply(const std::vector<Op>& ops, std::string& error) {
    api::NdbError e = run(ops.begin(), ops.end());
    if (!e) return true;
    if (e.code != 626) {
      error = "error " + std::to_string(e.code) + " " + e.message;
      return false;
    }
    for (auto it = ops.begin(); it != ops.end(); ++it) {
      e = run(it, it + 1);
      if (e && !(e.code == 626 && it->remove)) {
        error = "error " + std::to_string(e.code) + " " + e.message;
        return false;
      }
    }
    return true;
  }

 private:
  api::NdbError run(std::vector<Op>::const_iterator from, std::vector<Op>::const_iterator to) {
    api::NdbError e;
    for (int attempt = 1; attempt <= 600; ++attempt) {
      auto tx = c_.start_transaction();
      for (auto it = from; it != to; ++it) {
        const engine::Table& t = *it->table;
        std::vector<engine::Value> key;
        for (uint32_t k : t.primary_key) key.push_back(it->values[it->remove ? key.size() : k]);
        if (it->remove) {
          tx->remove(t.id, std::move(key));
          continue;
        }
        engine::ColumnValues set;
        for (uint32_t c = 0; c < t.columns.size(); ++c)
          if (std::find(t.primary_key.begin(), t.primary_key.end(), c) == t.primary_key.end())
            set.emplace_back(c, it->values[c]);
        tx->write(t.id, std::move(key), std::move(set));
      }
      e = tx->commit();
      if (!e || (!e.temporary() && e.status != api::ErrorStatus::kUnknownResult)) return e;
      usleep(std::min(attempt, 20) * 10000);
    }
    return e;
  }
  api::Connection c_;
};

// Batches handed to writer threads through a bounded queue per writer.
class Pool {
 public:
  explicit Pool(std::vector<std::unique_ptr<Writer>>& writers) : writers_(writers), queues_(writers.size()) {
    for (size_t i = 0; i < writers_.size(); ++i) threads_.emplace_back([this, i] { work(i); });
  }
  ~Pool() { finish(); }
  // Queues a batch for writer `i`; false once any writer has failed.
  bool push(size_t i, std::vector<Op> batch) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return queues_[i].size() < 4 || !error_.empty(); });
    if (!error_.empty()) return false;
    queues_[i].push_back(std::move(batch));
    cv_.notify_all();
    return true;
  }
  // Waits for every queued batch; the first error, or "".
  std::string finish() {
    {
      std::lock_guard<std::mutex> l(mu_);
      closing_ = true;
      cv_.notify_all();
    }
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    return error_;
  }

 private:
  void work(size_t i) {
    for (;;) {
      std::vector<Op> batch;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return !queues_[i].empty() || closing_; });
        if (queues_[i].empty()) return;
        batch = std::move(queues_[i].front());
        queues_[i].pop_front();
        cv_.notify_all();
        if (!error_.empty()) continue;
      }
      std::string e;
      if (!writers_[i]->apply(batch, e)) {
        std::lock_guard<std::mutex> l(mu_);
        if (error_.empty()) error_ = e;
        cv_.notify_all();
      }
    }
  }
  std::vector<std::unique_ptr<Writer>>& writers_;
  std::vector<std::deque<std::vector<Op>>> queues_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool closing_ = false;
  std::string error_;
};

RestoreResult fail(RestoreResult r, std::string why) {
  r.ok = false;
  r.error = std::move(why);
  return r;
}

}  // namespace

std::string find_backup_dir(const std::string& path, uint32_t id, uint32_t node, std::string& error) {
  std::string ctl = backup::ctl_file_name(id, node);
  for (const std::string& dir : {path, path + "/" + backup::backup_dir_name(id),
                                 path + "/BACKUP/" + backup::backup_dir_name(id)})
    if (exists(dir + "/" + ctl)) return dir;
  error = "no " + ctl + " in " + path + " (nor in " + backup::backup_dir_name(id) + "/ or BACKUP/" +
          backup::backup_dir_name(id) + "/ under it)";
  return "";
}

RestoreResult run_restore(const RestoreOptions& o, std::ostream& out) {
  RestoreResult res;
  out << "Nodeid = " << o.node_id << "\nBackup Id = " << o.backup_id << "\nbackup path = " << o.backup_path
      << std::endl;
  std::string error;
  std::string dir = find_backup_dir(o.backup_path, o.backup_id, o.node_id, error);
  if (dir.empty()) return fail(res, error);
  const std::string ctl_path = dir + "/" + backup::ctl_file_name(o.backup_id, o.node_id);
  const std::string data_path = dir + "/" + backup::data_file_name(o.backup_id, o.node_id);
  const std::string log_path = dir + "/" + backup::log_file_name(o.backup_id, o.node_id);
  std::ifstream f(ctl_path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  out << "Opening file '" << ctl_path << "'" << std::endl;
  auto ctl = backup::decode_ctl(bytes, error);
  if (!ctl) return fail(res, ctl_path + ": " + error);
  if (ctl->backup_id != o.backup_id || ctl->node_id != o.node_id)
    return fail(res, ctl_path + ": belongs to backup " + std::to_string(ctl->backup_id) + " of node " +
                         std::to_string(ctl->node_id));
  out << "Stop GCP of Backup: " << ctl->stop_gci << std::endl;

  std::vector<engine::Table> tables;
  for (auto& enc : ctl->tables) {
    auto t = engine::decode_table(enc, error);
    if (!t) return fail(res, ctl_path + ": a table definition is damaged: " + error);
    tables.push_back(std::move(*t));
  }
  if (o.print_meta)
    for (auto& t : tables) {
      out << "-- Table " << t.name << " (id " << t.id << ", " << t.columns.size() << " columns):";
      for (auto& c : t.columns) out << " " << c.name;
      out << std::endl;
    }
  std::map<uint32_t, const engine::Table*> by_backup_id;
  for (auto& t : tables) by_backup_id[t.id] = &t;

  bool print_only = !o.restore_meta && !o.restore_data;
  if (print_only && (o.print_data || o.print_log)) {
    if (o.print_data) {
      backup::DataReader d(data_path);
      uint32_t table;
      engine::Row row;
      while (d.next(table, row)) out << (by_backup_id.count(table) ? by_backup_id[table]->name : "?") << "\t" << show_row(row) << std::endl;
      if (!d.ended()) return fail(res, data_path + ": " + d.error());
    }
    if (o.print_log) {
      backup::LogReader l(log_path);
      LogEntry e;
      while (l.next(e))
        out << "gci " << e.gci << (e.op == LogOp::kDelete ? " DELETE " : " WRITE ")
            << (by_backup_id.count(e.table) ? by_backup_id[e.table]->name : "?") << "\t" << show_row(e.values) << std::endl;
      if (!l.ended()) return fail(res, log_path + ": " + l.error());
    }
    res.ok = true;
    return res;
  }
  if (print_only) {
    res.ok = true;
    return res;
  }

  // Connections: the first one must work; the others only help.
  std::vector<std::unique_ptr<Writer>> writers;
  writers.push_back(std::make_unique<Writer>());
  if (!writers[0]->connect(o.connectstring, o.connect_timeout_s, error)) return fail(res, "cannot connect: " + error);
  out << "Connected to ndb!!" << std::endl;
  api::Connection& c = writers[0]->connection();

  if (o.restore_meta) {
    for (auto t : tables) {
      t.id = 0;
      t.version = 0;
      t.fragments = 0;  // the new cluster's own count
      api::NdbError e = c.create_table(t);
      if (e) return fail(res, "creating table " + t.name + ": error " + std::to_string(e.code) + " " + e.message);
      out << "Successfully restored table " << t.name << std::endl;
      ++res.tables;
    }
  }
  if (!o.restore_data) {
    res.ok = true;
    return res;
  }

  // The restored cluster's definitions, by the backup's table ids.
  std::map<uint32_t, std::shared_ptr<const engine::Table>> target;
  for (auto& t : tables) {
    api::NdbError e;
    auto now = c.get_table(t.name, e);
    if (!now) return fail(res, "table " + t.name + " is not in the cluster (restore the metadata with -m first): error " +
                                   std::to_string(e.code) + " " + e.message);
    if (now->columns.size() != t.columns.size() || now->primary_key != t.primary_key)
      return fail(res, "table " + t.name + " in the cluster does not have the backup's columns and key");
    target[t.id] = now;
  }
  for (uint32_t i = 1; i < std::max<uint32_t>(1, o.parallelism); ++i) {
    auto w = std::make_unique<Writer>();
    std::string e;
    if (!w->connect(o.connectstring, 5, e)) {
      out << "Using " << writers.size() << " connection(s): another one is not possible (" << e << ")" << std::endl;
      break;
    }
    writers.push_back(std::move(w));
  }

  // Data: batches to the writers in turn.
  auto t0 = std::chrono::steady_clock::now();
  {
    backup::DataReader d(data_path);
    if (!d.error().empty()) return fail(res, d.error());
    if (d.backup_id() != o.backup_id || d.node_id() != o.node_id)
      return fail(res, data_path + ": belongs to another backup or node");
    Pool pool(writers);
    std::vector<Op> batch;
    size_t next = 0;
    uint32_t table;
    engine::Row row;
    bool pushed = true;
    while (pushed && d.next(table, row)) {
      auto it = target.find(table);
      if (it == target.end()) return fail(res, data_path + ": a row of table id " + std::to_string(table) + ", which the ctl file does not name");
      if (row.size() != it->second->columns.size()) return fail(res, data_path + ": a row with the wrong number of columns");
      batch.push_back(Op{it->second.get(), false, std::move(row)});
      ++res.rows;
      if (batch.size() >= o.batch) {
        pushed = pool.push(next++ % writers.size(), std::move(batch));
        batch.clear();
      }
    }
    if (pushed && !batch.empty()) pool.push(next % writers.size(), std::move(batch));
    std::string e = pool.finish();
    if (!e.empty()) return fail(res, "writing rows: " + e);
    if (!d.ended()) return fail(res, data_path + ": " + d.error());
  }
  res.data_seconds = seconds_since(t0);
  res.data_bytes = file_size(data_path);

  // Log: split by key so each key's changes stay in order on one writer.
  t0 = std::chrono::steady_clock::now();
  {
    backup::LogReader l(log_path);
    if (!l.error().empty()) return fail(res, l.error());
    if (l.backup_id() != o.backup_id || l.node_id() != o.node_id)
      return fail(res, log_path + ": belongs to another backup or node");
    Pool pool(writers);
    std::vector<std::vector<Op>> batches(writers.size());
    std::vector<std::set<std::string>> keys(writers.size());
    LogEntry e;
    bool pushed = true;
    while (pushed && l.next(e)) {
      if (e.gci > ctl->stop_gci) {
        ++res.log_skipped;
        continue;
      }
      auto it = target.find(e.table);
      if (it == target.end()) return fail(res, log_path + ": an entry of table id " + std::to_string(e.table) + ", which the ctl file does not name");
      const engine::Table& t = *it->second;
      bool remove = e.op == LogOp::kDelete;
      if ((remove && e.values.size() != t.primary_key.size()) || (!remove && e.values.size() != t.columns.size()))
        return fail(res, log_path + ": an entry with the wrong number of values");
      std::vector<engine::Value> key;
      for (size_t k = 0; k < t.primary_key.size(); ++k) key.push_back(e.values[remove ? k : t.primary_key[k]]);
      std::string kb = std::to_string(t.id) + ":" + engine::encode_key_values(t, t.primary_key, key);
      size_t w = std::hash<std::string>{}(kb) % writers.size();
      // A key twice in one transaction: the first change goes out first.
      if (keys[w].count(kb) || batches[w].size() >= o.batch) {
        pushed = pool.push(w, std::move(batches[w]));
        batches[w].clear();
        keys[w].clear();
      }
      keys[w].insert(kb);
      batches[w].push_back(Op{&t, remove, std::move(e.values)});
      ++res.log_entries;
    }
    for (size_t w = 0; pushed && w < writers.size(); ++w)
      if (!batches[w].empty()) pushed = pool.push(w, std::move(batches[w]));
    std::string err = pool.finish();
    if (!err.empty()) return fail(res, "applying the log: " + err);
    if (!l.ended()) return fail(res, log_path + ": " + l.error());
  }
  res.log_seconds = seconds_since(t0);
  res.log_bytes = file_size(log_path);
  out << "Restored " << res.rows << " tuples and " << res.log_entries << " log entries" << std::endl;
  res.ok = true;
  return res;
}

}  // namespace halb::cluster::restore
