"""Restarts around the data nodes' own files that used to fail: a node
restart whose restore takes longer than the peers' heartbeat deadline (the
restore must happen before the node links to them), and a graceful ALL
RESTART / ALL STOP under a write load (every acknowledged commit must be
in the final global checkpoint)."""
import os
import re
import signal
import subprocess
import time

from halb import Proc, program, wait_for
from test_durability import Durability


class Config(Durability):
    """Durability's cluster with some settings changed (the config file
    names each parameter once, so EXTRA cannot override them)."""
    CHANGES = {}

    def setUp(self):
        super().setUp()
        self.mgmd.stop()
        with open(self.config) as f:
            text = f.read()
        for name, value in self.CHANGES.items():
            text, n = re.subn(rf"^{name}=.*$", f"{name}={value}", text, flags=re.M)
            self.assertEqual(n, 1, name)
        with open(self.config, "w") as f:
            f.write(text)
        self.mgmd = Proc([program("halb-mgmd"), "-f", self.config, "--ndb-nodeid", "1", "--foreground",
                          "--run-dir", os.path.join(self.tmp.path, "run")],
                         log_path=os.path.join(self.tmp.path, "mgmd.changed.log"))
        self.procs.append(self.mgmd)
        wait_for(lambda: self.port_open(self.port) or not self.mgmd.alive(), 10, what="halb-mgmd listening")


class SlowRestore(Config):
    # A heartbeat interval of 100 ms: a peer is declared dead after about
    # 400 ms of silence, far less than reading this many rows back takes.
    CHANGES = {"HeartbeatIntervalDbDb": 100, "HeartbeatIntervalDbApi": 100,
               "DataMemory": "400M", "IndexMemory": "160M"}
    # No local checkpoint: the restore replays every row from the redo log.
    EXTRA = "TimeBetweenLocalCheckpoints=31"
    ROWS = 500000

    def test_node_restart_with_a_restore_longer_than_the_heartbeat_deadline(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("--batch", "500", "load", "t1", str(self.ROWS), timeout=600)
        self.wait_gcps()
        self.nodes[3].send_signal(signal.SIGKILL)
        self.nodes[3].stop()
        self.tool_ok("--from", str(self.ROWS), "load", "t1", "100")
        self.start_ndbd(3)
        self.wait_started([3], timeout=120)
        log3 = self.log_text(3)
        m = re.search(r"Node restart: own files restored to GCI \d+ \(([^)]*)\)", log3)
        self.assertTrue(m, log3[-3000:])
        began = log3.find("Node restart: restoring own files to GCI")
        self.assertGreaterEqual(began, 0, log3[-3000:])
        # No link to a data node was up while the files were read.
        self.assertNotIn("link to data node", log3[began:m.start()])
        self.assertNotIn("declared this node dead", log3)
        self.assertIn(f"rows {self.ROWS + 100}", self.tool_ok("--node", "3", "count", "t1"))
        # Node 3 alone has every row.
        self.nodes[2].send_signal(signal.SIGKILL)
        self.nodes[2].stop()
        wait_for(lambda: "Node 2 failed" in self.log_text(3), 10, what="node 3 sees node 2 fail")
        out = self.tool_ok("--node", "3", "verify", "t1", str(self.ROWS + 100), timeout=600)
        self.assertIn(f"verified {self.ROWS + 100} rows, 0 bad", out)


class GracefulShutdownUnderLoad(Durability):
    # Long enough GCIs that commits land in a GCI the stop must still save.
    GCP_MS = 1000

    WRITER_ROWS = 20000

    def writer(self, rows):
        # Single-row transactions, as fast as it goes.
        return subprocess.Popen([program("halb-ndbapi-tool"), "-c", self.cs, "--batch", "1", "load", "t1", str(rows)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def count(self):
        m = re.search(r"rows (\d+)", self.tool("count", "t1")[1])
        return int(m.group(1)) if m else 0

    def run_writer_through(self, stop_and_start):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        # More rows than it writes before the stop: the rest go in once the
        # nodes are back, through the same API connection, which must find
        # them started again (it gives up after 1200 tries).
        w = self.writer(self.WRITER_ROWS)
        try:
            # Let it commit for a while: the stop falls in its middle.
            wait_for(lambda: self.count() >= 3000 or w.poll() is not None, 60, interval=0.2, what="the writer under way")
            self.assertIsNone(w.poll(), "the writer finished before the stop")
            stop_and_start()
            out, _ = w.communicate(timeout=300)
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
        # The writer retries its temporary errors through the restart: every
        # row it reports as loaded was acknowledged once.
        m = re.search(r"loaded (\d+) rows", out)
        self.assertTrue(m, f"writer exit {w.returncode}: {out}")
        acknowledged = int(m.group(1))
        print("writer:", out.strip().splitlines()[-1])
        self.assertEqual((w.returncode, acknowledged), (0, self.WRITER_ROWS), out[-2000:])
        self.assertIn(f"verified {acknowledged} rows, 0 bad", self.tool_ok("verify", "t1", str(acknowledged)))
        for n in self.DATA_NODES:
            self.assertNotIn("did not complete in time", self.log_text(n))

    def test_all_restart_keeps_every_acknowledged_commit(self):
        def restart():
            self.assertIn("restart", self.mgm("ALL RESTART").lower())
            self.wait_restarted()
        self.run_writer_through(restart)
        for n in self.DATA_NODES:
            self.assertIn("refusing new transactions", self.log_text(n))
            self.assertRegex(self.log_text(n), r"System restart to GCI \d+")

    def test_all_stop_then_start_keeps_every_acknowledged_commit(self):
        def stop_and_start():
            self.assertIn("shutdown", self.mgm("ALL STOP").lower())
            for n in self.DATA_NODES:
                wait_for(lambda: not self.nodes[n].alive(), 30, what=f"node {n} stopped")
            self.start_all()
        self.run_writer_through(stop_and_start)

    def wait_restarted(self):
        # The same processes run again (exec): wait until the new run is started.
        for n in self.DATA_NODES:
            wait_for(lambda: self.log_text(n).count("halb-ndbd ") >= 2 or not self.nodes[n].alive(), 30,
                     what=f"node {n} restarting")
        self.wait_started(self.DATA_NODES, timeout=90)


class NodeRestartTakesTheClusterGci(Durability):
    # Long GCIs: the node restart ends before any global checkpoint round
    # could tell the node the current GCI.
    GCP_MS = 3000

    def test_a_node_stopped_right_after_its_restart_waits_for_the_cluster_gci(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "1000")
        time.sleep(7)  # two GCPs complete: node 3's files hold the rows
        self.nodes[3].send_signal(signal.SIGKILL)
        self.nodes[3].stop()
        self.start_ndbd(3)
        self.wait_started([3], timeout=60)
        self.assertIn("shutdown", self.mgm("3 STOP").lower())
        wait_for(lambda: not self.nodes[3].alive(), 30, what="node 3 stopped")
        log3 = self.log_text(3)
        caught_up = re.search(r"Node restart catch-up from GCI (\d+)", log3)
        waited = re.search(r"waiting for GCI (\d+) to complete first", log3)
        self.assertTrue(caught_up and waited, log3[-3000:])
        # Not "GCI 1" (or 2): the stop waits for a GCI the cluster has not completed yet.
        self.assertGreater(int(waited.group(1)), int(caught_up.group(1)), log3[-3000:])
        self.assertNotIn("did not complete in time", log3)
        self.assertIn("rows 1000", self.tool_ok("count", "t1"))
