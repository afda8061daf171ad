// Broken config.ini variants: each is refused with `file:line: ` and the
// text ndb_mgmd 5.0 prints where the reference gives it. One table row per
// case: {what is wrong, the file, the exact error}.
#include <gtest/gtest.h>

#include <string>

#include "cluster/config/config_ini.h"

using namespace halb::cluster;

namespace {

struct Broken {
  const char* what;
  std::string text;
  std::string error;
};

const std::string kOk = "[NDBD DEFAULT]\nNoOfReplicas=2\n[NDB_MGMD]\n[NDBD]\n[NDBD]\n[MYSQLD]\n";  // lines 1-6

const Broken kBroken[] = {
    {"unknown parameter", kOk + "[NDBD]\nDataMemroy=80M\n",
     "config.ini:8: [DB] Unknown parameter: DataMemroy"},
    {"parameter of another section", "[NDB_MGMD]\nNoOfReplicas=2\n",
     "config.ini:2: [MGM] Unknown parameter: NoOfReplicas"},
    {"NoOfReplicas 3 with 2 data nodes", "[NDBD DEFAULT]\nNoOfReplicas: 3\n[NDB_MGMD]\n[NDBD]\n[NDBD]\n[MYSQLD]\n",
     "config.ini:2: Invalid no of db nodes wrt no of replicas. No of nodes must be dividable with no or replicas"},
    {"NoOfReplicas above 4", "[NDBD]\nNoOfReplicas=5\n",
     "config.ini:2: Illegal value 5 for parameter NoOfReplicas. Legal values are between 1 and 4"},
    {"NoOfReplicas differing", "[NDB_MGMD]\n[NDBD]\nNoOfReplicas=1\n[NDBD]\nNoOfReplicas=2\n[MYSQLD]\n",
     "config.ini:5: NoOfReplicas 2 in section [DB] starting at line: 4 differs from 1 given earlier; it must be the "
     "same on all data nodes"},
    {"NoOfReplicas missing", "[NDB_MGMD]\n[NDBD]\nHostName=a\n[MYSQLD]\n",
     "config.ini:2: Mandatory parameter NoOfReplicas missing from section [DB] starting at line: 2"},
    {"duplicate explicit id", kOk + "[MYSQLD]\nId=3\n",
     "config.ini:7: Duplicate nodeid in section [API] starting at line: 7. Previously used on line 5."},
    {"CommitDurability unknown", kOk + "[NDBD]\nCommitDurability=disk\n",
     "config.ini:8: CommitDurability must be memory or gcp, not 'disk'"},
    {"FragmentLogFileSize too small", kOk + "[NDBD]\nFragmentLogFileSize=1K\n",
     "config.ini:8: Illegal value 1K for parameter FragmentLogFileSize. Legal values are between 65536 and 1073741824"},
    {"Id and NodeId both", "[NDB_MGMD]\nId=1\nNodeId=1\n", "config.ini:3: [MGM] Parameter NodeId specified twice"},
    {"parameter twice", "[NDBD]\nHostName=a\nhostname=b\n", "config.ini:3: [DB] Parameter hostname specified twice"},
    {"node id 64", "[MYSQLD]\nNodeId=64\n",
     "config.ini:2: Illegal value 64 for parameter NodeId. Legal values are between 1 and 63"},
    {"bad size suffix", "[NDBD]\nDataMemory=80X\n", "config.ini:2: Illegal integer value for parameter DataMemory"},
    {"lower-case m is not a 5.0 suffix", "[NDBD]\nDataMemory=80m\n",
     "config.ini:2: Illegal integer value for parameter DataMemory"},
    {"DataMemory below 1M", "[NDBD]\nDataMemory=512K\n",
     "config.ini:2: Illegal value 512K for parameter DataMemory. Legal values are between 1048576 and "
     "1099511627776"},
    {"IndexMemory above 1024G", "[NDBD]\nIndexMemory=1025G\n",
     "config.ini:2: Illegal value 1025G for parameter IndexMemory. Legal values are between 1048576 and "
     "1099511627776"},
    {"port out of range", "[NDB_MGMD]\nPortNumber=65536\n",
     "config.ini:2: Illegal value 65536 for parameter PortNumber. Legal values are between 0 and 65535"},
    {"negative number", "[NDBD]\nMaxNoOfTables=-1\n", "config.ini:2: Illegal integer value for parameter MaxNoOfTables"},
    {"bad boolean", "[NDBD]\nDiskless=on\n", "config.ini:2: Illegal boolean value for parameter Diskless"},
    {"value outside section", "# c\nHostName=a\n", "config.ini:2: Value specified outside section"},
    {"no separator", "[NDBD]\nHostName a\n", "config.ini:2: Parse error"},
    {"unknown section", "[NDBD]\nNoOfReplicas=1\n[FOO]\n", "config.ini:3: Parse error: unknown section [FOO]"},
    {"COMPUTER has no DEFAULT", "[COMPUTER DEFAULT]\n",
     "config.ini:1: Parse error: [COMPUTER] has no DEFAULT section"},
    {"no data node", "[NDB_MGMD]\n[MYSQLD]\n",
     "config.ini:2: At least one database node should be defined in config file"},
    {"no management node", "[NDBD]\nNoOfReplicas=1\n[MYSQLD]\n",
     "config.ini:3: At least one management server node should be defined in config file"},
    {"no API node", "[NDBD]\nNoOfReplicas=1\n[NDB_MGMD]\n",
     "config.ini:3: At least one application node (for the mysqld) should be defined in config file"},
    {"localhost mixed with real names", "[NDB_MGMD]\nHostName=10.0.0.1\n[NDBD]\nNoOfReplicas=1\n[MYSQLD]\n",
     "config.ini:3: Mixing of localhost (default for [NDBD]HostName) with other hostname(10.0.0.1) is illegal"},
    {"operations below transactions", "[NDBD]\nNoOfReplicas=1\nMaxNoOfConcurrentOperations=1000\n[NDB_MGMD]\n",
     "config.ini:1: MaxNoOfConcurrentOperations must be greater than MaxNoOfConcurrentTransactions - [DB] starting "
     "at line: 1"},
    {"undeclared computer", "[NDBD]\nNoOfReplicas=1\nExecuteOnComputer=c9\n",
     "config.ini:1: Computer \"c9\" not declared - [DB] starting at line: 1"},
    {"link to a node defined later", "[NDB_MGMD]\n[TCP]\nNodeId1=1\nNodeId2=2\n[NDBD]\nNoOfReplicas=1\n",
     "config.ini:2: Connection refering undefined node: 2 - [TCP] starting at line: 2"},
    {"API-API link", kOk + "[MYSQLD]\n[TCP]\nNodeId1=4\nNodeId2=5\n",
     "config.ini:8: Invalid connection between node 4 (API) and node 5 (API) - [TCP] starting at line: 8"},
    {"two mgmds on one host and port", kOk + "[NDB_MGMD]\nHostName=localhost\n[NDB_MGMD]\nHostName=localhost\n",
     "config.ini:9: Management server in section [MGM] starting at line: 9 uses the host and port of the one "
     "starting at line: 7"},
    {"COMPUTER without HostName", "[COMPUTER]\nId=c1\n[NDBD]\n",
     "config.ini:1: Mandatory parameter HostName missing from section [COMPUTER] starting at line: 1"},
};

class BrokenConfig : public testing::TestWithParam<Broken> {};

TEST_P(BrokenConfig, IsRefusedWithFileAndLine) {
  const Broken& b = GetParam();
  try {
    parse_config_ini(b.text, "config.ini");
    FAIL() << b.what << ": loaded";
  } catch (const halb::config::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), b.error) << b.what;
  }
}

INSTANTIATE_TEST_SUITE_P(ConfigIni, BrokenConfig, testing::ValuesIn(kBroken));

TEST(ConfigIniFile, MissingFileNamesIt) {
  try {
    load_config_ini("/nonexistent/config.ini");
    FAIL();
  } catch (const halb::config::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/config.ini: Error opening file: /nonexistent/config.ini");
  }
}

}  // namespace
