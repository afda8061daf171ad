// cluster/ndbd/engine/messages.h: what data nodes and API nodes say to each
// other about transactions and scans, as plain structs. The transport
// frames them; the engine only ever sees and produces these.
//
// API -> TC:   ApiExecuteReq, ApiScanReq, ApiScanNextReq
// TC -> API:   ApiExecuteConf, ApiScanBatch
// TC -> LQH:   LqhKeyReq (to the first replica), CommitFragReq (to the last
//              replica; passed back to the primary), CommitReq, CompleteReq,
//              AbortReq, ScanFragReq, TakeoverReq (new TC to every node)
// LQH -> LQH:  LqhKeyReq (down the replica chain)
// LQH -> TC:   LqhKeyConf/LqhKeyRef (from the last replica, or the first
//              on error), CommitFragConf (from the primary), CommitConf,
//              AbortConf, ScanFragConf, TakeoverConf
// LQH <-> LQH: CopyFragReq (starting node to primary), CopyFragConf (back)
// node -> every other data node: WaitGraphReport (deadlock detection)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cluster/ndbd/engine/fragment.h"
#include "cluster/ndbd/engine/operation.h"

namespace halb::cluster::engine {

// One operation of an API batch.
struct ApiOp {
  uint32_t table_id = 0;
  OpType type = OpType::kRead;
  LockMode lock = LockMode::kCommitted;
  std::vector<Value> key;  // primary key values; empty insert into a hidden-key table gets one
  ColumnValues set;
  // Reads only: `key` holds the values of this unique hash index instead.
  std::optional<uint32_t> unique_index;
};

enum class ExecType : uint8_t { kNoCommit = 0, kCommit, kRollback };
enum class TransState : uint8_t { kOpen = 0, kCommitted, kAborted };

struct ApiExecuteReq {
  uint32_t api_node = 0;
  uint32_t request = 0;  // echoed back, so the API can match answers
  TransId trans = 0;     // 0: start a new transaction at this TC
  std::vector<ApiOp> ops;
  ExecType exec = ExecType::kNoCommit;
};

struct ApiExecuteConf {
  uint32_t request = 0;
  TransId trans = 0;
  TransState state = TransState::kOpen;
  uint32_t error = 0;              // why the transaction aborted
  std::vector<OpResult> results;   // one per op of the request, in order (reads carry rows)
};

struct ApiScanReq {
  uint32_t api_node = 0;
  uint32_t scan = 0;  // chosen by the API, unique among its open scans
  uint32_t table_id = 0;
  ScanSpec spec;
};

// After each batch that is not the last, the API asks for the next one (or
// closes the scan): at most one batch per scan is ever waiting at the API.
struct ApiScanNextReq {
  uint32_t api_node = 0;
  uint32_t scan = 0;
  bool close = false;
};

struct ApiScanBatch {
  uint32_t scan = 0;
  std::vector<Row> rows;
  bool done = false;
  uint32_t error = 0;
};

struct LqhKeyReq {
  KeyOp op;
  uint32_t table_id = 0;
  uint32_t fragment = 0;
  std::vector<uint32_t> chain;  // replicas in prepare order, primary first
  uint32_t chain_pos = 0;       // which replica this request is for
};

struct LqhKeyConf {
  OpResult result;
};

struct LqhKeyRef {
  OpResult result;  // result.error set
};

// Commit of one fragment travels the replica chain backwards: the last
// replica commits first, the primary last, and the primary confirms to the
// TC -- so a row is visible at the primary only once every replica has it.
struct CommitFragReq {
  TransId trans = 0;
  uint64_t gci = 0;
  uint32_t tc = 0;  // where the primary confirms
  uint32_t table_id = 0;
  uint32_t fragment = 0;
  std::vector<uint32_t> chain;  // live replicas, primary first
  uint32_t chain_pos = 0;       // which replica this request is for
};
struct CommitFragConf {
  TransId trans = 0;
  uint32_t table_id = 0;
  uint32_t fragment = 0;
};
// Commit of everything a node holds of a transaction: what a new TC sends
// after a takeover, when it no longer knows the chains.
struct CommitReq {
  TransId trans = 0;
  uint64_t gci = 0;
};
struct CommitConf {
  TransId trans = 0;
};
struct CompleteReq {
  TransId trans = 0;
};
struct AbortReq {
  TransId trans = 0;
};
struct AbortConf {
  TransId trans = 0;
};

struct ScanFragReq {
  uint64_t scan_ref = 0;  // the TC's handle for the scan
  uint32_t table_id = 0;
  uint32_t fragment = 0;
  ScanSpec spec;
  std::string cursor;
};
struct ScanFragConf {
  uint64_t scan_ref = 0;
  uint32_t fragment = 0;
  ScanBatch batch;
  uint32_t error = 0;
};

struct TakeoverReq {
  uint32_t failed_tc = 0;
};
struct TakeoverConf {
  uint32_t failed_tc = 0;
  struct Trans {
    TransId trans = 0;
    bool committed = false;
    uint64_t gci = 0;  // committed: the GCI the failed coordinator gave it
  };
  std::vector<Trans> transactions;  // this node's records of the failed TC's transactions
};

// Node restart: the starting node pulls each of its fragments from the
// fragment's live primary, batch by batch, while new writes also reach it.
struct CopyFragReq {
  uint32_t table_id = 0;
  uint32_t fragment = 0;
  std::string cursor;
  uint32_t max_rows = 64;
  // Catch-up: rows stamped at or below this GCI come as key and stamp only
  // (CopiedRow::unchanged); 0 = every row in full.
  uint64_t since_gci = 0;
};
struct CopyFragConf {
  uint32_t table_id = 0;
  uint32_t fragment = 0;
  CopyBatch batch;
  uint32_t error = 0;
};

// The lock waits on one node that have lasted a while (wait_graph.h), sent
// to every other data node so each sees the cluster's whole wait-for graph.
// An empty report withdraws the previous one.
struct WaitGraphReport {
  std::vector<WaitEdge> edges;
};

using Message = std::variant<ApiExecuteReq, ApiExecuteConf, ApiScanReq, ApiScanNextReq, ApiScanBatch, LqhKeyReq, LqhKeyConf,
                             LqhKeyRef, CommitReq, CommitConf, CompleteReq, AbortReq, AbortConf, ScanFragReq,
                             ScanFragConf, TakeoverReq, TakeoverConf, CopyFragReq, CopyFragConf, CommitFragReq,
                             CommitFragConf, WaitGraphReport>;

// Where the engine's messages go: the transport in halb-ndbd, a simulated
// network in the tests. Sending to one's own node id must loop back.
class Peers {
 public:
  virtual ~Peers() = default;
  virtual void send(uint32_t to_node, Message m) = 0;
};

}  // namespace halb::cluster::engine
