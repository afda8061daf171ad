// cluster/ndbd/engine/change_sink.h: the one stream every committed row
// change on this node's fragment replicas goes through, with its GCI.
//
// The redo log writes it to disk; a backup records it as its backup log.
// Fragment::commit calls the sink once per changed row, after the change is
// installed (so the sink sees the state a reader now sees), in commit order
// per fragment. A node restart copy installs rows through the same stream
// (ChangeOp::kRefresh: the row as its source had it, stamped with the
// source's GCI). Rows put back from local files during a restart do not go
// through it: they are already on disk.
#pragma once

#include <cstdint>
#include <string_view>

#include "cluster/ndbd/engine/value.h"

namespace halb::cluster::engine {

enum class ChangeOp : uint8_t { kInsert = 1, kUpdate = 2, kDelete = 3, kRefresh = 4 };

struct RowChange {
  uint64_t gci = 0;             // the commit's global checkpoint (the row's new stamp)
  uint32_t table_id = 0;
  uint32_t table_version = 0;   // tells a dropped-and-recreated table's rows apart
  uint32_t fragment = 0;
  ChangeOp op = ChangeOp::kInsert;
  std::string_view key;         // primary key bytes (encode_key: sorts like the values)
  const Row* row = nullptr;     // the full after-image; nullptr for kDelete
};

class ChangeSink {
 public:
  virtual ~ChangeSink() = default;
  // Called inside the engine's commit path: must not call back into the engine.
  virtual void on_commit(const RowChange& change) = 0;
};

}  // namespace halb::cluster::engine
