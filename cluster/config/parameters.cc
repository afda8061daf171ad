// cluster/config/parameters.cc: the section and parameter table (see
// parameters.h). Defaults and ranges are the reference's 5.0 values; where
// the reference gives no bound the row allows the whole field range, as
// ConfigInfo did with its MAX_INT_RNIL maxima.
#include "cluster/config/parameters.h"

#include <array>
#include <cctype>
#include <charconv>
#include <type_traits>

#include "lib/config/reader.h"

namespace halb::cluster::config_table {
namespace {

using halb::config::iequals;

constexpr uint64_t kU32 = 0xFFFFFFFFull;
constexpr uint64_t kPort = 65535;

constexpr std::array<SectionInfo, 8> kSections{{
    {SectionKind::kDb, "DB", "NDBD", true, true},
    {SectionKind::kApi, "API", "MYSQLD", true, true},
    {SectionKind::kMgm, "MGM", "NDB_MGMD", true, true},
    {SectionKind::kTcp, "TCP", "", false, true},
    {SectionKind::kShm, "SHM", "", false, true},
    {SectionKind::kSci, "SCI", "", false, true},
    {SectionKind::kComputer, "COMPUTER", "", false, false},
    {SectionKind::kSystem, "SYSTEM", "", false, false},
}};

// The struct each section kind fills; a row's kind follows from its field.
template <class C> constexpr SectionKind kind_of();
template <> constexpr SectionKind kind_of<DataNode>() { return SectionKind::kDb; }
template <> constexpr SectionKind kind_of<ApiNode>() { return SectionKind::kApi; }
template <> constexpr SectionKind kind_of<MgmNode>() { return SectionKind::kMgm; }
template <> constexpr SectionKind kind_of<TcpLink>() { return SectionKind::kTcp; }
template <> constexpr SectionKind kind_of<ShmLink>() { return SectionKind::kShm; }
template <> constexpr SectionKind kind_of<SciLink>() { return SectionKind::kSci; }
template <> constexpr SectionKind kind_of<Computer>() { return SectionKind::kComputer; }
template <> constexpr SectionKind kind_of<SystemSection>() { return SectionKind::kSystem; }

template <class C, auto M>
using FieldOf = std::remove_cvref_t<decltype(std::declval<C&>().*M)>;

template <class T> constexpr ParamType type_for() {
  if constexpr (std::is_same_v<T, bool>) return ParamType::kBool;
  else if constexpr (std::is_same_v<T, std::string>) return ParamType::kString;
  else if constexpr (std::is_same_v<T, uint64_t>) return ParamType::kInt64;
  else return ParamType::kInt;  // uint32_t and optional<uint32_t>
}

template <class C, auto M> void assign(void* section, const Value& v) {
  auto& field = static_cast<C*>(section)->*M;
  using T = FieldOf<C, M>;
  if constexpr (std::is_same_v<T, bool>) field = v.flag;
  else if constexpr (std::is_same_v<T, std::string>) field = v.text;
  else if constexpr (std::is_same_v<T, std::optional<uint32_t>>) field = static_cast<uint32_t>(v.number);
  else field = static_cast<T>(v.number);
}

struct Opt {
  bool mandatory = false;
  std::string_view alias = {};
};

template <class C, auto M>
constexpr Param row(std::string_view name, const char* def, uint64_t min, uint64_t max, Opt opt = {}) {
  return Param{name, opt.alias, kind_of<C>(), type_for<FieldOf<C, M>>(), def, opt.mandatory, min, max, &assign<C, M>};
}
// Strings have no range.
template <class C, auto M>
constexpr Param text(std::string_view name, const char* def, Opt opt = {}) {
  return row<C, M>(name, def, 0, 0, opt);
}

constexpr Opt kNodeId{true, "Id"};
constexpr Opt kMandatory{true};

// clang-format off
const Param kParams[] = {
    // [NDB_MGMD] / [MGM]
    row<MgmNode, &MgmNode::node_id>("NodeId", nullptr, 1, kMaxNodeId, kNodeId),
    text<MgmNode, &MgmNode::host_name>("HostName", ""),
    text<MgmNode, &MgmNode::execute_on_computer>("ExecuteOnComputer", nullptr),
    text<MgmNode, &MgmNode::data_dir>("DataDir", kDefaultDataDir),
    row<MgmNode, &MgmNode::port_number>("PortNumber", "1186", 0, kPort),
    row<MgmNode, &MgmNode::arbitration_rank>("ArbitrationRank", "1", 0, 2),
    row<MgmNode, &MgmNode::arbitration_delay>("ArbitrationDelay", "0", 0, kU32),
    text<MgmNode, &MgmNode::log_destination>("LogDestination", nullptr),

    // [NDBD] / [DB]
    row<DataNode, &DataNode::node_id>("NodeId", nullptr, 1, kMaxNodeId, kNodeId),
    text<DataNode, &DataNode::host_name>("HostName", "localhost"),
    text<DataNode, &DataNode::execute_on_computer>("ExecuteOnComputer", nullptr),
    row<DataNode, &DataNode::no_of_replicas>("NoOfReplicas", nullptr, 1, 4, kMandatory),
    text<DataNode, &DataNode::data_dir>("DataDir", kDefaultDataDir),
    text<DataNode, &DataNode::file_system_path>("FileSystemPath", nullptr),
    text<DataNode, &DataNode::backup_data_dir>("BackupDataDir", nullptr),
    row<DataNode, &DataNode::data_memory>("DataMemory", "80M", 1 * kMiB, 1024 * kGiB),
    row<DataNode, &DataNode::index_memory>("IndexMemory", "18M", 1 * kMiB, 1024 * kGiB),
    row<DataNode, &DataNode::arbitration_timeout>("ArbitrationTimeout", "3000", 10, kU32),
    row<DataNode, &DataNode::max_no_of_concurrent_transactions>("MaxNoOfConcurrentTransactions", "4096", 32, kU32),
    row<DataNode, &DataNode::max_no_of_concurrent_operations>("MaxNoOfConcurrentOperations", "32K", 32, kU32),
    row<DataNode, &DataNode::max_no_of_local_operations>("MaxNoOfLocalOperations", nullptr, 32, kU32),
    row<DataNode, &DataNode::max_no_of_concurrent_scans>("MaxNoOfConcurrentScans", "256", 2, 500),
    row<DataNode, &DataNode::max_no_of_attributes>("MaxNoOfAttributes", "1000", 32, kU32),
    row<DataNode, &DataNode::max_no_of_tables>("MaxNoOfTables", "128", 8, kU32),
    row<DataNode, &DataNode::max_no_of_ordered_indexes>("MaxNoOfOrderedIndexes", "128", 0, kU32),
    row<DataNode, &DataNode::max_no_of_unique_hash_indexes>("MaxNoOfUniqueHashIndexes", "64", 0, kU32),
    row<DataNode, &DataNode::heartbeat_interval_db_db>("HeartbeatIntervalDbDb", "1500", 10, kU32),
    row<DataNode, &DataNode::heartbeat_interval_db_api>("HeartbeatIntervalDbApi", "1500", 100, kU32),
    row<DataNode, &DataNode::time_between_global_checkpoints>("TimeBetweenGlobalCheckpoints", "2000", 10, 32000),
    row<DataNode, &DataNode::time_between_local_checkpoints>("TimeBetweenLocalCheckpoints", "20", 0, 31),
    row<DataNode, &DataNode::no_of_fragment_log_files>("NoOfFragmentLogFiles", "8", 3, kU32),
    row<DataNode, &DataNode::fragment_log_file_size>("FragmentLogFileSize", "16M", 64 * 1024, 1 * kGiB),
    text<DataNode, &DataNode::commit_durability>("CommitDurability", "memory"),
    row<DataNode, &DataNode::transaction_deadlock_detection_timeout>("TransactionDeadlockDetectionTimeout", "1200", 50, kU32),
    row<DataNode, &DataNode::transaction_inactive_timeout>("TransactionInactiveTimeout", "4294967039", 0, kU32),
    row<DataNode, &DataNode::start_partial_timeout>("StartPartialTimeout", "30000", 0, kU32),
    row<DataNode, &DataNode::start_partitioned_timeout>("StartPartitionedTimeout", "60000", 0, kU32),
    row<DataNode, &DataNode::start_failure_timeout>("StartFailureTimeout", "0", 0, kU32),
    row<DataNode, &DataNode::stop_on_error>("StopOnError", "true", 0, 1),
    row<DataNode, &DataNode::diskless>("Diskless", "false", 0, 1),
    row<DataNode, &DataNode::use_shm>("UseShm", "true", 0, 1),
    row<DataNode, &DataNode::redo_buffer>("RedoBuffer", "8M", 1 * kMiB, kU32),
    row<DataNode, &DataNode::undo_index_buffer>("UndoIndexBuffer", "2M", 1 * kMiB, kU32),
    row<DataNode, &DataNode::undo_data_buffer>("UndoDataBuffer", "16M", 1 * kMiB, kU32),
    row<DataNode, &DataNode::backup_memory>("BackupMemory", "4M", 0, kU32),
    row<DataNode, &DataNode::backup_data_buffer_size>("BackupDataBufferSize", "2M", 0, kU32),
    row<DataNode, &DataNode::backup_log_buffer_size>("BackupLogBufferSize", "2M", 0, kU32),
    row<DataNode, &DataNode::backup_write_size>("BackupWriteSize", "32K", 2 * 1024, kU32),
    row<DataNode, &DataNode::max_disk_write_speed>("MaxDiskWriteSpeed", "20M", 64 * 1024, 1024 * kGiB),
    row<DataNode, &DataNode::max_disk_write_speed_own_restart>("MaxDiskWriteSpeedOwnRestart", "50M", 64 * 1024,
                                                               1024 * kGiB),

    // [MYSQLD] / [API]
    row<ApiNode, &ApiNode::node_id>("NodeId", nullptr, 1, kMaxNodeId, kNodeId),
    text<ApiNode, &ApiNode::host_name>("HostName", ""),
    text<ApiNode, &ApiNode::execute_on_computer>("ExecuteOnComputer", nullptr),
    row<ApiNode, &ApiNode::arbitration_rank>("ArbitrationRank", "0", 0, 2),
    row<ApiNode, &ApiNode::arbitration_delay>("ArbitrationDelay", "0", 0, kU32),

    // [TCP]
    row<TcpLink, &TcpLink::node_id1>("NodeId1", nullptr, 1, kMaxNodeId, kMandatory),
    row<TcpLink, &TcpLink::node_id2>("NodeId2", nullptr, 1, kMaxNodeId, kMandatory),
    text<TcpLink, &TcpLink::host_name1>("HostName1", nullptr),
    text<TcpLink, &TcpLink::host_name2>("HostName2", nullptr),
    row<TcpLink, &TcpLink::send_buffer_memory>("SendBufferMemory", "256K", 16 * kKiB, kU32),
    row<TcpLink, &TcpLink::receive_buffer_memory>("ReceiveBufferMemory", "64K", 16 * kKiB, kU32),
    row<TcpLink, &TcpLink::checksum>("Checksum", "false", 0, 1),
    row<TcpLink, &TcpLink::send_signal_id>("SendSignalId", "false", 0, 1),
    row<TcpLink, &TcpLink::port_number>("PortNumber", "0", 0, kPort),

    // [SHM]
    row<ShmLink, &ShmLink::node_id1>("NodeId1", nullptr, 1, kMaxNodeId, kMandatory),
    row<ShmLink, &ShmLink::node_id2>("NodeId2", nullptr, 1, kMaxNodeId, kMandatory),
    row<ShmLink, &ShmLink::shm_key>("ShmKey", nullptr, 0, kU32, kMandatory),
    row<ShmLink, &ShmLink::shm_size>("ShmSize", "1M", 4 * kKiB, kU32),
    row<ShmLink, &ShmLink::checksum>("Checksum", "false", 0, 1),
    row<ShmLink, &ShmLink::send_signal_id>("SendSignalId", "false", 0, 1),

    // [SCI]
    row<SciLink, &SciLink::node_id1>("NodeId1", nullptr, 1, kMaxNodeId, kMandatory),
    row<SciLink, &SciLink::node_id2>("NodeId2", nullptr, 1, kMaxNodeId, kMandatory),
    row<SciLink, &SciLink::host1_sci_id0>("Host1SciId0", nullptr, 0, kU32, kMandatory),
    row<SciLink, &SciLink::host2_sci_id0>("Host2SciId0", nullptr, 0, kU32, kMandatory),
    row<SciLink, &SciLink::send_limit>("SendLimit", "8K", 128, 32 * kKiB),
    row<SciLink, &SciLink::shared_buffer_size>("SharedBufferSize", "1M", 64 * kKiB, kU32),
    row<SciLink, &SciLink::checksum>("Checksum", "false", 0, 1),
    row<SciLink, &SciLink::send_signal_id>("SendSignalId", "false", 0, 1),

    // [COMPUTER]
    text<Computer, &Computer::id>("Id", nullptr, kMandatory),
    text<Computer, &Computer::host_name>("HostName", nullptr, kMandatory),

    // [SYSTEM]
    text<SystemSection, &SystemSection::name>("Name", nullptr, kMandatory),
    row<SystemSection, &SystemSection::primary_mgm_node>("PrimaryMGMNode", "0", 0, kMaxNodeId),
    row<SystemSection, &SystemSection::config_generation_number>("ConfigGenerationNumber", "0", 0, kU32),
};
// clang-format on

std::optional<uint64_t> parse_ndb_integer(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + digits, v, 10);
  if (ec != std::errc()) return std::nullopt;
  std::string_view rest = text.substr(digits);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  if (rest.empty()) return v;
  if (rest.size() != 1) return std::nullopt;
  // InitConfigFileParser::convertStringToUint64: k and K, but only upper-case M and G.
  int shift = rest[0] == 'k' || rest[0] == 'K' ? 10 : rest[0] == 'M' ? 20 : rest[0] == 'G' ? 30 : -1;
  if (shift < 0) return std::nullopt;
  if (v > (UINT64_MAX >> shift)) return std::nullopt;
  return v << shift;
}

std::optional<bool> parse_ndb_bool(std::string_view s) {
  // Exactly NDB's spellings: "On" or "TRUE " are not booleans there.
  for (std::string_view t : {"Y", "y", "Yes", "YES", "yes", "True", "TRUE", "true", "1"})
    if (s == t) return true;
  for (std::string_view f : {"N", "n", "No", "NO", "no", "False", "FALSE", "false", "0"})
    if (s == f) return false;
  return std::nullopt;
}

}  // namespace

const SectionInfo* find_section(std::string_view name) {
  for (const auto& s : kSections)
    if (iequals(name, s.canonical) || (!s.alias.empty() && iequals(name, s.alias))) return &s;
  return nullptr;
}

const SectionInfo& section_info(SectionKind kind) {
  for (const auto& s : kSections)
    if (s.kind == kind) return s;
  return kSections.front();  // unreachable: every kind has a row
}

std::span<const Param> all_params() { return kParams; }

const Param* find_param(SectionKind kind, std::string_view name) {
  for (const auto& p : kParams)
    if (p.kind == kind && (iequals(name, p.name) || (!p.alias.empty() && iequals(name, p.alias)))) return &p;
  return nullptr;
}

std::optional<Value> convert(const Param& param, std::string_view text) {
  Value v;
  switch (param.type) {
    case ParamType::kString:
      v.text = std::string(text);
      return v;
    case ParamType::kBool: {
      auto b = parse_ndb_bool(text);
      if (!b) return std::nullopt;
      v.flag = *b;
      v.number = *b ? 1 : 0;
      return v;
    }
    case ParamType::kInt:
    case ParamType::kInt64: {
      auto n = parse_ndb_integer(text);
      if (!n) return std::nullopt;
      v.number = *n;
      return v;
    }
  }
  return std::nullopt;
}

}  // namespace halb::cluster::config_table
