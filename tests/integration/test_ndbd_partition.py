"""A network split between the two data nodes of one node group, on
loopback: nft drops their link while both still reach halb-mgmd and the API
node. Arbitration lets exactly one side go on, and every write the API saw
acknowledged is there afterwards: from losing its peer until this side is
known to win, a data node acknowledges no commit (the loser never does).
Needs root and nft; skipped otherwise."""
import os
import re
import shutil
import subprocess
import time
import unittest

from halb import program, wait_for
from test_ndbd import NdbdCluster

ROWS = 80000


class SplitBetweenTheReplicas(NdbdCluster):
    DATA_NODES = (2, 3)
    NDBD_DEFAULT = "UseShm=false\n"  # nft cuts TCP only

    def setUp(self):
        if os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("ss"):
            self.skipTest("needs root, nft and ss to cut one TCP link on loopback")
        self.nft_table = f"halbtest_split_{os.getpid()}"
        super().setUp()

    def tearDown(self):
        self.heal()
        super().tearDown()

    def transporter_port(self, node):
        m = wait_for(lambda: re.search(r"transporter listening on [0-9.]+:(\d+)", self.log_text(node)), 10,
                     what=f"node {node}'s transporter port")
        return int(m.group(1))

    def link_source_port(self, lower, higher_port):
        """The local port of node `lower`'s connection to the higher node (the lower id dials)."""
        pid = self.nodes[lower].pid
        out = subprocess.run(["ss", "-Htnp", "state", "established", "dport", f"= :{higher_port}"],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if f"pid={pid}," in line:
                return int(re.search(r"127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:" + str(higher_port), line).group(1))
        self.fail(f"no link from node {lower} to port {higher_port}:\n{out}")

    def split(self, port3, port2_local):
        # The established link both ways, and any new connection to node 3's
        # transporter (node 2 dials again); the API's links stay.
        rules = (f"table inet {self.nft_table} {{\n"
                 f" chain out {{ type filter hook output priority -10;\n"
                 f"  tcp sport {port2_local} tcp dport {port3} drop;\n"
                 f"  tcp sport {port3} tcp dport {port2_local} drop;\n"
                 f"  tcp dport {port3} tcp flags & (syn | ack) == syn drop; }}\n}}\n")
        subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True)
        self.split_made = True

    def heal(self):
        if getattr(self, "split_made", False):
            subprocess.run(["nft", "delete", "table", "inet", self.nft_table], capture_output=True)
            self.split_made = False

    def test_no_acknowledged_write_is_lost(self):
        for n in self.DATA_NODES:
            self.start_ndbd(n)
        self.wait_started(self.DATA_NODES)
        self.tool_ok("create", "t1")
        port3 = self.transporter_port(3)
        local2 = self.link_source_port(2, port3)
        load = subprocess.Popen([program("halb-ndbapi-tool"), "-c", self.cs, "load", "t1", str(ROWS)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(0.3)  # batched data-node sends load some 100000 rows a second
            self.assertIsNone(load.poll(), "the load finished before the split; make it longer")
            self.split(port3, local2)
            wait_for(lambda: not self.nodes[2].alive() or not self.nodes[3].alive(), 30, interval=0.1,
                     what="one side of the split stops")
            try:
                out = load.communicate(timeout=90)[0]
            except subprocess.TimeoutExpired:
                self.dump_logs()
                self.fail("the load did not finish within 90 s after the split (node logs above)")
        finally:
            if load.poll() is None:
                load.kill()
                load.wait()
            self.heal()
        self.assertEqual(load.returncode, 0, out)
        self.assertIn(f"loaded {ROWS} rows, 0 bad", out)
        loser = 2 if not self.nodes[2].alive() else 3
        winner = 5 - loser
        time.sleep(0.5)
        self.assertTrue(self.nodes[winner].alive(), self.log_text(winner)[-3000:])
        self.assertEqual(self.nodes[loser].p.wait(10), 5, self.log_text(loser)[-3000:])
        self.assertIn("Arbitration lost", self.log_text(loser))
        rc, verify = self.tool("verify", "t1", str(ROWS))
        if f"verified {ROWS} rows, 0 bad" not in verify:
            self.dump_logs()
        self.assertIn(f"verified {ROWS} rows, 0 bad", verify,
                      f"acknowledged writes are missing after the split (node {loser} lost); the load said: {out}")


if __name__ == "__main__":
    unittest.main()
