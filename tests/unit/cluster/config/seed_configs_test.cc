// The seeds' config.ini and my.cnf files, extracted unchanged into
// tests/unit/cluster/data/: each loads with the node ids, hosts, replicas
// and memory sizes the seeds' `ndb_mgm> show` transcripts print -- or, where
// the published copy is not a loadable file, fails the way ndb_mgmd would.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "cluster/config/config_ini.h"
#include "cluster/config/connectstring.h"
#include "cluster/config/my_cnf.h"

using namespace halb::cluster;

namespace {

std::string data(const std::string& name) { return std::string(HALB_TEST_DATA) + "/" + name; }

std::vector<uint32_t> ids(const auto& nodes) {
  std::vector<uint32_t> out;
  for (const auto& n : nodes) out.push_back(n.node_id);
  return out;
}

TEST(SeedConfigs, Seed002TwoManagementServersSevenSqlSlots) {
  auto loaded = load_config_ini(data("seed002_config.ini"));
  const auto& c = loaded.config;
  // show: mgm 1 @164, 2 @26; ndbd 3 @77, 4 @101; mysqld 5..11.
  EXPECT_EQ(ids(c.mgm_nodes), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(ids(c.data_nodes), (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(ids(c.api_nodes), (std::vector<uint32_t>{5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(c.mgm_nodes[0].host_name, "192.168.131.164");
  EXPECT_EQ(c.mgm_nodes[1].host_name, "192.168.131.26");
  EXPECT_EQ(c.data_nodes[0].host_name, "192.168.131.77");
  EXPECT_EQ(c.data_nodes[1].host_name, "192.168.131.101");
  for (const auto& a : c.api_nodes) EXPECT_EQ(a.host_name, "");  // "accepting connect from any host"
  EXPECT_EQ(c.no_of_replicas(), 2u);
  for (const auto& d : c.data_nodes) {
    EXPECT_EQ(d.data_memory, 800ull * 1024 * 1024);
    EXPECT_EQ(d.index_memory, 400ull * 1024 * 1024);
    EXPECT_EQ(d.data_dir, "/var/lib/mysql-cluster");
    EXPECT_EQ(d.file_system_path, "/var/lib/mysql-cluster");
    EXPECT_EQ(d.backup_data_dir, "/var/lib/mysql-cluster");
    EXPECT_EQ(d.max_no_of_concurrent_operations, 32768u);
  }
  EXPECT_EQ(c.mgm_nodes[0].port_number, 1186u);
  EXPECT_EQ(c.mgm_nodes[1].log_destination, "FILE:filename=ndb_2_cluster.log,maxsize=1000000,maxfiles=6");
  EXPECT_EQ(c.mgm_nodes[0].line, 13);
  EXPECT_EQ(c.data_nodes[1].line, 30);
  EXPECT_TRUE(loaded.warnings.empty());
}

TEST(SeedConfigs, ShippedSampleIsSeed002) {
  auto sample = load_config_ini(std::string(HALB_TEST_DATA) + "/../../../../etc/mysql-cluster/config.ini");
  EXPECT_EQ(sample.config.api_nodes.size(), 7u);
  EXPECT_EQ(sample.config.mgm_nodes.size(), 2u);
}

TEST(SeedConfigs, Seed001Minimal) {
  auto c = load_config_ini(data("seed001_minimal.ini")).config;
  // show in seed 001: ndbd 1 node, ndb_mgmd 1 node, mysqld 3 nodes.
  EXPECT_EQ(ids(c.mgm_nodes), (std::vector<uint32_t>{1}));
  EXPECT_EQ(ids(c.data_nodes), (std::vector<uint32_t>{2}));
  EXPECT_EQ(ids(c.api_nodes), (std::vector<uint32_t>{3, 4, 5}));
  EXPECT_EQ(c.no_of_replicas(), 1u);
  EXPECT_EQ(c.data_nodes[0].host_name, "myhost.example.com");
  EXPECT_EQ(c.data_nodes[0].data_memory, 80ull * 1024 * 1024);  // 5.0 default
  EXPECT_EQ(c.data_nodes[0].index_memory, 18ull * 1024 * 1024);
}

TEST(SeedConfigs, Seed001TwoDataNodes) {
  auto c = load_config_ini(data("seed001_two_data_nodes.ini")).config;
  EXPECT_EQ(ids(c.mgm_nodes), (std::vector<uint32_t>{1}));
  EXPECT_EQ(ids(c.data_nodes), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(ids(c.api_nodes), (std::vector<uint32_t>{4, 5}));
  EXPECT_EQ(c.mgm_nodes[0].host_name, "ndb_mgmd.mysql.com");  // written "Hostname="
  EXPECT_EQ(c.data_nodes[0].host_name, "ndbd_2.mysql.com");
  EXPECT_EQ(c.data_nodes[1].host_name, "ndbd_3.mysql.com");
  // "The second can be started only on the host mysqld_5.mysql.com": id 5.
  EXPECT_EQ(c.api_nodes[1].host_name, "mysqld_5.mysql.com");
  EXPECT_EQ(c.api_nodes[0].host_name, "");
  EXPECT_EQ(c.no_of_replicas(), 2u);
}

// The manual's direct-connection fragment sets no NoOfReplicas, which 5.0
// requires: ndb_mgmd refuses it, and so do we, at the first [NDBD].
TEST(SeedConfigs, Seed001DirectTcpFragmentLacksNoOfReplicas) {
  try {
    load_config_ini(data("seed001_direct_tcp.ini"));
    FAIL() << "loaded";
  } catch (const halb::config::ConfigError& e) {
    EXPECT_EQ(e.line(), 12);
    EXPECT_EQ(e.message(), "Mandatory parameter NoOfReplicas missing from section [DB] starting at line: 12");
  }
}

TEST(SeedConfigs, Seed001DirectTcpWithReplicasHasTheLink) {
  auto text = std::string("[NDBD DEFAULT]\nNoOfReplicas: 2\n");
  std::ifstream in(data("seed001_direct_tcp.ini"));
  text += std::string(std::istreambuf_iterator<char>(in), {});
  auto c = parse_config_ini(text, "direct.ini").config;
  EXPECT_EQ(ids(c.mgm_nodes), (std::vector<uint32_t>{1}));
  EXPECT_EQ(ids(c.api_nodes), (std::vector<uint32_t>{2}));
  EXPECT_EQ(ids(c.data_nodes), (std::vector<uint32_t>{3, 4}));
  ASSERT_EQ(c.tcp_links.size(), 1u);
  EXPECT_EQ(c.tcp_links[0].node_id1, 3u);
  EXPECT_EQ(c.tcp_links[0].node_id2, 4u);
  EXPECT_EQ(c.tcp_links[0].host_name1, "1.1.0.1");
  EXPECT_EQ(c.tcp_links[0].host_name2, "1.1.0.2");
  EXPECT_EQ(c.tcp_links[0].send_buffer_memory, 256u * 1024);
}

// Seed 000's published config.ini lost its section headers; the one value
// left sits outside any section, which InitConfigFileParser rejects.
TEST(SeedConfigs, Seed000AsPublishedIsRejected) {
  try {
    load_config_ini(data("seed000_config.ini"));
    FAIL() << "loaded";
  } catch (const halb::config::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), data("seed000_config.ini") + ":4: Value specified outside section");
  }
}

TEST(SeedConfigs, Seed000RestoredMatchesItsShowOutput) {
  auto c = load_config_ini(data("seed000_config_restored.ini")).config;
  EXPECT_EQ(ids(c.mgm_nodes), (std::vector<uint32_t>{1}));
  EXPECT_EQ(c.mgm_nodes[0].port_number, 9000u);  // ndb_mgm --connect-string=server00.domain.com:9000
  EXPECT_EQ(ids(c.data_nodes), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(c.data_nodes[0].host_name, "server01.domain.com");  // trailing # comment cut
  EXPECT_EQ(c.data_nodes[1].data_dir, "/archivos/vol880-12/carlos/mysql_2/cluster");
  EXPECT_EQ(ids(c.api_nodes), (std::vector<uint32_t>{4, 5, 6}));
}

TEST(SeedConfigs, Seed002MyCnfGivesBothManagementServersInOrder) {
  auto cnf = load_my_cnf(data("seed002_my.cnf"));
  for (auto program : {ClusterProgram::kMysqld, ClusterProgram::kNdbd, ClusterProgram::kNdbMgm}) {
    auto opts = cluster_options(cnf, program);
    ASSERT_TRUE(opts.connectstring);
    ConnectStringSources sources;
    sources.my_cnf = opts.connectstring;
    auto r = resolve_connectstring(sources);
    EXPECT_EQ(r.source, "my.cnf");
    EXPECT_EQ(r.connect.servers,
              (std::vector<MgmServer>{{"192.168.131.164", 1186}, {"192.168.131.26", 1186}}));
  }
  EXPECT_TRUE(cluster_options(cnf, ClusterProgram::kMysqld).ndbcluster);
  EXPECT_EQ(cluster_options(cnf, ClusterProgram::kMysqld).connectstring_line, 3);
  // ndb_mgmd and ndb_restore have no group in that file.
  EXPECT_FALSE(cluster_options(cnf, ClusterProgram::kNdbRestore).connectstring);
  // The shipped sample is the same file.
  auto sample = load_my_cnf(std::string(HALB_TEST_DATA) + "/../../../../etc/mysql-cluster/my.cnf");
  EXPECT_EQ(cluster_options(sample, ClusterProgram::kNdbd).connectstring,
            cluster_options(cnf, ClusterProgram::kNdbd).connectstring);
}

}  // namespace
