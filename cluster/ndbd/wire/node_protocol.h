// cluster/ndbd/wire/node_protocol.h: what halb-ndbd itself says to other
// data nodes and to API nodes, beside the engine's messages: start state,
// dictionary shipping and the node restart handshake.
//
// Every one of these uses the same small layout, ControlMsg:
//   u32 request   echoed in the answer
//   u32 error     0 or an NDB error code
//   str text      a name, a reason
//   str data      an encoded table (engine/table_codec.h), when there is one
// (str = u32 length + bytes), version 1, types 320..334.
// kRestartDictDone's request carries the sender's membership round count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/transport/messages.h"

namespace halb::cluster::wire {

enum : uint16_t {
  // data node <-> data node
  kNodeHello = 320,         // request = the sender's start state (NodeStartState)
  kDictInstall = 321,       // data = a table the receiver installs; answered by kDictInstallConf
  kDictInstallConf = 322,   // error, text
  kDictDropInstall = 323,   // text = table name; answered by kDictInstallConf
  kRestartJoin = 324,       // restarting node -> a started node: send me the dictionary
  kRestartDictDone = 325,   // every table of the dictionary was sent (kDictInstall, request 0)
  kRestartStarting = 326,   // restarting node -> every started node: mark me starting, pass the barrier
  kRestartReady = 327,      // the barrier passed: writes from here on reach the restarting node
  kRestartDone = 328,       // the copy is complete: mark the node alive
  kArbitResult = 329,       // the survivors' president -> the other survivors: request 1 won, 0 lost; text why
  // API node <-> data node
  kApiCreateTable = 330,    // data = table definition
  kApiDropTable = 331,      // text = table name
  kApiGetTable = 332,       // text = table name
  kApiDictConf = 333,       // error, text, data = the table as the dictionary has it
  kApiNodeState = 334,      // data node -> API: request = NodeStartState
  // global checkpoints (master data node <-> every member); text = the GCI in decimal
  kGcpPrepare = 350,        // hold commits, about to switch to GCI `text`
  kGcpPrepareConf = 351,    // error 1: refused, this node is already at GCI `text`
  kGcpCommit = 352,         // switch to GCI `text`, let commits go on
  kGcpNodeFinish = 353,     // every transaction of GCI <= `text` this node coordinates has committed; request 1: commit answers wait here
  kGcpSave = 354,           // make the redo durable up to GCI `text`
  kGcpSaveConf = 355,       // error != 0: the redo could not be saved
  kGcpComplete = 356,       // every node saved GCI `text`
  kSrGci = 357,             // system restart: request 1 = the sender has files, text = its restorable GCI
  kGcpUrgent = 358,         // -> master: commit answers wait for GCI `text`; run a round now
};

enum class NodeStartState : uint32_t { kNotStarted = 0, kStarting = 1, kStarted = 2 };

struct ControlMsg {
  uint32_t request = 0;
  uint32_t error = 0;
  std::string text;
  std::string data;
};

bool is_node_protocol_type(uint16_t type);
void register_node_protocol(transport::MessageRegistry& registry);
std::string encode_control(const ControlMsg& m);
// nullopt with `error` when the payload is malformed.
std::optional<ControlMsg> decode_control(std::string_view payload, std::string& error);

}  // namespace halb::cluster::wire
