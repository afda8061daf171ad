"""A system restart goes to the newest GCI the nodes alive in it can restore,
not to the oldest any node's files hold: a node that was down while the
others went on writing starts as a node-restart follower and catches up
from them; started alone, it does not start the cluster from its older
files but waits for the node that holds the newer GCIs."""
import re
import signal
import time

from halb import wait_for
from test_durability import Durability


class StaleNodeSystemRestart(Durability):
    # Short partial-start timeouts: a node started alone would start the
    # cluster after a second or two if its files allowed it.
    EXTRA = "StartPartialTimeout=1000\nStartPartitionedTimeout=1000"
    ROWS = 1000
    LATER = 100

    def write_then_node_3_leaves(self, graceful):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", str(self.ROWS))
        self.wait_gcps()
        if graceful:
            self.assertIn("shutdown", self.mgm("3 STOP").lower())
            wait_for(lambda: not self.nodes[3].alive(), 30, what="node 3 stopped")
            # Its files say that node 2 went on without it.
            self.assertRegex(self.log_text(3), r"noted that node\(s\) 2 go on", self.log_text(3)[-3000:])
        else:
            self.nodes[3].send_signal(signal.SIGKILL)
            self.nodes[3].stop()
        # Node 2 alone: acknowledged rows, covered by its later GCPs.
        self.tool_ok("--from", str(self.ROWS), "load", "t1", str(self.LATER))
        self.wait_gcps()
        if graceful:
            self.assertIn("shutdown", self.mgm("ALL STOP").lower())
            wait_for(lambda: not self.nodes[2].alive(), 30, what="node 2 stopped")
        else:
            self.nodes[2].send_signal(signal.SIGKILL)
            self.nodes[2].stop()

    def check_restart_keeps_the_later_rows(self):
        self.start_all()
        total = self.ROWS + self.LATER
        self.assertIn(f"verified {total} rows, 0 bad", self.tool_ok("verify", "t1", str(total)))
        for n in self.DATA_NODES:
            self.assertIn(f"rows {total}", self.tool_ok("--node", str(n), "count", "t1"))
        # The log names the GCI and why: node 3 is no source, it catches up.
        log2 = self.log_text(2)
        m = re.search(r"System restart to GCI (\d+) \(node 3 was not alive after GCI (\d+): "
                      r"it catches up from node 2\)", log2)
        self.assertTrue(m, log2[-3000:])
        self.assertGreater(int(m.group(1)), int(m.group(2)))
        log3 = self.log_text(3)
        self.assertRegex(log3, rf"System restart to GCI {m.group(1)} by node\(s\) 2: this node's files end at GCI \d+")
        self.assertRegex(log3, r"Node restart catch-up from GCI \d+: \d+ rows copied")
        return int(m.group(1))

    def test_graceful_stop_of_one_node_then_all_stop_keeps_what_the_other_wrote(self):
        self.write_then_node_3_leaves(graceful=True)
        self.check_restart_keeps_the_later_rows()
        # The cluster takes writes again, on both nodes.
        self.tool_ok("--from", "5000", "load", "t1", "50")
        self.assertIn(f"rows {self.ROWS + self.LATER + 50}", self.tool_ok("--node", "3", "count", "t1"))

    def test_kill_of_one_node_then_the_other_keeps_what_the_other_wrote(self):
        self.write_then_node_3_leaves(graceful=False)
        self.check_restart_keeps_the_later_rows()

    def test_the_stale_node_alone_waits_for_the_node_with_newer_data(self):
        self.write_then_node_3_leaves(graceful=True)
        self.start_ndbd(3)
        wait_for(lambda: "System restart waits for node(s) 2" in self.log_text(3), 20,
                 what="node 3 says it waits for node 2")
        time.sleep(2.5)  # past StartPartialTimeout and StartPartitionedTimeout
        self.assertTrue(self.nodes[3].alive(), self.log_text(3)[-3000:])
        self.assertEqual(self.status(3), "starting")
        log3 = self.log_text(3)
        self.assertRegex(log3, r"node 2 was still running after GCI \d+, where this node's files end")
        self.assertNotIn("Partial system restart", log3)
        self.assertNotIn("System restart to GCI", log3)
        # Once node 2 comes, the restart goes to node 2's GCI.
        self.start_ndbd(2)
        self.check_restart_keeps_the_later_rows()

    def test_the_node_with_newer_data_may_start_alone(self):
        self.write_then_node_3_leaves(graceful=True)
        self.start_ndbd(2)
        self.wait_started([2], timeout=30)
        self.assertIn("Partial system restart after StartPartialTimeout (1000 ms) without node(s) 3",
                      self.log_text(2))
        total = self.ROWS + self.LATER
        self.assertIn(f"verified {total} rows, 0 bad", self.tool_ok("verify", "t1", str(total)))
        self.start_ndbd(3)
        self.wait_started([3], timeout=60)
        self.assertIn(f"rows {total}", self.tool_ok("--node", "3", "count", "t1"))



class StaleNodeOfTwoGroups(Durability):
    # Groups {2,3} and {4,5}. Node 4 stops while the others write on; then
    # all stop. Nodes 2, 3 and 4 (more than half) could start without 5,
    # but only from node 4's older GCI: node 5 holds group {4,5}'s newer rows.
    DATA_NODES = (2, 3, 4, 5)
    EXTRA = "StartPartialTimeout=1000\nStartPartitionedTimeout=1000"

    def test_nodes_that_cannot_restore_the_newest_gci_wait_for_the_one_that_can(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "1000")
        self.wait_gcps()
        self.assertIn("shutdown", self.mgm("4 STOP").lower())
        wait_for(lambda: not self.nodes[4].alive(), 30, what="node 4 stopped")
        self.tool_ok("--from", "1000", "load", "t1", "200")
        self.wait_gcps()
        self.assertIn("shutdown", self.mgm("ALL STOP").lower())
        for n in (2, 3, 5):
            wait_for(lambda: not self.nodes[n].alive(), 30, what=f"node {n} stopped")
        for n in (2, 3, 4):
            self.start_ndbd(n)
        wait_for(lambda: "System restart waits for node(s) 5" in self.log_text(2), 20,
                 what="node 2 says the restart waits for node 5")
        self.assertRegex(self.log_text(2), r"node 5 took part in GCI \d+, past GCI \d+, the newest nodes 2,3,4 can restore")
        time.sleep(1.5)  # past StartPartialTimeout again: still waiting
        for n in (2, 3, 4):
            self.assertEqual(self.status(n), "starting")
            self.assertNotIn("System restart to GCI", self.log_text(n))
        self.start_ndbd(5)
        self.wait_started(self.DATA_NODES, timeout=60)
        self.assertRegex(self.log_text(2), r"System restart to GCI \d+ \(node 4 was not alive after GCI \d+: "
                                           r"it catches up from nodes 2,3,5\)")
        self.assertIn("verified 1200 rows, 0 bad", self.tool_ok("verify", "t1", "1200"))
        self.assertIn("rows 1200", self.tool_ok("--node", "4", "count", "t1"))
