// cluster/sqld/sql/sqlite_tables.cc: cluster tables as SQLite virtual tables
// (see sqlite_tables.h).
#include "cluster/sqld/sql/sqlite_tables.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <ctime>

#include "cluster/sqld/sql/errors.h"
#include "cluster/sqld/sql/long_values.h"
#include "cluster/sqld/sql/rewrite.h"
#include "cluster/sqld/sql/value_codec.h"

namespace halb::cluster::sqld {

int mysql_ci_compare(std::string_view a, std::string_view b) {
  while (!a.empty() && a.back() == ' ') a.remove_suffix(1);
  while (!b.empty() && b.back() == ' ') b.remove_suffix(1);
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int x = std::tolower(static_cast<unsigned char>(a[i])), y = std::tolower(static_cast<unsigned char>(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

namespace {

struct Module {
  ExecContext* ctx;
  SessionInfo* info;
};

struct VTab {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
  ExecContext* ctx = nullptr;
  std::shared_ptr<const CatalogTable> table;
  bool int_rowid = false;  // the rowid is the single integer primary key
};

struct Cursor {
  sqlite3_vtab_cursor base{};
  std::vector<engine::Row> rows;
  size_t pos = 0;
};

// A plan is a kind letter and a list of (role, column, op) items, one per
// argv value xFilter receives, in order.
//   K  point read: items 'k' for each primary key column (key order)
//   U<id>  unique index read: items 'k' in index column order
//   R  primary key range: 'l'/'h' bounds on the first key column
//   I<id>  ordered index range/equality on its first column: 'l'/'h'/'e'
//   S  full scan
// Every plan may carry 'f' items: filters pushed to the data nodes. After
// the kind, '@' and SQLite's colUsed: the columns the statement reads.
struct PlanItem {
  char role;
  uint32_t column;
  int op;
};

std::string encode_plan(const std::string& kind, uint64_t col_used, const std::vector<PlanItem>& items) {
  std::string s = kind + "@" + std::to_string(col_used) + "|";
  for (auto& i : items) s += std::string(1, i.role) + std::to_string(i.column) + ":" + std::to_string(i.op) + ";";
  return s;
}

void decode_plan(const char* text, std::string& kind, uint64_t& col_used, std::vector<PlanItem>& items) {
  std::string s = text ? text : "S|";
  size_t bar = s.find('|');
  size_t at = s.find('@');
  col_used = ~uint64_t{0};
  if (at < bar) col_used = std::stoull(s.substr(at + 1, bar - at - 1));
  kind = s.substr(0, std::min(at, bar));
  size_t p = bar + 1;
  while (p < s.size()) {
    size_t semi = s.find(';', p);
    std::string item = s.substr(p, semi - p);
    size_t colon = item.find(':');
    PlanItem pi{item[0], static_cast<uint32_t>(std::stoul(item.substr(1, colon - 1))), std::stoi(item.substr(colon + 1))};
    items.push_back(pi);
    p = semi + 1;
  }
}

SqlInput input_of(sqlite3_value* v) {
  SqlInput in;
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      in.kind = SqlInput::Kind::kInt;
      in.i = sqlite3_value_int64(v);
      break;
    case SQLITE_FLOAT:
      in.kind = SqlInput::Kind::kDouble;
      in.d = sqlite3_value_double(v);
      break;
    case SQLITE_TEXT:
      in.kind = SqlInput::Kind::kText;
      in.s.assign(reinterpret_cast<const char*>(sqlite3_value_text(v)), static_cast<size_t>(sqlite3_value_bytes(v)));
      break;
    case SQLITE_BLOB:
      in.kind = SqlInput::Kind::kBlob;
      in.s.assign(static_cast<const char*>(sqlite3_value_blob(v)), static_cast<size_t>(sqlite3_value_bytes(v)));
      break;
    default:
      break;
  }
  return in;
}

void set_error(VTab* vt, const SqlError& e) {
  vt->ctx->error = e;
  sqlite3_free(vt->base.zErrMsg);
  vt->base.zErrMsg = sqlite3_mprintf("%s", e.message.c_str());
}

bool pushable_column(const ColumnMeta& c) {
  // Strings compare case-insensitively here but bytewise on the data nodes.
  return c.is_integer() || c.base == "float" || c.base == "double";
}

// Key value for a constraint: the SQL value converted to the column's type.
// False when the value cannot equal any stored value (e.g. 2.5 for an int).
bool key_value(const ColumnMeta& c, sqlite3_value* v, engine::Value& out) {
  SqlInput in = input_of(v);
  if (in.kind == SqlInput::Kind::kNull) return false;
  if (c.is_integer() && in.kind == SqlInput::Kind::kDouble && in.d != std::trunc(in.d)) return false;
  if (c.is_integer() && in.kind == SqlInput::Kind::kText) {
    double d;
    char* end = nullptr;
    d = std::strtod(in.s.c_str(), &end);
    if (end == in.s.c_str() || d != std::trunc(d)) return false;
    in.kind = SqlInput::Kind::kDouble;
    in.d = d;
  }
  SqlError ignored;
  auto stored = to_stored(c, in, 1, ignored);
  if (!stored) return false;
  out = std::move(*stored);
  return true;
}

// A range bound for an integer column from any numeric SQL value: rounds in
// the direction that keeps every matching row.
bool bound_value(const ColumnMeta& c, sqlite3_value* v, bool low, engine::Value& out, bool& inclusive) {
  SqlInput in = input_of(v);
  if (in.kind == SqlInput::Kind::kNull) return false;
  if (c.is_integer()) {
    double d = in.kind == SqlInput::Kind::kInt ? static_cast<double>(in.i)
               : in.kind == SqlInput::Kind::kDouble ? in.d
                                                    : std::strtod(in.s.c_str(), nullptr);
    if (in.kind != SqlInput::Kind::kInt && d != std::trunc(d)) {
      d = low ? std::ceil(d) : std::floor(d);
      inclusive = true;
    }
    if (in.kind == SqlInput::Kind::kInt) d = 0;  // use the exact integer below
    int64_t i = in.kind == SqlInput::Kind::kInt ? in.i : static_cast<int64_t>(d);
    if (c.is_unsigned) {
      if (i < 0) {
        if (!low) return false;
        out = uint64_t{0};
        inclusive = true;
        return true;
      }
      out = static_cast<uint64_t>(i);
    } else {
      out = i;
    }
    return true;
  }
  return key_value(c, v, out);
}


// ---- module callbacks ---------------------------------------------------------

int x_connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out, char** err) {
  auto* m = static_cast<Module*>(aux);
  if (argc < 5) {
    *err = sqlite3_mprintf("halb module needs a database and a table");
    return SQLITE_ERROR;
  }
  std::string dbname = argv[3], tname = argv[4];
  auto strip = [](std::string s) {
    if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"')) s = s.substr(1, s.size() - 2);
    return s;
  };
  dbname = strip(dbname);
  tname = strip(tname);
  auto t = m->ctx->catalog.table(dbname, tname);
  if (!t) {
    *err = sqlite3_mprintf("Table '%s.%s' doesn't exist", dbname.c_str(), tname.c_str());
    return SQLITE_ERROR;
  }
  int rc = sqlite3_declare_vtab(db, t->def.sqlite_declaration().c_str());
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("cannot declare %s: %s", tname.c_str(), sqlite3_errmsg(db));
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  auto* vt = new VTab();
  vt->ctx = m->ctx;
  vt->db = db;
  vt->table = t;
  const IndexMeta* pk = t->def.primary();
  vt->int_rowid = pk && pk->columns.size() == 1 && t->def.column(pk->columns[0])->is_integer();
  *out = &vt->base;
  return SQLITE_OK;
}

int x_disconnect(sqlite3_vtab* v) {
  delete reinterpret_cast<VTab*>(v);
  return SQLITE_OK;
}

int x_best_index(sqlite3_vtab* v, sqlite3_index_info* info) {
  auto* vt = reinterpret_cast<VTab*>(v);
  const TableDef& def = vt->table->def;
  const engine::Table& ndb = *vt->table->ndb;
  struct Usable {
    int index;
    uint32_t column;
    int op;
  };
  std::vector<Usable> cons;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn < 0 || static_cast<size_t>(c.iColumn) >= def.columns.size()) continue;
    cons.push_back({i, static_cast<uint32_t>(c.iColumn), c.op});
  }
  auto find = [&](uint32_t col, std::initializer_list<int> ops) -> const Usable* {
    for (auto& c : cons)
      if (c.column == col && std::find(ops.begin(), ops.end(), c.op) != ops.end()) return &c;
    return nullptr;
  };
  std::vector<PlanItem> items;
  std::vector<int> argv_of;  // constraint index per item
  std::string kind;
  double cost = 0, rows = 0;
  bool unique = false;
  auto use = [&](const Usable& u, char role) {
    items.push_back({role, u.column, u.op});
    argv_of.push_back(u.index);
  };
  // 1. point read on the whole primary key
  if (!ndb.hidden_key) {
    std::vector<const Usable*> key;
    for (uint32_t k : ndb.primary_key) key.push_back(find(k, {SQLITE_INDEX_CONSTRAINT_EQ}));
    if (std::all_of(key.begin(), key.end(), [](auto* p) { return p != nullptr; })) {
      kind = "K";
      for (auto* p : key) use(*p, 'k');
      cost = 1;
      rows = 1;
      unique = true;
    }
  }
  // 2. a unique index read
  if (kind.empty()) {
    for (const auto& ix : ndb.indexes) {
      if (ix.kind != engine::IndexKind::kUniqueHash) continue;
      std::vector<const Usable*> key;
      for (uint32_t k : ix.columns) key.push_back(find(k, {SQLITE_INDEX_CONSTRAINT_EQ}));
      if (!std::all_of(key.begin(), key.end(), [](auto* p) { return p != nullptr; })) continue;
      kind = "U" + std::to_string(ix.id);
      for (auto* p : key) use(*p, 'k');
      cost = 2;
      rows = 1;
      unique = true;
      break;
    }
  }
  auto range_on = [&](uint32_t col, const std::string& k, double base_cost) {
    const Usable* eq = find(col, {SQLITE_INDEX_CONSTRAINT_EQ});
    const Usable* lo = find(col, {SQLITE_INDEX_CONSTRAINT_GT, SQLITE_INDEX_CONSTRAINT_GE});
    const Usable* hi = find(col, {SQLITE_INDEX_CONSTRAINT_LT, SQLITE_INDEX_CONSTRAINT_LE});
    if (!eq && !lo && !hi) return false;
    kind = k;
    if (eq) {
      use(*eq, 'e');
      cost = base_cost;
      rows = 10;
    } else {
      if (lo) use(*lo, 'l');
      if (hi) use(*hi, 'h');
      cost = base_cost * ((lo && hi) ? 10 : 100);
      rows = (lo && hi) ? 100 : 10000;
    }
    return true;
  };
  // 3. a range on the first primary key column
  if (kind.empty() && !ndb.hidden_key && !ndb.primary_key.empty()) range_on(ndb.primary_key[0], "R", 10);
  // 4. an ordered index on its first column
  if (kind.empty()) {
    for (const auto& ix : ndb.indexes) {
      if (ix.kind != engine::IndexKind::kOrdered) continue;
      if (range_on(ix.columns[0], "I" + std::to_string(ix.id), 20)) break;
    }
  }
  if (kind.empty()) {
    kind = "S";
    cost = 1e6;
    rows = 1e6;
  }
  // Pushed filters on numeric columns (not already used as key or bound).
  for (auto& c : cons) {
    bool used = std::find(argv_of.begin(), argv_of.end(), c.index) != argv_of.end();
    if (used || !pushable_column(def.columns[c.column])) continue;
    if (c.op == SQLITE_INDEX_CONSTRAINT_EQ || c.op == SQLITE_INDEX_CONSTRAINT_NE || c.op == SQLITE_INDEX_CONSTRAINT_GT ||
        c.op == SQLITE_INDEX_CONSTRAINT_GE || c.op == SQLITE_INDEX_CONSTRAINT_LT || c.op == SQLITE_INDEX_CONSTRAINT_LE) {
      use(c, 'f');
      cost *= 0.5;
    } else if (c.op == SQLITE_INDEX_CONSTRAINT_ISNULL || c.op == SQLITE_INDEX_CONSTRAINT_ISNOTNULL) {
      items.push_back({'n', c.column, c.op});
      argv_of.push_back(-1);
      cost *= 0.5;
    }
  }
  int next_arg = 1;
  for (size_t i = 0; i < items.size(); ++i) {
    if (argv_of[i] < 0) continue;
    info->aConstraintUsage[argv_of[i]].argvIndex = next_arg++;
    info->aConstraintUsage[argv_of[i]].omit = 0;  // SQLite re-checks (collations, rounding)
  }
  info->idxNum = 0;
  info->idxStr = sqlite3_mprintf("%s", encode_plan(kind, static_cast<uint64_t>(info->colUsed), items).c_str());
  info->needToFreeIdxStr = 1;
  info->estimatedCost = cost;
  info->estimatedRows = static_cast<sqlite3_int64>(rows);
  if (unique) info->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
  return SQLITE_OK;
}

int x_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new Cursor();
  *out = &c->base;
  return SQLITE_OK;
}

int x_close(sqlite3_vtab_cursor* c) {
  delete reinterpret_cast<Cursor*>(c);
  return SQLITE_OK;
}

// The columns colUsed names (bit 63 stands for every column from 63 on);
// empty when that is all of them. None (COUNT(*)) asks for the first key
// column: the data nodes send the key whatever is asked.
std::vector<uint32_t> used_columns(const engine::Table& t, uint64_t col_used) {
  std::vector<uint32_t> out;
  for (uint32_t c = 0; c < t.columns.size(); ++c)
    if (col_used & (uint64_t{1} << std::min<uint32_t>(c, 63))) out.push_back(c);
  if (out.size() == t.columns.size()) out.clear();
  else if (out.empty() && !t.primary_key.empty()) out.push_back(t.primary_key[0]);
  return out;
}

engine::Filter::Op filter_op(int op) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ: return engine::Filter::Op::kEq;
    case SQLITE_INDEX_CONSTRAINT_NE: return engine::Filter::Op::kNe;
    case SQLITE_INDEX_CONSTRAINT_GT: return engine::Filter::Op::kGt;
    case SQLITE_INDEX_CONSTRAINT_GE: return engine::Filter::Op::kGe;
    case SQLITE_INDEX_CONSTRAINT_LT: return engine::Filter::Op::kLt;
    case SQLITE_INDEX_CONSTRAINT_LE: return engine::Filter::Op::kLe;
    case SQLITE_INDEX_CONSTRAINT_ISNULL: return engine::Filter::Op::kIsNull;
    default: return engine::Filter::Op::kIsNotNull;
  }
}

int x_filter(sqlite3_vtab_cursor* cur, int, const char* idx_str, int argc, sqlite3_value** argv) {
  auto* c = reinterpret_cast<Cursor*>(cur);
  auto* vt = reinterpret_cast<VTab*>(cur->pVtab);
  ExecContext& ctx = *vt->ctx;
  const CatalogTable& t = *vt->table;
  c->rows.clear();
  c->pos = 0;
  if (ctx.interrupted.load()) {
    set_error(vt, make_sql_error(er::kQueryInterrupted));
    return SQLITE_INTERRUPT;
  }
  std::string kind;
  uint64_t col_used;
  std::vector<PlanItem> items;
  decode_plan(idx_str, kind, col_used, items);
  std::vector<engine::Value> key;
  engine::ScanSpec spec;
  spec.batch_rows = 256;
  // A reading statement needs only the columns SQLite reads; a writing one
  // hands whole rows on to xUpdate (rowid_rows), so it gets every column.
  if (ctx.read_only_statement) spec.columns = used_columns(*t.ndb, col_used);
  std::vector<engine::Filter> filters;
  int arg = 0;
  for (auto& it : items) {
    const ColumnMeta& col = t.def.columns[it.column];
    if (it.role == 'n') {
      filters.push_back(engine::Filter::compare(filter_op(it.op), it.column, {}));
      continue;
    }
    if (arg >= argc) break;
    sqlite3_value* v = argv[arg++];
    engine::Value value;
    if (it.role == 'k' || it.role == 'e') {
      if (!key_value(col, v, value)) return SQLITE_OK;  // can match nothing
      if (it.role == 'k') key.push_back(value);
      else {
        spec.low = spec.high = {value};
        spec.low_inclusive = spec.high_inclusive = true;
      }
    } else if (it.role == 'l' || it.role == 'h') {
      bool inclusive = it.op == SQLITE_INDEX_CONSTRAINT_GE || it.op == SQLITE_INDEX_CONSTRAINT_LE;
      if (!bound_value(col, v, it.role == 'l', value, inclusive)) {
        if (sqlite3_value_type(v) == SQLITE_NULL) return SQLITE_OK;
        continue;  // unusable as a bound: SQLite still filters
      }
      if (it.role == 'l') {
        spec.low = {value};
        spec.low_inclusive = inclusive;
      } else {
        spec.high = {value};
        spec.high_inclusive = inclusive;
      }
    } else if (it.role == 'f') {
      SqlInput in = input_of(v);
      if (in.kind == SqlInput::Kind::kNull) return SQLITE_OK;  // a comparison with NULL is never true
      if (in.kind == SqlInput::Kind::kText || in.kind == SqlInput::Kind::kBlob) continue;
      engine::Value fv;
      if (col.is_integer()) {
        if (in.kind == SqlInput::Kind::kDouble) continue;  // leave fractional comparisons to SQLite
        if (col.is_unsigned) {
          if (in.i < 0) continue;
          fv = static_cast<uint64_t>(in.i);
        } else {
          fv = in.i;
        }
      } else {
        fv = in.kind == SqlInput::Kind::kInt ? static_cast<double>(in.i) : in.d;
        if (col.base == "float") continue;  // float storage rounds: compare in SQLite
      }
      filters.push_back(engine::Filter::compare(filter_op(it.op), it.column, fv));
    }
  }
  api::NdbError e;
  if (kind == "K" || kind[0] == 'U') {
    std::optional<uint32_t> unique;
    if (kind[0] == 'U') unique = static_cast<uint32_t>(std::stoul(kind.substr(1)));
    engine::Row row;
    bool found = false;
    e = ctx.point_read(t, unique, key, row, found);
    if (!e && found) c->rows.push_back(std::move(row));
  } else {
    if (kind[0] == 'I') spec.index_id = static_cast<uint32_t>(std::stoul(kind.substr(1)));
    if (!filters.empty()) spec.filter = filters.size() == 1 ? filters[0] : engine::Filter::all_of(filters);
    e = ctx.scan(t, spec, c->rows);
  }
  if (e) {
    set_error(vt, ctx.map_error(e, &t));
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

int x_next(sqlite3_vtab_cursor* cur) {
  reinterpret_cast<Cursor*>(cur)->pos++;
  return SQLITE_OK;
}

int x_eof(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<Cursor*>(cur);
  return c->pos >= c->rows.size();
}

void result_of(sqlite3_context* ctx, const SqlInput& in) {
  switch (in.kind) {
    case SqlInput::Kind::kNull: sqlite3_result_null(ctx); break;
    case SqlInput::Kind::kInt: sqlite3_result_int64(ctx, in.i); break;
    case SqlInput::Kind::kDouble: sqlite3_result_double(ctx, in.d); break;
    case SqlInput::Kind::kText:
      sqlite3_result_text(ctx, in.s.data(), static_cast<int>(in.s.size()), SQLITE_TRANSIENT);
      break;
    case SqlInput::Kind::kBlob:
      sqlite3_result_blob(ctx, in.s.data(), static_cast<int>(in.s.size()), SQLITE_TRANSIENT);
      break;
  }
}

int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* out, int n) {
  auto* c = reinterpret_cast<Cursor*>(cur);
  auto* vt = reinterpret_cast<VTab*>(cur->pVtab);
  const auto& row = c->rows[c->pos];
  const auto& col = vt->table->def.columns[static_cast<size_t>(n)];
  const auto& v = row[static_cast<size_t>(n)];
  if (long_values::is_long_column(col) && long_values::length_of_head(v)) {
    // An UPDATE that does not set the column need not read its parts.
    if (sqlite3_vtab_nochange(out)) return SQLITE_OK;
    std::string whole;
    if (auto e = long_values::read_value(*vt->ctx, *vt->table, static_cast<size_t>(n), key_of(*vt->table->ndb, row),
                                         std::get<std::string>(v), whole)) {
      set_error(vt, *e);
      return SQLITE_ERROR;
    }
    result_of(out, from_stored(col, engine::Value{std::move(whole)}));
    return SQLITE_OK;
  }
  result_of(out, from_stored(col, v));
  return SQLITE_OK;
}


int64_t int_of(const engine::Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* u = std::get_if<uint64_t>(&v)) return static_cast<int64_t>(*u);
  return 0;
}

int x_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  auto* c = reinterpret_cast<Cursor*>(cur);
  auto* vt = reinterpret_cast<VTab*>(cur->pVtab);
  ExecContext& ctx = *vt->ctx;
  const auto& row = c->rows[c->pos];
  const engine::Table& ndb = *vt->table->ndb;
  int64_t id;
  if (vt->int_rowid || ndb.hidden_key) {
    id = int_of(row[ndb.primary_key[0]]);
  } else {
    id = ctx.next_rowid++;
    ctx.rowid_keys[id] = key_of(ndb, row);
  }
  ctx.rowid_rows[{ndb.id, id}] = row;
  *out = id;
  return SQLITE_OK;
}

// ---- writes -------------------------------------------------------------------

std::string key_text(const CatalogTable& t, const std::vector<uint32_t>& cols, const engine::Row& row) {
  std::string s;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) s += "-";
    s += stored_to_text(t.def.columns[cols[i]], row[cols[i]]);
  }
  return s;
}

// A row that would clash with another on a unique index (committed, or
// written by this transaction), found before the cluster does: the cluster
// would end the whole transaction with 893 and name neither the value nor
// the index. A round trip per unique index, only for tables that have one.
// `old` (an UPDATE's row before) skips the indexes whose values stay;
// `self` is the row's own primary key, never a clash with itself.
// SQLITE_CONSTRAINT with `dup` set, or SQLITE_ERROR with the error raised.
int unique_clash(VTab* vt, const engine::Row& row, const engine::Row* old, const std::vector<engine::Value>* self,
                 SqlError& dup, ExecContext::Clash* clash = nullptr) {
  ExecContext& ctx = *vt->ctx;
  const CatalogTable& t = *vt->table;
  const engine::Table& ndb = *t.ndb;
  for (const auto& ix : ndb.indexes) {
    if (ix.kind != engine::IndexKind::kUniqueHash) continue;
    std::vector<engine::Value> ukey;
    bool same = old != nullptr;
    for (uint32_t c : ix.columns) {
      if (c >= row.size() || engine::is_null(row[c])) break;  // NULLs are never duplicates
      ukey.push_back(row[c]);
      if (same && (c >= old->size() || engine::is_null((*old)[c]) ||
                   engine::compare_values(ndb.columns[c], (*old)[c], row[c]) != 0))
        same = false;
    }
    if (ukey.size() != ix.columns.size() || same) continue;
    std::optional<std::vector<engine::Value>> holder;
    if (api::NdbError e = ctx.unique_holder(t, ix.id, ukey, holder)) {
      set_error(vt, ctx.map_error(e, &t));
      return SQLITE_ERROR;
    }
    if (!holder) continue;
    if (self && engine::encode_key_values(ndb, ndb.primary_key, *holder) ==
                    engine::encode_key_values(ndb, ndb.primary_key, *self))
      continue;
    dup = make_sql_error(er::kDupEntry, {key_text(t, ix.columns, row), ix.name});
    if (clash) *clash = ExecContext::Clash{ix.columns, ukey};
    set_error(vt, dup);
    return SQLITE_CONSTRAINT;
  }
  return SQLITE_OK;
}

int update_row(sqlite3_vtab* v, int argc, sqlite3_value** argv, sqlite3_int64* out_rowid);

// Writes go to the session's transaction; a statement that has buffered
// a lot executes it (without committing) before going on.
int x_update(sqlite3_vtab* v, int argc, sqlite3_value** argv, sqlite3_int64* out_rowid) {
  int rc = update_row(v, argc, argv, out_rowid);
  auto* vt = reinterpret_cast<VTab*>(v);
  ExecContext& ctx = *vt->ctx;
  if (rc == SQLITE_OK && ctx.batch_full()) {
    ctx.flushed_in_statement = true;
    if (api::NdbError e = ctx.flush()) {
      ctx.tx_rolled_back = true;
      set_error(vt, ctx.map_error(e, nullptr));
      return SQLITE_ERROR;
    }
  }
  return rc;
}

int update_row(sqlite3_vtab* v, int argc, sqlite3_value** argv, sqlite3_int64* out_rowid) {
  auto* vt = reinterpret_cast<VTab*>(v);
  ExecContext& ctx = *vt->ctx;
  const CatalogTable& t = *vt->table;
  const engine::Table& ndb = *t.ndb;
  const TableDef& def = t.def;
  if (ctx.interrupted.load()) {
    set_error(vt, make_sql_error(er::kQueryInterrupted));
    return SQLITE_INTERRUPT;
  }
  ctx.note_table(vt->table);
  auto old_key = [&](int64_t rowid, std::vector<engine::Value>& key) {
    if (vt->int_rowid || ndb.hidden_key) {
      auto it = ctx.rowid_rows.find({ndb.id, rowid});
      if (it != ctx.rowid_rows.end()) {
        key = key_of(ndb, it->second);
        return true;
      }
      return false;
    }
    auto it = ctx.rowid_keys.find(rowid);
    if (it == ctx.rowid_keys.end()) return false;
    key = it->second;
    return true;
  };
  // DELETE
  if (argc == 1) {
    std::vector<engine::Value> key;
    if (!old_key(sqlite3_value_int64(argv[0]), key)) {
      set_error(vt, SqlError{er::kUnknown, "HY000", "row to delete is unknown"});
      return SQLITE_ERROR;
    }
    ctx.transaction().remove(ndb.id, key);
    ctx.note_write(ndb, key, std::nullopt);
    ++ctx.affected;
    if (auto it = ctx.rowid_rows.find({ndb.id, sqlite3_value_int64(argv[0])}); it != ctx.rowid_rows.end())
      if (auto e = long_values::remove_row_parts(ctx, t, key, it->second)) {
        set_error(vt, *e);
        return SQLITE_ERROR;
      }
    return SQLITE_OK;
  }
  ++ctx.rows_seen;
  // An UPDATE: the row as read, for the columns it does not set.
  const engine::Row* prior = nullptr;
  if (sqlite3_value_type(argv[0]) != SQLITE_NULL)
    if (auto it = ctx.rowid_rows.find({ndb.id, sqlite3_value_int64(argv[0])}); it != ctx.rowid_rows.end())
      prior = &it->second;
  std::vector<bool> unchanged(def.columns.size());
  // Convert the new values (argv[2..]) to stored values.
  engine::Row row(def.columns.size());
  std::optional<size_t> auto_col = def.auto_increment_column();
  bool generated = false;
  for (size_t i = 0; i < def.columns.size(); ++i) {
    const ColumnMeta& col = def.columns[i];
    sqlite3_value* sv = argv[2 + i];
    if (prior && sqlite3_value_nochange(sv)) {  // see x_column
      row[i] = (*prior)[i];
      unchanged[i] = true;
      continue;
    }
    SqlInput in = input_of(sv);
    bool listed = true;
    if (ctx.insert_columns && sqlite3_value_type(argv[0]) == SQLITE_NULL) {
      listed = false;
      for (auto& n : *ctx.insert_columns) listed = listed || iequals(n, col.name);
    }
    // DEFAULT written as the value (rewrite.h) counts as left out.
    if (in.kind == SqlInput::Kind::kBlob && in.s == default_marker()) listed = false;
    bool no_default = false;
    if (!listed) {
      // An INSERT left the column out: MySQL's default for it.
      in = SqlInput{};
      if (col.default_now) {
        in.kind = SqlInput::Kind::kText;
        time_t now = time(nullptr);
        std::tm tm{};
        localtime_r(&now, &tm);
        char b[32];
        std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
        in.s = b;
      } else if (col.default_value) {
        in.kind = SqlInput::Kind::kText;
        in.s = *col.default_value;
      } else if (!col.nullable && !(auto_col && *auto_col == i)) {
        no_default = true;
      }
    }
    // a NOT NULL column without a default, left out
    if (no_default) {
      if (ctx.strict) {
        set_error(vt, SqlError{1364, "HY000", "Field '" + col.name + "' doesn't have a default value"});
        return SQLITE_CONSTRAINT;
      } else {
        in = SqlInput{};
        in.kind = col.is_integer() || col.base == "double" || col.base == "float" || col.base == "decimal"
                      ? SqlInput::Kind::kInt
                      : SqlInput::Kind::kText;
      }
    }
    if (auto_col && *auto_col == i && sqlite3_value_type(argv[0]) == SQLITE_NULL &&
        (in.kind == SqlInput::Kind::kNull || (in.kind == SqlInput::Kind::kInt && in.i == 0))) {
      api::NdbError e;
      uint64_t next = ctx.catalog.next_auto_increment(t, e);
      if (e) {
        set_error(vt, ctx.map_error(e, &t));
        return SQLITE_ERROR;
      }
      in = SqlInput{};
      in.kind = SqlInput::Kind::kInt;
      in.i = static_cast<int64_t>(next);
      if (!ctx.first_insert_id) ctx.first_insert_id = next;
      generated = true;
    }
    if (in.kind == SqlInput::Kind::kNull && !col.nullable) {
      set_error(vt, SqlError{1048, "23000", "Column '" + col.name + "' cannot be null"});
      return SQLITE_CONSTRAINT;
    }
    SqlError err;
    auto stored = to_stored(col, in, ctx.rows_seen, err);
    if (!stored) {
      set_error(vt, err);
      return SQLITE_CONSTRAINT;
    }
    row[i] = std::move(*stored);
  }
  if (auto_col && !generated && sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    int64_t explicit_value = int_of(row[*auto_col]);
    if (explicit_value > 0) ctx.catalog.note_explicit_auto_increment(t, static_cast<uint64_t>(explicit_value));
  }
  long_values::Pending pending = long_values::take_long_values(def, row, unchanged);
  auto parts_failed = [&](const SqlError& e) {
    set_error(vt, e);
    return SQLITE_ERROR;
  };
  {
    // One row goes whole into a transport frame (1 MB) with its operation
    // and answer: refuse a row whose TEXT/BLOB values together get near it.
    size_t bytes = 0;
    for (const auto& v : row)
      if (const auto* str = std::get_if<std::string>(&v)) bytes += str->size();
    if (bytes > ExecContext::kMaxRowBytes) {
      set_error(vt, SqlError{1118, "42000",
                             "Row size too large: " + std::to_string(bytes) + " bytes; halb keeps a row's values, "
                             "TEXT and BLOB included, within " + std::to_string(ExecContext::kMaxRowBytes) + " bytes"});
      return SQLITE_CONSTRAINT;
    }
  }
  if (ndb.hidden_key) row.push_back(engine::Value{});
  auto split = [&](const engine::Row& r, std::vector<engine::Value>& key, engine::ColumnValues& set) {
    for (uint32_t k : ndb.primary_key) key.push_back(r[k]);
    for (uint32_t c = 0; c < def.columns.size(); ++c)
      if (std::find(ndb.primary_key.begin(), ndb.primary_key.end(), c) == ndb.primary_key.end())
        set.emplace_back(c, r[c]);
  };
  // INSERT
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    std::vector<engine::Value> key;
    engine::ColumnValues set;
    if (ndb.hidden_key) {
      for (uint32_t c = 0; c < def.columns.size(); ++c) set.emplace_back(c, row[c]);
    } else {
      split(row, key, set);
    }
    int conflict = sqlite3_vtab_on_conflict(vt->db);
    bool check = !ndb.hidden_key &&
                 (ctx.upsert || conflict == SQLITE_IGNORE || conflict == SQLITE_REPLACE || ctx.in_transaction);
    if (check) {
      // Inside a transaction a duplicate found by the cluster would abort
      // the whole transaction: find it first, so only the statement fails.
      // Rows this transaction wrote decide without a read.
      bool found = false;
      if (const auto* own = ctx.own_row(ndb, key)) {
        found = own->has_value();
      } else {
        api::NdbError e = ctx.exists(t, key, found);
        if (e) {
          set_error(vt, ctx.map_error(e, &t));
          return SQLITE_ERROR;
        }
      }
      if (found && ctx.upsert) {
        ctx.clash = ExecContext::Clash{ndb.primary_key, key};
        return SQLITE_OK;
      }
      if (found) {
        std::string text = key_text(t, ndb.primary_key, row);
        if (conflict == SQLITE_IGNORE) {
          ctx.warnings.push_back(Warning{"Warning", er::kDupEntry, make_sql_error(er::kDupEntry, {text, "PRIMARY"}).message});
          return SQLITE_OK;
        }
        if (conflict == SQLITE_REPLACE) {
          std::optional<engine::Row> replaced;
          if (!pending.empty()) {
            engine::Row was;
            bool there = false;
            if (api::NdbError e = ctx.point_read(t, std::nullopt, key, was, there)) return parts_failed(ctx.map_error(e, &t));
            if (there) replaced = std::move(was);
          }
          ctx.transaction().write(ndb.id, key, set);
          ctx.note_write(ndb, key, row);
          ctx.affected += 2;
          if (auto e = long_values::write_row_parts(ctx, t, key, pending, replaced ? &*replaced : nullptr))
            return parts_failed(*e);
          return SQLITE_OK;
        }
        set_error(vt, make_sql_error(er::kDupEntry, {text, "PRIMARY"}));
        return SQLITE_CONSTRAINT;
      }
    }
    if (conflict != SQLITE_REPLACE) {
      // The same for the unique indexes. REPLACE leaves a clash on a unique
      // index to the cluster.
      SqlError dup;
      ExecContext::Clash clash;
      if (int rc = unique_clash(vt, row, nullptr, nullptr, dup, &clash); rc != SQLITE_OK) {
        if (rc == SQLITE_CONSTRAINT && ctx.upsert) {
          // ON DUPLICATE KEY UPDATE: the front end updates the holder
          ctx.error.reset();
          sqlite3_free(vt->base.zErrMsg);
          vt->base.zErrMsg = nullptr;
          ctx.clash = std::move(clash);
          return SQLITE_OK;
        }
        if (rc != SQLITE_CONSTRAINT || conflict != SQLITE_IGNORE) return rc;
        ctx.warnings.push_back(Warning{"Warning", er::kDupEntry, dup.message});
        return SQLITE_OK;
      }
    }
    ctx.insert_keys[ctx.transaction().buffered().size()] = ndb.hidden_key ? std::string() : key_text(t, ndb.primary_key, row);
    ctx.transaction().insert(ndb.id, key, set);
    ctx.note_write(ndb, key, row);
    ++ctx.affected;
    if (auto e = long_values::write_row_parts(ctx, t, key, pending, nullptr)) return parts_failed(*e);
    return SQLITE_OK;
  }
  // UPDATE
  std::vector<engine::Value> key;
  int64_t old_rowid = sqlite3_value_int64(argv[0]);
  if (!old_key(old_rowid, key)) {
    set_error(vt, SqlError{er::kUnknown, "HY000", "row to update is unknown"});
    return SQLITE_ERROR;
  }
  const engine::Row* old_row = nullptr;
  auto it = ctx.rowid_rows.find({ndb.id, old_rowid});
  if (it != ctx.rowid_rows.end()) old_row = &it->second;
  if (ndb.hidden_key && old_row) row.back() = (*old_row)[ndb.primary_key[0]];
  std::vector<engine::Value> new_key;
  engine::ColumnValues set;
  split(row, new_key, set);
  ++ctx.matched;
  bool key_changed = false;
  for (size_t i = 0; i < key.size(); ++i)
    if (engine::compare_values(ndb.columns[ndb.primary_key[i]], key[i], new_key[i]) != 0) key_changed = true;
  SqlError dup;
  if (int rc = unique_clash(vt, row, old_row, &key, dup); rc != SQLITE_OK) return rc;
  if (key_changed) {
    // The new key must be free: the cluster's 630 would end the transaction.
    bool taken = false;
    if (const auto* own = ctx.own_row(ndb, new_key)) {
      taken = own->has_value();
    } else if (api::NdbError e = ctx.exists(t, new_key, taken)) {
      set_error(vt, ctx.map_error(e, &t));
      return SQLITE_ERROR;
    }
    if (taken) {
      set_error(vt, make_sql_error(er::kDupEntry, {key_text(t, ndb.primary_key, row), "PRIMARY"}));
      return SQLITE_CONSTRAINT;
    }
    ctx.transaction().remove(ndb.id, key);
    if (std::any_of(ndb.indexes.begin(), ndb.indexes.end(),
                    [](const engine::Index& i) { return i.kind == engine::IndexKind::kUniqueHash; })) {
      // The row keeps its unique values: its old index entries must be gone
      // before the insert adds them again (one batch runs both at once).
      if (api::NdbError e = ctx.flush()) {
        ctx.tx_rolled_back = true;
        set_error(vt, ctx.map_error(e, &t));
        return SQLITE_ERROR;
      }
    }
    ctx.transaction().insert(ndb.id, new_key, set);
    ctx.note_write(ndb, key, std::nullopt);
    ctx.note_write(ndb, new_key, row);
    ++ctx.changed;
    ++ctx.affected;
    if (old_row)
      if (auto e = long_values::move_row_parts(ctx, t, key, new_key, pending, *old_row, unchanged)) return parts_failed(*e);
    return SQLITE_OK;
  }
  engine::ColumnValues changed;
  for (auto& [c, val] : set) {
    if (old_row && c < old_row->size() && engine::compare_values(ndb.columns[c], (*old_row)[c], val) == 0 &&
        engine::is_null((*old_row)[c]) == engine::is_null(val))
      continue;
    changed.emplace_back(c, val);
  }
  bool parts_differ = false;
  if (changed.empty() && !pending.empty() && old_row)
    if (auto e = long_values::long_values_differ(ctx, t, key, pending, *old_row, parts_differ)) return parts_failed(*e);
  if (changed.empty() && !parts_differ) return SQLITE_OK;
  if (!changed.empty()) ctx.transaction().update(ndb.id, key, changed);
  ctx.note_write(ndb, key, row);
  ++ctx.changed;
  ++ctx.affected;
  if (auto e = long_values::write_row_parts(ctx, t, key, pending, old_row)) return parts_failed(*e);
  if (out_rowid) *out_rowid = old_rowid;
  return SQLITE_OK;
}

int x_begin(sqlite3_vtab*) { return SQLITE_OK; }
int x_sync(sqlite3_vtab*) { return SQLITE_OK; }
int x_commit(sqlite3_vtab*) { return SQLITE_OK; }
int x_rollback(sqlite3_vtab*) { return SQLITE_OK; }

sqlite3_module make_module() {
  sqlite3_module m{};
  m.iVersion = 2;
  m.xCreate = x_connect;
  m.xConnect = x_connect;
  m.xBestIndex = x_best_index;
  m.xDisconnect = x_disconnect;
  m.xDestroy = x_disconnect;
  m.xOpen = x_open;
  m.xClose = x_close;
  m.xFilter = x_filter;
  m.xNext = x_next;
  m.xEof = x_eof;
  m.xColumn = x_column;
  m.xRowid = x_rowid;
  m.xUpdate = x_update;
  m.xBegin = x_begin;
  m.xSync = x_sync;
  m.xCommit = x_commit;
  m.xRollback = x_rollback;
  return m;
}

const sqlite3_module kModule = make_module();

// ---- collation and functions ---------------------------------------------------

int collate_ci(void*, int na, const void* a, int nb, const void* b) {
  return mysql_ci_compare(std::string_view(static_cast<const char*>(a), static_cast<size_t>(na)),
                          std::string_view(static_cast<const char*>(b), static_cast<size_t>(nb)));
}

SessionInfo* info_of(sqlite3_context* c) { return static_cast<Module*>(sqlite3_user_data(c))->info; }

void text_result(sqlite3_context* c, const std::string& s) {
  sqlite3_result_text(c, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

std::string now_text(const char* fmt) {
  time_t t = time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, fmt, &tm);
  return b;
}

void fn_now(sqlite3_context* c, int, sqlite3_value**) { text_result(c, now_text("%Y-%m-%d %H:%M:%S")); }
void fn_curdate(sqlite3_context* c, int, sqlite3_value**) { text_result(c, now_text("%Y-%m-%d")); }
void fn_curtime(sqlite3_context* c, int, sqlite3_value**) { text_result(c, now_text("%H:%M:%S")); }
void fn_unix_timestamp(sqlite3_context* c, int argc, sqlite3_value** argv) {
  if (argc == 0) {
    sqlite3_result_int64(c, static_cast<sqlite3_int64>(time(nullptr)));
    return;
  }
  ColumnMeta dt;
  dt.base = "timestamp";
  SqlError err;
  auto v = to_stored(dt, input_of(argv[0]), 1, err);
  if (!v || engine::is_null(*v)) {
    sqlite3_result_null(c);
    return;
  }
  sqlite3_result_int64(c, static_cast<sqlite3_int64>(std::get<uint64_t>(*v)));
}
void fn_database(sqlite3_context* c, int, sqlite3_value**) {
  std::string db = info_of(c)->database();
  if (db.empty()) sqlite3_result_null(c);
  else text_result(c, db);
}
void fn_user(sqlite3_context* c, int, sqlite3_value**) { text_result(c, info_of(c)->user()); }
void fn_version(sqlite3_context* c, int, sqlite3_value**) { text_result(c, "8.0.36-halb"); }
void fn_connection_id(sqlite3_context* c, int, sqlite3_value**) {
  sqlite3_result_int64(c, info_of(c)->connection_id());
}
void fn_last_insert_id(sqlite3_context* c, int argc, sqlite3_value** argv) {
  if (argc == 1) {
    // LAST_INSERT_ID(expr): the statement's insert id from now on (the
    // "id = LAST_INSERT_ID(id)" idiom of ON DUPLICATE KEY UPDATE)
    if (sqlite3_value_type(argv[0]) != SQLITE_NULL)
      static_cast<Module*>(sqlite3_user_data(c))->ctx->explicit_insert_id =
          static_cast<uint64_t>(sqlite3_value_int64(argv[0]));
    sqlite3_result_value(c, argv[0]);
    return;
  }
  sqlite3_result_int64(c, static_cast<sqlite3_int64>(info_of(c)->last_insert_id()));
}
void fn_found_rows(sqlite3_context* c, int, sqlite3_value**) {
  sqlite3_result_int64(c, static_cast<sqlite3_int64>(info_of(c)->found_rows()));
}
void fn_if(sqlite3_context* c, int, sqlite3_value** argv) {
  bool truth = sqlite3_value_type(argv[0]) != SQLITE_NULL && sqlite3_value_double(argv[0]) != 0.0;
  sqlite3_result_value(c, argv[truth ? 1 : 2]);
}
void fn_concat(sqlite3_context* c, int argc, sqlite3_value** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
      sqlite3_result_null(c);
      return;
    }
    out.append(reinterpret_cast<const char*>(sqlite3_value_text(argv[i])), static_cast<size_t>(sqlite3_value_bytes(argv[i])));
  }
  text_result(c, out);
}
void fn_concat_ws(sqlite3_context* c, int argc, sqlite3_value** argv) {
  if (argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(c);
    return;
  }
  std::string sep(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])));
  std::string out;
  bool first = true;
  for (int i = 1; i < argc; ++i) {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) continue;
    if (!first) out += sep;
    first = false;
    out.append(reinterpret_cast<const char*>(sqlite3_value_text(argv[i])), static_cast<size_t>(sqlite3_value_bytes(argv[i])));
  }
  text_result(c, out);
}
void fn_left(sqlite3_context* c, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(c);
  std::string s(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])));
  int64_t n = std::max<int64_t>(0, sqlite3_value_int64(argv[1]));
  text_result(c, s.substr(0, static_cast<size_t>(n)));
}
void fn_right(sqlite3_context* c, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(c);
  std::string s(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])));
  size_t n = static_cast<size_t>(std::max<int64_t>(0, sqlite3_value_int64(argv[1])));
  text_result(c, n >= s.size() ? s : s.substr(s.size() - n));
}
// MySQL's `/`: always a decimal result, NULL on division by zero.
void fn_div(sqlite3_context* c, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) return sqlite3_result_null(c);
  double b = sqlite3_value_double(argv[1]);
  if (b == 0) return sqlite3_result_null(c);
  sqlite3_result_double(c, sqlite3_value_double(argv[0]) / b);
}
void fn_intdiv(sqlite3_context* c, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) return sqlite3_result_null(c);
  double b = sqlite3_value_double(argv[1]);
  if (b == 0) return sqlite3_result_null(c);
  sqlite3_result_int64(c, static_cast<sqlite3_int64>(std::trunc(sqlite3_value_double(argv[0]) / b)));
}
void fn_rand(sqlite3_context* c, int, sqlite3_value**) {
  sqlite3_result_double(c, static_cast<double>(static_cast<uint64_t>(random())) / 2147483648.0);
}
// MySQL's `=`/LIKE on strings without a column collation in play.
void fn_sleep(sqlite3_context* c, int, sqlite3_value** argv) {
  double s = sqlite3_value_double(argv[0]);
  auto* m = static_cast<Module*>(sqlite3_user_data(c));
  for (double waited = 0; waited < s; waited += 0.05) {
    if (m->ctx->interrupted.load()) {
      sqlite3_result_int(c, 1);
      return;
    }
    struct timespec ts{0, 50 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  sqlite3_result_int(c, 0);
}

// LENGTH()/OCTET_LENGTH() count bytes in MySQL; CHAR_LENGTH() characters.
void fn_octet_length(sqlite3_context* c, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(c);
  sqlite3_result_int64(c, sqlite3_value_bytes(argv[0]));
}

void fn_char_length(sqlite3_context* c, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(c);
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  sqlite3_result_int64(c, static_cast<int64_t>(utf8_length(std::string_view(p, static_cast<size_t>(sqlite3_value_bytes(argv[0]))))));
}

// REPEAT(s, n); NULL beyond max_allowed_packet's ceiling, as MySQL does.
void fn_repeat(sqlite3_context* c, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
    return sqlite3_result_null(c);
  const int64_t n = sqlite3_value_int64(argv[1]);
  const bool blob = sqlite3_value_type(argv[0]) == SQLITE_BLOB;
  const char* p = blob ? static_cast<const char*>(sqlite3_value_blob(argv[0]))
                       : reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const size_t len = static_cast<size_t>(sqlite3_value_bytes(argv[0]));
  if (n <= 0 || len == 0) return sqlite3_result_text(c, "", 0, SQLITE_STATIC);
  if (static_cast<uint64_t>(n) * len > (64u << 20)) return sqlite3_result_null(c);
  std::string out;
  out.reserve(len * static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.append(p ? p : "", len);
  if (blob) sqlite3_result_blob64(c, out.data(), out.size(), SQLITE_TRANSIENT);
  else sqlite3_result_text64(c, out.data(), out.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void free_module(void* p) { delete static_cast<Module*>(p); }

}  // namespace

bool register_cluster_tables(sqlite3* db, ExecContext& ctx, SessionInfo& info, std::string& error) {
  auto* m = new Module{&ctx, &info};
  if (sqlite3_create_module_v2(db, "halb", &kModule, m, free_module) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
    return false;
  }
  sqlite3_create_collation(db, "mysql_ci", SQLITE_UTF8, nullptr, collate_ci);
  struct Fn {
    const char* name;
    int args;
    void (*fn)(sqlite3_context*, int, sqlite3_value**);
    bool deterministic;
  };
  static const Fn kFns[] = {
      {"now", 0, fn_now, false}, {"sysdate", 0, fn_now, false}, {"current_timestamp", 0, fn_now, false},
      {"localtime", 0, fn_now, false}, {"curdate", 0, fn_curdate, false}, {"current_date", 0, fn_curdate, false},
      {"curtime", 0, fn_curtime, false}, {"unix_timestamp", 0, fn_unix_timestamp, false},
      {"unix_timestamp", 1, fn_unix_timestamp, true}, {"database", 0, fn_database, false},
      {"schema", 0, fn_database, false}, {"user", 0, fn_user, false}, {"current_user", 0, fn_user, false},
      {"session_user", 0, fn_user, false}, {"system_user", 0, fn_user, false}, {"version", 0, fn_version, true},
      {"connection_id", 0, fn_connection_id, false}, {"last_insert_id", 0, fn_last_insert_id, false},
      {"last_insert_id", 1, fn_last_insert_id, false}, {"found_rows", 0, fn_found_rows, false},
      {"if", 3, fn_if, true}, {"concat", -1, fn_concat, true}, {"concat_ws", -1, fn_concat_ws, true},
      {"halb_left", 2, fn_left, true}, {"halb_right", 2, fn_right, true}, {"halb_div", 2, fn_div, true},
      {"halb_intdiv", 2, fn_intdiv, true}, {"rand", 0, fn_rand, false}, {"sleep", 1, fn_sleep, false},
      {"lcase", 1, nullptr, true}, {"ucase", 1, nullptr, true}, {"length", 1, fn_octet_length, true},
      {"octet_length", 1, fn_octet_length, true}, {"char_length", 1, fn_char_length, true},
      {"character_length", 1, fn_char_length, true}, {"repeat", 2, fn_repeat, true},
  };
  for (const auto& f : kFns) {
    if (!f.fn) continue;
    int flags = SQLITE_UTF8 | (f.deterministic ? SQLITE_DETERMINISTIC : 0);
    if (sqlite3_create_function_v2(db, f.name, f.args, flags, m, f.fn, nullptr, nullptr, nullptr) != SQLITE_OK) {
      error = sqlite3_errmsg(db);
      return false;
    }
  }
  return true;
}

}  // namespace halb::cluster::sqld
