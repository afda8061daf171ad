// cluster/sqld/sql/catalog.cc: the catalog in the cluster (see catalog.h).
#include "cluster/sqld/sql/catalog.h"

#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <unistd.h>

#include "cluster/sqld/sql/errors.h"
#include "cluster/sqld/sql/long_values.h"

namespace halb::cluster::sqld {

namespace {

constexpr uint32_t kErrTupleExists = 630;   // insert of an existing key
constexpr uint32_t kErrNoSuchTuple = 626;
constexpr uint32_t kErrTableExists = 721;
constexpr uint32_t kErrNoSuchTable = 709;

const std::string kVersionKey = "version";
std::string db_key(const std::string& db) { return "db:" + db; }
std::string table_key(const std::string& db, const std::string& t) { return "table:" + db + "/" + t; }
std::string seq_key(const std::string& db, const std::string& t) { return "seq:" + db + "/" + t; }
std::string user_key(const std::string& u, const std::string& h) { return "user:" + u + "@" + h; }
// One row per request (two sessions may KILL the same id at once); the
// owner reads the id up to the ':'.
std::string kill_key(uint32_t id, const std::string& nonce) { return "kill:" + std::to_string(id) + ":" + nonce; }
// Not under "kill:", which the owners scan for requests.
std::string kill_answer_key(const std::string& nonce) { return "killed:" + nonce; }
// A nonce starts with the wall-clock time it was made (ms since the epoch),
// so any SQL node can tell a request or answer nobody waits for any more.
std::string kill_nonce(uint32_t node, uint64_t seq) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return std::to_string(ms.count()) + "." + std::to_string(node) + "." + std::to_string(::getpid()) + "." +
         std::to_string(seq);
}
// How old the kill request or answer row `key` is (0 for one made "later"
// by a node whose clock is ahead); an unreadable key counts as very old.
double kill_row_age(std::string_view key) {
  std::string_view nonce;
  if (key.substr(0, 7) == "killed:") {
    nonce = key.substr(7);
  } else {
    size_t colon = key.find(':', 5);  // "kill:<id>:<nonce>"
    if (colon == std::string_view::npos) return 1e9;
    nonce = key.substr(colon + 1);
  }
  uint64_t ms = 0;
  size_t n = 0;
  for (; n < nonce.size() && n < 19 && nonce[n] >= '0' && nonce[n] <= '9'; ++n) ms = ms * 10 + (nonce[n] - '0');
  if (n == 0 || n >= nonce.size() || nonce[n] != '.') return 1e9;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  int64_t age = static_cast<int64_t>(now.count()) - static_cast<int64_t>(ms);
  return age > 0 ? age / 1000.0 : 0.0;
}
// The values an SQL node holds belong to one incarnation of the table: a
// DROP + CREATE or a TRUNCATE on another SQL node restarts the shared
// sequence, and a range kept by name would go on from the old one.
std::string range_key(const CatalogTable& t) {
  return t.cluster_name + "@" + (t.ndb ? std::to_string(t.ndb->id) + "." + std::to_string(t.ndb->version) : "?");
}

SqlError cluster_error(const api::NdbError& e) {
  if (uint16_t lock = lock_conflict_error(e.code)) return make_sql_error(lock);
  return make_sql_error(e.temporary() ? er::kGetTemporaryErrmsg : er::kGetErrmsg,
                        {std::to_string(e.code), e.message, "NDBCLUSTER"});
}

std::string str(const engine::Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return "";
}

// How specific a host pattern is, for MySQL's account ordering: literal
// hosts first, then patterns by their literal prefix, '%' last.
int host_rank(std::string_view pattern) {
  size_t wild = pattern.find_first_of("%_");
  if (wild == std::string_view::npos) return 100000;
  return static_cast<int>(wild);
}

}  // namespace

std::string hex_encode(std::string_view bytes) {
  static const char* d = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::string hex_decode(std::string_view hex) {
  auto v = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(v(hex[i]) * 16 + v(hex[i + 1])));
  return out;
}

std::string password_sha1_sha1(std::string_view password) {
  if (password.empty()) return "";
  unsigned char one[SHA_DIGEST_LENGTH], two[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(password.data()), password.size(), one);
  SHA1(one, sizeof one, two);
  return std::string(reinterpret_cast<const char*>(two), sizeof two);
}

bool host_matches(std::string_view p, std::string_view h) { return wildcard_match(p, h, true, false); }

Catalog::Catalog(std::vector<api::Connection*> connections, log::Logger& logger)
    : connections_(std::move(connections)), logger_(logger) {}

Catalog::~Catalog() {
  {
    std::lock_guard<std::mutex> lk(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

bool Catalog::open(const std::string& initial_root_password, std::string& error) {
  api::NdbError e;
  catalog_table_ = conn().get_table(kTableName, e);
  if (!catalog_table_) {
    engine::Table t;
    t.name = kTableName;
    engine::Column k;
    k.name = "k";
    k.type = engine::ColumnType::kVarchar;
    k.length = 1024;
    engine::Column v;
    v.name = "v";
    v.type = engine::ColumnType::kBlob;
    v.length = engine::kInlineBlobLimit;
    v.nullable = true;
    t.columns = {k, v};
    t.primary_key = {0};
    e = conn().create_table(t);
    if (e && e.code != kErrTableExists) {
      error = "cannot create the catalog table: " + e.message;
      return false;
    }
    catalog_table_ = conn().get_table(kTableName, e);
    if (!catalog_table_) {
      error = "cannot read the catalog table: " + e.message;
      return false;
    }
  }
  catalog_id_ = catalog_table_->id;
  Snapshot s;
  uint64_t v = 0;
  // SQL nodes starting together on a new cluster: the catalog table one of
  // them has just created may not answer everywhere yet. Give it a moment.
  for (int attempt = 1; !load(s, v, error); ++attempt) {
    if (attempt == kOpenAttempts) return false;
    logger_.info("catalog not readable yet (" + error + "); again");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (s.accounts.empty()) {
    // First start of the cluster's first SQL node: root may log in.
    std::string hash = hex_encode(password_sha1_sha1(initial_root_password));
    std::string grant = "GRANT ALL PRIVILEGES ON *.* TO `root`@`%s` WITH GRANT OPTION";
    std::vector<std::pair<std::string, std::optional<std::string>>> rows;
    for (const char* host : {"localhost", "127.0.0.1", "::1"}) {
      std::string g = grant;
      g.replace(g.find("%s"), 2, host);
      rows.emplace_back(user_key("root", host), hash + "\n" + g);
    }
    rows.emplace_back(db_key("test"), std::string());
    e = write_rows(rows, {user_key("root", "localhost")});
    if (e && e.code != kErrTupleExists) {
      error = "cannot create the initial accounts: " + e.message;
      return false;
    }
    if (!load(s, v, error)) return false;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    snap_ = std::move(s);
    version_ = v;
  }
  refresher_ = std::thread([this] { refresher(); });
  return true;
}

void Catalog::set_kill_handler(KillHandler h) {
  std::lock_guard<std::mutex> lk(mu_);
  kill_handler_ = std::move(h);
}

bool Catalog::read_version(uint64_t& v, std::string* why) {
  api::NdbError e;
  auto row = read_row(kVersionKey, e);
  if (e) {
    if (why) *why = "cannot read the catalog version: NDB error " + std::to_string(e.code) + " " + e.message;
    return false;
  }
  v = row ? std::strtoull(row->c_str(), nullptr, 10) : 0;
  return true;
}

std::optional<std::string> Catalog::read_row(const std::string& key, api::NdbError& error) {
  auto t = conn().start_transaction();
  t->read(catalog_id_, {key});
  error = t->execute(engine::ExecType::kCommit);
  if (error.code == kErrNoSuchTuple || (!error && (t->results().empty() || !t->results()[0].row))) {
    error = api::NdbError{};
    return std::nullopt;
  }
  if (error) return std::nullopt;
  return str((*t->results()[0].row)[1]);
}

bool Catalog::load(Snapshot& out, uint64_t& version, std::string& error) {
  if (!read_version(version, &error)) return false;
  engine::ScanSpec spec;
  spec.batch_rows = 256;
  auto r = conn().scan(catalog_id_, spec);
  if (r.error) {
    error = "cannot read the catalog: " + r.error.message;
    return false;
  }
  out = Snapshot{};
  std::map<std::pair<std::string, std::string>, std::string> table_texts;
  for (auto& row : r.rows) {
    std::string k = str(row[0]), v = str(row[1]);
    if (k.rfind("db:", 0) == 0) {
      out.databases.insert(k.substr(3));
    } else if (k.rfind("table:", 0) == 0) {
      std::string rest = k.substr(6);
      size_t slash = rest.find('/');
      if (slash == std::string::npos) continue;
      table_texts[{rest.substr(0, slash), rest.substr(slash + 1)}] = v;
    } else if (k.rfind("user:", 0) == 0) {
      std::string rest = k.substr(5);
      size_t at = rest.rfind('@');
      if (at == std::string::npos) continue;
      AccountRecord a;
      a.account.user = rest.substr(0, at);
      a.account.host_pattern = rest.substr(at + 1);
      size_t nl = v.find('\n');
      a.account.password_sha1_sha1 = hex_decode(v.substr(0, nl));
      while (nl != std::string::npos) {
        size_t next = v.find('\n', nl + 1);
        std::string g = v.substr(nl + 1, next == std::string::npos ? std::string::npos : next - nl - 1);
        if (!g.empty()) a.grants.push_back(g);
        nl = next;
      }
      out.accounts.push_back(std::move(a));
    }
  }
  // Keep what is unchanged (same definition text): its cluster table need
  // not be fetched again.
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const CatalogTable>> old;
  {
    std::lock_guard<std::mutex> lk(mu_);
    old = snap_.tables;
  }
  for (auto& [key, text] : table_texts) {
    size_t nl = text.find('\n');
    if (nl == std::string::npos) continue;
    std::string cluster_name = text.substr(0, nl);
    std::string create = text.substr(nl + 1);
    auto it = old.find(key);
    if (it != old.end() && it->second->cluster_name == cluster_name &&
        it->second->def.create_statement() == create) {
      out.tables[key] = it->second;
      continue;
    }
    auto toks = tokenize(create);
    ParsedCreateTable p = parse_create_table(toks.tokens);
    if (!p.error.empty()) {
      logger_.warn("catalog: cannot read the definition of " + key.first + "." + key.second + ": " + p.error);
      continue;
    }
    auto ct = std::make_shared<CatalogTable>();
    ct->def = std::move(p.def);
    ct->def.db = key.first;
    ct->cluster_name = cluster_name;
    api::NdbError e;
    ct->ndb = conn().get_table(cluster_name, e);
    if (!ct->ndb && e.code != kErrNoSuchTable) {
      // The cluster did not answer (a node failure, a restart): a snapshot
      // without the table would make it look dropped. Keep the old one.
      error = "cannot read cluster table " + cluster_name + ": " + e.message;
      return false;
    }
    if (!ct->ndb) {
      logger_.warn("catalog: cluster table " + cluster_name + " is missing: " + e.message);
      continue;
    }
    for (size_t c = 0; c < ct->def.columns.size(); ++c) {
      if (!long_values::is_long_column(ct->def.columns[c]) || ct->ndb->hidden_key) continue;
      api::NdbError pe;
      auto pt = std::make_shared<CatalogTable>();
      pt->def.db = ct->def.db;
      pt->def.name = ct->def.name;
      pt->cluster_name = long_values::parts_table_name(cluster_name, c);
      pt->ndb = conn().get_table(pt->cluster_name, pe);
      if (pt->ndb) ct->parts[c] = pt;
    }
    out.tables[key] = ct;
  }
  return true;
}

void Catalog::reload() {
  std::lock_guard<std::mutex> one(reload_mu_);
  Snapshot s;
  uint64_t v = 0;
  std::string error;
  if (!load(s, v, error)) {
    logger_.warn("catalog reload failed: " + error);
    return;
  }
  std::lock_guard<std::mutex> lk(mu_);
  snap_ = std::move(s);
  version_ = v;
}

void Catalog::invalidate(const std::string& db, const std::string& name) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    snap_.tables.erase({db, name});
  }
  reload();
}

void Catalog::invalidate_all() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    snap_.tables.clear();
  }
  reload();
}

void Catalog::refresher() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(stop_mu_);
      if (stop_cv_.wait_for(lk, std::chrono::duration<double>(kRefreshInterval), [this] { return stop_; })) return;
    }
    refresh();
    check_kills();
  }
}

void Catalog::check_kills() {
  KillHandler handler;
  {
    std::lock_guard<std::mutex> lk(mu_);
    handler = kill_handler_;
  }
  if (!handler) return;
  // "kill:" requests and "killed:" answers in one scan.
  engine::ScanSpec spec;
  spec.filter = engine::Filter::compare(engine::Filter::Op::kLikePrefix, 0, std::string("kill"));
  auto r = conn().scan(catalog_id_, spec);
  if (r.error) return;
  uint32_t me = conn().node_id();
  for (auto& row : r.rows) {
    std::string k = str(row[0]);
    const bool answer = k.compare(0, 7, "killed:") == 0;
    if (!answer && k.compare(0, 5, "kill:") != 0) continue;
    if (kill_row_age(k) > kKillRowLifetime) {
      // Its asker stopped waiting long ago (or died): an answer nobody
      // reads, or a request nobody should act on now. Any node removes it;
      // two at once is harmless.
      auto d = conn().start_transaction();
      d->remove(catalog_id_, {k});
      d->execute(engine::ExecType::kCommit);
      continue;
    }
    if (answer) continue;
    uint32_t id = static_cast<uint32_t>(std::strtoul(k.c_str() + 5, nullptr, 10));
    if ((id >> 24) != me) continue;
    auto t = conn().start_transaction();
    t->remove(catalog_id_, {k});
    if (t->execute(engine::ExecType::kCommit)) continue;  // the asker gave up and took it back
    KillRequest request = KillRequest::parse(str(row[1]));
    uint16_t code = handler(id, request);
    if (request.nonce.empty()) continue;
    auto a = conn().start_transaction();
    a->write(catalog_id_, {kill_answer_key(request.nonce)}, {{1, std::to_string(code)}});
    if (api::NdbError e = a->execute(engine::ExecType::kCommit))
      logger_.warn("KILL " + std::to_string(id) + ": cannot leave the answer: " + e.message);
  }
}

SqlError Catalog::post_kill(uint32_t id, KillRequest request) {
  request.nonce = kill_nonce(conn().node_id(), ++kill_seq_);
  auto t = conn().start_transaction();
  t->write(catalog_id_, {kill_key(id, request.nonce)}, {{1, request.encode()}});
  api::NdbError e = t->execute(engine::ExecType::kCommit);
  if (e) return cluster_error(e);
  const std::string answer_key = kill_answer_key(request.nonce);
  // The owner looks every kRefreshInterval; a node that is down (or has no
  // such connection id in use) never answers.
  auto wait_answer = [&](double seconds) -> std::optional<uint16_t> {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
      api::NdbError re;
      auto v = read_row(answer_key, re);
      if (v) {
        auto d = conn().start_transaction();
        d->remove(catalog_id_, {answer_key});
        d->execute(engine::ExecType::kCommit);
        return static_cast<uint16_t>(std::strtoul(v->c_str(), nullptr, 10));
      }
      if (std::chrono::steady_clock::now() >= until) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  std::optional<uint16_t> code = wait_answer(8 * kRefreshInterval);
  if (!code) {
    // Take the request back; if the owner took it first, its answer is on the way.
    auto d = conn().start_transaction();
    d->remove(catalog_id_, {kill_key(id, request.nonce)});
    if (d->execute(engine::ExecType::kCommit)) code = wait_answer(4 * kRefreshInterval);
    // An answer written after this gives up stays until it is
    // kKillRowLifetime old; check_kills on any node removes it then.
  }
  if (!code) return kill_error(er::kNoSuchThread, id);
  if (*code == 0) return SqlError{0, "", ""};
  return kill_error(*code, id);
}

api::NdbError Catalog::write_rows(const std::vector<std::pair<std::string, std::optional<std::string>>>& rows,
                                  const std::vector<std::string>& must_not_exist) {
  for (int attempt = 0;; ++attempt) {
    auto t = conn().start_transaction();
    t->read(catalog_id_, {kVersionKey}, engine::LockMode::kExclusive);
    api::NdbError e = t->execute(engine::ExecType::kNoCommit);
    uint64_t v = 0;
    if (e.code == kErrNoSuchTuple) {
      t = conn().start_transaction();
      e = {};
    } else if (!e && !t->results().empty() && t->results()[0].row) {
      v = std::strtoull(str((*t->results()[0].row)[1]).c_str(), nullptr, 10);
    }
    if (!e) {
      for (auto& k : must_not_exist) t->insert(catalog_id_, {k}, {{1, std::string()}});
      for (auto& [k, val] : rows) {
        bool fresh = std::find(must_not_exist.begin(), must_not_exist.end(), k) != must_not_exist.end();
        if (!val) t->remove(catalog_id_, {k});
        else if (fresh) t->update(catalog_id_, {k}, {{1, *val}});
        else t->write(catalog_id_, {k}, {{1, *val}});
      }
      t->write(catalog_id_, {kVersionKey}, {{1, std::to_string(v + 1)}});
      e = t->execute(engine::ExecType::kCommit);
    }
    if (e && e.temporary() && attempt < 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * (attempt + 1)));
      continue;
    }
    if (!e) reload();
    return e;
  }
}

bool Catalog::database_exists(const std::string& db) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (snap_.databases.count(db)) return true;
  }
  reload();
  std::lock_guard<std::mutex> lk(mu_);
  return snap_.databases.count(db) > 0;
}

void Catalog::refresh() {
  uint64_t v = 0;
  if (read_version(v) && v != version_.load()) reload();
}

std::vector<std::string> Catalog::databases() {
  refresh();
  std::lock_guard<std::mutex> lk(mu_);
  return {snap_.databases.begin(), snap_.databases.end()};
}

std::vector<std::string> Catalog::tables(const std::string& db) {
  refresh();
  std::vector<std::string> out;
  std::lock_guard<std::mutex> lk(mu_);
  for (auto& [k, t] : snap_.tables)
    if (k.first == db) out.push_back(k.second);
  return out;
}

std::shared_ptr<const CatalogTable> Catalog::find_cached(const std::string& db, const std::string& name) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = snap_.tables.find({db, name});
  if (it != snap_.tables.end()) return it->second;
  // MySQL on Linux: names are case-sensitive; nothing more to try.
  return nullptr;
}

std::shared_ptr<const CatalogTable> Catalog::table(const std::string& db, const std::string& name) {
  if (auto t = find_cached(db, name)) return t;
  reload();
  return find_cached(db, name);
}

std::optional<SqlError> Catalog::create_database(const std::string& db, bool if_not_exists, bool& existed) {
  existed = false;
  api::NdbError e = write_rows({{db_key(db), std::string()}}, {db_key(db)});
  if (e.code == kErrTupleExists) {
    existed = true;
    if (if_not_exists) return std::nullopt;
    return make_sql_error(er::kDbCreateExists, {db});
  }
  if (e) return cluster_error(e);
  return std::nullopt;
}

std::optional<SqlError> Catalog::drop_database(const std::string& db, bool if_exists, bool& missing) {
  missing = !database_exists(db);
  if (missing) {
    if (if_exists) return std::nullopt;
    return make_sql_error(er::kDbDropExists, {db});
  }
  for (auto& t : tables(db)) {
    bool gone = false;
    if (auto err = drop_table(db, t, true, gone)) return err;
  }
  api::NdbError e = write_rows({{db_key(db), std::nullopt}});
  if (e) return cluster_error(e);
  return std::nullopt;
}

std::optional<SqlError> Catalog::create_table(const TableDef& def, bool if_not_exists, bool& existed) {
  existed = false;
  if (table(def.db, def.name)) {
    existed = true;
    if (if_not_exists) return std::nullopt;
    return make_sql_error(er::kTableExists, {def.name});
  }
  engine::Table t = def.to_cluster_table();
  std::string why = engine::normalise(t);
  if (!why.empty()) return SqlError{er::kUnknown, "HY000", "Bad table definition: " + why};
  api::NdbError e = conn().create_table(t);
  if (e.code == kErrTableExists) {
    // A leftover cluster table without a catalog row (a crash between the
    // two steps): replace it. Asked of the catalog row itself, never of the
    // snapshot: a snapshot may lack a table only because the cluster could
    // not answer for a moment, and dropping it then would lose its rows.
    // Another SQL node creating the same table writes its row a moment
    // after its cluster table: give it that moment before calling ours a
    // leftover.
    api::NdbError re;
    std::optional<std::string> row;
    for (int look = 0; look < kLeftoverLooks; ++look) {
      if (look) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      row = read_row(table_key(def.db, def.name), re);
      if (re) return cluster_error(re);
      if (row) break;
    }
    if (!row) {
      logger_.warn("CREATE TABLE " + def.db + "." + def.name + ": cluster table " + t.name +
                   " has no catalog row (left by an interrupted CREATE); replacing it");
      conn().drop_table(t.name);
      e = conn().create_table(t);
    } else {
      existed = true;
      if (if_not_exists) return std::nullopt;
      return make_sql_error(er::kTableExists, {def.name});
    }
  }
  if (e) {
    if (e.code == 826) return make_sql_error(er::kRecordFileFull, {def.name});
    return cluster_error(e);
  }
  e = create_parts_tables(def, t);
  if (e) {
    drop_parts_tables(def, t.name);
    conn().drop_table(t.name);
    return cluster_error(e);
  }
  e = write_rows({{table_key(def.db, def.name), t.name + "\n" + def.create_statement()},
                  {seq_key(def.db, def.name), std::to_string(def.auto_increment_start)}},
                 {table_key(def.db, def.name)});
  if (e) {
    drop_parts_tables(def, t.name);
    conn().drop_table(t.name);
    if (e.code == kErrTupleExists) {
      existed = true;
      if (if_not_exists) return std::nullopt;
      return make_sql_error(er::kTableExists, {def.name});
    }
    return cluster_error(e);
  }
  return std::nullopt;
}

std::optional<SqlError> Catalog::drop_table(const std::string& db, const std::string& name, bool if_exists,
                                            bool& missing) {
  auto t = table(db, name);
  missing = !t;
  if (!t) {
    if (if_exists) return std::nullopt;
    return make_sql_error(er::kBadTable, {db + "." + name});
  }
  api::NdbError e = write_rows({{table_key(db, name), std::nullopt}, {seq_key(db, name), std::nullopt}});
  if (e) return cluster_error(e);
  e = conn().drop_table(t->cluster_name);
  if (e && e.code != kErrNoSuchTable) logger_.warn("drop of cluster table " + t->cluster_name + ": " + e.message);
  drop_parts_tables(t->def, t->cluster_name);
  std::lock_guard<std::mutex> lk(seq_mu_);
  ranges_.erase(range_key(*t));
  return std::nullopt;
}

namespace {
// A fresh cluster table name for a rebuilt table: "db/def/t#N".
std::string rebuilt_name(const std::string& base, const std::string& current) {
  uint32_t n = 1;
  size_t hash = current.rfind('#');
  if (hash != std::string::npos) n = static_cast<uint32_t>(std::strtoul(current.c_str() + hash + 1, nullptr, 10));
  return base + "#" + std::to_string(n + 1);
}
}  // namespace

std::optional<SqlError> Catalog::truncate_table(const std::string& db, const std::string& name) {
  auto t = table(db, name);
  if (!t) return make_sql_error(er::kNoSuchTable, {db + "." + name});
  engine::Table fresh = t->def.to_cluster_table();
  fresh.name = rebuilt_name(t->def.cluster_name(), t->cluster_name);
  engine::normalise(fresh);
  api::NdbError e = conn().create_table(fresh);
  if (e) return cluster_error(e);
  e = create_parts_tables(t->def, fresh);
  if (!e)
    e = write_rows({{table_key(db, name), fresh.name + "\n" + t->def.create_statement()},
                    {seq_key(db, name), std::to_string(t->def.auto_increment_start)}});
  if (e) {
    drop_parts_tables(t->def, fresh.name);
    conn().drop_table(fresh.name);
    return cluster_error(e);
  }
  conn().drop_table(t->cluster_name);
  drop_parts_tables(t->def, t->cluster_name);
  std::lock_guard<std::mutex> lk(seq_mu_);
  ranges_.erase(range_key(*t));
  return std::nullopt;
}

api::NdbError Catalog::create_parts_tables(const TableDef& def, const engine::Table& main) {
  if (main.hidden_key) return {};  // no key known before the insert: values stay inline
  for (size_t c = 0; c < def.columns.size(); ++c) {
    if (!long_values::is_long_column(def.columns[c])) continue;
    engine::Table p = long_values::parts_table(main, c, long_values::parts_table_name(main.name, c));
    std::string why = engine::normalise(p);
    if (!why.empty()) return api::make_error(kErrNoSuchTable, "parts table of column " + def.columns[c].name + ": " + why);
    api::NdbError e = conn().create_table(p);
    if (e.code == kErrTableExists) {  // left by an interrupted CREATE, as the table itself may be
      conn().drop_table(p.name);
      e = conn().create_table(p);
    }
    if (e) return e;
  }
  return {};
}

void Catalog::drop_parts_tables(const TableDef& def, const std::string& cluster_name) {
  for (size_t c = 0; c < def.columns.size(); ++c) {
    if (!long_values::is_long_column(def.columns[c])) continue;
    api::NdbError e = conn().drop_table(long_values::parts_table_name(cluster_name, c));
    if (e && e.code != kErrNoSuchTable) logger_.warn("drop of the parts table of " + cluster_name + ": " + e.message);
  }
}

std::optional<SqlError> Catalog::copy_parts(const CatalogTable& from, const std::string& to_name) {
  for (const auto& [c, p] : from.parts) {
    if (!p) continue;
    api::NdbError e;
    auto to = conn().get_table(long_values::parts_table_name(to_name, c), e);
    if (!to) continue;  // the new table has no parts for it (no primary key)
    engine::ScanSpec spec;
    spec.batch_rows = 8;
    auto r = conn().scan(p->ndb->id, spec);
    if (r.error) return cluster_error(r.error);
    for (size_t i = 0; i < r.rows.size();) {
      auto t = conn().start_transaction();
      size_t end = std::min(r.rows.size(), i + 4);
      for (; i < end; ++i) {
        auto& row = r.rows[i];
        std::vector<engine::Value> key(row.begin(), row.end() - 1);
        t->insert(to->id, key, {{static_cast<uint32_t>(row.size() - 1), row.back()}});
      }
      if (api::NdbError ce = t->execute(engine::ExecType::kCommit)) return cluster_error(ce);
    }
  }
  return std::nullopt;
}

std::optional<SqlError> Catalog::copy_rows(const CatalogTable& from, const engine::Table& to) {
  engine::ScanSpec spec;
  spec.batch_rows = 512;
  auto r = conn().scan(from.ndb->id, spec);
  if (r.error) return cluster_error(r.error);
  const size_t user_columns = from.def.columns.size();
  for (size_t i = 0; i < r.rows.size();) {
    auto t = conn().start_transaction();
    size_t end = std::min(r.rows.size(), i + 256);
    for (; i < end; ++i) {
      auto& row = r.rows[i];
      std::vector<engine::Value> key;
      engine::ColumnValues set;
      for (uint32_t c = 0; c < user_columns; ++c) {
        bool is_key = std::find(to.primary_key.begin(), to.primary_key.end(), c) != to.primary_key.end();
        if (!is_key) set.emplace_back(c, row[c]);
      }
      if (!to.hidden_key)
        for (uint32_t k : to.primary_key) key.push_back(row[k]);
      t->insert(to.id, key, set);
    }
    api::NdbError e = t->execute(engine::ExecType::kCommit);
    if (e) {
      if (e.code == kErrTupleExists || e.code == 893) return make_sql_error(er::kDupEntry, {"?", "new index"});
      return cluster_error(e);
    }
  }
  return std::nullopt;
}

std::optional<SqlError> Catalog::add_index(const std::string& db, const std::string& name, const IndexMeta& index) {
  return rebuild(db, name, [&](TableDef& def) -> std::optional<SqlError> {
    for (auto& ix : def.indexes)
      if (iequals(ix.name, index.name)) return SqlError{1061, "42000", "Duplicate key name '" + index.name + "'"};
    IndexMeta ix = index;
    for (auto& c : ix.columns) {
      auto pos = def.column_index(c);
      if (!pos) return SqlError{1072, "42000", "Key column '" + c + "' doesn't exist in table"};
      c = def.columns[*pos].name;
    }
    if (ix.primary) def.indexes.insert(def.indexes.begin(), ix);
    else def.indexes.push_back(ix);
    return std::nullopt;
  });
}

std::optional<SqlError> Catalog::drop_index(const std::string& db, const std::string& name, const std::string& index) {
  return rebuild(db, name, [&](TableDef& def) -> std::optional<SqlError> {
    for (auto it = def.indexes.begin(); it != def.indexes.end(); ++it) {
      if (!iequals(it->name, index)) continue;
      if (it->primary)
        return SqlError{1235, "42000", "This version of halb-sqld doesn't yet support dropping the primary key"};
      def.indexes.erase(it);
      return std::nullopt;
    }
    return SqlError{1091, "42000", "Can't DROP '" + index + "'; check that column/key exists"};
  });
}

std::optional<SqlError> Catalog::rebuild(const std::string& db, const std::string& name,
                                         const std::function<std::optional<SqlError>(TableDef&)>& change) {
  auto t = table(db, name);
  if (!t) return make_sql_error(er::kNoSuchTable, {db + "." + name});
  TableDef def = t->def;
  if (auto e = change(def)) return e;
  engine::Table fresh = def.to_cluster_table();
  fresh.name = rebuilt_name(def.cluster_name(), t->cluster_name);
  std::string why = engine::normalise(fresh);
  if (!why.empty()) return SqlError{er::kUnknown, "HY000", "Bad table definition: " + why};
  api::NdbError e = conn().create_table(fresh);
  if (e) return cluster_error(e);
  auto created = conn().get_table(fresh.name, e);
  if (!created) return cluster_error(e);
  auto undo = [&] {
    drop_parts_tables(def, fresh.name);
    conn().drop_table(fresh.name);
  };
  if ((e = create_parts_tables(def, fresh))) {
    undo();
    return cluster_error(e);
  }
  if (auto err = copy_rows(*t, *created)) {
    undo();
    return err;
  }
  if (auto err = copy_parts(*t, fresh.name)) {
    undo();
    return err;
  }
  e = write_rows({{table_key(db, name), fresh.name + "\n" + def.create_statement()}});
  if (e) {
    undo();
    return cluster_error(e);
  }
  conn().drop_table(t->cluster_name);
  drop_parts_tables(t->def, t->cluster_name);
  return std::nullopt;
}

uint64_t Catalog::next_auto_increment(const CatalogTable& t, api::NdbError& error) {
  std::string key = seq_key(t.def.db, t.def.name);
  std::lock_guard<std::mutex> lk(seq_mu_);
  Range& r = ranges_[range_key(t)];
  if (r.next < r.end) return r.next++;
  // Take a range; a busy table gets bigger ones (up to 1024 values).
  for (int attempt = 0;; ++attempt) {
    auto tx = conn().start_transaction();
    tx->read(catalog_id_, {key}, engine::LockMode::kExclusive);
    error = tx->execute(engine::ExecType::kNoCommit);
    uint64_t next = t.def.auto_increment_start;
    if (error.code == kErrNoSuchTuple) {
      logger_.warn("AUTO_INCREMENT of " + t.def.db + "." + t.def.name + ": no sequence row in the catalog; "
                   "starting again at " + std::to_string(next));
      tx = conn().start_transaction();
      error = {};
    } else if (!error && !tx->results().empty() && tx->results()[0].row) {
      next = std::max<uint64_t>(1, std::strtoull(str((*tx->results()[0].row)[1]).c_str(), nullptr, 10));
    }
    if (!error) {
      tx->write(catalog_id_, {key}, {{1, std::to_string(next + r.chunk)}});
      error = tx->execute(engine::ExecType::kCommit);
    }
    if (error && error.temporary() && attempt < 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
      continue;
    }
    if (error) return 0;
    r.next = next;
    r.end = next + r.chunk;
    r.chunk = std::min<uint64_t>(r.chunk * 2, 1024);
    return r.next++;
  }
}

void Catalog::note_explicit_auto_increment(const CatalogTable& t, uint64_t value) {
  std::string key = seq_key(t.def.db, t.def.name);
  std::lock_guard<std::mutex> lk(seq_mu_);
  Range& r = ranges_[range_key(t)];
  if (value < r.next || value < r.known_floor) return;
  if (value < r.end) {
    r.next = value + 1;
    return;
  }
  // Beyond what this node holds: move the shared sequence past it.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto tx = conn().start_transaction();
    tx->read(catalog_id_, {key}, engine::LockMode::kExclusive);
    api::NdbError e = tx->execute(engine::ExecType::kNoCommit);
    uint64_t next = 0;
    if (e.code == kErrNoSuchTuple) {
      tx = conn().start_transaction();
      e = {};
    } else if (!e && !tx->results().empty() && tx->results()[0].row) {
      next = std::strtoull(str((*tx->results()[0].row)[1]).c_str(), nullptr, 10);
    }
    if (e) {
      if (e.temporary()) continue;
      return;
    }
    if (next > value) {
      tx->rollback();  // release the row lock
      r.known_floor = std::max(r.known_floor, next);
      return;
    }
    tx->write(catalog_id_, {key}, {{1, std::to_string(value + 1)}});
    e = tx->execute(engine::ExecType::kCommit);
    if (!e) {
      r.next = r.end = 0;
      return;
    }
    if (!e.temporary()) return;
  }
}

void Catalog::auto_increment_collided(const CatalogTable& t, uint64_t value) {
  auto col = t.def.auto_increment_column();
  if (!col || !t.ndb || *col >= t.ndb->columns.size()) return;
  const engine::Column& c = t.ndb->columns[*col];
  engine::ScanSpec spec;
  spec.batch_rows = 256;
  engine::Value from = c.is_unsigned ? engine::Value(value) : engine::Value(static_cast<int64_t>(value));
  spec.filter = engine::Filter::compare(engine::Filter::Op::kGe, static_cast<uint32_t>(*col), from);
  auto r = conn().scan(t.ndb->id, spec);
  if (r.error) {
    logger_.warn("AUTO_INCREMENT of " + t.def.db + "." + t.def.name + ": value " + std::to_string(value) +
                 " was taken already, and the table could not be read to move the sequence past it: " +
                 r.error.message);
    return;
  }
  uint64_t largest = 0;
  for (const auto& row : r.rows) {
    if (*col >= row.size()) continue;
    if (auto* i = std::get_if<int64_t>(&row[*col])) largest = std::max<uint64_t>(largest, *i > 0 ? *i : 0);
    else if (auto* u = std::get_if<uint64_t>(&row[*col])) largest = std::max(largest, *u);
  }
  if (largest < value) return;  // the clash was with a row of this same statement or transaction
  logger_.warn("AUTO_INCREMENT of " + t.def.db + "." + t.def.name + ": value " + std::to_string(value) +
               " was taken already; the sequence was behind the table (" + std::to_string(r.rows.size()) +
               " rows from there on, largest " + std::to_string(largest) + "): moving it past them");
  note_explicit_auto_increment(t, largest);
}

std::vector<AccountRecord> Catalog::accounts() {
  std::lock_guard<std::mutex> lk(mu_);
  return snap_.accounts;
}

std::optional<Account> Catalog::find_account(std::string_view user, std::string_view host) {
  auto pick = [&]() -> std::optional<Account> {
    std::lock_guard<std::mutex> lk(mu_);
    const AccountRecord* best = nullptr;
    for (auto& a : snap_.accounts) {
      if (!a.account.user.empty() && a.account.user != user) continue;
      bool match = host_matches(a.account.host_pattern, host) ||
                   (a.account.host_pattern == "localhost" && (host == "127.0.0.1" || host == "::1"));
      if (!match) continue;
      if (!best) {
        best = &a;
        continue;
      }
      int r1 = host_rank(a.account.host_pattern), r2 = host_rank(best->account.host_pattern);
      if (r1 > r2 || (r1 == r2 && !a.account.user.empty() && best->account.user.empty())) best = &a;
    }
    if (!best) return std::nullopt;
    return best->account;
  };
  if (auto a = pick()) return a;
  reload();
  return pick();
}

std::optional<SqlError> Catalog::create_user(const Account& a, bool if_not_exists, bool& existed) {
  existed = false;
  std::string key = user_key(a.user, a.host_pattern);
  api::NdbError e = write_rows({{key, hex_encode(a.password_sha1_sha1) + "\nGRANT USAGE ON *.* TO `" + a.user + "`@`" +
                                          a.host_pattern + "`"}},
                               {key});
  if (e.code == kErrTupleExists) {
    existed = true;
    if (if_not_exists) return std::nullopt;
    return SqlError{1396, "HY000", "Operation CREATE USER failed for '" + a.user + "'@'" + a.host_pattern + "'"};
  }
  if (e) return cluster_error(e);
  return std::nullopt;
}

std::optional<SqlError> Catalog::drop_user(const std::string& user, const std::string& host, bool if_exists,
                                           bool& missing) {
  reload();
  missing = true;
  for (auto& a : accounts())
    if (a.account.user == user && a.account.host_pattern == host) missing = false;
  if (missing) {
    if (if_exists) return std::nullopt;
    return SqlError{1396, "HY000", "Operation DROP USER failed for '" + user + "'@'" + host + "'"};
  }
  api::NdbError e = write_rows({{user_key(user, host), std::nullopt}});
  if (e) return cluster_error(e);
  return std::nullopt;
}

std::optional<SqlError> Catalog::set_password(const std::string& user, const std::string& host,
                                              const std::string& sha1_sha1) {
  reload();
  for (auto& a : accounts()) {
    if (a.account.user != user || a.account.host_pattern != host) continue;
    std::string v = hex_encode(sha1_sha1);
    for (auto& g : a.grants) v += "\n" + g;
    api::NdbError e = write_rows({{user_key(user, host), v}});
    if (e) return cluster_error(e);
    return std::nullopt;
  }
  return SqlError{1133, "28000", "Can't find any matching row in the user table"};
}

// An account's row: its password hash, then one grant per line.
std::optional<SqlError> Catalog::write_account_grants(const Account& account, const std::vector<std::string>& grants) {
  std::string v = hex_encode(account.password_sha1_sha1);
  for (auto& g : grants) v += "\n" + g;
  api::NdbError e = write_rows({{user_key(account.user, account.host_pattern), v}});
  if (e) return cluster_error(e);
  return std::nullopt;
}

std::optional<SqlError> Catalog::set_grants(const std::string& user, const std::string& host,
                                            const std::vector<std::string>& grants) {
  reload();
  for (auto& a : accounts()) {
    if (a.account.user != user || a.account.host_pattern != host) continue;
    return write_account_grants(a.account, grants);
  }
  return SqlError{1133, "28000", "Can't find any matching row in the user table"};
}

std::optional<SqlError> Catalog::add_grant(const std::string& user, const std::string& host,
                                           const std::string& grant_text, bool revoke) {
  reload();
  for (auto& a : accounts()) {
    if (a.account.user != user || a.account.host_pattern != host) continue;
    std::vector<std::string> grants = a.grants;
    if (revoke) {
      grants.erase(std::remove(grants.begin(), grants.end(), grant_text), grants.end());
    } else if (std::find(grants.begin(), grants.end(), grant_text) == grants.end()) {
      grants.push_back(grant_text);
    }
    return write_account_grants(a.account, grants);
  }
  return SqlError{1133, "28000", "Can't find any matching row in the user table"};
}

}  // namespace halb::cluster::sqld
