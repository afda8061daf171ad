// cluster/config/model.h: the cluster configuration as plain structs.
//
// This is what config.ini describes once it has been read, defaulted and
// validated (cluster/config/config_ini.h fills it): the management servers,
// data nodes, API/SQL slots, the explicit TCP/SHM/SCI link sections and the
// COMPUTER aliases. Every parameter of the reference's config.ini table is a
// typed field whose initialiser is the MySQL 5.0 default, so a struct built
// in a test without a file behaves like an empty section would. Times are
// milliseconds and sizes bytes, as NDB stores them. No parser or event-loop
// includes here: daemons, tests and the management protocol share it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace halb::cluster {

// mgmapi numbering (get nodeid's `nodetype`): DB=0, API=1, MGM=2.
enum class NodeType { kData = 0, kApi = 1, kMgm = 2 };

// NDB 5.0 limits (ndb_limits.h): MAX_NODES 64, so ids run 1..63.
inline constexpr uint32_t kMaxNodeId = 63;
inline constexpr uint16_t kDefaultMgmPort = 1186;
// MAX_INT_RNIL: what 5.0 uses for "no timeout" (TransactionInactiveTimeout).
inline constexpr uint32_t kNoTimeout = 0xFFFFFEFF;

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;

// Where the built-in DataDir points when the file names none (the RPMs'
// MYSQLCLUSTERDIR, and halb's state default for the cluster daemons).
inline constexpr const char* kDefaultDataDir = "/var/lib/mysql-cluster";

// Fields every node section has. `line` is where the section header was, so
// later checks (arbitration, hosts) can still point at the file.
struct NodeCommon {
  uint32_t node_id = 0;             // NodeId (Id): explicit or assigned in file order
  std::string host_name;            // empty = any host (API/MGM only)
  std::string execute_on_computer;  // COMPUTER Id the HostName came from, if any
  int line = 0;
};

// [NDB_MGMD] / [MGM]
struct MgmNode : NodeCommon {
  std::string data_dir = kDefaultDataDir;
  uint32_t port_number = kDefaultMgmPort;
  uint32_t arbitration_rank = 1;   // 0 never, 1 high priority, 2 low
  uint32_t arbitration_delay = 0;  // ms before answering an arbitration request
  // Empty in the file means FILE:filename=ndb_<id>_cluster.log,maxsize=1000000,maxfiles=6;
  // the reader fills that in once the id is known.
  std::string log_destination;
};

// [NDBD] / [DB]
struct DataNode : NodeCommon {
  uint32_t no_of_replicas = 0;  // mandatory in 5.0; equal on all data nodes
  std::string data_dir = kDefaultDataDir;
  std::string file_system_path;  // empty in the file = DataDir
  std::string backup_data_dir;   // empty in the file = FileSystemPath
  uint64_t data_memory = 80 * kMiB;
  uint64_t index_memory = 18 * kMiB;
  uint32_t arbitration_timeout = 3000;
  uint32_t max_no_of_concurrent_transactions = 4096;
  uint32_t max_no_of_concurrent_operations = 32768;
  // Unset = 1.1 x MaxNoOfConcurrentOperations (see local_operations()).
  std::optional<uint32_t> max_no_of_local_operations;
  uint32_t max_no_of_concurrent_scans = 256;
  uint32_t max_no_of_attributes = 1000;
  uint32_t max_no_of_tables = 128;
  uint32_t max_no_of_ordered_indexes = 128;
  uint32_t max_no_of_unique_hash_indexes = 64;
  uint32_t heartbeat_interval_db_db = 1500;
  uint32_t heartbeat_interval_db_api = 1500;
  uint32_t time_between_global_checkpoints = 2000;
  uint32_t time_between_local_checkpoints = 20;  // log2 of 4-byte words written
  uint32_t no_of_fragment_log_files = 8;         // x4 parts x FragmentLogFileSize each
  uint64_t fragment_log_file_size = 16 * kMiB;   // one redo segment
  // When a commit is answered: "memory" (NDB: applied on every replica) or
  // "gcp" (also once its global checkpoint is on disk on every node).
  std::string commit_durability = "memory";
  uint32_t transaction_deadlock_detection_timeout = 1200;
  uint32_t transaction_inactive_timeout = kNoTimeout;
  uint32_t start_partial_timeout = 30000;
  uint32_t start_partitioned_timeout = 60000;
  uint32_t start_failure_timeout = 0;  // 0 = wait forever
  bool stop_on_error = true;
  bool diskless = false;
  // Same-host links over a local Unix socket instead of loopback TCP
  // (cluster/transport/local_socket.h); NDB's flag for its shared-memory
  // transporter, which halb turns on by default.
  bool use_shm = true;
  uint64_t redo_buffer = 8 * kMiB;
  uint64_t undo_index_buffer = 2 * kMiB;
  uint64_t undo_data_buffer = 16 * kMiB;
  uint64_t backup_memory = 4 * kMiB;
  uint64_t backup_data_buffer_size = 2 * kMiB;
  uint64_t backup_log_buffer_size = 2 * kMiB;
  uint64_t backup_write_size = 32 * 1024;
  // LCP disk write rate limit, bytes per second (NDB's MaxDiskWriteSpeed),
  // and the limit for the checkpoint that ends this node's own restart
  // (MaxDiskWriteSpeedOwnRestart: the node is not recoverable until then).
  uint64_t max_disk_write_speed = 20 * kMiB;
  uint64_t max_disk_write_speed_own_restart = 50 * kMiB;

  // LQH operation records: the explicit value, else 1.1 x TC operations.
  uint32_t local_operations() const {
    return max_no_of_local_operations ? *max_no_of_local_operations
                                      : static_cast<uint32_t>(max_no_of_concurrent_operations * 11ull / 10);
  }
};

// [MYSQLD] / [API]
struct ApiNode : NodeCommon {
  uint32_t arbitration_rank = 0;
  uint32_t arbitration_delay = 0;
};

// Fields of an explicit link section. Links DB-DB, API-DB and MGM-DB exist
// without one; a section only overrides buffer sizes and the like.
struct LinkCommon {
  uint32_t node_id1 = 0;  // mandatory
  uint32_t node_id2 = 0;  // mandatory
  bool checksum = false;
  bool send_signal_id = false;
  int line = 0;
};

// [TCP]
struct TcpLink : LinkCommon {
  std::string host_name1;  // e.g. the crossover addresses of a direct link
  std::string host_name2;
  uint64_t send_buffer_memory = 256 * kKiB;
  uint64_t receive_buffer_memory = 64 * kKiB;
  uint32_t port_number = 0;  // obsolete in 5.0; ports are dynamic
};

// [SHM]
struct ShmLink : LinkCommon {
  uint32_t shm_key = 0;  // mandatory
  uint64_t shm_size = 1 * kMiB;
};

// [SCI]
struct SciLink : LinkCommon {
  uint32_t host1_sci_id0 = 0;  // mandatory
  uint32_t host2_sci_id0 = 0;  // mandatory
  uint64_t send_limit = 8 * kKiB;
  uint64_t shared_buffer_size = 1 * kMiB;
};

// [COMPUTER]: a name for a host that node sections refer to with
// ExecuteOnComputer.
struct Computer {
  std::string id;  // mandatory; a name, not a number
  std::string host_name;
  int line = 0;
};

// [SYSTEM]
struct SystemSection {
  std::string name;  // mandatory
  uint32_t primary_mgm_node = 0;
  uint32_t config_generation_number = 0;
  int line = 0;
};

struct ClusterConfig {
  std::string file;  // where it was read from, for messages
  std::vector<MgmNode> mgm_nodes;
  std::vector<DataNode> data_nodes;
  std::vector<ApiNode> api_nodes;
  std::vector<TcpLink> tcp_links;
  // What a pair of nodes without its own [TCP] section gets: [TCP DEFAULT].
  TcpLink tcp_default;
  std::vector<ShmLink> shm_links;
  std::vector<SciLink> sci_links;
  std::vector<Computer> computers;
  std::optional<SystemSection> system;

  // NoOfReplicas (equal on every data node once validated); 0 without data nodes.
  uint32_t no_of_replicas() const { return data_nodes.empty() ? 0 : data_nodes.front().no_of_replicas; }
  // Data node ids in ascending order: the order node groups are cut in.
  std::vector<uint32_t> data_node_ids() const;
  // The node with that id and its type; nullopt when no section has it.
  std::optional<NodeType> type_of(uint32_t node_id) const;
};

}  // namespace halb::cluster
