// cluster/ndbd/engine/operation.h: one key operation as a fragment replica
// executes it, and its outcome.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "cluster/ndbd/engine/value.h"

namespace halb::cluster::engine {

// A transaction id carries its coordinator's node id in the top 16 bits, so
// a participant knows whose transactions to report at TC takeover.
using TransId = uint64_t;
inline TransId make_trans_id(uint32_t tc_node, uint64_t seq) {
  return (static_cast<uint64_t>(tc_node) << 48) | (seq & 0xFFFFFFFFFFFFull);
}
inline uint32_t tc_node_of(TransId t) { return static_cast<uint32_t>(t >> 48); }

// Transaction `waiter` waits for a lock `holder` holds, or for a request
// `holder` queued ahead of it on the same row.
struct WaitEdge {
  TransId waiter = 0;
  TransId holder = 0;
  bool operator==(const WaitEdge&) const = default;
  bool operator<(const WaitEdge& o) const { return waiter != o.waiter ? waiter < o.waiter : holder < o.holder; }
};

enum class OpType : uint8_t { kRead = 1, kInsert, kUpdate, kWrite, kDelete };
// Reads choose; insert/update/write/delete always lock exclusively.
enum class LockMode : uint8_t { kCommitted = 0, kShared, kExclusive };

using ColumnValues = std::vector<std::pair<uint32_t, Value>>;  // (column position, value)

struct KeyOp {
  TransId trans = 0;
  uint32_t op_id = 0;
  OpType type = OpType::kRead;
  LockMode lock = LockMode::kCommitted;
  std::vector<Value> key;  // primary key values, in key order
  // Insert/update/write: the columns to set (key columns come from `key`).
  // Insert leaves the others NULL; update and write-over-a-row keep them.
  ColumnValues set;
};

struct OpResult {
  TransId trans = 0;
  uint32_t op_id = 0;
  uint32_t error = 0;     // 0 or an NDB error code
  std::optional<Row> row;  // reads: the row; writes: the full after-image
  bool deleted = false;    // a delete that took effect (forwarded as a delete)
};

}  // namespace halb::cluster::engine
