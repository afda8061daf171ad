// cluster/mgm/texts.cc: ndb_mgm's output formats (see texts.h).
#include "cluster/mgm/texts.h"

#include <cstdio>

namespace halb::cluster::mgm {

using mgmapi::NodeState;
using mgmapi::NodeStatus;

namespace {

void show_group(std::string& out, const std::vector<NodeState>& nodes, NodeType type, const char* title,
                uint32_t master) {
  size_t count = 0;
  for (auto& n : nodes)
    if (n.type == type) ++count;
  out += std::string("[") + title + "(" + std::string(mgmapi::type_token(type)) + ")]\t" + std::to_string(count) +
         " node(s)\n";
  for (auto& n : nodes) {
    if (n.type != type) continue;
    out += "id=" + std::to_string(n.node_id);
    if (!n.connected()) {
      out += " (not connected, accepting connect from " + (n.config_host.empty() ? std::string("any host") : n.config_host) +
             ")\n";
      continue;
    }
    if (n.address.empty() || n.address == "0.0.0.0")
      out += " ";
    else
      out += "\t@" + n.address;
    out += "  (Version: " + mgmapi::version_string(n.version);
    if (n.status != NodeStatus::kStarted) out += ", " + std::string(mgmapi::status_words(n.status));
    if (type == NodeType::kData && n.node_group >= 0) {
      out += ", Nodegroup: " + std::to_string(n.node_group);
      if (n.node_id == master) out += ", Master";
    }
    out += ")\n";
  }
  out += "\n";
}

}  // namespace

std::string format_show(const std::vector<NodeState>& nodes) {
  std::string out = "Cluster Configuration\n---------------------\n";
  uint32_t master = mgmapi::master_node(nodes);
  show_group(out, nodes, NodeType::kData, "ndbd", master);
  show_group(out, nodes, NodeType::kMgm, "ndb_mgmd", master);
  show_group(out, nodes, NodeType::kApi, "mysqld", master);
  return out;
}

std::string format_status(const NodeState& n) {
  std::string out = "Node " + std::to_string(n.node_id) + ": ";
  if (!n.connected()) return out + "not connected";
  if (n.type != NodeType::kData) return out + "connected (Version " + mgmapi::version_string(n.version) + ")";
  out += std::string(mgmapi::status_words(n.status));
  if (n.status == NodeStatus::kStarting) out += " (Phase " + std::to_string(n.start_phase) + ")";
  out += " (Version " + mgmapi::version_string(n.version) + ")";
  return out;
}

std::string error_block(int code, const std::string& what, const std::string& why) {
  char head[64];
  snprintf(head, sizeof head, "* %5d: ", code);
  return std::string(head) + what + "\n*        " + why + "\n";
}

std::vector<std::string> event_lines(const std::string& line) {
  size_t done = line.find(" completed. StartGCP: ");
  size_t records = line.find(" #Records: "), data = line.find(" Data: ");
  if (line.find(": Backup ") == std::string::npos || done == std::string::npos || records == std::string::npos ||
      data == std::string::npos || !(done < records && records < data))
    return {line};
  size_t gcp = done + std::string(" completed.").size();
  return {line.substr(0, gcp - 1), line.substr(gcp, records - gcp), line.substr(records, data - records),
          line.substr(data)};
}

std::string help_text(const std::string& topic) {
  if (topic.empty())
    return "---------------------------------------------------------------------------\n"
           " NDB Cluster -- Management Client -- Help\n"
           "---------------------------------------------------------------------------\n"
           "HELP                                   Print help text\n"
           "HELP SHOW                              Help for SHOW command\n"
           "SHOW                                   Print information about cluster\n"
           "START BACKUP [<id>] [NOWAIT | WAIT STARTED | WAIT COMPLETED]\n"
           "                                       Start backup (default WAIT COMPLETED)\n"
           "ABORT BACKUP <backup id>               Abort backup\n"
           "SHUTDOWN                               Shutdown all processes in cluster\n"
           "CLUSTERLOG ON [<severity>] ...         Enable Cluster logging\n"
           "CLUSTERLOG OFF [<severity>] ...        Disable Cluster logging\n"
           "CLUSTERLOG TOGGLE [<severity>] ...     Toggle severity filter on/off\n"
           "CLUSTERLOG INFO                        Print cluster log information\n"
           "<id> START                             Start data node (started with -n)\n"
           "<id> RESTART [-n] [-i] [-a]            Restart data or management server node\n"
           "<id> STOP [-a]                         Stop data or management server node\n"
           "ENTER SINGLE USER MODE <id>            Enter single user mode\n"
           "EXIT SINGLE USER MODE                  Exit single user mode\n"
           "<id> STATUS                            Print status\n"
           "<id> CLUSTERLOG {<category>=<level>}+  Set log level for cluster log\n"
           "<id> REPORT MEMORYUSAGE                Report data and index memory use\n"
           "PURGE STALE SESSIONS                   Reset reserved nodeid's in the mgmt server\n"
           "CONNECT [<connectstring>]              Connect to management server (reconnect if already connected)\n"
           "QUIT                                   Quit management client\n"
           "\n"
           "<severity> = ALERT | CRITICAL | ERROR | WARNING | INFO | DEBUG\n"
           "<category> = STARTUP | SHUTDOWN | STATISTICS | CHECKPOINT | NODERESTART | CONNECTION | INFO | ERROR | CONGESTION | DEBUG | BACKUP\n"
           "<level>    = 0 - 15\n"
           "<id>       = ALL | Any database node id\n"
           "\n"
           "For detailed help on COMMAND, use HELP COMMAND.\n";
  if (topic == "show")
    return "---------------------------------------------------------------------------\n"
           " NDB Cluster -- Management Client -- Help for SHOW command\n"
           "---------------------------------------------------------------------------\n"
           "SHOW Print information about cluster\n\n"
           "SHOW               Print information about cluster. The status is what the\n"
           "                   management server learnt over each node's session: a node\n"
           "                   is connected while its session lives.\n";
  return "";
}

}  // namespace halb::cluster::mgm
