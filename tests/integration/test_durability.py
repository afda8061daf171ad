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


def durable_config(data_dir, mgm_port, data_nodes, extra=""):
    ndbd = "".join(f"[NDBD]\nId={i}\nHostName=127.0.0.1\nDataDir={data_dir}/d{i}\n\n" for i in data_nodes)
    return f"""[NDBD DEFAULT]
NoOfReplicas=2
DataMemory=40M
IndexMemory=16M
HeartbeatIntervalDbDb=500
HeartbeatIntervalDbApi=500
TimeBetweenGlobalCheckpoints=200
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

    def setUp(self):
        super().setUp()
        # Same cluster, with checkpoint settings; halb-mgmd reads the file at start.
        self.mgmd.stop()
        with open(self.config, "w") as f:
            f.write(durable_config(self.tmp.path, self.port, self.DATA_NODES, self.EXTRA))
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
