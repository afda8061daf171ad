"""Backups on loopback: START BACKUP while a writer keeps committing, then
halb-restore into a fresh cluster with another number of data nodes; the
restored table equals the source at one point of its commit history (row
by row), after every commit that finished before START BACKUP, and that
point is the end of StopGCP (every transaction the backup log stamps with
a GCI up to StopGCP is in, every later one out).
ABORT BACKUP leaves no files; halb-mgm's replies are ndb_mgm's; halb-restore
refuses missing and damaged files with a reason."""
import glob
import os
import re
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


def config_ini(root, mgm_port, data_nodes, gcp_ms=200):
    ndbd = "".join(f"[NDBD]\nId={i}\nHostName=127.0.0.1\nDataDir={root}/d{i}\n\n" for i in data_nodes)
    apis = "".join("[API]\n" for _ in range(8))
    return f"""[NDBD DEFAULT]
NoOfReplicas=2
DataMemory=40M
IndexMemory=16M
HeartbeatIntervalDbDb=500
HeartbeatIntervalDbApi=500
TimeBetweenGlobalCheckpoints={gcp_ms}
BackupDataBufferSize=64K
BackupLogBufferSize=64K
BackupMemory=128K
BackupWriteSize=32K

[NDB_MGMD]
Id=1
HostName=127.0.0.1
PortNumber={mgm_port}
DataDir={root}/m1

{ndbd}{apis}"""


class Cluster:
    """One halb-mgmd and its data nodes under `root`."""

    def __init__(self, root, data_nodes, gcp_ms=200):
        self.root, self.data_nodes, self.procs = root, data_nodes, []
        for d in ["m1"] + [f"d{i}" for i in data_nodes]:
            os.makedirs(os.path.join(root, d), exist_ok=True)
        self.config = os.path.join(root, "config.ini")
        for attempt in range(3):
            self.port = free_tcp_port()
            self.cs = f"127.0.0.1:{self.port}"
            with open(self.config, "w") as f:
                f.write(config_ini(root, self.port, data_nodes, gcp_ms))
            log = os.path.join(root, f"mgmd.{attempt}.log")
            mgmd = Proc([program("halb-mgmd"), "-f", self.config, "--ndb-nodeid", "1", "--foreground",
                         "--run-dir", os.path.join(root, "run")], log_path=log)
            self.procs.append(mgmd)
            wait_for(lambda: self.port_open() or not mgmd.alive(), 10, what="halb-mgmd listening")
            if mgmd.alive():
                break
        self.ndbd = {}
        for i in data_nodes:
            self.ndbd[i] = Proc([program("halb-ndbd"), "-c", self.cs, "--ndb-nodeid", str(i), "--foreground",
                                    "--run-dir", os.path.join(root, "run")],
                                   log_path=os.path.join(root, f"ndbd{i}.log"))
            self.procs.append(self.ndbd[i])
        for i in data_nodes:
            wait_for(lambda: f"Node {i}: started" in self.mgm(f"{i} status"), 60, interval=0.3,
                     what=f"node {i} started")

    def port_open(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self):
        for p in reversed(self.procs):
            p.stop()

    def mgm(self, command, timeout=120):
        r = subprocess.run([program("halb-mgm"), "-c", self.cs, "--try-reconnect", "1", "-e", command],
                           capture_output=True, text=True, timeout=timeout)
        return r.stdout + r.stderr

    def load(self, *args, timeout=300):
        r = subprocess.run([program("halb-backup-load"), "-c", self.cs] + list(args), capture_output=True,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError(f"halb-backup-load {args}: {r.stdout}{r.stderr}")
        return r.stdout

    def dump(self, table):
        rows = {}
        for line in self.load("dump", table).splitlines():
            k, v, s = line.split(" ", 2)
            rows[int(k)] = (int(v), s)
        return rows

    def restore(self, *args):
        r = subprocess.run([program("halb-restore"), "-c", self.cs] + list(args), capture_output=True, text=True,
                           timeout=300)
        return r.returncode, r.stdout + r.stderr

    def backup_dir(self, node, backup_id):
        return os.path.join(self.root, f"d{node}", "BACKUP", f"BACKUP-{backup_id}")

    def logs(self):
        out = ""
        for name in sorted(glob.glob(os.path.join(self.root, "*.log"))):
            out += f"--- {name} ---\n" + open(name, errors="replace").read()[-3000:]
        return out


def consistent_prefix(history_path, n_initial, restored):
    """The k such that the source after its first k committed transactions
    equals `restored` ({id: v}), or None. The history lists every commit in
    order, so this checks the backup is one consistent cut of it."""
    state = {i: -1 for i in range(n_initial)}
    mismatched = set(k for k in set(state) | set(restored) if state.get(k) != restored.get(k))
    if not mismatched:
        return 0
    with open(history_path) as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        parts = line.split()
        for op in parts[1:]:
            k, v = op.split("=")
            k = int(k)
            if v == "D":
                state.pop(k, None)
            else:
                state[k] = int(v)
            if state.get(k) != restored.get(k):
                mismatched.add(k)
            else:
                mismatched.discard(k)
        if not mismatched:
            return n
    return None


class Backup(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir(prefix="halb-backup-")
        self.clusters = []

    def tearDown(self):
        for c in self.clusters:
            c.stop()
        if os.environ.get("HALB_KEEP_LOGS") is None:
            self.tmp.cleanup()

    def cluster(self, name, nodes, gcp_ms=200):
        c = Cluster(os.path.join(self.tmp.path, name), nodes, gcp_ms)
        self.clusters.append(c)
        return c

    def test_backup_under_load_restores_into_four_nodes_as_of_stop_gcp(self):
        src = self.cluster("src", (2, 3))
        src.load("create", "t")
        # Enough rows that each node's scan takes many buffer-sized steps,
        # with commits landing between them.
        n = 20000
        src.load("load", "t", str(n))
        history = os.path.join(self.tmp.path, "history")
        stop = os.path.join(self.tmp.path, "stop")
        # Transactions go to both coordinators in turn: GCIs agreed cluster
        # wide make every GCI boundary one consistent cut of the history.
        churn = subprocess.Popen([program("halb-backup-load"), "-c", src.cs, "churn", "t", str(n),
                                  history, stop], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for(lambda: os.path.exists(history) and os.path.getsize(history) > 2000, 30, what="the churn")
            with open(history) as f:
                before = len(f.read().splitlines())
            out = src.mgm("start backup")
            if os.environ.get("HALB_BACKUP_VERBOSE"):
                print(out)
            with open(history) as f:
                after = len(f.read().splitlines())
        finally:
            open(stop, "w").close()
            out_churn, _ = churn.communicate(timeout=60)
        self.assertEqual(churn.returncode, 0, out_churn)
        lines = out.splitlines()
        self.assertEqual(lines[1], "Waiting for completed, this may take several minutes", out + src.logs())
        self.assertEqual(lines[2], "Node 2: Backup 1 started from node 1", out)
        self.assertEqual(lines[3], "Node 2: Backup 1 started from node 1 completed", out)
        m = re.fullmatch(r" StartGCP: (\d+) StopGCP: (\d+)", lines[4])
        self.assertTrue(m, out)
        self.assertLessEqual(int(m.group(1)), int(m.group(2)))
        stop_gcp = int(m.group(2))
        m = re.fullmatch(r" #Records: (\d+) #LogRecords: (\d+)", lines[5])
        self.assertTrue(m, out)
        self.assertGreater(int(m.group(1)), n // 2)
        self.assertGreater(int(m.group(2)), 0, "writes ran during the backup: the log has entries")
        self.assertRegex(lines[6], r"^ Data: \d+ bytes Log: \d+ bytes$")
        for node in (2, 3):
            d = src.backup_dir(node, 1)
            self.assertEqual(sorted(os.listdir(d)),
                             sorted([f"BACKUP-1.{node}.ctl", f"BACKUP-1-0.{node}.Data", f"BACKUP-1.{node}.log"]))
        cluster_log = open(os.path.join(src.root, "m1", "ndb_1_cluster.log")).read()
        self.assertIn("INFO     -- Node 2: Backup 1 started from node 1", cluster_log)

        dst = self.cluster("dst", (2, 3, 4, 5))
        rc, out2 = dst.restore("-n", "2", "-b", "1", "-m", "-r", src.backup_dir(2, 1))
        self.assertEqual(rc, 0, out2 + dst.logs())
        self.assertIn("Successfully restored table t", out2)
        self.assertIn("NDBT_ProgramExit: 0 - OK", out2)
        rc, out3 = dst.restore("-n", "3", "-b", "1", "-r", "--backup_path=" + os.path.join(src.root, "d3"))
        self.assertEqual(rc, 0, out3)
        restored = dst.dump("t")
        for k, (v, s) in restored.items():
            self.assertEqual(s, f"value-{v}", f"row {k}")
        k = consistent_prefix(history, n, {key: v for key, (v, _) in restored.items()})
        self.assertIsNotNone(k, "the restored table is no state the source passed through")
        self.assertGreaterEqual(k, before, "commits acknowledged before START BACKUP are missing")
        self.assertLessEqual(k, len(open(history).read().splitlines()))
        # And that state is the one at the end of StopGCP: the logs stamp each
        # transaction (its value is its number) with its GCI; those up to
        # StopGCP are exactly the ones up to k.
        gci_of = {}
        for node in (2, 3):
            rc, text = src.restore("-n", str(node), "-b", "1", "--print_log", src.backup_dir(node, 1))
            self.assertEqual(rc, 0, text)
            for g, v in re.findall(r"^gci (\d+) WRITE t\t-?\d+\t(\d+)\t", text, re.M):
                gci_of[int(v)] = int(g)
        self.assertTrue(any(g <= stop_gcp for g in gci_of.values()), "the log holds commits of StopGCP or before")
        self.assertTrue(any(g > stop_gcp for g in gci_of.values()), "the log ran past StopGCP")
        for j, g in gci_of.items():
            if g <= stop_gcp:
                self.assertLessEqual(j, k, f"transaction {j} (GCI {g} <= StopGCP {stop_gcp}) is not restored")
            else:
                self.assertGreater(j, k, f"transaction {j} (GCI {g} > StopGCP {stop_gcp}) is restored")
        # Every row is readable through each new data node, as its distribution placed it.
        self.assertTrue(restored)

    def test_abort_backup_leaves_no_files(self):
        # Slow global checkpoints keep each backup running for seconds.
        src = self.cluster("src", (2, 3), gcp_ms=3000)
        src.load("create", "t")
        src.load("load", "t", "20000")
        out = src.mgm("start backup nowait")
        self.assertNotIn("failed", out)
        wait_for(lambda: all(os.path.exists(src.backup_dir(n, 1)) for n in (2, 3)), 10, what="the backup's files")
        out = src.mgm("abort backup 1")
        self.assertIn("Abort of backup 1 ordered", out)
        wait_for(lambda: "Backup 1 started from 1 has been aborted. Error: 1321"
                 in open(os.path.join(src.root, "m1", "ndb_1_cluster.log")).read(), 30, what="the abort event")
        wait_for(lambda: not any(os.path.exists(src.backup_dir(n, 1)) for n in (2, 3)), 10,
                 what="the backup files removed")
        # The next backup works, and takes the next id.
        out = src.mgm("start backup wait started")
        self.assertIn("Waiting for started, this may take several minutes", out)
        self.assertIn("Node 2: Backup 2 started from node 1", out)
        self.assertNotIn("completed", out)
        self.assertTrue(all(os.path.exists(src.backup_dir(n, 2)) for n in (2, 3)))
        out = src.mgm("abort backup 2")
        self.assertIn("Abort of backup 2 ordered", out)
        # A backup that is not running: ordered, and nothing else happens.
        self.assertIn("Abort of backup 99 ordered", src.mgm("abort backup 99"))
        wait_for(lambda: not any(os.path.exists(src.backup_dir(n, 2)) for n in (2, 3)), 30,
                 what="the backup files removed")

    def test_a_data_node_failure_aborts_the_backup_and_drop_waits_for_it(self):
        # Slow global checkpoints: the backup waits for two of them, so it
        # is still running when the node dies.
        src = self.cluster("src", (2, 3), gcp_ms=3000)
        src.load("create", "t")
        src.load("load", "t", "2000")
        out = src.mgm("start backup nowait")
        self.assertNotIn("failed", out)
        r = subprocess.run([program("halb-ndbapi-tool"), "-c", src.cs, "drop", "t"], capture_output=True, text=True,
                           timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("761", r.stdout + r.stderr)
        src.ndbd[3].send_signal(9)
        cluster_log = os.path.join(src.root, "m1", "ndb_1_cluster.log")
        wait_for(lambda: "Backup 1 started from 1 has been aborted. Error: 1326" in open(cluster_log).read(), 30,
                 what="the abort event")
        wait_for(lambda: not os.path.exists(src.backup_dir(2, 1)), 10, what="node 2's files removed")
        self.assertIn("ALERT    -- Node 2: Backup 1 started from 1 has been aborted. Error: 1326",
                      open(cluster_log).read())
        self.assertIn("data node 3 failed during the backup", open(os.path.join(src.root, "ndbd2.log")).read())
        # The survivor takes the next backup alone, and the table can go now.
        out = src.mgm("start backup")
        self.assertIn("Node 2: Backup 2 started from node 1 completed", out)
        self.assertEqual(sorted(os.listdir(src.backup_dir(2, 2))),
                         ["BACKUP-2-0.2.Data", "BACKUP-2.2.ctl", "BACKUP-2.2.log"])
        r = subprocess.run([program("halb-ndbapi-tool"), "-c", src.cs, "drop", "t"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_replies_errors_and_damaged_files(self):
        src = self.cluster("src", (2, 3))
        src.load("create", "t")
        src.load("load", "t", "500")
        out = src.mgm("start backup 7 wait completed")
        self.assertIn("Node 2: Backup 7 started from node 1 completed", out)
        out = src.mgm("start backup 7")
        self.assertIn("Start of backup failed", out)
        self.assertIn("error 1350", out)
        self.assertIn("Backup request from 1 failed to start. Error: 1350",
                      open(os.path.join(src.root, "m1", "ndb_1_cluster.log")).read())
        out = src.mgm("start backup nowait")
        self.assertEqual(out.splitlines()[1:], [], out)
        out = src.mgm("start backup now")
        self.assertIn("Invalid arguments", out)

        # A table with a unique index (halb-ndbapi-tool's), through another backup.
        tool = lambda c, *a: subprocess.run([program("halb-ndbapi-tool"), "-c", c.cs] + list(a), capture_output=True,
                                            text=True, timeout=120)
        self.assertEqual(tool(src, "create", "u").returncode, 0)
        self.assertEqual(tool(src, "load", "u", "3000").returncode, 0)
        cluster_log = os.path.join(src.root, "m1", "ndb_1_cluster.log")
        wait_for(lambda: "Backup 8 started from node 1 completed" in open(cluster_log).read(), 30,
                 what="the NOWAIT backup (8) to end")
        out = src.mgm("start backup 20")
        self.assertIn("Node 2: Backup 20 started from node 1 completed", out)
        rc, out = src.restore("-n", "3", "-b", "20", "--print_meta", src.backup_dir(3, 20))
        self.assertEqual(rc, 0, out)
        self.assertIn("-- Table u (", out)
        self.assertNotIn("$unique", out)
        rc, out = src.restore("-n", "3", "-b", "20", "--print_data", src.backup_dir(3, 20))
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r'\nu\t\d+\t"row-\d+"\t\d+\n')

        dst = self.cluster("dst", (2, 3))
        for node, flags in ((2, ["-m", "-r"]), (3, ["-r"])):
            rc, out = dst.restore("-n", str(node), "-b", "20", *flags, src.backup_dir(node, 20))
            self.assertEqual(rc, 0, out)
        r = tool(dst, "verify", "u", "3000")
        self.assertIn("verified 3000 rows, 0 bad", r.stdout, r.stderr)
        r = tool(dst, "unique", "u", "2999")
        self.assertIn("id 2999 val row-2999", r.stdout, r.stderr)
        # Metadata twice: the tables exist.
        rc, out = dst.restore("-n", "2", "-b", "20", "-m", src.backup_dir(2, 20))
        self.assertNotEqual(rc, 0)
        self.assertIn("creating table t: error 721", out)

        rc, out = dst.restore("-n", "2", "-b", "9", "-m", "-r", src.backup_dir(2, 7))
        self.assertNotEqual(rc, 0)
        self.assertIn("no BACKUP-9.2.ctl", out)
        data = os.path.join(src.backup_dir(3, 7), "BACKUP-7-0.3.Data")
        raw = bytearray(open(data, "rb").read())
        raw[len(raw) // 2] ^= 0x40
        open(data, "wb").write(bytes(raw))
        rc, out = dst.restore("-n", "2", "-b", "7", "-r", src.backup_dir(2, 7))
        self.assertEqual(rc, 0, out)
        rc, out = dst.restore("-n", "3", "-b", "7", "-r", src.backup_dir(3, 7))
        self.assertNotEqual(rc, 0)
        self.assertIn("checksum mismatch", out)
        self.assertIn("NDBT_ProgramExit: 1 - Failed", out)
        log = os.path.join(src.backup_dir(2, 7), "BACKUP-7.2.log")
        raw = open(log, "rb").read()
        open(log, "wb").write(raw[:-3])
        rc, out = dst.restore("-n", "2", "-b", "7", "-r", src.backup_dir(2, 7))
        self.assertNotEqual(rc, 0)
        self.assertIn("truncated", out)


if __name__ == "__main__":
    unittest.main()
