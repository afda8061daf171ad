// cluster/ndbd/engine/dictionary.h: the tables a data node knows, by id and
// by name, each with a version so a create or drop can be distributed and
// a stale definition recognised. Unique hash indexes become hidden tables
// named "<table>/<index>$unique", keyed by the index columns and holding the
// base table's primary key, as NDB keeps them. Their ids derive from the
// base table's id and the index id, so every node that installs the base
// definition derives the same hidden tables.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/ndbd/engine/table.h"

namespace halb::cluster::engine {

struct DictResult {
  uint32_t error = 0;   // 0, 721 exists, 709 missing, 826 too many, 4275 bad definition
  std::string detail;   // what is wrong with a bad definition
  std::shared_ptr<const Table> table;
};

class Dictionary {
 public:
  // max_tables: MaxNoOfTables (hidden unique index tables count too).
  explicit Dictionary(uint32_t max_tables = 128) : max_tables_(max_tables) {}

  // Checks and registers `t`. An id of 0 takes the next free id; version 0
  // becomes 1. `default_fragments` fills t.fragments when it is 0.
  DictResult create(Table t, uint32_t default_fragments);
  // Installs a definition created elsewhere (decoded from the wire) as is;
  // replaces an older version of the same id.
  DictResult install(Table t);
  DictResult drop(const std::string& name);

  std::shared_ptr<const Table> find(uint32_t id) const;
  std::shared_ptr<const Table> find(const std::string& name) const;
  // The hidden table behind unique index `index_id` of `table_id`.
  std::shared_ptr<const Table> unique_index_table(uint32_t table_id, uint32_t index_id) const;
  std::vector<std::shared_ptr<const Table>> tables() const;

  static uint32_t unique_table_id(uint32_t base_id, uint32_t index_id);
  static std::string unique_table_name(const std::string& table, const std::string& index) {
    return table + "/" + index + "$unique";
  }

 private:
  uint32_t next_id() const;
  void add_unique_tables(const Table& t);
  void remove_unique_tables(const Table& t);
  std::map<uint32_t, std::shared_ptr<const Table>> by_id_;
  std::map<std::string, uint32_t> by_name_;
  // The highest version each dropped id had: a table that later takes the
  // id gets a higher one, so (id, version) never names two tables (redo
  // records and checkpoints of the dropped one must not fit the new one).
  std::map<uint32_t, uint32_t> retired_;
  uint32_t max_tables_;
};

}  // namespace halb::cluster::engine
