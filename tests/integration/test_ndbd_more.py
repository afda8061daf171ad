"""More halb-ndbd failure cases on loopback: DataMemory running out, two
management servers with four data nodes losing one node per group, money
transfers that must stay whole across a data node kill, and a 2+2 split
with no arbitrator configured. Reuses the cluster helpers of test_ndbd.py."""
import os
import re
import signal
import subprocess
import time
import unittest

from halb import Proc, TempDir, program, wait_for
from test_ndbd import NdbdCluster, free_tcp_port

# Errors an application retries (cluster/api/error.cc, class temporary).
TEMPORARY_CODES = {233, 1217, 237, 266, 274, 296, 297, 298, 286, 4010, 4035, 410, 1220, 1221, 4012}


def config_ini(data_dir, mgm_nodes, data_nodes, data_memory="40M", arbitration_rank=None):
    """mgm_nodes: [(id, port)]. arbitration_rank, when given, is set on every
    management server and API node."""
    rank = "" if arbitration_rank is None else f"ArbitrationRank={arbitration_rank}\n"
    mgm = "".join(f"[NDB_MGMD]\nId={i}\nHostName=127.0.0.1\nPortNumber={p}\nDataDir={data_dir}/m{i}\n{rank}\n"
                  for i, p in mgm_nodes)
    ndbd = "".join(f"[NDBD]\nId={i}\nHostName=127.0.0.1\nDataDir={data_dir}/d{i}\n\n" for i in data_nodes)
    api = "".join(f"[API]\nId={i}\n{rank}\n" for i in (20, 21, 22, 23, 24, 25, 26))
    return f"""[NDBD DEFAULT]
NoOfReplicas=2
DataMemory={data_memory}
IndexMemory=16M
HeartbeatIntervalDbDb=500
HeartbeatIntervalDbApi=500

{mgm}{ndbd}{api}"""


class Cluster(NdbdCluster):
    """NdbdCluster with a configurable config.ini and management servers."""
    MGM_IDS = (1,)
    DATA_MEMORY = "40M"
    ARBITRATION_RANK = None

    def setUp(self):
        self.tmp = TempDir(prefix="halb-ndbd-more-")
        self.procs = []
        self.nodes = {}
        try:
            self.start_management_servers()
        except BaseException:
            self.tearDown()  # unittest skips tearDown when setUp fails
            raise

    def start_management_servers(self):
        self.mgm_ports = {i: free_tcp_port() for i in self.MGM_IDS}
        self.port = self.mgm_ports[self.MGM_IDS[0]]
        self.cs = ",".join(f"127.0.0.1:{p}" for p in self.mgm_ports.values())
        for d in [f"m{i}" for i in self.MGM_IDS] + [f"d{i}" for i in self.DATA_NODES]:
            os.makedirs(os.path.join(self.tmp.path, d))
        self.config = os.path.join(self.tmp.path, "config.ini")
        with open(self.config, "w") as f:
            f.write(config_ini(self.tmp.path, self.mgm_ports.items(), self.DATA_NODES, self.DATA_MEMORY,
                               self.ARBITRATION_RANK))
        self.mgmds = {}
        for i, port in self.mgm_ports.items():
            p = Proc([program("halb-mgmd"), "-f", self.config, "--ndb-nodeid", str(i), "--foreground",
                      "--run-dir", os.path.join(self.tmp.path, f"run-m{i}")],
                     log_path=os.path.join(self.tmp.path, f"mgmd{i}.log"))
            self.procs.append(p)
            self.mgmds[i] = p
            wait_for(lambda: self.port_open(port) or not p.alive(), 10, what=f"halb-mgmd {i} listening")
            self.assertTrue(p.alive(), f"halb-mgmd {i} exited at start")
        self.mgmd = self.mgmds[self.MGM_IDS[0]]

    def mgm_at(self, mgm_id, command):
        r = subprocess.run([program("halb-mgm"), "-c", f"127.0.0.1:{self.mgm_ports[mgm_id]}", "--try-reconnect", "1",
                            "-e", command], capture_output=True, text=True, timeout=60)
        return r.stdout + r.stderr

    def start_cluster(self):
        for n in self.DATA_NODES:
            self.start_ndbd(n)
        self.wait_started(self.DATA_NODES)

    def background_tool(self, *args):
        return subprocess.Popen([program("halb-ndbapi-tool"), "-c", self.cs] + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def finish(self, procs, timeout=90):
        """The clients' outputs. A client still running after `timeout`
        seconds (all of them together) fails the test at once, with the
        nodes' logs: a request left unanswered after a node failure would
        otherwise show only as a bare subprocess timeout."""
        outs = []
        deadline = time.monotonic() + timeout
        try:
            for p in procs:
                try:
                    outs.append(p.communicate(timeout=max(1.0, deadline - time.monotonic()))[0])
                except subprocess.TimeoutExpired:
                    self.dump_logs()
                    self.fail(f"{' '.join(p.args[3:])} did not finish within {timeout} s after the node "
                              "failure: some API request is never answered, or retried for ever "
                              "(node logs above)")
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        return outs

    def assert_only_temporary_retries(self, out):
        m = re.search(r"retries((?: \d+x\d+)+| none)", out)
        self.assertIsNotNone(m, out)
        codes = {int(c) for c in re.findall(r" (\d+)x\d+", m.group(1))}
        self.assertLessEqual(codes, TEMPORARY_CODES, out)


class DataMemoryExhausted(Cluster):
    DATA_NODES = (2, 3)
    DATA_MEMORY = "2M"

    def test_full_table_gives_827_and_the_cluster_keeps_serving(self):
        self.start_cluster()
        self.tool_ok("create", "t1")
        rc, out = self.tool("load", "t1", "1000000")
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"827 'Out of memory in Ndb Kernel, table data \(increase DataMemory\)' "
                              r"\(Insufficient space, ")
        loaded = int(re.search(r"loaded (\d+) rows before the error", out).group(1))
        self.assertGreater(loaded, 1000, out)
        # Full memory is not a failure: both nodes stay started.
        show = self.mgm("SHOW")
        for n in self.DATA_NODES:
            self.assertTrue(self.nodes[n].alive())
            self.assertRegex(show, rf"id={n}\s+@127\.0\.0\.1\s+\(Version: [0-9.]+, Nodegroup: 0")
        self.assertIn("Data usage is", self.mgm("ALL REPORT MEMORYUSAGE"))
        # What was acknowledged is all there, and reads still work on both nodes.
        for n in self.DATA_NODES:
            self.assertIn(f"verified {loaded} rows, 0 bad", self.tool_ok("--node", str(n), "verify", "t1", str(loaded)))
        # The failed batch left nothing behind.
        self.assertIn(f"rows {loaded}", self.tool_ok("count", "t1"))
        # Still full.
        rc, out = self.tool("--from", str(loaded), "load", "t1", "1000")
        self.assertEqual(rc, 1, out)
        self.assertIn("827", out)
        # Deletes work and give the memory back to the table.
        half = loaded // 2
        self.assertIn(f"deleted {half} rows, 0 bad", self.tool_ok("delete", "t1", str(half)))
        self.assertIn(f"loaded {half} rows, 0 bad", self.tool_ok("--from", str(loaded), "load", "t1", str(half)))
        self.assertIn(f"rows {loaded}", self.tool_ok("count", "t1"))
        self.assertIn(f"verified {half} rows, 0 bad", self.tool_ok("--from", str(loaded), "verify", "t1", str(half)))


class TwoManagementServersFourDataNodes(Cluster):
    MGM_IDS = (1, 10)
    DATA_NODES = (2, 3, 4, 5)

    def test_both_mgmds_show_all_and_one_node_per_group_may_die(self):
        self.start_cluster()
        for m in self.MGM_IDS:
            show = self.mgm_at(m, "SHOW")
            self.assertRegex(show, r"\[ndbd\(NDB\)\]\s+4 node\(s\)")
            for n in self.DATA_NODES:
                self.assertRegex(show, rf"id={n}\s+@127\.0\.0\.1\s+\(Version: [0-9.]+, Nodegroup: {(n - 2) // 2}")
            self.assertRegex(show, r"\[ndb_mgmd\(MGM\)\]\s+2 node\(s\)")
            for other in self.MGM_IDS:
                self.assertRegex(show, rf"id={other}\s+@127\.0\.0\.1\s+\(Version: ")
            for n in self.DATA_NODES:
                self.assertEqual(f"Node {n}: started", re.search(rf"Node {n}: [a-z ]+", self.mgm_at(m, f"{n} STATUS"))
                                 .group(0).strip())
        self.tool_ok("create", "t1")
        # Enough rows that the load is still running when the nodes die (batched
        # data-node sends made 60000 take under a second).
        rows = 300000
        load = self.background_tool("load", "t1", str(rows))
        try:
            time.sleep(1.0)
            self.assertIsNone(load.poll(), "the load finished before the kill; make it longer")
            self.nodes[3].send_signal(signal.SIGKILL)
            self.nodes[5].send_signal(signal.SIGKILL)
        finally:
            out, = self.finish([load])
        self.assertEqual(load.returncode, 0, out)
        self.assertIn(f"loaded {rows} rows, 0 bad", out)
        self.assert_only_temporary_retries(out)
        for n in (2, 4):
            self.assertTrue(self.nodes[n].alive(), self.log_text(n)[-2000:])
        for m in self.MGM_IDS:
            show = self.mgm_at(m, "SHOW")
            self.assertRegex(show, r"id=3\s+\(not connected")
            self.assertRegex(show, r"id=5\s+\(not connected")
        self.assertIn(f"verified {rows} rows, 0 bad", self.tool_ok("verify", "t1", str(rows)))
        self.assertIn(f"rows {rows}", self.tool_ok("count", "t1"))


class TransfersStayWhole(Cluster):
    DATA_NODES = (2, 3)
    ACCOUNTS = 100
    WORKERS = 4
    TRANSFERS = "6000"  # each; a few seconds of work, so the kill lands mid-run

    def test_no_half_transfer_is_visible_after_a_kill(self):
        self.start_cluster()
        self.tool_ok("accounts", "acct", str(self.ACCOUNTS))
        expected = f"sum {self.ACCOUNTS * 1000} expected {self.ACCOUNTS * 1000} missing 0"
        self.assertIn(expected, self.tool_ok("sum", "acct", str(self.ACCOUNTS)))
        workers = [self.background_tool("transfer", "acct", str(self.ACCOUNTS), self.TRANSFERS) for _ in range(self.WORKERS)]
        try:
            time.sleep(0.5)
            for w in workers:
                self.assertIsNone(w.poll(), "transfers finished before the kill; make them longer")
            self.nodes[3].send_signal(signal.SIGKILL)
        finally:
            outs = self.finish(workers)
        for w, out in zip(workers, outs):
            self.assertEqual(w.returncode, 0, out)
            self.assertIn(f"transferred {self.TRANSFERS}", out)
        wait_for(lambda: "Node 3 failed" in self.log_text(2), 10, what="node 2 saw node 3 fail")
        self.assertTrue(self.nodes[2].alive())
        self.assertIn(expected, self.tool_ok("sum", "acct", str(self.ACCOUNTS)))
        # And the restarted node copies balances that still add up.
        self.nodes[3].stop()
        self.start_ndbd(3)
        self.wait_started([3])
        self.assertIn(expected, self.tool_ok("--node", "3", "sum", "acct", str(self.ACCOUNTS)))


class PartitionWithoutArbitrator(Cluster):
    DATA_NODES = (2, 3, 4, 5)
    ARBITRATION_RANK = 0

    def test_neither_half_runs_on(self):
        # Freezing 3 and 5 splits the cluster into {2,4} and {3,5}: exactly
        # half, every group covered, so arbitration is required (reference
        # section 5, rule 5) -- and with no arbitrator neither half may win.
        self.start_cluster()
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "1000")
        for n in (3, 5):
            self.nodes[n].send_signal(signal.SIGSTOP)
        try:
            for n in (2, 4):
                wait_for(lambda: not self.nodes[n].alive(), 20, what=f"node {n} stops")
        finally:
            for n in (3, 5):
                self.nodes[n].send_signal(signal.SIGCONT)
        for n in (3, 5):
            wait_for(lambda: not self.nodes[n].alive(), 20, what=f"node {n} stops")
        for n in self.DATA_NODES:
            self.assertEqual(self.nodes[n].p.returncode, 5, self.log_text(n)[-2000:])
        log2 = self.log_text(2)
        self.assertIn("Network partitioning - arbitration required", log2)
        self.assertIn("Network partitioning - no arbitrator configured", log2)
        self.assertIn("error 2305: Node lost connection to other nodes", log2)
        self.assertNotIn("Arbitration won", log2 + self.log_text(4))


if __name__ == "__main__":
    unittest.main()
