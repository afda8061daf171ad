"""halb-mgmd and halb-mgm on loopback: seed 002's config.ini (two management
servers, two data nodes, seven SQL slots) moved to 127.0.0.1 and free ports.
Data nodes are played by a scripted client speaking the management
protocol's node session, so the management side is tested on its own."""
import base64
import os
import random
import signal
import socket
import subprocess
import threading
import time
import unittest

from halb import Proc, TempDir, program, wait_for


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config_ini(data_dir, port1, port2):
    return f"""# seed 002 on loopback
[NDBD DEFAULT]
NoOfReplicas=2
DataMemory=80M
IndexMemory=18M

[MYSQLD DEFAULT]
[NDB_MGMD DEFAULT]
DataDir={data_dir}
[TCP DEFAULT]

[NDB_MGMD]
ID=1
HostName=127.0.0.1
PortNumber={port1}

[NDB_MGMD]
ID=2
HostName=127.0.0.1
PortNumber={port2}

[NDBD]
HostName=127.0.0.1
DataDir={data_dir}

[NDBD]
HostName=127.0.0.1
DataDir={data_dir}

[mysqld]
[mysqld]
[mysqld]
[mysqld]
[mysqld]
[mysqld]
[mysqld]
"""


def read_message(sock_file):
    """One protocol message: (head, {field: value}) or None at EOF."""
    head = None
    fields = {}
    while True:
        line = sock_file.readline()
        if not line:
            return None
        line = line.decode().rstrip("\r\n")
        if head is None:
            if line:
                head = line
            continue
        if line == "":
            return head, fields
        k, _, v = line.partition(":")
        fields[k.strip()] = v[1:] if v.startswith(" ") else v


def request(port, text, src=None, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(src, 0) if src else None)
    try:
        s.sendall(text.encode())
        return read_message(s.makefile("rb"))
    finally:
        s.close()


class FakeDataNode:
    """A data node as the management server sees it: get nodeid, node session,
    state reports, events; answers stop by closing, as a stopping node does."""

    def __init__(self, port, node_id, node_type=0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        self.send(f"get nodeid\nnodetype: {node_type}\nnodeid: {node_id}\nversion: 327747\n\n")
        head, f = read_message(self.file)
        assert f.get("result") == "Ok", f
        self.node_id = int(f["nodeid"])
        self.send(f"node session\nnodeid: {self.node_id}\n\n")
        head, f = read_message(self.file)
        assert f.get("result") == "Ok", f
        self.commands = []
        self.replies = {}
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def send(self, text):
        self.sock.sendall(text.encode())

    def report(self, status, phase=0, dynamic_id=0, group=0):
        self.send(f"report state\nstatus: {status}\nstartphase: {phase}\ndynamic_id: {dynamic_id}\nnode_group: {group}\n\n")

    def event(self, category, threshold, severity, text):
        self.send(f"report event\ncategory: {category}\nthreshold: {threshold}\nseverity: {severity}\ntext: {text}\n\n")

    def arbitrate(self, ticket):
        self.send(f"arbitrate\nseq: 1\nticket: {ticket}\n\n")
        return wait_for(lambda: self.replies.get("arbitrate reply"), 5, what="arbitrate reply")

    def serve(self):
        while True:
            try:
                m = read_message(self.file)
            except (OSError, ValueError):
                return
            if m is None:
                return
            head, f = m
            with self.lock:
                self.replies[head] = f
            if head != "node command":
                continue
            cmd = f.get("command")
            self.commands.append(cmd)
            extra = ""
            if cmd == "report memoryusage":
                extra = "data_used: 177\ndata_total: 3200\nindex_used: 108\nindex_total: 12832\n"
            self.send(f"node command reply\nseq: {f['seq']}\nresult: Ok\n{extra}\n")
            if cmd == "stop":
                self.close()
                return

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class MgmCluster(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.procs = []
        self.fakes = []
        self.port1, self.port2 = free_tcp_port(), free_tcp_port()
        self.config = os.path.join(self.tmp.path, "config.ini")
        with open(self.config, "w") as f:
            f.write(config_ini(self.tmp.path, self.port1, self.port2))

    def tearDown(self):
        for fk in self.fakes:
            fk.close()
        failed = any(p.alive() is False and p.p.returncode not in (0,) for p in self.procs)
        for p in self.procs:
            p.stop()
        if failed:
            for i, p in enumerate(self.procs):
                print(f"--- mgmd {i} ---\n" + open(os.path.join(self.tmp.path, f"mgmd{i}.log")).read()[-3000:])
        self.tmp.cleanup()

    def start_mgmd(self, node_id):
        port = self.port1 if node_id == 1 else self.port2
        run = os.path.join(self.tmp.path, f"run{node_id}")
        p = Proc([program("halb-mgmd"), "-f", self.config, "--ndb-nodeid", str(node_id), "--foreground",
                  "--run-dir", run], log_path=os.path.join(self.tmp.path, f"mgmd{len(self.procs)}.log"))
        self.procs.append(p)
        wait_for(lambda: self.port_open(port) or not p.alive(), 10, what=f"mgmd {node_id} listening")
        self.assertTrue(p.alive(), "halb-mgmd exited at start")
        return p

    @staticmethod
    def port_open(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def mgm(self, command, port=None, connect=None):
        cs = connect or f"127.0.0.1:{port or self.port1}"
        r = subprocess.run([program("halb-mgm"), "-c", cs, "--try-reconnect", "1", "-e", command],
                           capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout

    def show(self, port=None):
        rc, out = self.mgm("show", port)
        self.assertEqual(rc, 0, out)
        return out

    def cluster_log(self, node_id=1):
        path = os.path.join(self.tmp.path, f"ndb_{node_id}_cluster.log")
        return open(path).read() if os.path.exists(path) else ""

    # ---- tests --------------------------------------------------------

    def test_show_has_ndb_mgms_layout(self):
        self.start_mgmd(1)
        out = self.show()
        self.assertEqual(out,
                         f"Connected to Management Server at: 127.0.0.1:{self.port1}\n"
                         "Cluster Configuration\n"
                         "---------------------\n"
                         "[ndbd(NDB)]\t2 node(s)\n"
                         "id=3 (not connected, accepting connect from 127.0.0.1)\n"
                         "id=4 (not connected, accepting connect from 127.0.0.1)\n"
                         "\n"
                         "[ndb_mgmd(MGM)]\t2 node(s)\n"
                         "id=1\t@127.0.0.1  (Version: 5.0.67)\n"
                         "id=2 (not connected, accepting connect from 127.0.0.1)\n"
                         "\n"
                         "[mysqld(API)]\t7 node(s)\n"
                         + "".join(f"id={i} (not connected, accepting connect from any host)\n" for i in range(5, 12))
                         + "\n")

    def test_two_mgmds_both_answer_and_see_each_other(self):
        self.start_mgmd(1)
        self.start_mgmd(2)
        for port in (self.port1, self.port2):
            wait_for(lambda: "id=1\t@127.0.0.1  (Version: 5.0.67)" in self.show(port)
                     and "id=2\t@127.0.0.1  (Version: 5.0.67)" in self.show(port), 15, what=f"peers on {port}")
            head, f = request(port, "get config\nnode: 0\n\n")
            self.assertEqual(f.get("result"), "Ok")
        # A connectstring with a dead server first falls through to a live one.
        dead = free_tcp_port()
        rc, out = self.mgm("show", connect=f"127.0.0.1:{dead},127.0.0.1:{self.port2}")
        self.assertEqual(rc, 0, out)
        self.assertIn(f"Connected to Management Server at: 127.0.0.1:{self.port2}", out)

    def test_one_mgmd_stops_the_other(self):
        self.start_mgmd(1)
        p2 = self.start_mgmd(2)
        wait_for(lambda: "id=2\t@127.0.0.1  (Version: 5.0.67)" in self.show(), 15, what="mgmd 2 seen by mgmd 1")
        rc, out = self.mgm("2 stop")
        self.assertEqual(rc, 0, out)
        self.assertIn("Node 2 has shutdown.", out)
        wait_for(lambda: not p2.alive(), 10, what="mgmd 2 exit")
        self.assertEqual(p2.p.returncode, 0)
        self.assertIn("id=2 (not connected, accepting connect from 127.0.0.1)", self.show())

    def test_get_config_carries_the_config_ini(self):
        self.start_mgmd(1)
        s = socket.create_connection(("127.0.0.1", self.port1), timeout=5)
        s.sendall(b"get config\nversion: 327747\nnode: 3\n\n")
        fl = s.makefile("rb")
        head, f = read_message(fl)
        self.assertEqual(head, "get config reply")
        self.assertEqual(f["Content-Type"], "ndbconfig/halb-config-ini")
        body = fl.read(int(f["Content-Length"]))
        s.close()
        self.assertEqual(base64.b64decode(body).decode(), open(self.config).read())

    def test_get_nodeid_refused_for_a_wrong_host(self):
        self.start_mgmd(1)
        head, f = request(self.port1, "get nodeid\nnodetype: 0\nnodeid: 3\n\n", src="127.0.0.2")
        self.assertEqual(head, "get nodeid reply")
        self.assertEqual(f["result"], "Connection with id 3 done from wrong host ip 127.0.0.2, expected 127.0.0.1.")
        head, f = request(self.port1, "get nodeid\nnodetype: 0\nnodeid: 0\n\n", src="127.0.0.2")
        self.assertEqual(f["result"], "Connection done from wrong host ip 127.0.0.2.")
        head, f = request(self.port1, "get nodeid\nnodetype: 1\nnodeid: 3\n\n")
        self.assertEqual(f["result"], "Id 3 configured as ndbd(NDB), connect attempted as mysqld(API).")
        # An API slot open to any host takes a connection from anywhere.
        head, f = request(self.port1, "get nodeid\nnodetype: 1\nnodeid: 0\n\n", src="127.0.0.2")
        self.assertEqual((f["result"], f["nodeid"]), ("Ok", "5"))

    def test_garbage_on_the_management_port_does_not_crash_it(self):
        p = self.start_mgmd(1)
        rng = random.Random(1186)
        for i in range(30):
            try:
                s = socket.create_connection(("127.0.0.1", self.port1), timeout=2)
                s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000))))
                if i % 3 == 0:
                    s.sendall(b"A" * 5000 + b"\n")
                s.settimeout(0.2)
                try:
                    s.recv(4096)
                except OSError:
                    pass
                s.close()
            except OSError:
                pass
        head, f = request(self.port1, "frobnicate the cluster\n\n")
        self.assertTrue(f["result"].startswith("Unknown command"))
        self.assertTrue(p.alive())
        self.assertIn("[ndbd(NDB)]\t2 node(s)", self.show())

    def test_data_node_states_status_events_and_stop(self):
        self.start_mgmd(1)
        node3 = FakeDataNode(self.port1, 3)
        node4 = FakeDataNode(self.port1, 4)
        self.fakes += [node3, node4]
        node3.report("STARTING", phase=4, dynamic_id=2)
        node4.report("STARTING", phase=2, dynamic_id=1)
        wait_for(lambda: "id=4\t@127.0.0.1  (Version: 5.0.67, starting, Nodegroup: 0, Master)" in self.show(), 10,
                 what="node 4 master while starting")
        self.assertIn("id=3\t@127.0.0.1  (Version: 5.0.67, starting, Nodegroup: 0)\n", self.show())
        rc, out = self.mgm("all status")
        self.assertIn("Node 3: starting (Phase 4) (Version 5.0.67)\n\nNode 4: starting (Phase 2) (Version 5.0.67)\n\n", out)
        node3.report("STARTED", dynamic_id=2)
        node4.report("STARTED", dynamic_id=1)
        node3.event("STARTUP", 1, "INFO", "Started (version 5.0.67)")
        node3.event("CHECKPOINT", 10, "INFO", "Global checkpoint 9 completed")  # above the default level 7
        wait_for(lambda: "Node 3: Started (version 5.0.67)" in self.cluster_log(), 10, what="event in cluster log")
        log = self.cluster_log()
        self.assertRegex(log, r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[MgmSrvr\] INFO     -- Node 1: Node 3 Connected\n")
        self.assertNotIn("Global checkpoint 9", log)
        rc, out = self.mgm("3 status")
        self.assertIn("Node 3: started (Version 5.0.67)", out)
        rc, out = self.mgm("all report memoryusage")
        self.assertIn("Node 3: Data usage is 5%(177 32K pages of total 3200)\n", out)
        self.assertIn("Node 4: Index usage is 0%(108 8K pages of total 12832)\n", out)
        rc, out = self.mgm("3 clusterlog startup=14")
        self.assertIn("Executing CLUSTERLOG on node 3 OK!", out)
        rc, out = self.mgm("enter single user mode 5")
        self.assertIn("Access will be granted for API node 5 only.", out)
        rc, out = self.mgm("3 stop")
        self.assertEqual(rc, 0, out)
        self.assertIn("Node 3 has shutdown.\n", out)
        self.assertIn("id=3 (not connected, accepting connect from 127.0.0.1)", self.show())
        self.assertIn("Node 1: Node 3 Disconnected", self.cluster_log())
        rc, out = self.mgm("3 stop")
        self.assertNotEqual(rc, 0)
        self.assertIn("Shutdown failed.\n*  2002: Stop failed\n*        Node 3 is not connected\n", out)

    def test_restart_start_and_all_stop_reach_the_nodes(self):
        self.start_mgmd(1)
        node3, node4 = FakeDataNode(self.port1, 3), FakeDataNode(self.port1, 4)
        self.fakes += [node3, node4]
        node3.report("STARTED", dynamic_id=1)
        node4.report("NOT_STARTED")
        rc, out = self.mgm("3 restart -n -i")
        self.assertEqual(rc, 0, out)
        self.assertIn("Node 3 is being restarted.", out)
        rc, out = self.mgm("all start")
        self.assertIn("NDB Cluster is being started.", out)
        rc, out = self.mgm("4 start")
        self.assertIn("Database node 4 is being started.", out)
        self.assertEqual(node4.commands, ["start", "start"])
        rc, out = self.mgm("all stop")
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.splitlines()[1:], ["Executing STOP on all nodes.", "NDB Cluster has shutdown."])
        self.assertEqual(node3.commands, ["restart", "stop"])
        self.assertIn("id=4 (not connected", self.show())

    def test_arbitrator_answers_the_first_asker(self):
        self.start_mgmd(1)
        node3, node4 = FakeDataNode(self.port1, 3), FakeDataNode(self.port1, 4)
        self.fakes += [node3, node4]
        self.assertEqual(node3.arbitrate(17)["granted"], "1")
        self.assertEqual(node4.arbitrate(17)["granted"], "0")

    def test_backup_is_refused_with_a_reason(self):
        self.start_mgmd(1)
        rc, out = self.mgm("start backup")
        self.assertNotEqual(rc, 0)
        self.assertIn("Start of backup failed\n*  3001: Could not start backup\n*        Backup failed: error 1301: no data node is started", out)

    def test_clusterlog_filters(self):
        self.start_mgmd(1)
        rc, out = self.mgm("clusterlog info")
        self.assertIn("Severities enabled: INFO WARNING ERROR CRITICAL ALERT \n", out)
        rc, out = self.mgm("clusterlog off warning")
        self.assertIn("WARNING disabled", out)
        rc, out = self.mgm("clusterlog info")
        self.assertIn("Severities enabled: INFO ERROR CRITICAL ALERT \n", out)
        rc, out = self.mgm("clusterlog off")
        self.assertIn("Cluster logging is disabled", out)
        rc, out = self.mgm("clusterlog info")
        self.assertIn("Cluster logging is disabled.", out)

    def test_shutdown_stops_data_nodes_and_the_mgmd(self):
        p = self.start_mgmd(1)
        node3 = FakeDataNode(self.port1, 3)
        self.fakes.append(node3)
        node3.report("STARTED", dynamic_id=1)
        rc, out = self.mgm("shutdown")
        self.assertEqual(rc, 0, out)
        self.assertIn("2 NDB Cluster node(s) have shutdown.\nDisconnecting to allow management server to shutdown.\n", out)
        self.assertEqual(node3.commands, ["stop"])
        wait_for(lambda: not p.alive(), 10, what="halb-mgmd exit")
        self.assertEqual(p.p.returncode, 0)

    def test_interactive_prompt_prints_events_between_commands(self):
        self.start_mgmd(1)
        out_path = os.path.join(self.tmp.path, "mgm.out")
        with open(out_path, "w") as out:
            p = subprocess.Popen([program("halb-mgm"), "-c", f"127.0.0.1:{self.port1}", "--try-reconnect", "1"],
                                 stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, text=True)
        try:
            p.stdin.write("show;\n")
            p.stdin.flush()
            text = lambda: open(out_path).read()
            wait_for(lambda: "[mysqld(API)]" in text(), 10, what="SHOW output")
            node3 = FakeDataNode(self.port1, 3)
            self.fakes.append(node3)
            # The listener may connect a moment after the prompt: repeat until seen.
            def started_seen():
                node3.event("STARTUP", 1, "INFO", "Started (version 5.0.67)")
                time.sleep(0.1)
                return "Node 3: Started (version 5.0.67)" in text()
            wait_for(started_seen, 10, interval=0.2, what="event printed at the prompt")
            p.stdin.write("bogus\nquit\n")
            p.stdin.flush()
            self.assertEqual(p.wait(10), 0)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        out = open(out_path).read()
        self.assertTrue(out.startswith("-- NDB Cluster -- Management Client --\nndb_mgm> Connected to Management Server at: "), out)
        self.assertIn("Invalid command: bogus\nType HELP for help.\n", out)

    def test_unreachable_server_message(self):
        port = free_tcp_port()
        rc, out = self.mgm("show", connect=f"127.0.0.1:{port}")
        self.assertNotEqual(rc, 0)
        self.assertIn(f"Unable to connect with connect string: nodeid=0,127.0.0.1:{port}", out)

    def test_config_error_exits_6_with_file_and_line(self):
        bad = os.path.join(self.tmp.path, "bad.ini")
        with open(bad, "w") as f:
            f.write("[NDBD]\nNoOfReplicas=1\nDataMemory=lots\n[NDB_MGMD]\n[MYSQLD]\n")
        r = subprocess.run([program("halb-mgmd"), "-f", bad, "--foreground", "--run-dir", self.tmp.path],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 6)
        self.assertIn("bad.ini:3:", r.stderr)


if __name__ == "__main__":
    unittest.main()
