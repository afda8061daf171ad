// Connectstring forms (LocalConfig.cpp's token kinds, the seeds' strings),
// the lookup order over command line, my.cnf, file=, NDB_CONNECTSTRING and
// Ndb.cfg, and the my.cnf groups each program reads.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "cluster/config/connectstring.h"
#include "cluster/config/my_cnf.h"

using namespace halb::cluster;

namespace {

using Servers = std::vector<MgmServer>;

TEST(ConnectString, SeedForms) {
  // seed 002 my.cnf, quotes included
  auto cs = parse_connectstring("\"host=192.168.131.164, host=192.168.131.26\"");
  EXPECT_EQ(cs.servers, (Servers{{"192.168.131.164", 1186}, {"192.168.131.26", 1186}}));
  EXPECT_EQ(cs.node_id, 0u);
  // seed 000: ndb_mgm --connect-string=server00.domain.com:9000
  EXPECT_EQ(parse_connectstring("server00.domain.com:9000").servers, (Servers{{"server00.domain.com", 9000}}));
  // seed 003: ndbd --connect-string="nodeid=2;host=ndb_mgmd.mysql.com:1186"
  cs = parse_connectstring("nodeid=2;host=ndb_mgmd.mysql.com:1186");
  EXPECT_EQ(cs.node_id, 2u);
  EXPECT_EQ(cs.servers, (Servers{{"ndb_mgmd.mysql.com", 1186}}));
  // seed 001's long and short examples
  cs = parse_connectstring("nodeid=2,myhost1:1100,myhost2:1100,192.168.0.3:1200");
  EXPECT_EQ(cs.servers, (Servers{{"myhost1", 1100}, {"myhost2", 1100}, {"192.168.0.3", 1200}}));
  EXPECT_EQ(parse_connectstring("myhost1").servers, (Servers{{"myhost1", 1186}}));
}

TEST(ConnectString, TokenKinds) {
  auto cs = parse_connectstring(" host://a:1 ; mgmd=b ,HOST = c:3, #comment token, OwnProcessId 7, [::1]:5 ");
  EXPECT_EQ(cs.servers, (Servers{{"a", 1}, {"b", 1186}, {"c", 3}, {"::1", 5}}));
  EXPECT_EQ(cs.node_id, 7u);
  EXPECT_EQ(parse_connectstring("file=/etc/ndb.cs").file, "/etc/ndb.cs");
  EXPECT_EQ(parse_connectstring("file:///etc/ndb.cs").file, "/etc/ndb.cs");
  EXPECT_EQ(parse_connectstring("nodeid=3,a,b:2").to_string(), "nodeid=3,a:1186,b:2");
  EXPECT_EQ(parse_connectstring("").servers.size(), 0u);
}

TEST(ConnectString, Errors) {
  for (const char* bad : {"nodeid=2,nodeid=3,a", "a:0", "a:65536", "a:x", "a:", "nodeid=0,a", "nodeid=64", "bogus=1",
                          "host=", "fe80::1:1186", "[::1", "file="}) {
    EXPECT_THROW(parse_connectstring(bad), ConnectStringError) << bad;
  }
}

TEST(ConnectStringLookup, DefaultIsLocalhost1186) {
  auto r = resolve_connectstring({});
  EXPECT_EQ(r.source, "default");
  EXPECT_EQ(r.connect.to_string(), "nodeid=0,localhost:1186");
}

TEST(ConnectStringLookup, CommandLineBeatsMyCnfBeatsEnvironment) {
  ConnectStringSources s;
  s.command_line = "cli:1";
  s.my_cnf = "cnf:2";
  s.environment = "env:3";
  s.cwd_cfg = "cfg:4";
  EXPECT_EQ(resolve_connectstring(s).connect.servers, (Servers{{"cli", 1}}));
  s.command_line.reset();
  EXPECT_EQ(resolve_connectstring(s).source, "my.cnf");
  s.my_cnf.reset();
  EXPECT_EQ(resolve_connectstring(s).source, "NDB_CONNECTSTRING");
  EXPECT_EQ(resolve_connectstring(s).connect.servers, (Servers{{"env", 3}}));
  s.environment.reset();
  EXPECT_EQ(resolve_connectstring(s).source, "Ndb.cfg");
}

TEST(ConnectStringLookup, NodeIdOnlyKeepsLookingForHosts) {
  ConnectStringSources s;
  s.command_line = "nodeid=4";
  s.environment = "nodeid=9,env";  // hosts from here; the first nodeid stays
  auto r = resolve_connectstring(s);
  EXPECT_EQ(r.connect.node_id, 4u);
  EXPECT_EQ(r.connect.servers, (Servers{{"env", 1186}}));
  EXPECT_EQ(r.source, "NDB_CONNECTSTRING");
  s.environment.reset();
  r = resolve_connectstring(s);
  EXPECT_EQ(r.connect.to_string(), "nodeid=4,localhost:1186");
  s.forced_node_id = 6;  // --ndb-nodeid
  EXPECT_EQ(resolve_connectstring(s).connect.node_id, 6u);
}

TEST(ConnectStringLookup, FileTokenAndNdbCfgJoinLines) {
  std::map<std::string, std::string> files{{"/etc/ndb.cs", "# managers\nm1:1\nm2\n"}};
  ConnectStringSources s;
  s.command_line = "nodeid=5,file=/etc/ndb.cs";
  s.environment = "env";
  s.read_file = [&](const std::string& p) -> std::optional<std::string> {
    auto it = files.find(p);
    return it == files.end() ? std::nullopt : std::optional(it->second);
  };
  auto r = resolve_connectstring(s);
  EXPECT_EQ(r.source, "file /etc/ndb.cs");
  EXPECT_EQ(r.connect.to_string(), "nodeid=5,m1:1,m2:1186");
  s.command_line = "file=/missing";
  EXPECT_THROW(resolve_connectstring(s), ConnectStringError);

  ConnectStringSources cfg;
  cfg.ndb_home_cfg = "nodeid=3\nhome:7\n";
  cfg.cwd_cfg = "cwd";
  r = resolve_connectstring(cfg);
  EXPECT_EQ(r.source, "NDB_HOME/Ndb.cfg");
  EXPECT_EQ(r.connect.to_string(), "nodeid=3,home:7");
}

TEST(MyCnf, ClusterGroupIsReadFirstAndOwnGroupWins) {
  auto cnf = parse_my_cnf(
      "; a comment\n"
      "[mysql_cluster]\n"
      "ndb-connectstring=all:1   # shared\n"
      "[ndbd]\n"
      "connect_string = 'ndbd:2'\n"
      "[mysqld]\n"
      "ndbcluster\n"
      "[ndb_mgmd]\n"
      "config-file=/etc/config.ini\n"
      "ndb-nodeid=1\n",
      "my.cnf");
  EXPECT_EQ(cluster_options(cnf, ClusterProgram::kNdbd).connectstring, "ndbd:2");
  EXPECT_EQ(cluster_options(cnf, ClusterProgram::kNdbd).connectstring_line, 5);
  EXPECT_EQ(cluster_options(cnf, ClusterProgram::kNdbMgm).connectstring, "all:1");
  EXPECT_EQ(cluster_options(cnf, ClusterProgram::kMysqld).connectstring, "all:1");
  EXPECT_TRUE(cluster_options(cnf, ClusterProgram::kMysqld).ndbcluster);
  EXPECT_FALSE(cluster_options(cnf, ClusterProgram::kNdbd).ndbcluster);
  auto mgmd = cluster_options(cnf, ClusterProgram::kNdbMgmd);
  EXPECT_EQ(mgmd.config_file, "/etc/config.ini");
  EXPECT_EQ(mgmd.node_id, 1u);
  EXPECT_EQ(groups_for(ClusterProgram::kNdbRestore), (std::vector<std::string_view>{"mysql_cluster", "ndb_restore"}));
}

TEST(MyCnf, Errors) {
  try {
    parse_my_cnf("\nndbcluster\n", "my.cnf");
    FAIL();
  } catch (const halb::config::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "my.cnf:2: Found option without preceding group in config file");
  }
  auto cnf = parse_my_cnf("[ndbd]\nndb-nodeid=99\n", "my.cnf");
  EXPECT_THROW(cluster_options(cnf, ClusterProgram::kNdbd), halb::config::ConfigError);
}

}  // namespace
