// cluster/sqld/sql/long_values.cc: parts of long TEXT/BLOB values (see long_values.h).
#include "cluster/sqld/sql/long_values.h"

#include <utility>

#include "cluster/sqld/sql/catalog.h"
#include "cluster/sqld/sql/errors.h"
#include "cluster/sqld/sql/exec_context.h"

namespace halb::cluster::sqld::long_values {

namespace {

// Reads issued per execute: their answer must fit a transport frame.
constexpr size_t kReadBatch = 8;

std::vector<engine::Value> part_key(const std::vector<engine::Value>& key, size_t k) {
  std::vector<engine::Value> out = key;
  out.emplace_back(static_cast<int64_t>(k));
  return out;
}

SqlError no_parts_table(const CatalogTable& t, size_t column) {
  if (t.ndb && t.ndb->hidden_key)
    return SqlError{1118, "42000",
                    "Row size too large: " + t.def.db + "." + t.def.name + " has no primary key, which halb keys "
                    "the parts of values over " + std::to_string(engine::kInlineBlobLimit - 1) +
                    " bytes by (column '" + t.def.columns[column].name + "')"};
  return SqlError{1118, "42000",
                  "Row size too large: column '" + t.def.columns[column].name + "' of " + t.def.db + "." + t.def.name +
                      " has no parts table (the table was created before halb kept values over " +
                      std::to_string(engine::kInlineBlobLimit - 1) + " bytes); rebuild it (ALTER TABLE ... ADD INDEX, "
                      "or CREATE ... SELECT) to store longer ones"};
}

SqlError damaged(const CatalogTable& t, size_t column, const std::string& why) {
  return SqlError{er::kUnknown, "HY000",
                  "value of column '" + t.def.columns[column].name + "' of " + t.def.db + "." + t.def.name +
                      " is damaged: " + why};
}

}  // namespace

bool is_long_column(const ColumnMeta& c) {
  return c.base == "mediumblob" || c.base == "longblob" || c.base == "mediumtext" || c.base == "longtext";
}

uint64_t max_length(const ColumnMeta& c) {
  if (c.base == "mediumblob" || c.base == "mediumtext") return 16777215;
  if (c.base == "longblob" || c.base == "longtext") return 4294967295ull;
  return engine::kInlineBlobLimit;
}

std::string parts_table_name(const std::string& cluster_name, size_t column) {
  size_t slash = cluster_name.rfind('/');
  std::string dir = slash == std::string::npos ? std::string() : cluster_name.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? cluster_name : cluster_name.substr(slash + 1);
  return dir + "NDB$BLOB_" + base + "_" + std::to_string(column);
}

engine::Table parts_table(const engine::Table& main, size_t column, const std::string& name) {
  engine::Table p;
  p.name = name;
  for (uint32_t k : main.primary_key) {
    engine::Column c = main.columns[k];
    c.nullable = false;
    p.primary_key.push_back(static_cast<uint32_t>(p.columns.size()));
    p.columns.push_back(c);
  }
  engine::Column part;
  part.name = "NDB$PART";
  part.type = engine::ColumnType::kInt;
  p.primary_key.push_back(static_cast<uint32_t>(p.columns.size()));
  p.columns.push_back(part);
  engine::Column data;
  data.name = "NDB$DATA";
  data.type = engine::ColumnType::kBlob;
  data.length = static_cast<uint32_t>(kPartBytes);
  p.columns.push_back(data);
  (void)column;
  return p;
}

bool needs_parts(size_t size) { return size >= engine::kInlineBlobLimit; }

std::string head_of(const std::string& value) {
  std::string h(8, '\0');
  uint64_t n = value.size();
  for (int i = 7; i >= 0; --i, n >>= 8) h[static_cast<size_t>(i)] = static_cast<char>(n & 0xFF);
  h.append(value, 0, kHeadBytes);
  return h;
}

std::optional<uint64_t> length_of_head(const engine::Value& stored) {
  const auto* s = std::get_if<std::string>(&stored);
  if (!s || s->size() != engine::kInlineBlobLimit) return std::nullopt;
  uint64_t n = 0;
  for (size_t i = 0; i < 8; ++i) n = (n << 8) | static_cast<unsigned char>((*s)[i]);
  if (!needs_parts(n)) return std::nullopt;  // an old plain value of exactly this length
  return n;
}

size_t part_count(uint64_t length) {
  if (length <= kHeadBytes) return 0;
  return static_cast<size_t>((length - kHeadBytes + kPartBytes - 1) / kPartBytes);
}

std::string part_of(const std::string& value, size_t k) { return value.substr(kHeadBytes + k * kPartBytes, kPartBytes); }

std::optional<SqlError> write_parts(ExecContext& ctx, const CatalogTable& t, size_t column,
                                    const std::vector<engine::Value>& key, const std::optional<std::string>& value,
                                    size_t old_parts) {
  const size_t parts = value && needs_parts(value->size()) ? part_count(value->size()) : 0;
  if (parts == 0 && old_parts == 0) return std::nullopt;
  auto it = t.parts.find(column);
  if (it == t.parts.end() || !it->second) return no_parts_table(t, column);
  const engine::Table& p = *it->second->ndb;
  ctx.note_table(it->second);
  const uint32_t data = static_cast<uint32_t>(p.columns.size() - 1);
  auto flush_if_full = [&]() -> std::optional<SqlError> {
    if (!ctx.batch_full()) return std::nullopt;
    ctx.flushed_in_statement = true;
    if (api::NdbError e = ctx.flush()) {
      ctx.tx_rolled_back = true;
      return ctx.map_error(e, &t);
    }
    return std::nullopt;
  };
  for (size_t k = 0; k < parts; ++k) {
    std::vector<engine::Value> pk = part_key(key, k);
    std::string bytes = part_of(*value, k);
    engine::Row row = pk;
    row.emplace_back(bytes);
    ctx.transaction().write(p.id, pk, {{data, engine::Value{std::move(bytes)}}});
    ctx.note_write(p, pk, std::move(row));
    if (auto e = flush_if_full()) return e;
  }
  for (size_t k = parts; k < old_parts; ++k) {
    std::vector<engine::Value> pk = part_key(key, k);
    ctx.transaction().remove(p.id, pk);
    ctx.note_write(p, pk, std::nullopt);
    if (auto e = flush_if_full()) return e;
  }
  return std::nullopt;
}

namespace {

// The parts of the value whose head is `head`: the transaction's own writes
// first, then the cluster's rows, read through `locked` with shared locks
// when given, else as committed reads in batches of their own.
std::optional<SqlError> read_parts(ExecContext& ctx, const CatalogTable& t, size_t column,
                                   const std::vector<engine::Value>& key, const std::string& head, uint64_t length,
                                   std::string& out, api::Transaction* locked) {
  const engine::Table& p = *t.parts.at(column)->ndb;
  const size_t data = p.columns.size() - 1;
  const size_t parts = part_count(length);
  std::vector<std::string> got(parts);
  std::vector<size_t> stored;
  for (size_t k = 0; k < parts; ++k) {
    if (const auto* own = ctx.own_row(p, part_key(key, k))) {
      if (!*own) return damaged(t, column, "part " + std::to_string(k) + " was removed");
      if (auto* s = std::get_if<std::string>(&(**own)[data])) got[k] = *s;
    } else {
      stored.push_back(k);
    }
  }
  for (size_t i = 0; i < stored.size(); i += kReadBatch) {
    std::unique_ptr<api::Transaction> own_tx;
    api::Transaction* tx = locked;
    if (!tx) tx = (own_tx = ctx.conn.start_transaction()).get();
    const size_t end = std::min(stored.size(), i + kReadBatch);
    for (size_t j = i; j < end; ++j)
      tx->read(p.id, part_key(key, stored[j]), locked ? engine::LockMode::kShared : engine::LockMode::kCommitted);
    if (api::NdbError e = tx->execute(locked ? engine::ExecType::kNoCommit : engine::ExecType::kCommit)) {
      if (e.code == 626) return damaged(t, column, "a part is missing");
      return ctx.map_error(e, &t);
    }
    const auto& results = tx->results();
    for (size_t j = i; j < end; ++j) {
      const auto& r = results[j - i];
      if (!r.row) return damaged(t, column, "part " + std::to_string(stored[j]) + " is missing");
      if (auto* s = std::get_if<std::string>(&(*r.row)[data])) got[stored[j]] = *s;
    }
  }
  out.assign(head, 8, std::string::npos);
  out.reserve(length);
  for (auto& g : got) out += g;
  if (out.size() != length)
    return damaged(t, column, std::to_string(out.size()) + " bytes instead of " + std::to_string(length));
  return std::nullopt;
}

}  // namespace

std::optional<SqlError> read_value(ExecContext& ctx, const CatalogTable& t, size_t column,
                                   const std::vector<engine::Value>& key, const std::string& head, std::string& out) {
  auto length = length_of_head(head);
  if (!length) {
    out = head;
    return std::nullopt;
  }
  auto it = t.parts.find(column);
  if (it == t.parts.end() || !it->second) return no_parts_table(t, column);
  // A locking read, or a row this transaction wrote, holds the row: nobody
  // else can change the value under it.
  if (ctx.stmt_lock != engine::LockMode::kCommitted || ctx.own_row(*t.ndb, key))
    return read_parts(ctx, t, column, key, head, *length, out, nullptr);
  // A committed read would see the row and its parts one after the other,
  // and another transaction may commit a new value in between. As NDB
  // upgrades a committed read of a row with blobs to a shared lock, the row
  // is read again under a shared lock taken by the session's own
  // transaction (one of its own would wait for a lock this one holds); a
  // writer changes the row and its parts in one transaction holding the row,
  // so no part can change while the lock is held. The parts are read with
  // shared locks too, so a commit still applying them is waited for.
  engine::Row row;
  bool found = false;
  const engine::LockMode lock = std::exchange(ctx.stmt_lock, engine::LockMode::kShared);
  api::NdbError e = ctx.point_read(t, std::nullopt, key, row, found);
  ctx.stmt_lock = lock;
  if (e) return ctx.map_error(e, &t);
  const engine::Value* now = found && column < row.size() ? &row[column] : nullptr;
  if (auto now_length = now ? length_of_head(*now) : std::nullopt) {
    auto tx = ctx.conn.start_transaction();
    auto err = read_parts(ctx, t, column, key, std::get<std::string>(*now), *now_length, out, tx.get());
    if (tx->state() == engine::TransState::kOpen && tx->started()) err ? tx->rollback() : tx->commit();
    return err;
  }
  if (const auto* s = now ? std::get_if<std::string>(now) : nullptr) {
    out = *s;  // by now a short value
    return std::nullopt;
  }
  // The row went away, or its value became NULL, after the caller read it:
  // what the caller holds can no longer be completed.
  return make_sql_error(er::kGetTemporaryErrmsg,
                        {"1297", "the value of column '" + t.def.columns[column].name + "' changed while it was read",
                         "NDBCLUSTER"});
}

namespace {
size_t stored_parts(const engine::Row* row, size_t column) {
  if (!row || column >= row->size()) return 0;
  auto n = length_of_head((*row)[column]);
  return n ? part_count(*n) : 0;
}
}  // namespace

Pending take_long_values(const TableDef& def, engine::Row& row, const std::vector<bool>& unchanged) {
  Pending p;
  for (size_t c = 0; c < def.columns.size() && c < row.size(); ++c) {
    if (!is_long_column(def.columns[c]) || (c < unchanged.size() && unchanged[c])) continue;
    auto* s = std::get_if<std::string>(&row[c]);
    if (!s) {
      p.values.emplace_back(c, std::nullopt);
      continue;
    }
    if (!needs_parts(s->size())) {
      p.values.emplace_back(c, std::string());  // short: no parts (only old ones to remove)
      continue;
    }
    std::string head = head_of(*s);
    p.values.emplace_back(c, std::move(*s));
    row[c] = engine::Value{std::move(head)};
  }
  return p;
}

std::optional<SqlError> write_row_parts(ExecContext& ctx, const CatalogTable& t, const std::vector<engine::Value>& key,
                                        const Pending& pending, const engine::Row* old_row) {
  for (const auto& [c, value] : pending.values)
    if (auto e = write_parts(ctx, t, c, key, value, stored_parts(old_row, c))) return e;
  return std::nullopt;
}

std::optional<SqlError> remove_row_parts(ExecContext& ctx, const CatalogTable& t, const std::vector<engine::Value>& key,
                                         const engine::Row& old_row) {
  for (size_t c = 0; c < t.def.columns.size(); ++c) {
    size_t n = stored_parts(&old_row, c);
    if (n == 0) continue;
    if (auto e = write_parts(ctx, t, c, key, std::nullopt, n)) return e;
  }
  return std::nullopt;
}

std::optional<SqlError> move_row_parts(ExecContext& ctx, const CatalogTable& t, const std::vector<engine::Value>& old_key,
                                       const std::vector<engine::Value>& new_key, Pending& pending,
                                       const engine::Row& old_row, const std::vector<bool>& unchanged) {
  for (size_t c = 0; c < t.def.columns.size(); ++c) {
    if (!(c < unchanged.size() && unchanged[c]) || stored_parts(&old_row, c) == 0) continue;
    std::string whole;
    if (auto e = read_value(ctx, t, c, old_key, std::get<std::string>(old_row[c]), whole)) return e;
    pending.values.emplace_back(c, std::move(whole));
  }
  if (auto e = remove_row_parts(ctx, t, old_key, old_row)) return e;
  return write_row_parts(ctx, t, new_key, pending, nullptr);
}

std::optional<SqlError> long_values_differ(ExecContext& ctx, const CatalogTable& t, const std::vector<engine::Value>& key,
                                           const Pending& pending, const engine::Row& old_row, bool& differ) {
  differ = false;
  for (const auto& [c, value] : pending.values) {
    if (!value || !needs_parts(value->size()) || stored_parts(&old_row, c) == 0) continue;
    if (head_of(*value) != std::get<std::string>(old_row[c])) continue;  // the heads tell already
    std::string old;
    if (auto e = read_value(ctx, t, c, key, std::get<std::string>(old_row[c]), old)) return e;
    if (old != *value) {
      differ = true;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace halb::cluster::sqld::long_values
