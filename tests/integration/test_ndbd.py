"""halb-ndbd on loopback: one halb-mgmd and two (or four) data nodes with
NoOfReplicas=2, driven through halb-mgm and the client API's test tool
(tests/tools/halb-ndbapi-tool)."""
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from halb import Proc, TempDir, program, wait_for


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config_ini(data_dir, mgm_port, data_nodes, ndbd_default=""):
    ndbd = "".join(f"[NDBD]\nId={i}\nHostName=127.0.0.1\nDataDir={data_dir}/d{i}\n\n" for i in data_nodes)
    return f"""[NDBD DEFAULT]
NoOfReplicas=2
DataMemory=40M
IndexMemory=16M
HeartbeatIntervalDbDb=500
HeartbeatIntervalDbApi=500
{ndbd_default}
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


class NdbdCluster(unittest.TestCase):
    DATA_NODES = (2, 3)
    NDBD_DEFAULT = ""  # more [NDBD DEFAULT] lines

    def setUp(self):
        self.tmp = TempDir(prefix="halb-ndbd-")
        self.procs = []
        self.nodes = {}
        for d in ["m1"] + [f"d{i}" for i in self.DATA_NODES]:
            os.makedirs(os.path.join(self.tmp.path, d))
        self.config = os.path.join(self.tmp.path, "config.ini")
        # A free port can be taken by another process between our probe and
        # mgmd's bind (other suites run beside us): then try another one.
        for attempt in range(3):
            self.port = free_tcp_port()
            self.cs = f"127.0.0.1:{self.port}"
            with open(self.config, "w") as f:
                f.write(config_ini(self.tmp.path, self.port, self.DATA_NODES, self.NDBD_DEFAULT))
            log = os.path.join(self.tmp.path, f"mgmd.{attempt}.log")
            self.mgmd = Proc([program("halb-mgmd"), "-f", self.config, "--ndb-nodeid", "1", "--foreground",
                              "--run-dir", os.path.join(self.tmp.path, "run")], log_path=log)
            self.procs.append(self.mgmd)
            wait_for(lambda: self.port_open(self.port) or not self.mgmd.alive(), 10, what="halb-mgmd listening")
            if self.mgmd.alive():
                return
            with open(log, errors="replace") as f:
                text = f.read()
            if "cannot listen" not in text:
                break
        for p in reversed(self.procs):
            p.stop()
        self.tmp.cleanup()
        self.fail("halb-mgmd exited at start:\n" + text)

    def tearDown(self):
        for p in reversed(self.procs):
            p.stop()
        if os.environ.get("HALB_KEEP_LOGS") is None:
            self.tmp.cleanup()

    def dump_logs(self):
        for name in sorted(os.listdir(self.tmp.path)):
            if name.endswith(".log"):
                print(f"--- {name} ---\n" + open(os.path.join(self.tmp.path, name), errors="replace").read()[-4000:])

    @staticmethod
    def port_open(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def start_ndbd(self, node_id, *extra):
        p = Proc([program("halb-ndbd"), "-c", self.cs, "--ndb-nodeid", str(node_id), "--foreground",
                  "--run-dir", os.path.join(self.tmp.path, "run")] + list(extra),
                 log_path=self.ndbd_log(node_id))
        self.procs.append(p)
        self.nodes[node_id] = p
        return p

    def ndbd_log(self, node_id):
        return os.path.join(self.tmp.path, f"ndbd{node_id}.log")

    def log_text(self, node_id):
        with open(self.ndbd_log(node_id), errors="replace") as f:
            return f.read()

    def mgm(self, command):
        r = subprocess.run([program("halb-mgm"), "-c", self.cs, "--try-reconnect", "1", "-e", command],
                           capture_output=True, text=True, timeout=60)
        return r.stdout + r.stderr

    def status(self, node_id):
        m = re.search(rf"Node {node_id}: ([a-z ]+)", self.mgm(f"{node_id} STATUS"))
        return m.group(1).strip() if m else ""

    def wait_started(self, node_ids, timeout=30):
        for n in node_ids:
            wait_for(lambda: self.status(n) == "started" or not self.nodes[n].alive(), timeout, interval=0.2,
                     what=f"node {n} started")
            self.assertTrue(self.nodes[n].alive(), f"halb-ndbd {n} exited:\n" + self.log_text(n)[-3000:])

    def tool(self, *args, timeout=300):
        r = subprocess.run([program("halb-ndbapi-tool"), "-c", self.cs] + list(args), capture_output=True,
                           text=True, timeout=timeout)
        return r.returncode, r.stdout + r.stderr

    def tool_ok(self, *args, timeout=300):
        rc, out = self.tool(*args, timeout=timeout)
        if rc != 0:
            self.dump_logs()
        self.assertEqual(rc, 0, out)
        return out


class TwoDataNodes(NdbdCluster):
    def start_cluster(self):
        for n in self.DATA_NODES:
            self.start_ndbd(n)
        self.wait_started(self.DATA_NODES)

    def test_both_start_and_show_them(self):
        self.start_cluster()
        show = self.mgm("SHOW")
        for n in self.DATA_NODES:
            self.assertRegex(show, rf"id={n}\s+@127\.0\.0\.1\s+\(Version: [0-9.]+, Nodegroup: 0")
        self.assertIn("lower node ids connect to higher ones", self.log_text(2))
        self.assertRegex(self.log_text(2), r"node 2: link to data node 3 up")
        mem = self.mgm("ALL REPORT MEMORYUSAGE")
        for n in self.DATA_NODES:
            self.assertRegex(mem, rf"Node {n}: Data usage is \d+%\(\d+ 32K pages of total \d+\)")

    def test_start_phases_are_reported_with_nostart(self):
        self.start_ndbd(2, "--nostart")
        self.start_ndbd(3)
        wait_for(lambda: self.status(2) == "not started", 20, interval=0.2, what="node 2 not started")
        wait_for(lambda: "starting" in self.status(3), 20, interval=0.2, what="node 3 starting")
        self.assertRegex(self.mgm("3 STATUS"), r"Node 3: starting \(Phase 1\)")
        self.mgm("2 START")
        self.wait_started(self.DATA_NODES)

    def test_tables_rows_and_reads_from_either_node(self):
        self.start_cluster()
        self.assertIn("created t1", self.tool_ok("create", "t1"))
        rc, out = self.tool("create", "t1")
        self.assertNotEqual(rc, 0)
        self.assertIn("721", out)
        self.assertIn("Schema error", out)
        self.assertIn("loaded 100000 rows, 0 bad", self.tool_ok("load", "t1", "100000"))
        for n in self.DATA_NODES:
            self.assertIn("verified 100000 rows, 0 bad", self.tool_ok("--node", str(n), "verify", "t1", "100000"))
            self.assertIn("rows 100000", self.tool_ok("--node", str(n), "count", "t1"))
        self.assertIn("id 4242 val row-4242", self.tool_ok("unique", "t1", "4242"))
        # logrotate's SIGHUP: the node reopens its log and goes on serving.
        self.nodes[2].send_signal(signal.SIGHUP)
        wait_for(lambda: "SIGHUP: log file reopened" in self.log_text(2), 10, what="node 2 reopening its log")
        self.assertTrue(self.nodes[2].alive())
        self.assertIn("verified 100000 rows, 0 bad", self.tool_ok("--node", "2", "verify", "t1", "100000"))
        self.assertIn("dropped t1", self.tool_ok("drop", "t1"))
        rc, out = self.tool("count", "t1")
        self.assertNotEqual(rc, 0)
        self.assertIn("709", out)

    def test_kill_during_load_then_restart_catches_up(self):
        self.start_cluster()
        self.tool_ok("create", "t1")
        load = subprocess.Popen([program("halb-ndbapi-tool"), "-c", self.cs, "load", "t1", "100000"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(0.3)  # batched data-node sends load some 100000 rows a second
            self.assertIsNone(load.poll(), "the load finished before the kill; make it longer")
            self.nodes[3].send_signal(signal.SIGKILL)
            out, _ = load.communicate(timeout=300)
        finally:
            if load.poll() is None:
                load.kill()
                load.wait()
        # Only temporary errors, retried: the tool stops at a permanent one.
        self.assertEqual(load.returncode, 0, out)
        self.assertIn("loaded 100000 rows, 0 bad", out)
        wait_for(lambda: "Arbitration won" in self.log_text(2), 10, what="node 2 wins arbitration")
        self.assertIn("Node 3 failed", self.log_text(2))
        self.assertIn("verified 100000 rows, 0 bad", self.tool_ok("--node", "2", "verify", "t1", "100000"))

        self.nodes[3].stop()
        self.start_ndbd(3)
        self.wait_started([3])
        self.assertIn("Node restart completed copying the fragments to Node 3", self.log_text(3))
        self.assertIn("verified 100000 rows, 0 bad", self.tool_ok("--node", "3", "verify", "t1", "100000"))
        self.assertIn("rows 100000", self.tool_ok("--node", "3", "count", "t1"))
        # And the restarted node takes writes that reach both replicas.
        self.tool_ok("--node", "3", "--from", "100000", "load", "t1", "1000")
        self.assertIn("rows 101000", self.tool_ok("--node", "2", "count", "t1"))

    def test_stop_command_and_restart_command(self):
        self.start_cluster()
        self.assertIn("Node 3 has shutdown", self.mgm("3 STOP"))
        wait_for(lambda: not self.nodes[3].alive(), 15, what="node 3 exits")
        self.assertEqual(self.nodes[3].p.returncode, 0)
        self.assertTrue(self.nodes[2].alive())
        self.start_ndbd(3)
        self.wait_started([3])
        out = self.mgm("3 RESTART")
        self.assertIn("Node 3", out)
        wait_for(lambda: self.log_text(3).count("started (members") >= 2, 30, interval=0.2,
                 what="node 3 started again after RESTART")
        self.wait_started([3])

    def test_malformed_messages_after_hello_close_only_that_link(self):
        import random
        import struct
        self.start_cluster()
        port = int(re.search(r"transporter listening on 127\.0\.0\.1:(\d+)", self.log_text(2)).group(1))

        def frame(mtype, payload, sender=22, receiver=2):
            return struct.pack(">IBBHHHHHII", 0x484C4254, 1, 0, mtype, 1, sender, receiver, 0, len(payload), 0) + payload

        rng = random.Random(5)
        for mtype in list(range(256, 277)) + list(range(320, 335)):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(frame(1, struct.pack(">HI", 22, 0)))
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
            s.sendall(frame(mtype, junk))
            s.settimeout(5)
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
            s.close()
        # API node 20's section says HostName=127.0.0.1: another address may not speak for it.
        s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.2", 0))
        s.sendall(frame(1, struct.pack(">HI", 20, 0), sender=20))
        s.settimeout(5)
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass
        s.close()
        wait_for(lambda: "node 20 connected from 127.0.0.2, but its HostName is 127.0.0.1" in self.log_text(2), 5,
                 what="the refusal logged")
        self.assertTrue(self.nodes[2].alive())
        self.assertIn("sent a malformed", self.log_text(2))
        self.assertEqual(self.status(2), "started")
        self.tool_ok("create", "t1")
        self.assertIn("loaded 300 rows, 0 bad", self.tool_ok("load", "t1", "300"))

    def test_half_left_without_arbitrator_stops_with_2305(self):
        self.start_cluster()
        self.mgmd.stop()
        self.nodes[3].send_signal(signal.SIGKILL)
        wait_for(lambda: not self.nodes[2].alive(), 20, what="node 2 stops")
        self.assertEqual(self.nodes[2].p.returncode, 5, self.log_text(2)[-2000:])
        log = self.log_text(2)
        self.assertIn("Network partitioning - arbitration required", log)
        self.assertIn("Network partitioning - no arbitrator available", log)
        self.assertIn("error 2305: Node lost connection to other nodes", log)

    def test_garbage_on_the_transporter_port_closes_only_that_link(self):
        self.start_cluster()
        port = int(re.search(r"transporter listening on 127\.0\.0\.1:(\d+)", self.log_text(3)).group(1))
        for junk in (b"GET / HTTP/1.0\r\n\r\n", os.urandom(4096), b"HLBT" + os.urandom(60)):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(junk)
            s.settimeout(5)
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
            s.close()
        self.assertTrue(self.nodes[3].alive())
        self.assertEqual(self.status(3), "started")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "500")


class FourDataNodes(NdbdCluster):
    DATA_NODES = (2, 3, 4, 5)

    def test_losing_a_whole_node_group_shuts_the_cluster_down(self):
        for n in self.DATA_NODES:
            self.start_ndbd(n)
        self.wait_started(self.DATA_NODES)
        self.assertRegex(self.mgm("SHOW"), r"id=5\s+@127\.0\.0\.1\s+\(Version: [0-9.]+, Nodegroup: 1")
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "2000")
        self.nodes[2].send_signal(signal.SIGKILL)
        self.nodes[3].send_signal(signal.SIGKILL)
        for n in (4, 5):
            wait_for(lambda: not self.nodes[n].alive(), 20, what=f"node {n} shuts down")
            self.assertEqual(self.nodes[n].p.returncode, 0, self.log_text(n)[-2000:])
            self.assertIn("missing node group", self.log_text(n))

    def test_partition_with_arbitrator_keeps_exactly_one_half(self):
        # Freezing one node of each group looks, to the others, like a
        # network split into {2,4} and {3,5}: exactly half with every group
        # covered, so the arbitrator decides, and only one half may run on.
        for n in self.DATA_NODES:
            self.start_ndbd(n)
        self.wait_started(self.DATA_NODES)
        self.tool_ok("create", "t1")
        self.tool_ok("load", "t1", "1000")
        for n in (3, 5):
            self.nodes[n].send_signal(signal.SIGSTOP)
        try:
            wait_for(lambda: "Arbitration won" in self.log_text(2) or not self.nodes[2].alive(), 20, interval=0.1,
                     what="node 2 wins arbitration")
            wait_for(lambda: "Arbitration won" in self.log_text(4) or not self.nodes[4].alive(), 20, interval=0.1,
                     what="node 4 hears the result")
        finally:
            for n in (3, 5):
                self.nodes[n].send_signal(signal.SIGCONT)
        for n in (3, 5):
            wait_for(lambda: not self.nodes[n].alive(), 20, what=f"node {n} stops")
            self.assertEqual(self.nodes[n].p.returncode, 5, self.log_text(n)[-2000:])
            # Either it judged the split itself and lost, or it read that the
            # others had declared it dead while it was frozen.
            self.assertRegex(self.log_text(n), r"Arbitration lost|declared this node dead")
        self.assertIn("Network partitioning - arbitration required (ticket", self.log_text(2))
        for n in (2, 4):
            self.assertTrue(self.nodes[n].alive())
        self.assertIn("verified 1000 rows, 0 bad", self.tool_ok("verify", "t1", "1000"))


if __name__ == "__main__":
    unittest.main()
