// heartbeat v1 judges a resource's status from the words it prints.
#include <gtest/gtest.h>

#include "heartbeat/agents/agent.h"

using halb::heartbeat::output_says_running;

TEST(AgentOutput, ClassicWords) {
  EXPECT_TRUE(output_says_running("INFO:  Running OK\n"));
  EXPECT_TRUE(output_says_running("ldirectord for /etc/ha.d/ldirectord.cf is running with pid: 5596"));
  EXPECT_TRUE(output_says_running("master running\n(ipvs_syncmaster pid: 5689)"));
  EXPECT_FALSE(output_says_running("INFO:  Resource is stopped\n"));
  EXPECT_FALSE(output_says_running("ldirectord is stopped for /etc/ha.d/ldirectord.cf"));
  EXPECT_FALSE(output_says_running("daemon is NOT running"));
  EXPECT_FALSE(output_says_running("not   Running"));
  EXPECT_FALSE(output_says_running(""));
}
