// config.ini syntax and rules that load: DEFAULT sections reaching only
// later sections, section aliases, `:`/`=`, case, suffixes, comments, node
// id assignment and ExecuteOnComputer.
#include <gtest/gtest.h>

#include <string>

#include "cluster/config/config_ini.h"

using namespace halb::cluster;

namespace {

LoadedConfig parse(const std::string& text) { return parse_config_ini(text, "config.ini"); }

// The smallest legal cluster, appended to fragments under test.
const char* kTail = "[NDB_MGMD]\n[MYSQLD]\n";

TEST(ConfigIni, DefaultSectionAppliesOnlyToLaterSections) {
  auto c = parse(
               "[NDBD DEFAULT]\nNoOfReplicas=1\n"
               "[NDBD]\n"                          // 80M built-in
               "[NDBD DEFAULT]\nDataMemory=200M\n"
               "[NDBD]\n"                          // 200M from the second DEFAULT
               "[NDBD]\nDataMemory=300M\n"         // own value wins
               + std::string(kTail))
               .config;
  ASSERT_EQ(c.data_nodes.size(), 3u);
  EXPECT_EQ(c.data_nodes[0].data_memory, 80ull << 20);
  EXPECT_EQ(c.data_nodes[1].data_memory, 200ull << 20);
  EXPECT_EQ(c.data_nodes[2].data_memory, 300ull << 20);
  // The second DEFAULT kept the first's NoOfReplicas.
  EXPECT_EQ(c.data_nodes[2].no_of_replicas, 1u);
}

TEST(ConfigIni, AliasesAndCaseAreOneSectionType) {
  auto c = parse(
               "[db default]\nnoofreplicas: 2\n"
               "[DB]\nHOSTNAME: h1\n[ndbd]\nhostname=h2\n"
               "[MGM]\nHostName=h3\n[ndb_mgmd DEFAULT]\nArbitrationRank=2\n[Ndb_Mgmd]\nHostName=h4\n"
               "[API]\n[mysqld]\n[Api Default]\n")
               .config;
  EXPECT_EQ(c.data_nodes.size(), 2u);
  EXPECT_EQ(c.mgm_nodes.size(), 2u);
  EXPECT_EQ(c.api_nodes.size(), 2u);
  EXPECT_EQ(c.data_nodes[1].host_name, "h2");
  EXPECT_EQ(c.mgm_nodes[0].arbitration_rank, 1u);
  EXPECT_EQ(c.mgm_nodes[1].arbitration_rank, 2u);
  EXPECT_EQ(c.api_nodes[0].arbitration_rank, 0u);
}

TEST(ConfigIni, SeparatorsBlanksQuotesAndComments) {
  auto c = parse(
               "  # indented comment\n"
               "\n"
               "[ NDBD ]\n"
               "NoOfReplicas : 1   # trailing comment\n"
               "\tDataDir=\t\"/data/ndb 1\"  \n"
               "HostName:10.0.0.1\r\n"
               "[NDB_MGMD]\nPortNumber = 1187\n[MYSQLD]\nHostName=\n")
               .config;
  EXPECT_EQ(c.data_nodes[0].no_of_replicas, 1u);
  EXPECT_EQ(c.data_nodes[0].data_dir, "/data/ndb 1");
  EXPECT_EQ(c.data_nodes[0].host_name, "10.0.0.1");
  EXPECT_EQ(c.mgm_nodes[0].port_number, 1187u);
  EXPECT_EQ(c.api_nodes[0].host_name, "");
}

TEST(ConfigIni, SemicolonIsNotACommentInConfigIni) {
  auto c = parse(
               "[NDBD]\nNoOfReplicas=1\n[NDB_MGMD]\n"
               "LogDestination=CONSOLE;SYSLOG:facility=local0;FILE:filename=c.log,maxsize=1000,maxfiles=2\n"
               "[MYSQLD]\n")
               .config;
  EXPECT_EQ(c.mgm_nodes[0].log_destination, "CONSOLE;SYSLOG:facility=local0;FILE:filename=c.log,maxsize=1000,maxfiles=2");
}

TEST(ConfigIni, SizeSuffixes) {
  auto c = parse(
               "[NDBD]\nNoOfReplicas=1\nDataMemory=2G\nIndexMemory=65536k\nRedoBuffer=16M\n"
               "MaxNoOfConcurrentOperations=64K\nMaxNoOfLocalOperations=100000\n" +
               std::string(kTail))
               .config;
  const auto& d = c.data_nodes[0];
  EXPECT_EQ(d.data_memory, 2ull << 30);
  EXPECT_EQ(d.index_memory, 64ull << 20);
  EXPECT_EQ(d.redo_buffer, 16ull << 20);
  EXPECT_EQ(d.max_no_of_concurrent_operations, 65536u);
  EXPECT_EQ(d.local_operations(), 100000u);
}

TEST(ConfigIni, DefaultsAreThe50Ones) {
  auto c = parse("[NDBD]\nNoOfReplicas=1\n" + std::string(kTail)).config;
  const auto& d = c.data_nodes[0];
  EXPECT_EQ(d.host_name, "localhost");
  EXPECT_EQ(d.max_no_of_concurrent_transactions, 4096u);
  EXPECT_EQ(d.local_operations(), 36044u);  // 1.1 x 32768
  EXPECT_EQ(d.heartbeat_interval_db_db, 1500u);
  EXPECT_EQ(d.time_between_global_checkpoints, 2000u);
  EXPECT_EQ(d.no_of_fragment_log_files, 8u);
  EXPECT_EQ(d.transaction_inactive_timeout, kNoTimeout);
  EXPECT_TRUE(d.stop_on_error);
  EXPECT_FALSE(d.diskless);
  EXPECT_TRUE(d.use_shm);
  EXPECT_EQ(d.undo_data_buffer, 16ull << 20);
  EXPECT_EQ(c.mgm_nodes[0].host_name, "");
  EXPECT_EQ(c.mgm_nodes[0].arbitration_rank, 1u);
  EXPECT_EQ(c.mgm_nodes[0].port_number, 1186u);
  EXPECT_EQ(c.api_nodes[0].arbitration_rank, 0u);
}

TEST(ConfigIni, BooleansUseNdbSpellings) {
  auto c = parse("[NDBD]\nNoOfReplicas=1\nDiskless=Y\nStopOnError=FALSE\nUseShm=0\n" + std::string(kTail)).config;
  EXPECT_TRUE(c.data_nodes[0].diskless);
  EXPECT_FALSE(c.data_nodes[0].stop_on_error);
  EXPECT_FALSE(c.data_nodes[0].use_shm);
}

// transformNode: the next id follows the previous node's id, skipping
// taken ones (with a warning); management nodes get no precedence.
TEST(ConfigIni, NodeIdsFollowFileOrder) {
  auto loaded = parse(
      "[NDBD DEFAULT]\nNoOfReplicas=2\n"
      "[MYSQLD]\nId=5\n"       // line 3: 5
      "[NDBD]\n"               // line 5: 6
      "[NDBD]\nNodeId=2\n"     // line 6: 2
      "[NDB_MGMD]\n"           // line 8: 3
      "[MYSQLD]\n"             // line 9: 4
      "[MYSQLD]\n");           // line 10: 5 taken, 6 taken -> 7, warned
  const auto& c = loaded.config;
  EXPECT_EQ(c.api_nodes[0].node_id, 5u);
  EXPECT_EQ(c.data_nodes[0].node_id, 6u);
  EXPECT_EQ(c.data_nodes[1].node_id, 2u);
  EXPECT_EQ(c.mgm_nodes[0].node_id, 3u);
  EXPECT_EQ(c.api_nodes[1].node_id, 4u);
  EXPECT_EQ(c.api_nodes[2].node_id, 7u);
  EXPECT_EQ(c.data_node_ids(), (std::vector<uint32_t>{2, 6}));
  EXPECT_EQ(c.type_of(3), NodeType::kMgm);
  EXPECT_FALSE(c.type_of(8));
  // The second warning: both data nodes of the group default to localhost.
  ASSERT_EQ(loaded.warnings.size(), 2u);
  EXPECT_EQ(loaded.warnings[0],
            "config.ini:10: Cluster configuration warning line 10: Could not use next node id 5 for section [API], "
            "using next unused node id 7.");
}

TEST(ConfigIni, ExecuteOnComputerTakesTheComputersHostName) {
  auto c = parse(
               "[COMPUTER]\nId=ndb1\nHostName=10.0.0.1\n"
               "[COMPUTER]\nId=ndb2\nHostName=10.0.0.2\n"
               "[NDBD DEFAULT]\nNoOfReplicas=1\n"
               "[NDBD]\nExecuteOnComputer=ndb2\n"
               "[NDB_MGMD]\nExecuteOnComputer=ndb1\nHostName=10.0.0.9\n"  // explicit HostName wins
               "[MYSQLD]\nExecuteOnComputer=NDB1\n")
               .config;
  EXPECT_EQ(c.data_nodes[0].host_name, "10.0.0.2");
  EXPECT_EQ(c.data_nodes[0].execute_on_computer, "ndb2");
  EXPECT_EQ(c.mgm_nodes[0].host_name, "10.0.0.9");
  EXPECT_EQ(c.api_nodes[0].host_name, "10.0.0.1");
  ASSERT_EQ(c.computers.size(), 2u);
  EXPECT_EQ(c.computers[1].host_name, "10.0.0.2");
}

TEST(ConfigIni, PathsDefaultFromDataDir) {
  auto c = parse("[NDBD]\nNoOfReplicas=1\nDataDir=/d\n[NDBD]\nNoOfReplicas=1\nDataDir=/d\nFileSystemPath=/fs\n" +
                 std::string(kTail))
               .config;
  EXPECT_EQ(c.data_nodes[0].file_system_path, "/d");
  EXPECT_EQ(c.data_nodes[0].backup_data_dir, "/d");
  EXPECT_EQ(c.data_nodes[1].file_system_path, "/fs");
  EXPECT_EQ(c.data_nodes[1].backup_data_dir, "/fs");
}

TEST(ConfigIni, HostWarningsDoNotStopLoading) {
  auto loaded = parse(
      "[NDBD DEFAULT]\nNoOfReplicas=2\n"
      "[NDB_MGMD]\nHostName=a\n"   // line 3, id 1, arbitrator on a data node's host
      "[NDBD]\nHostName=a\n"       // line 5, id 2
      "[NDBD]\nHostName=a\n"       // line 7, id 3: same group, same host
      "[MYSQLD]\n");
  ASSERT_EQ(loaded.warnings.size(), 3u);
  EXPECT_EQ(loaded.warnings[0],
            "config.ini:7: Cluster configuration warning: db node with id 2 and id 3 on same host a; host failure will "
            "cause complete cluster shutdown.");
  EXPECT_EQ(loaded.warnings[1],
            "config.ini:3: Cluster configuration warning: arbitrator with id 1 and db node with id 2 on same host a; "
            "host failure may cause complete cluster shutdown.");
}

TEST(ConfigIni, LinkSectionsOverrideBuffers) {
  auto c = parse(
               "[NDBD DEFAULT]\nNoOfReplicas=2\n[NDBD]\n[NDBD]\n" + std::string(kTail) +
               "[TCP DEFAULT]\nSendBufferMemory=2M\n"
               "[TCP]\nNodeId1=1\nNodeId2=2\n"
               "[SHM]\nNodeId1=1\nNodeId2=2\nShmKey=7\n")
               .config;
  ASSERT_EQ(c.tcp_links.size(), 1u);
  EXPECT_EQ(c.tcp_links[0].send_buffer_memory, 2ull << 20);
  EXPECT_EQ(c.tcp_links[0].receive_buffer_memory, 64ull << 10);
  ASSERT_EQ(c.shm_links.size(), 1u);
  EXPECT_EQ(c.shm_links[0].shm_key, 7u);
  EXPECT_EQ(c.shm_links[0].shm_size, 1ull << 20);
}

}  // namespace
