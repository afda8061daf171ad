// cluster/ndbd/engine/dictionary.cc: table registry and unique index tables.
#include "cluster/ndbd/engine/dictionary.h"

#include <algorithm>

#include "cluster/ndbd/engine/error.h"

namespace halb::cluster::engine {

uint32_t Dictionary::unique_table_id(uint32_t base_id, uint32_t index_id) {
  return 0x80000000u | ((base_id & 0x7FFFFFu) << 8) | (index_id & 0xFFu);
}

void Dictionary::add_unique_tables(const Table& t) {
  for (const auto& i : t.indexes) {
    if (i.kind != IndexKind::kUniqueHash) continue;
    Table u;
    u.name = unique_table_name(t.name, i.name);
    u.id = unique_table_id(t.id, i.id);
    u.version = t.version;
    u.fragments = t.fragments;
    for (uint32_t c : i.columns) {
      Column col = t.columns[c];
      col.nullable = false;  // rows with a NULL in the index are not indexed
      u.primary_key.push_back(static_cast<uint32_t>(u.columns.size()));
      u.columns.push_back(col);
    }
    for (uint32_t c : t.primary_key) {
      Column col = t.columns[c];
      col.name = "$base_" + col.name;
      u.columns.push_back(col);
    }
    if (normalise(u).empty()) {
      by_name_[u.name] = u.id;
      by_id_[u.id] = std::make_shared<const Table>(std::move(u));
    }
  }
}

void Dictionary::remove_unique_tables(const Table& t) {
  for (const auto& i : t.indexes) {
    if (i.kind != IndexKind::kUniqueHash) continue;
    by_id_.erase(unique_table_id(t.id, i.id));
    by_name_.erase(unique_table_name(t.name, i.name));
  }
}

uint32_t Dictionary::next_id() const {
  uint32_t id = 1;
  for (const auto& [used, t] : by_id_) {
    if (used != id || used >= 0x800000u) break;
    ++id;
  }
  return id;
}

DictResult Dictionary::create(Table t, uint32_t default_fragments) {
  DictResult r;
  if (std::string e = normalise(t); !e.empty()) {
    r.error = err::kBadRequest;
    r.detail = e;
    return r;
  }
  if (by_name_.count(t.name)) {
    r.error = err::kTableExists;
    return r;
  }
  size_t uniques = 0;
  for (const auto& i : t.indexes) uniques += i.kind == IndexKind::kUniqueHash;
  if (by_id_.size() + 1 + uniques > max_tables_) {
    r.error = 826;  // Too many tables and attributes (increase MaxNoOfAttributes or MaxNoOfTables)
    return r;
  }
  if (t.id == 0) t.id = next_id();
  if (by_id_.count(t.id) || t.id >= 0x800000u) {
    r.error = err::kTableExists;
    return r;
  }
  if (t.version == 0) t.version = 1;
  if (auto old = retired_.find(t.id); old != retired_.end() && t.version <= old->second) t.version = old->second + 1;
  if (t.fragments == 0) t.fragments = default_fragments == 0 ? 1 : default_fragments;
  auto table = std::make_shared<const Table>(t);
  by_id_[t.id] = table;
  by_name_[t.name] = t.id;
  add_unique_tables(*table);
  r.table = table;
  return r;
}

DictResult Dictionary::install(Table t) {
  DictResult r;
  if (std::string e = normalise(t); !e.empty() || t.id == 0 || t.id >= 0x800000u) {
    r.error = err::kBadRequest;
    r.detail = e.empty() ? "table id out of range" : e;
    return r;
  }
  auto name = by_name_.find(t.name);
  if (name != by_name_.end() && name->second != t.id) {
    r.error = err::kTableExists;
    return r;
  }
  auto old = by_id_.find(t.id);
  if (old != by_id_.end()) {
    if (old->second->version >= t.version) {
      r.table = old->second;
      return r;  // already have this or a newer one
    }
    remove_unique_tables(*old->second);
    by_name_.erase(old->second->name);
  }
  auto table = std::make_shared<const Table>(std::move(t));
  by_id_[table->id] = table;
  by_name_[table->name] = table->id;
  add_unique_tables(*table);
  r.table = table;
  return r;
}

DictResult Dictionary::drop(const std::string& name) {
  DictResult r;
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    r.error = err::kNoSuchTable;
    return r;
  }
  r.table = by_id_[it->second];
  uint32_t& retired = retired_[r.table->id];
  retired = std::max(retired, r.table->version);
  remove_unique_tables(*r.table);
  by_id_.erase(it->second);
  by_name_.erase(it);
  return r;
}

std::shared_ptr<const Table> Dictionary::find(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::shared_ptr<const Table> Dictionary::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : find(it->second);
}

std::shared_ptr<const Table> Dictionary::unique_index_table(uint32_t table_id, uint32_t index_id) const {
  auto t = find(table_id);
  if (!t) return nullptr;
  const Index* i = t->index(index_id);
  if (!i || i->kind != IndexKind::kUniqueHash) return nullptr;
  return find(unique_table_name(t->name, i->name));
}

std::vector<std::shared_ptr<const Table>> Dictionary::tables() const {
  std::vector<std::shared_ptr<const Table>> out;
  for (const auto& [id, t] : by_id_) out.push_back(t);
  return out;
}

}  // namespace halb::cluster::engine
