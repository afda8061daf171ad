"""halb-sqld's connection limits with a real client (PyMySQL):
max_connections (ERR 1040), max_allowed_packet (ERR 1153, then the
connection is closed), wait_timeout (an idle connection is dropped), and
SHOW PROCESSLIST / COM_STATISTICS counting the connections."""
import time
import unittest

from sqld_cluster import ROOT_PASSWORD, SqldCluster

try:
    import pymysql
except ImportError:
    pymysql = None


@unittest.skipUnless(pymysql, "python3-pymysql is not installed")
class Limits(SqldCluster):
    SQL_NODES = 1
    SQLD_ARGS = ("--max-connections=3", "--max-allowed-packet=1M", "--wait-timeout=3")

    def connect(self, wait_for_slot=True, **kw):
        # With three slots, a test's first connections can find the previous
        # test's closed ones still counted: the server frees a slot when its
        # session sees the client's FIN, a moment later on a busy machine.
        deadline = time.monotonic() + (10 if wait_for_slot else 0)
        while True:
            try:
                return pymysql.connect(host="127.0.0.1", port=self.sql[0]["port"], user="root",
                                       password=ROOT_PASSWORD, **kw)
            except pymysql.err.OperationalError as e:
                if e.args[0] != 1040 or time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def test_max_connections(self):
        held = [self.connect() for _ in range(3)]
        try:
            with self.assertRaises(pymysql.err.OperationalError) as e:
                self.connect(wait_for_slot=False)
            self.assertEqual(e.exception.args[0], 1040)
            self.assertEqual(e.exception.args[1], "Too many connections")
        finally:
            for c in held:
                c.close()
        self.connect().close()  # slots come back (within connect's 10 s)

    def test_max_allowed_packet(self):
        c = self.connect()
        with self.assertRaises(pymysql.err.OperationalError) as e:
            with c.cursor() as cur:
                cur.execute("select '" + "x" * (1 << 20) + "'")
        self.assertEqual(e.exception.args[0], 1153)
        self.assertIn("max_allowed_packet", e.exception.args[1])
        with self.assertRaises(pymysql.err.OperationalError):
            c.ping(reconnect=False)
        # Just under the limit is fine.
        c = self.connect()
        with c.cursor() as cur:
            cur.execute("select length('" + "y" * ((1 << 20) - 100) + "')")
            self.assertEqual(cur.fetchone()[0], (1 << 20) - 100)
        c.close()

    def test_wait_timeout_drops_idle_connections(self):
        c = self.connect()
        time.sleep(4.5)
        with self.assertRaises(pymysql.err.OperationalError):
            c.ping(reconnect=False)

    def test_processlist_and_statistics(self):
        a, b = self.connect(), self.connect()
        try:
            with a.cursor() as cur:
                cur.execute("show processlist")
                rows = cur.fetchall()
                ids = {r[0] for r in rows}
                self.assertIn(a.thread_id(), ids)
                self.assertIn(b.thread_id(), ids)
                mine = [r for r in rows if r[0] == a.thread_id()][0]
                self.assertEqual(mine[1], "root")
                self.assertRegex(mine[2], r"^127\.0\.0\.1:\d+$")
                self.assertEqual(mine[4], "Query")
                self.assertEqual(mine[7], "show processlist")
            a._execute_command(0x09, b"")  # COM_STATISTICS: PyMySQL has no public call for it
            stats = a._read_packet().read_all().decode()
            self.assertRegex(stats, r"^Uptime: \d+  Threads: [23]  Questions: \d+  Slow queries: 0  Opens: 0  "
                                    r"Open tables: 0  Queries per second avg: \d+\.\d{3}$")
        finally:
            a.close()
            b.close()


if __name__ == "__main__":
    unittest.main()
