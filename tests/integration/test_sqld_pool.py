"""halb-sqld with ndb-cluster-connection-pool: every pool member is an API
node of its own (the management client's SHOW lists both), sessions are
spread over the members round robin (SHOW STATUS' Ndb_cluster_node_id is the
session's member), all of them serve queries and transactions, and a pool
larger than config.ini's free API slots stops the start with a clear error.
ndb-cluster-connection-pool-nodeids names the members' node ids."""
import os
import re
import subprocess
import unittest

from halb import program, wait_for
from sqld_cluster import ROOT_PASSWORD, SqldCluster

try:
    import pymysql
except ImportError:  # pragma: no cover
    pymysql = None


def session_node_ids(sessions):
    """Each session's pool member, by the node id SHOW STATUS gives."""
    seen = []
    for c in sessions:
        with c.cursor() as cur:
            cur.execute("SHOW STATUS LIKE 'Ndb_cluster_node_id'")
            seen.append(int(cur.fetchone()[1]))
    return seen


@unittest.skipUnless(pymysql, "python3-pymysql is not installed")
class ConnectionPool(SqldCluster):
    SQL_NODES = 1
    SQLD_ARGS = ("--ndb-cluster-connection-pool=2",)

    def connect(self, **kw):
        return pymysql.connect(host="127.0.0.1", port=self.sql[0]["port"], user="root", password=ROOT_PASSWORD,
                               autocommit=True, **kw)

    def connected_api_ids(self):
        r = subprocess.run([program("halb-mgm"), "-c", self.cs, "--try-reconnect", "1", "-e", "show"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        api = r.stdout.split("[mysqld(API)]", 1)[1]
        return {int(m) for m in re.findall(r"^id=(\d+)\s+@", api, re.M)}

    def test_two_api_nodes_sessions_spread_and_served(self):
        wait_for(lambda: len(self.connected_api_ids()) == 2, 20, what="two connected API nodes in SHOW")
        ids = self.connected_api_ids()
        sessions = [self.connect() for _ in range(4)]
        try:
            seen = session_node_ids(sessions)
            # round robin: consecutive sessions alternate between the two members
            self.assertEqual(set(seen), ids, seen)
            self.assertNotEqual(seen[0], seen[1])
            self.assertEqual(seen[0], seen[2])
            self.assertEqual(seen[1], seen[3])
            with sessions[0].cursor() as cur:
                cur.execute("SELECT @@ndb_cluster_connection_pool")
                self.assertEqual(cur.fetchone(), (2,))
            with sessions[0].cursor() as cur:
                cur.execute("CREATE DATABASE IF NOT EXISTS pool")
                cur.execute("CREATE TABLE pool.t (id INT PRIMARY KEY, v INT NOT NULL)")
            for i, c in enumerate(sessions):
                with c.cursor() as cur:
                    cur.execute("BEGIN")
                    for k in range(10):
                        cur.execute("INSERT INTO pool.t VALUES (%s, %s)", (i * 100 + k, i))
                    cur.execute("COMMIT")
            # every session reads every other one's rows, by key and by scan
            for i, c in enumerate(sessions):
                with c.cursor() as cur:
                    for j in range(4):
                        cur.execute("SELECT v FROM pool.t WHERE id = %s", (j * 100 + 7,))
                        self.assertEqual(cur.fetchone(), (j,))
                    cur.execute("SELECT COUNT(*), SUM(v) FROM pool.t")
                    self.assertEqual(cur.fetchone(), (40, 60))
            with sessions[1].cursor() as cur:
                cur.execute("DROP DATABASE pool")
        finally:
            for c in sessions:
                c.close()

    def test_pool_larger_than_free_api_slots_is_refused(self):
        # config.ini has five API slots; this node holds two, so seven cannot fit.
        path = self.tmp.path
        cnf = os.path.join(path, "big.cnf")
        with open(cnf, "w") as f:
            f.write(f"[mysqld]\nndb-connectstring = {self.cs}\nndb_cluster_connection_pool = 7\nport = 0\n"
                    f"socket = {path}/big.sock\nbind-address = 127.0.0.1\n")
        r = subprocess.run([program("halb-sqld"), f"--defaults-file={cnf}", "--foreground", "--run-dir",
                            os.path.join(path, "run"), "--pid-file", os.path.join(path, "run", "big.pid"),
                            "--ndb-wait-connected=5"], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("ndb-cluster-connection-pool=7: cluster connection", r.stderr)
        self.assertIn("config.ini needs a free [mysqld] or [api] slot for every pool member", r.stderr)
        # the members it did get are given back: this node's two are still the only ones
        wait_for(lambda: len(self.connected_api_ids()) == 2, 30, what="the refused node's API ids released")

    def test_bad_pool_size(self):
        for bad in ("0", "64", "two"):
            r = subprocess.run([program("halb-sqld"), "--defaults-file=/dev/null", "--foreground",
                                f"--ndb-cluster-connection-pool={bad}"], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 6, r.stderr)
            self.assertIn(f"--ndb-cluster-connection-pool: '{bad}' is not a number from 1 to 63", r.stderr)

    def test_bad_pool_node_ids(self):
        for args, said in ((["--ndb-cluster-connection-pool-nodeids=4,x"], "'x' is not a node id from 1 to 255"),
                           (["--ndb-cluster-connection-pool-nodeids=4,256"], "'256' is not a node id from 1 to 255"),
                           (["--ndb-cluster-connection-pool-nodeids=4 4"], "node id 4 is named twice"),
                           (["--ndb-cluster-connection-pool-nodeids=,"], "',' is not a list of 1 to 63 node ids"),
                           (["--ndb-cluster-connection-pool=3", "--ndb-cluster-connection-pool-nodeids=4,5"],
                            "--ndb-cluster-connection-pool-nodeids names 2 node ids, but "
                            "--ndb-cluster-connection-pool is 3")):
            r = subprocess.run([program("halb-sqld"), "--defaults-file=/dev/null", "--foreground"] + args,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 6, r.stderr)
            self.assertIn(said, r.stderr)


@unittest.skipUnless(pymysql, "python3-pymysql is not installed")
class ConnectionPoolNodeIds(SqldCluster):
    """config.ini's API slots have no Id, so 4-8 are free: the members take
    the listed ones, in the listed order, and the pool's size is the list's."""
    SQL_NODES = 1
    SQLD_ARGS = ("--ndb-cluster-connection-pool-nodeids=7,5",)

    def test_members_take_the_listed_node_ids_in_order(self):
        sessions = [pymysql.connect(host="127.0.0.1", port=self.sql[0]["port"], user="root",
                                    password=ROOT_PASSWORD, autocommit=True) for _ in range(2)]
        try:
            seen = session_node_ids(sessions)
            self.assertEqual(seen, [7, 5])
            with sessions[0].cursor() as cur:
                cur.execute("SELECT @@ndb_cluster_connection_pool, @@ndb_cluster_connection_pool_nodeids")
                self.assertEqual(cur.fetchone(), (2, "7,5"))
        finally:
            for c in sessions:
                c.close()

    def test_a_listed_id_that_is_no_free_api_slot_is_refused(self):
        path = self.tmp.path
        # 7 is taken by the running node; 2 is a data node's.
        for ids in ("7", "2"):
            r = subprocess.run([program("halb-sqld"), f"--ndb-connectstring={self.cs}", "--defaults-file=/dev/null",
                                "--foreground", "--port=0", f"--socket={path}/ids.sock", "--bind-address=127.0.0.1",
                                "--run-dir", os.path.join(path, "run"), "--pid-file",
                                os.path.join(path, "run", "ids.pid"), "--ndb-wait-connected=5",
                                f"--ndb-cluster-connection-pool-nodeids={ids}"],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(f"ndb-cluster-connection-pool-nodeids: cluster connection 1 as node {ids}: ", r.stderr)


if __name__ == "__main__":
    unittest.main()
