"""halb-sqld's primary-key range reads (SQLite's plan R: the bounds pushed
to the data nodes, which the coordinator reads on every fragment at once):
the rows of sysbench read_write's range queries and their SUM / ORDER BY /
DISTINCT forms, compared with the answer worked out here, for ranges over
both fragments and over many scan batches, empty and reversed ranges, NULL
and fractional bounds, ORDER BY DESC, and ranges read inside a transaction
that wrote rows in them (its own inserts, updates and deletes seen, gone
again after ROLLBACK), also with FOR UPDATE. A reading statement's scans
bring only the columns it uses: rows read that way are still whole where a
statement writes (INSERT ... SELECT, UPDATE), in tables of more than 64
columns, with long TEXT values, and without a primary key."""
import unittest

from sqld_cluster import ROOT_PASSWORD, SqldCluster

try:
    import pymysql
except ImportError:  # python3-pymysql (scripts/install-deps)
    pymysql = None

# ids -50..1149 except multiples of 7: gaps to fall into, negatives, more
# rows than one scan batch (256) in the wide ranges
IDS = [i for i in range(-50, 1150) if i % 7]


def k_of(i):
    return (i * 37) % 101


def c_of(i):
    return f"c{i % 13:02d}"


@unittest.skipUnless(pymysql, "python3-pymysql is not installed")
class PrimaryKeyRanges(SqldCluster):
    SQL_NODES = 1

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            c = cls.connect(None)
            with c.cursor() as cur:
                cur.execute("CREATE DATABASE rq")
                cur.execute("CREATE TABLE rq.t (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(20) NOT NULL)")
                for n in range(0, len(IDS), 200):
                    cur.execute("INSERT INTO rq.t VALUES " + ",".join(
                        f"({i}, {k_of(i)}, '{c_of(i)}')" for i in IDS[n:n + 200]))
            c.close()
        except BaseException:
            cls._stop_all()
            raise

    @classmethod
    def connect(cls, database="rq"):
        return pymysql.connect(host="127.0.0.1", port=cls.sql[0]["port"], user="root", password=ROOT_PASSWORD,
                               autocommit=True, database=database)

    def setUp(self):
        self.c = self.connect()
        self.cur = self.c.cursor()

    def tearDown(self):
        self.c.close()

    def ids(self, sql, args=None):
        self.cur.execute(sql, args)
        return [r[0] for r in self.cur.fetchall()]

    def test_bounds_of_every_kind(self):
        cases = [
            ("id BETWEEN 10 AND 30", lambda i: 10 <= i <= 30),
            ("id BETWEEN -50 AND -40", lambda i: -50 <= i <= -40),
            ("id BETWEEN 14 AND 14", lambda i: False),         # a gap: no row
            ("id BETWEEN 15 AND 15", lambda i: i == 15),
            ("id BETWEEN 30 AND 10", lambda i: False),          # reversed
            ("id BETWEEN 100 AND 999", lambda i: 100 <= i <= 999),  # several batches per fragment
            ("id > 1100", lambda i: i > 1100),
            ("id >= 1100", lambda i: i >= 1100),
            ("id < -45", lambda i: i < -45),
            ("id <= -45", lambda i: i <= -45),
            ("id > 20 AND id < 22", lambda i: i == 21),
            ("id >= 2000", lambda i: False),
            ("id BETWEEN 2.5 AND 7.5", lambda i: 3 <= i <= 7),
            ("id BETWEEN '5' AND '9'", lambda i: 5 <= i <= 9),
            ("id BETWEEN NULL AND 10", lambda i: False),
            ("id BETWEEN 10 AND NULL", lambda i: False),
            ("id > NULL", lambda i: False),
            ("id = 22", lambda i: i == 22),
            ("id = 21", lambda i: False),
        ]
        for where, keep in cases:
            want = sorted(i for i in IDS if keep(i))
            self.assertEqual(sorted(self.ids(f"SELECT id FROM t WHERE {where}")), want, where)

    def test_read_write_range_queries(self):
        for low in (-50, 1, 493, 1049):
            high = low + 99
            rows = [i for i in IDS if low <= i <= high]
            self.assertEqual(sorted(self.ids("SELECT id FROM t WHERE id BETWEEN %s AND %s", (low, high))), rows)
            self.cur.execute("SELECT c FROM t WHERE id BETWEEN %s AND %s", (low, high))
            self.assertEqual(sorted(r[0] for r in self.cur.fetchall()), sorted(c_of(i) for i in rows))
            self.cur.execute("SELECT SUM(k) FROM t WHERE id BETWEEN %s AND %s", (low, high))
            self.assertEqual(int(self.cur.fetchone()[0]), sum(k_of(i) for i in rows))
            self.cur.execute("SELECT c FROM t WHERE id BETWEEN %s AND %s ORDER BY c", (low, high))
            self.assertEqual([r[0] for r in self.cur.fetchall()], sorted(c_of(i) for i in rows))
            self.cur.execute("SELECT DISTINCT c FROM t WHERE id BETWEEN %s AND %s ORDER BY c", (low, high))
            self.assertEqual([r[0] for r in self.cur.fetchall()], sorted({c_of(i) for i in rows}))

    def test_order_by_the_key_both_ways(self):
        want = [i for i in IDS if 200 <= i <= 700]
        self.assertEqual(self.ids("SELECT id FROM t WHERE id BETWEEN 200 AND 700 ORDER BY id"), want)
        self.assertEqual(self.ids("SELECT id FROM t WHERE id BETWEEN 200 AND 700 ORDER BY id DESC"), want[::-1])
        self.assertEqual(self.ids("SELECT id FROM t WHERE id >= 200 ORDER BY id DESC LIMIT 3"), IDS[::-1][:3])
        self.assertEqual(self.ids("SELECT id FROM t WHERE id < 200 ORDER BY id LIMIT 2"), IDS[:2])

    def test_a_transaction_sees_its_own_writes_in_a_range(self):
        base = [i for i in IDS if 300 <= i <= 320]
        self.cur.execute("BEGIN")
        self.cur.execute("INSERT INTO t VALUES (301, 1, 'new'), (315, 2, 'new')")  # two gaps
        self.cur.execute("UPDATE t SET c = 'upd' WHERE id = 302")
        self.cur.execute("DELETE FROM t WHERE id = 303")
        self.cur.execute("INSERT INTO t VALUES (5000, 3, 'far')")  # outside: must not show
        want = sorted(set(base) - {303} | {301, 315})
        self.assertEqual(sorted(self.ids("SELECT id FROM t WHERE id BETWEEN 300 AND 320")), want)
        self.assertEqual(self.ids("SELECT id FROM t WHERE id BETWEEN 300 AND 320 ORDER BY id DESC"), want[::-1])
        self.cur.execute("SELECT c FROM t WHERE id BETWEEN 301 AND 302 ORDER BY id")
        self.assertEqual([r[0] for r in self.cur.fetchall()], ["new", "upd"])
        self.assertEqual(sorted(self.ids("SELECT id FROM t WHERE id BETWEEN 300 AND 320 FOR UPDATE")), want)
        # another session sees none of it before the end
        other = self.connect()
        try:
            with other.cursor() as o:
                o.execute("SELECT id FROM t WHERE id BETWEEN 300 AND 320")
                self.assertEqual(sorted(r[0] for r in o.fetchall()), base)
        finally:
            other.close()
        self.cur.execute("ROLLBACK")
        self.assertEqual(sorted(self.ids("SELECT id FROM t WHERE id BETWEEN 300 AND 320")), base)
        self.assertEqual(self.ids("SELECT id FROM t WHERE id = 5000"), [])
        self.cur.execute("SELECT c FROM t WHERE id = 302")
        self.assertEqual(self.cur.fetchone()[0], c_of(302))

    def test_locking_range_read_in_a_transaction(self):
        want = [i for i in IDS if 600 <= i <= 640]
        self.cur.execute("BEGIN")
        self.assertEqual(sorted(self.ids("SELECT id FROM t WHERE id BETWEEN 600 AND 640 FOR UPDATE")), want)
        self.cur.execute("UPDATE t SET k = k + 1 WHERE id BETWEEN 600 AND 640")
        self.assertEqual(self.cur.rowcount, len(want))
        self.cur.execute("COMMIT")
        self.cur.execute("SELECT SUM(k) FROM t WHERE id BETWEEN 600 AND 640")
        self.assertEqual(int(self.cur.fetchone()[0]), sum(k_of(i) + 1 for i in want))
        self.cur.execute("UPDATE t SET k = k - 1 WHERE id BETWEEN 600 AND 640")

    def test_reads_of_some_columns(self):
        wide = ", ".join(f"w{n} INT NOT NULL DEFAULT {n}" for n in range(1, 71))
        ddl = f"(id INT PRIMARY KEY, {wide}, note TEXT, tag VARCHAR(8), KEY (w70))"
        self.cur.execute("CREATE TABLE wide " + ddl)
        self.cur.execute("CREATE TABLE nokey (a INT, b TEXT, c VARCHAR(10))")
        try:
            long_note = "n" * 20000  # stored in parts
            self.cur.execute("INSERT INTO wide (id, note, tag) VALUES (1, %s, 'one'), (2, 'short', 'two'), "
                             "(3, NULL, 'three')", (long_note,))
            self.cur.execute("UPDATE wide SET w70 = 100 + id, w2 = 10 * id")
            self.cur.execute("SELECT id, w1, w63, w64, w70, tag FROM wide WHERE id BETWEEN 1 AND 3 ORDER BY id")
            self.assertEqual(self.cur.fetchall(), ((1, 1, 63, 64, 101, "one"), (2, 1, 63, 64, 102, "two"),
                                                   (3, 1, 63, 64, 103, "three")))
            self.cur.execute("SELECT id, LENGTH(note) FROM wide WHERE id > 0 ORDER BY id")
            self.assertEqual(self.cur.fetchall(), ((1, 20000), (2, 5), (3, None)))
            self.cur.execute("SELECT tag FROM wide WHERE w70 BETWEEN 102 AND 103 ORDER BY w70 DESC")  # by index
            self.assertEqual(self.cur.fetchall(), (("three",), ("two",)))
            self.cur.execute("SELECT COUNT(*), SUM(w2) FROM wide WHERE id >= 1")
            self.assertEqual(self.cur.fetchone(), (3, 60))
            # Statements that write carry whole rows on.
            self.cur.execute("CREATE TABLE wide2 " + ddl)
            try:
                self.cur.execute("INSERT INTO wide2 SELECT * FROM wide WHERE id BETWEEN 1 AND 2")
                self.cur.execute("SELECT id, w2, w69, w70, LENGTH(note), tag FROM wide2 ORDER BY id")
                self.assertEqual(self.cur.fetchall(), ((1, 10, 69, 101, 20000, "one"), (2, 20, 69, 102, 5, "two")))
            finally:
                self.cur.execute("DROP TABLE wide2")
            self.cur.execute("BEGIN")
            self.cur.execute("SELECT id FROM wide WHERE id BETWEEN 1 AND 3 FOR UPDATE")
            self.cur.execute("UPDATE wide SET w1 = w1 + 1 WHERE id BETWEEN 1 AND 3")
            self.cur.execute("COMMIT")
            self.cur.execute("SELECT id, w1, w2, w70, LENGTH(note), tag FROM wide ORDER BY id")
            self.assertEqual(self.cur.fetchall(), ((1, 2, 10, 101, 20000, "one"), (2, 2, 20, 102, 5, "two"),
                                                   (3, 2, 30, 103, None, "three")))
            self.cur.execute("INSERT INTO nokey VALUES (1, %s, 'one'), (2, 'b', 'two'), (3, NULL, NULL)", (long_note,))
            self.cur.execute("SELECT COUNT(*) FROM nokey")
            self.assertEqual(self.cur.fetchone()[0], 3)
            self.cur.execute("SELECT c FROM nokey WHERE a >= 2 ORDER BY a")
            self.assertEqual(self.cur.fetchall(), (("two",), (None,)))
            self.cur.execute("UPDATE nokey SET c = 'uno' WHERE a = 1")
            self.cur.execute("SELECT a, LENGTH(b), c FROM nokey ORDER BY a")
            self.assertEqual(self.cur.fetchall(), ((1, 20000, "uno"), (2, 1, "two"), (3, None, None)))
        finally:
            self.cur.execute("DROP TABLE wide")
            self.cur.execute("DROP TABLE nokey")


if __name__ == "__main__":
    unittest.main()
