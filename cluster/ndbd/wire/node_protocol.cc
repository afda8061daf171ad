// cluster/ndbd/wire/node_protocol.cc: halb-ndbd's own messages (see node_protocol.h).
#include "cluster/ndbd/wire/node_protocol.h"

#include "cluster/ndbd/wire/buffer.h"

namespace halb::cluster::wire {

namespace {
struct TypeName {
  uint16_t type;
  const char* name;
};
constexpr TypeName kTypes[] = {
    {kNodeHello, "NODE_HELLO"},          {kDictInstall, "DICT_INSTALL"},
    {kDictInstallConf, "DICT_INSTALL_CONF"}, {kDictDropInstall, "DICT_DROP_INSTALL"},
    {kRestartJoin, "RESTART_JOIN"},      {kRestartDictDone, "RESTART_DICT_DONE"},
    {kRestartStarting, "RESTART_STARTING"}, {kRestartReady, "RESTART_READY"},
    {kRestartDone, "RESTART_DONE"},      {kArbitResult, "ARBIT_RESULT"},      {kApiCreateTable, "API_CREATE_TABLE"},
    {kApiDropTable, "API_DROP_TABLE"},   {kApiGetTable, "API_GET_TABLE"},
    {kApiDictConf, "API_DICT_CONF"},     {kApiNodeState, "API_NODE_STATE"},
    {kGcpPrepare, "GCP_PREPARE"},        {kGcpPrepareConf, "GCP_PREPARE_CONF"},
    {kGcpCommit, "GCP_COMMIT"},          {kGcpNodeFinish, "GCP_NODE_FINISH"},
    {kGcpSave, "GCP_SAVE"},              {kGcpSaveConf, "GCP_SAVE_CONF"},
    {kGcpComplete, "GCP_COMPLETE"},      {kSrGci, "SR_GCI"},
    {kGcpUrgent, "GCP_URGENT"},
};
constexpr uint32_t kMaxControlPayload = 256 * 1024;
}  // namespace

bool is_node_protocol_type(uint16_t type) {
  for (auto& t : kTypes)
    if (t.type == type) return true;
  return false;
}

void register_node_protocol(transport::MessageRegistry& registry) {
  for (auto& t : kTypes) registry.add({t.type, 1, 1, t.name, kMaxControlPayload});
}

std::string encode_control(const ControlMsg& m) {
  Writer w;
  w.u32(m.request);
  w.u32(m.error);
  w.str(m.text);
  w.str(m.data);
  return w.take();
}

std::optional<ControlMsg> decode_control(std::string_view payload, std::string& error) {
  Reader r(payload);
  ControlMsg m;
  m.request = r.u32();
  m.error = r.u32();
  m.text = r.str();
  m.data = r.str();
  if (r.ok() && !r.at_end()) r.fail(std::to_string(r.left()) + " bytes follow the message");
  if (!r.ok()) {
    error = r.error();
    return std::nullopt;
  }
  return m;
}

}  // namespace halb::cluster::wire
