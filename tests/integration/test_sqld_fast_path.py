"""halb-sqld's primary-key point reads without SQLite (--sql-fast-path):
two SQL nodes on one loopback cluster, the first with the fast path (the
default), the second with --sql-fast-path=off, answer the same queries --
text protocol (PyMySQL, every column definition field compared) and
prepared statements (Perl DBD::mysql with mysql_server_prepare=1) -- with
the same result sets: NULLs, CHAR/VARCHAR with trailing spaces and case,
DECIMAL, DATETIME, a BIGINT UNSIGNED above 2^63, missing rows, a
two-column primary key, literals the fast path must leave to SQLite, reads
inside a transaction that wrote the row, privileges. SHOW STATUS'
Halb_fast_path_selects shows the first node really took the fast path and
the second never did.

Also the text queries' statement cache: a table dropped and made again
with other columns answers with its new columns to the same query text."""
import json
import subprocess
import unittest

from sqld_cluster import ROOT_PASSWORD, SqldCluster

try:
    import pymysql
except ImportError:  # python3-pymysql (scripts/install-deps)
    pymysql = None


def have_perl_dbd_mysql():
    return subprocess.run(["perl", "-MDBD::mysql", "-e", "1"], capture_output=True).returncode == 0


SETUP = [
    "CREATE DATABASE fp",
    "CREATE TABLE fp.t1 (id INT PRIMARY KEY, c CHAR(10), v VARCHAR(20), d DECIMAL(10,2), dt DATETIME,"
    " n INT NULL, big BIGINT UNSIGNED, f DOUBLE, nn INT NOT NULL DEFAULT 3)",
    "INSERT INTO fp.t1 VALUES (1, 'a', 'b  ', 1.50, '2020-01-02 03:04:05', NULL, 9223372036854775808, 2.5, 1),"
    " (2, NULL, 'x', NULL, NULL, 7, 5, NULL, 2), (-3, 'Zz', '', -0.01, '1999-12-31 23:59:59', -1, 0, -1e-3, 3)",
    "CREATE TABLE fp.t2 (a INT, b VARCHAR(10), v INT, PRIMARY KEY (a, b))",
    "INSERT INTO fp.t2 VALUES (1, 'x', 10), (1, 'y', 11), (2, 'X ', 12)",
    "CREATE TABLE fp.t3 (k VARCHAR(10) PRIMARY KEY, v INT)",
    "INSERT INTO fp.t3 VALUES ('abc', 1), ('Ab', 2)",
    "CREATE USER fpuser@'%' IDENTIFIED BY 'fp'",
    "GRANT SELECT ON fp.t3 TO fpuser@'%'",
    "CREATE USER fpcol@'%' IDENTIFIED BY 'fp'",
    "GRANT SELECT (a, b, v) ON fp.t2 TO fpcol@'%'",
]

# (statement, counts on the fast path)
TEXT_QUERIES = [
    ("SELECT * FROM t1 WHERE id = 2", True),
    ("SELECT * FROM t1 WHERE id = 1", False),         # its BIGINT UNSIGNED above 2^63: SQLite's conversion
    ("SELECT c, v, d, dt, n, f FROM t1 WHERE id = 2", True),
    ("SELECT ID, C, `nn` FROM t1 WHERE Id = 1", True),
    ("SELECT * FROM t1 WHERE id = -3 LIMIT 1", True),
    ("SELECT * FROM fp.t1 WHERE id = 99", True),
    ("SELECT big FROM t1 WHERE id = 2", True),
    ("SELECT big FROM t1 WHERE id = 1", False),       # above 2^63: SQLite's conversion
    ("SELECT * FROM t1 WHERE id = '1'", False),       # a string for an INT key
    ("SELECT * FROM t1 WHERE id = 99999999999", False),  # out of INT's range
    ("SELECT * FROM t1 WHERE id = 1.0", False),
    ("SELECT v FROM t2 WHERE a = 1 AND b = 'y'", True),
    ("SELECT * FROM t2 WHERE b = 'x ' AND a = 1", True),
    ("SELECT * FROM t2 WHERE a = 1 AND b = 'X'", True),
    ("SELECT * FROM t2 WHERE a = 2 AND b = 'x'", True),
    ("SELECT * FROM t2 WHERE a = 1", False),          # half the key
    ("SELECT * FROM t3 WHERE k = 'ABC'", True),
    ("SELECT * FROM t3 WHERE k = 'abc   '", True),
    ("SELECT * FROM t3 WHERE k = 'ab'", True),
    ("SELECT * FROM t3 WHERE k = 'nope'", True),
    ("SELECT * FROM t3 WHERE k = 5", False),
    ("SELECT c FROM t1 WHERE id = 1 FOR UPDATE", False),
]

PS_SCRIPT = r"""
use strict; use DBI; use DBI qw(:sql_types); use JSON::PP;
my ($port, $pw, $cases) = @ARGV;
my $d = DBI->connect("dbi:mysql:database=fp;host=127.0.0.1;port=$port;mysql_server_prepare=1", 'root', $pw,
                     {RaiseError => 1, PrintError => 0});
my @out;
for my $case (@{decode_json($cases)}) {
  my ($sql, @params) = @$case;
  my $s = $d->prepare($sql);
  for my $i (0 .. $#params) {
    my ($type, $v) = @{$params[$i]};
    $s->bind_param($i + 1, $v, $type eq 'int' ? SQL_INTEGER : SQL_VARCHAR);
  }
  my @runs;
  for (1 .. 2) {  # the second execute reuses the statement
    $s->execute;
    push @runs, {names => $s->{NAME}, types => $s->{mysql_type}, nullable => $s->{NULLABLE},
                 scale => $s->{SCALE}, prec => $s->{PRECISION}, pri => $s->{mysql_is_pri_key},
                 rows => $s->fetchall_arrayref};
  }
  push @out, \@runs;
}
my $st = $d->selectrow_arrayref("SHOW STATUS LIKE 'Halb_fast_path_selects'");
print encode_json({results => \@out, fast => $st->[1]});
"""

PS_CASES = [
    ["SELECT c FROM t1 WHERE id=?", ["int", 1]],
    ["SELECT * FROM t1 WHERE id=?", ["int", 2]],
    ["SELECT * FROM t1 WHERE id=?", ["int", 42]],
    ["SELECT * FROM t1 WHERE id=?", ["str", "1"]],
    ["SELECT v, a FROM t2 WHERE b=? AND a=?", ["str", "X"], ["int", 1]],
    ["SELECT * FROM t3 WHERE k=?", ["str", "ABC  "]],
    ["SELECT d, dt FROM t1 WHERE id=? LIMIT 1", ["int", -3]],
]


@unittest.skipUnless(pymysql, "python3-pymysql is not installed")
class FastPath(SqldCluster):
    SQL_NODES = 1

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.sql.append(cls._start_sqld(1, "--sql-fast-path=off"))
            c = cls.connect_to(0)
            with c.cursor() as cur:
                for s in SETUP:
                    cur.execute(s)
            c.close()
        except BaseException:
            cls._stop_all()
            raise

    @classmethod
    def connect_to(cls, node, user="root", password=ROOT_PASSWORD, **kw):
        return pymysql.connect(host="127.0.0.1", port=cls.sql[node]["port"], user=user, password=password,
                               autocommit=True, **kw)

    @staticmethod
    def fast_count(cur):
        cur.execute("SHOW STATUS LIKE 'Halb_fast_path_selects'")
        return int(cur.fetchone()[1])

    @staticmethod
    def answer(cur, sql):
        """Everything the client sees of a result: each column definition's fields and the rows."""
        try:
            cur.execute(sql)
        except pymysql.MySQLError as e:
            return ("error", e.args[0], e.args[1])
        fields = [(f.db, f.table_name, f.org_table, f.name, f.org_name, f.charsetnr, f.length, f.type_code,
                   f.flags, f.scale) for f in cur._result.fields]
        return (fields, cur.fetchall())

    def test_text_queries_answer_as_through_sqlite(self):
        fast, slow = self.connect_to(0, database="fp"), self.connect_to(1, database="fp")
        try:
            with fast.cursor() as a, slow.cursor() as b:
                for sql, on_fast_path in TEXT_QUERIES:
                    before = self.fast_count(a)
                    got, want = self.answer(a, sql), self.answer(b, sql)
                    self.assertEqual(got, want, sql)
                    self.assertEqual(self.fast_count(a) - before, 1 if on_fast_path else 0, sql)
                self.assertEqual(self.fast_count(b), 0)
                # the values themselves, not only the same on both
                a.execute("SELECT c, v, d, dt, n FROM t1 WHERE id = 1")
                self.assertEqual(a.fetchall(), (("a", "b  ", __import__("decimal").Decimal("1.50"),
                                                 __import__("datetime").datetime(2020, 1, 2, 3, 4, 5), None),))
        finally:
            fast.close()
            slow.close()

    def test_reads_in_a_transaction_see_its_writes(self):
        for node in (0, 1):
            c = self.connect_to(node, database="fp")
            try:
                with c.cursor() as cur:
                    cur.execute("BEGIN")
                    cur.execute("UPDATE t1 SET n = 42 WHERE id = 1")
                    cur.execute("INSERT INTO t1 (id, nn) VALUES (10, 9)")
                    cur.execute("DELETE FROM t2 WHERE a = 1 AND b = 'x'")
                    cur.execute("SELECT n FROM t1 WHERE id = 1")
                    self.assertEqual(cur.fetchall(), ((42,),), node)
                    cur.execute("SELECT id, nn FROM t1 WHERE id = 10")
                    self.assertEqual(cur.fetchall(), ((10, 9),), node)
                    cur.execute("SELECT * FROM t2 WHERE a = 1 AND b = 'x'")
                    self.assertEqual(cur.fetchall(), (), node)
                    cur.execute("ROLLBACK")
                    cur.execute("SELECT n FROM t1 WHERE id = 1")
                    self.assertEqual(cur.fetchall(), ((None,),), node)
                    cur.execute("SELECT * FROM t2 WHERE a = 1 AND b = 'x'")
                    self.assertEqual(cur.fetchall(), ((1, "x", 10),), node)
            finally:
                c.close()

    def test_privileges_hold(self):
        for node in (0, 1):
            c = self.connect_to(node, user="fpuser", password="fp", database="fp")
            try:
                with c.cursor() as cur:
                    cur.execute("SELECT v FROM t3 WHERE k = 'Ab'")
                    self.assertEqual(cur.fetchall(), ((2,),))
                    with self.assertRaises(pymysql.MySQLError) as e:
                        cur.execute("SELECT * FROM t1 WHERE id = 1")
                    self.assertEqual(e.exception.args[0], 1142, node)
            finally:
                c.close()

    def test_column_privileges_hold(self):
        answers = []
        for node in (0, 1):
            c = self.connect_to(node, user="fpcol", password="fp", database="fp")
            try:
                with c.cursor() as cur:
                    answers.append([self.answer(cur, q) for q in (
                        "SELECT v FROM t2 WHERE a = 1 AND b = 'y'",
                        "SELECT * FROM t2 WHERE a = 1 AND b = 'y'",      # `*` needs the table-level privilege
                        "SELECT v FROM t1 WHERE id = 1")])
            finally:
                c.close()
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(answers[0][0][1], ((11,),))
        self.assertEqual([a[0] for a in answers[0][1:]], ["error"] * 2, answers[0])

    @unittest.skipUnless(have_perl_dbd_mysql(), "libdbd-mysql-perl is not installed")
    def test_prepared_statements_answer_as_through_sqlite(self):
        answers = []
        for node in (0, 1):
            r = subprocess.run(["perl", "-e", PS_SCRIPT, str(self.sql[node]["port"]), ROOT_PASSWORD,
                                json.dumps(PS_CASES)], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            answers.append(json.loads(r.stdout))
        for case, got, want in zip(PS_CASES, answers[0]["results"], answers[1]["results"]):
            self.assertEqual(got, want, case)
        self.assertEqual(answers[0]["results"][0][1]["rows"], [["a"]])
        self.assertEqual(answers[0]["results"][2][0]["rows"], [])
        # every case but the string for an INT key, twice
        self.assertEqual(int(answers[0]["fast"]), 2 * (len(PS_CASES) - 1))
        self.assertEqual(int(answers[1]["fast"]), 0)

    def test_cached_plan_follows_a_table_made_again(self):
        c = self.connect_to(0, database="fp")
        other = self.connect_to(1, database="fp")
        try:
            with c.cursor() as cur, other.cursor() as o:
                cur.execute("CREATE TABLE again (id INT PRIMARY KEY, a INT)")
                cur.execute("INSERT INTO again VALUES (1, 10), (2, 20)")
                q = "SELECT * FROM again WHERE id >= 1 ORDER BY id"
                for _ in range(2):
                    cur.execute(q)
                    self.assertEqual(cur.fetchall(), ((1, 10), (2, 20)))
                # made again on the other SQL node, with other columns
                o.execute("DROP TABLE again")
                o.execute("CREATE TABLE again (id INT PRIMARY KEY, b VARCHAR(5), a INT)")
                o.execute("INSERT INTO again VALUES (1, 'x', 11)")
                for _ in range(50):  # the catalog refresher is at most 0.25 s behind
                    try:
                        cur.execute(q)
                    except pymysql.MySQLError:
                        continue
                    if len(cur.description) == 3:
                        break
                    __import__("time").sleep(0.1)
                self.assertEqual([d[0] for d in cur.description], ["id", "b", "a"])
                self.assertEqual(cur.fetchall(), ((1, "x", 11),))
                # and made again here: DDL drops the cached plans at once
                cur.execute("DROP TABLE again")
                cur.execute("CREATE TABLE again (id INT PRIMARY KEY)")
                cur.execute("INSERT INTO again VALUES (5)")
                cur.execute(q)
                self.assertEqual([d[0] for d in cur.description], ["id"])
                self.assertEqual(cur.fetchall(), ((5,),))
        finally:
            c.close()
            other.close()


if __name__ == "__main__":
    unittest.main()
