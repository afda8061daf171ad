"""Cluster durability on loopback: global checkpoints, the redo log, local
checkpoints and restarts from the data nodes' own files (halb-ndbd with a
real halb-mgmd, driven by halb-mgm and tests/tools/halb-ndbapi-tool)."""
import glob
import os
import re
import signal
import subprocess
import time
import unittest

from halb import program, wait_for
from test_ndbd import NdbdCluster


def durable_config(data_dir, mgm_port, data_nodes, extra="", gcp_ms=200):
    ndbd = "".join(f"[NDBD]\nId={i}\nHostName=127.0.0.1\nDataDir={data_dir}/d{i}\n\n" for i in data_nodes)
    return f"""[NDBD DEFAULT]
NoOfReplicas=2
DataMemory=40M
IndexMemory=16M
HeartbeatIntervalDbDb=500
HeartbeatIntervalDbApi=500
TimeBetweenGlobalCheckpoints={gcp_ms}
{extra}

[NDB_MGMD]
Id=1
HostName=127.0.0.1
PortNumber={mgm_port}
DataDir={data_dir}/m1

{ndbd}[API]
Id=20
HostName=127.0.0.1
[API]
Id=21
[API]
Id=22
[API]
"""


class Durability(NdbdCluster):
    EXTRA = ""
    GCP_MS = 200

    def setUp(self):
        super().setUp()
        # Same cluster, with checkpoint settings; halb-mgmd reads the file at start.
        self.mgmd.stop()
        with open(self.config, "w") as f:
            f.write(durable_config(self.tmp.path, self.port, self.DATA_NODES, self.EXTRA, self.GCP_MS))
        from halb import Proc
        self.mgmd = Proc([program("halb-mgmd"), "-f", self.config, "--ndb-nodeid", "1", "--foreground",
                          "--run-dir", os.path.join(self.tmp.path, "run")],
                         log_path=os.path.join(self.tmp.path, "mgmd.dur.log"))
        self.procs.append(self.mgmd)
        wait_for(lambda: self.port_open(self.port) or not self.mgmd.alive(), 10, what="halb-mgmd listening")

    def fs_dir(self, n):
        return os.path.join(self.tmp.path, f"d{n}", f"ndb_{n}_fs")

    def start_all(self, *extra):
        for n in self.DATA_NODES:
            self.start_ndbd(n, *extra)
        self.wait_started(self.DATA_NODES, timeout=60)

    def kill_all(self):
        for n in self.DATA_NODES:
            self.nodes[n].send_signal(signal.SIGKILL)
        for n in self.DATA_NODES:
            self.nodes[n].stop()

    def wait_gcps(self, count=3):
        # TimeBetweenGlobalCheckpoints=200: a few rounds complete in a second.
        time.sleep(0.2 * (count + 2))


class SystemRestart(Durability):
    def test_rows_before_the_last_complete_gcp_survive_kill_of_all_nodes(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "20000")
        self.tool_ok("--from", "0", "delete", "t1", "500")
        self.wait_gcps()
        self.kill_all()
        self.start_all()
        for n in self.DATA_NODES:
            self.assertIn("System restart to GCI", self.log_text(n))
        # The cluster log tells which restart path was taken.
        cluster_log = os.path.join(self.tmp.path, "m1", "ndb_1_cluster.log")
        wait_for(lambda: "System restart to GCI" in open(cluster_log, errors="replace").read(), 10,
                 what="the system restart in the cluster log")
        self.assertRegex(open(cluster_log, errors="replace").read(), r"Node 2: Start phase \d completed \(system restart\)")
        self.assertIn("verified 19500 rows, 0 bad", self.tool_ok("--from", "500", "verify", "t1", "19500"))
        for n in self.DATA_NODES:
            self.assertIn("rows 19500", self.tool_ok("--node", str(n), "count", "t1"))
        # The unique index came back too, and the cluster takes writes again.
        self.assertIn("id 4242 val row-4242", self.tool_ok("unique", "t1", "4242"))
        self.tool_ok("--from", "20000", "load", "t1", "1000")
        self.assertIn("rows 20500", self.tool_ok("count", "t1"))

    def test_kill_during_transfers_restarts_to_a_whole_gci(self):
        self.start_all("--initial")
        self.tool_ok("accounts", "bank", "200")
        transfers = subprocess.Popen([program("halb-ndbapi-tool"), "-c", self.cs, "transfer", "bank", "200", "100000"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(2.0)
            self.assertIsNone(transfers.poll(), "the transfers finished before the kill")
            self.kill_all()
        finally:
            transfers.kill()
            transfers.wait()
        self.start_all()
        # Nothing half committed: money is neither made nor lost.
        out = self.tool_ok("sum", "bank", "200")
        self.assertIn("sum 200000", out)

    def test_all_stop_then_start_keeps_everything(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "5000")
        self.assertIn("shutdown", self.mgm("ALL STOP").lower())
        for n in self.DATA_NODES:
            wait_for(lambda: not self.nodes[n].alive(), 20, what=f"node {n} stopped")
        self.start_all()
        self.assertIn("verified 5000 rows, 0 bad", self.tool_ok("verify", "t1", "5000"))


class DurableCommit(Durability):
    EXTRA = "CommitDurability=gcp"

    def test_every_acknowledged_row_survives_kill_of_all_nodes(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        for k in range(0, 3000, 300):
            self.tool_ok("--batch", "50", "--from", str(k), "load", "t1", "300")
        # No pause: the last commits were answered just now.
        self.kill_all()
        self.start_all()
        self.assertIn("verified 3000 rows, 0 bad", self.tool_ok("verify", "t1", "3000"))


class LocalCheckpoints(Durability):
    # 2^12 words = 16 KB of redo between checkpoints; small redo segments.
    EXTRA = "TimeBetweenLocalCheckpoints=12\nFragmentLogFileSize=256K"

    def load_with_checkpoints(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "20000")
        for n in self.DATA_NODES:
            wait_for(lambda: re.search(r"Local checkpoint \d+ completed", self.log_text(n)), 30,
                     what=f"a local checkpoint on node {n}")
        self.wait_gcps(5)
        self.tool_ok("--from", "20000", "load", "t1", "2000")  # after the checkpoint: from the redo only
        self.wait_gcps()

    def test_restart_from_checkpoint_and_redo_with_trimmed_log(self):
        self.load_with_checkpoints()
        # The redo before the usable checkpoint is gone.
        self.assertNotIn("redo.0000000000000000", os.listdir(os.path.join(self.fs_dir(2), "redo")))
        self.kill_all()
        self.start_all()
        self.assertRegex(self.log_text(2), r"System restart to GCI \d+ .*: local checkpoint \d+ \(\d+ rows\) \+ redo log")
        self.assertIn("verified 22000 rows, 0 bad", self.tool_ok("verify", "t1", "22000"))
        for n in self.DATA_NODES:
            self.assertIn("rows 22000", self.tool_ok("--node", str(n), "count", "t1"))

    def test_damaged_checkpoint_on_one_node_recovers_from_its_peer(self):
        self.load_with_checkpoints()
        self.kill_all()
        for path in glob.glob(os.path.join(self.fs_dir(3), "lcp", "*", "*.data")):
            size = os.path.getsize(path)
            with open(path, "r+b") as f:
                f.seek(size // 2)
                b = f.read(1)
                f.seek(size // 2)
                f.write(bytes([b[0] ^ 0x40]))
        self.start_all()
        log3 = self.log_text(3)
        self.assertIn("not usable", log3)
        self.assertIn("checksum", log3)
        self.assertIn("initial node restart", log3)
        cluster_log = open(os.path.join(self.tmp.path, "m1", "ndb_1_cluster.log"), errors="replace").read()
        self.assertIn("Node 3: Node restart: full copy of every fragment", cluster_log)
        self.assertIn("System restart to GCI", self.log_text(2))
        self.assertIn("verified 22000 rows, 0 bad", self.tool_ok("--node", "3", "verify", "t1", "22000"))
        self.assertIn("rows 22000", self.tool_ok("--node", "3", "count", "t1"))


class DamagedRedo(Durability):
    def test_truncated_redo_tail_restarts_to_the_last_good_gcp(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "5000")
        self.wait_gcps()
        self.kill_all()
        redo = os.path.join(self.fs_dir(2), "redo")
        last = sorted(os.listdir(redo))[-1]
        path = os.path.join(redo, last)
        os.truncate(path, os.path.getsize(path) - 7)
        self.start_all()
        self.assertRegex(self.log_text(2), r"redo log damaged \(a record is cut short at lsn \d+")
        self.assertIn("System restart to GCI", self.log_text(2))
        self.assertIn("verified 5000 rows, 0 bad", self.tool_ok("verify", "t1", "5000"))

    def test_initial_wipes_the_files(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "100")
        self.wait_gcps()
        self.kill_all()
        self.start_all("--initial")
        rc, out = self.tool("count", "t1")
        self.assertNotEqual(rc, 0)
        self.assertIn("709", out)


class PartialStart(Durability):
    # One node of a two-node group is half the cluster: the other could be
    # running alone, so the start also waits StartPartitionedTimeout and
    # then asks the arbitrator (halb-mgmd).
    EXTRA = "StartPartialTimeout=2000\nStartPartitionedTimeout=1000"

    def test_partial_system_restart_then_the_missing_node_joins(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "3000")
        self.wait_gcps()
        self.kill_all()
        self.start_ndbd(2)
        self.wait_started([2], timeout=30)
        self.assertIn("Partial system restart after StartPartialTimeout (2000 ms) without node(s) 3", self.log_text(2))
        self.assertIn("Partitioned start allowed: Arbitration won", self.log_text(2))
        self.assertIn("verified 3000 rows, 0 bad", self.tool_ok("verify", "t1", "3000"))
        self.tool_ok("--from", "3000", "load", "t1", "500")
        self.start_ndbd(3)
        self.wait_started([3], timeout=60)
        # Its own files are good: it catches up on what it missed.
        self.assertRegex(self.log_text(3), r"Node restart catch-up from GCI \d+: \d+ rows copied")
        self.assertIn("rows 3500", self.tool_ok("--node", "3", "count", "t1"))


class NodeRestartCatchUp(Durability):
    def test_node_down_for_a_while_catches_up_without_a_full_copy(self):
        self.start_all("--initial")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "20000")
        self.wait_gcps()
        self.nodes[3].send_signal(signal.SIGKILL)
        self.nodes[3].stop()
        # While node 3 is down (a few seconds here; the length does not
        # matter while the redo covers it): changes, deletes, new rows.
        self.tool_ok("--from", "0", "delete", "t1", "300")
        self.tool_ok("--from", "20000", "load", "t1", "700")
        time.sleep(3)
        self.start_ndbd(3)
        self.wait_started([3], timeout=60)
        log3 = self.log_text(3)
        self.assertIn("own files restored to GCI", log3)
        m = re.search(r"Node restart catch-up from GCI \d+: (\d+) rows copied, (\d+) unchanged rows checked by key, "
                      r"(\d+) rows removed, 0 fragments copied in full", log3)
        self.assertTrue(m, log3[-3000:])
        copied, unchanged, removed = map(int, m.groups())
        # Counts include the unique index's hidden table: a row and its index entry.
        self.assertLess(copied, 2 * 1000)     # the 700 new rows, not the 20000
        self.assertGreater(unchanged, 2 * 15000)
        self.assertEqual(removed, 2 * 300)
        self.assertIn("rows 20400", self.tool_ok("--node", "3", "count", "t1"))
        self.assertIn("verified 20400 rows, 0 bad", self.tool_ok("--node", "3", "--from", "300", "verify", "t1", "20400"))
        # Node 3 now serves alone: node 2 goes, node 3's rows are all there.
        self.nodes[2].send_signal(signal.SIGKILL)
        self.nodes[2].stop()
        wait_for(lambda: "Node 2 failed" in self.log_text(3), 10, what="node 3 sees node 2 fail")
