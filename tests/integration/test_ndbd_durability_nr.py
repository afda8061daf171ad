"""An initial node restart of a data node holding several times more data
than its redo log (the smallest NoOfFragmentLogFiles/FragmentLogFileSize):
the copy from the live node is not written to the redo; a local checkpoint
after it makes the node restorable from its own files. The node then holds
every row, alone, and after a system restart from its own files; killed
before that checkpoint, it refuses its files and copies everything again."""
import os
import re
import signal
from halb import Proc, program, wait_for
from test_durability import Durability, durable_config


class NodeRestartCluster(Durability):
    ROWS = 3000

    def cluster_log(self):
        path = os.path.join(self.tmp.path, "m1", "ndb_1_cluster.log")
        return open(path, errors="replace").read() if os.path.exists(path) else ""

    def load(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("--batch", "100", "load", "t1", str(self.ROWS))
        self.wait_gcps()

    def kill(self, n):
        self.nodes[n].send_signal(signal.SIGKILL)
        self.nodes[n].stop()

    def assert_node_alone_holds(self, n, other, rows):
        self.kill(other)
        wait_for(lambda: f"Node {other} failed" in self.log_text(n), 10, what=f"node {n} sees node {other} fail")
        self.assertIn(f"rows {rows}", self.tool_ok("--node", str(n), "count", "t1"))
        self.assertIn(f"verified {rows} rows, 0 bad", self.tool_ok("--node", str(n), "verify", "t1", str(rows)))


class InitialNodeRestartSmallRedo(NodeRestartCluster):
    # 3 x 4 x 64 KB = 768 KB of redo; 30000 rows (and their unique index)
    # are several MB of redo records.
    EXTRA = "NoOfFragmentLogFiles=3\nFragmentLogFileSize=64K"
    ROWS = 30000

    def test_copy_bigger_than_the_redo_then_system_restart_from_own_files(self):
        self.load()
        self.kill(3)
        self.start_ndbd(3, "--initial")
        self.wait_started([3], timeout=60)
        log = self.cluster_log()
        self.assertIn("Node 3: Node restart: full copy of every fragment", log)
        copied = re.search(r"Node 3: Node restart copy: (\d+) rows copied", log)
        self.assertTrue(copied, log)
        self.assertGreaterEqual(int(copied.group(1)), self.ROWS)
        self.assertIn("Node 3: Node restart: copy done, waiting for a local checkpoint of every fragment", log)
        self.assertRegex(log, r"Node 3: Node restart: local checkpoint after the copy completed; GCIs from \d+ on")
        self.assertNotIn("redo log failed", self.log_text(3))
        # Writes after the restart: in node 3's redo log, after its checkpoint.
        self.tool_ok("--batch", "100", "--from", str(self.ROWS), "load", "t1", "1000")
        self.tool_ok("--batch", "100", "delete", "t1", "500")
        self.wait_gcps()
        self.assertIn("shutdown", self.mgm("ALL STOP").lower())
        for n in self.DATA_NODES:
            wait_for(lambda: not self.nodes[n].alive(), 20, what=f"node {n} stopped")
        self.start_all()
        # Node 3 restored its own files (no copy from node 2) ...
        self.assertRegex(self.log_text(3), r"System restart to GCI \d+ .*: local checkpoint \d+ \(\d+ rows\) \+ redo log")
        self.assertEqual(self.log_text(3).count("full copy of every fragment"), 1)  # the initial node restart's
        # ... and holds every row alone.
        rows = self.ROWS + 1000 - 500
        self.assertIn(f"verified {rows} rows, 0 bad", self.tool_ok("--from", "500", "verify", "t1", str(rows)))
        self.kill(2)
        wait_for(lambda: "Node 2 failed" in self.log_text(3), 10, what="node 3 sees node 2 fail")
        self.assertIn(f"rows {rows}", self.tool_ok("--node", "3", "count", "t1"))
        self.assertIn(f"verified {rows} rows, 0 bad",
                      self.tool_ok("--node", "3", "--from", "500", "verify", "t1", str(rows)))


class InitialNodeRestartKilledBeforeItsCheckpoint(NodeRestartCluster):
    # Node 3 writes checkpoints at 64 KB/s, the one ending its restart too
    # (MaxDiskWriteSpeedOwnRestart, 50M by default, made that window a few
    # milliseconds): a few seconds to kill it in (the default redo: this is
    # about the window, not the redo's size).

    def setUp(self):
        super().setUp()
        self.mgmd.stop()
        text = durable_config(self.tmp.path, self.port, self.DATA_NODES, self.EXTRA, self.GCP_MS)
        with open(self.config, "w") as f:
            f.write(text.replace("[NDBD]\nId=3\n", "[NDBD]\nId=3\nMaxDiskWriteSpeed=64K\nMaxDiskWriteSpeedOwnRestart=64K\n"))
        self.mgmd = Proc([program("halb-mgmd"), "-f", self.config, "--ndb-nodeid", "1", "--foreground",
                          "--run-dir", os.path.join(self.tmp.path, "run")],
                         log_path=os.path.join(self.tmp.path, "mgmd.nr.log"))
        self.procs.append(self.mgmd)
        wait_for(lambda: self.port_open(self.port) or not self.mgmd.alive(), 10, what="halb-mgmd listening")

    def test_files_without_the_checkpoint_are_refused_and_the_copy_runs_again(self):
        self.load()
        self.kill(3)
        self.start_ndbd(3, "--initial")
        wait_for(lambda: "copy done, waiting for a local checkpoint" in self.log_text(3), 30,
                 what="node 3's copy done")
        self.assertNotIn("local checkpoint after the copy completed", self.log_text(3))
        self.assertIn("starting", self.status(3))
        self.kill(3)
        self.assertTrue(os.path.exists(os.path.join(self.fs_dir(3), "incomplete")))
        self.start_ndbd(3)
        self.wait_started([3], timeout=60)
        log3 = self.log_text(3)
        self.assertRegex(log3, r"not usable: an initial node restart did not complete: the rows copied from the live "
                               r"nodes are not in the redo log")
        self.assertIn("this node will copy everything from its peers (initial node restart)", log3)
        self.assertEqual(self.cluster_log().count("Node 3: Node restart: full copy of every fragment"), 2)
        # The first GCI saved after the checkpoint makes the files whole.
        wait_for(lambda: not os.path.exists(os.path.join(self.fs_dir(3), "incomplete")), 10,
                 what="node 3's incomplete note removed")
        self.assert_node_alone_holds(3, 2, self.ROWS)
