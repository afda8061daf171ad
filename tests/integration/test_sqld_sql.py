"""halb-sqld's SQL side on a real cluster (one halb-mgmd, two data nodes),
driven through tests/tools/halb-sql-tool, which runs Engine sessions without
the MySQL protocol: catalog shared between SQL nodes, DDL, DML semantics,
transactions, prepared statements, concurrent sessions on one connection."""
import contextlib
import os
import queue
import subprocess
import threading
import unittest

from halb import program, wait_for
from test_ndbd import NdbdCluster


class SqlOnCluster(NdbdCluster):
    DATA_NODES = (2, 3)

    def setUp(self):
        super().setUp()
        for n in self.DATA_NODES:
            self.start_ndbd(n)
        self.wait_started(self.DATA_NODES)

    def sql(self, script, *args, timeout=120):
        r = subprocess.run([program("halb-sql-tool"), "-c", self.cs] + list(args), input=script,
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            self.dump_logs()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def in_database(self, db, script, *args, **kw):
        """Runs `script` in a new database `db`."""
        return self.sql(f"CREATE DATABASE {db}\nUSE {db}\n" + script, *args, **kw)

    @contextlib.contextmanager
    def sql_nodes(self, db, count=2):
        """`count` halb-sql-tool processes, each its own SQL node (API node id)
        in database `db`, fed one statement at a time (see send/answer)."""
        nodes = [subprocess.Popen([program("halb-sql-tool"), "-c", self.cs, "-D", db], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(count)]
        # Lines arrive through a reader thread so that answer() can give up:
        # a tool that never answers fails the test instead of hanging the run.
        for node in nodes:
            node.lines = queue.Queue()
            node.reader = threading.Thread(
                target=lambda n=node: [n.lines.put(line) for line in n.stdout] + [n.lines.put(None)], daemon=True)
            node.reader.start()
        try:
            yield nodes
        finally:
            for node in nodes:
                node.stdin.close()
                node.wait(timeout=60)
                node.reader.join(10)
                node.stdout.close()

    @staticmethod
    def send(node, statement):
        node.stdin.write(statement + "\n")
        node.stdin.flush()

    def answer(self, node, timeout=60):
        """The first line of the statement's answer (ok/error, or cols: ...)."""
        try:
            line = node.lines.get(timeout=timeout)
        except queue.Empty:
            self.fail(f"halb-sql-tool gave no answer in {timeout} s")
        if line is None:
            self.fail(f"halb-sql-tool ended (exit {node.poll()}) without an answer")
        return line.strip()

    def test_ddl_and_dml(self):
        out = self.in_database("sb", ""
                       "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT, k INT NOT NULL DEFAULT 0, "
                       "c CHAR(10) NOT NULL DEFAULT '', PRIMARY KEY (id)) ENGINE=innodb\n"
                       "SHOW WARNINGS\n"
                       "INSERT INTO t (k, c) VALUES (5, 'x\\'y'), (6, 'b')\n"
                       "SELECT id, k, c FROM t ORDER BY id\n"
                       "INSERT INTO t (id, k) VALUES (0, 7)\n"
                       "SELECT LAST_INSERT_ID()\n"
                       "UPDATE t SET k = k + 1 WHERE id = 1\n"
                       "UPDATE t SET k = k WHERE id = 1\n"
                       "SELECT SUM(k) FROM t WHERE id BETWEEN 1 AND 3\n"
                       "INSERT INTO t (id, k) VALUES (1, 1)\n"
                       "INSERT INTO t (id, c) VALUES (9, 'far too long for ten')\n"
                       "SELECT id FROM t WHERE c = 'B '\n"
                       "SELECT 5/2, 'a' = 'A'\n"
                       "SELECT * FROM nope\n"
                       "DROP TABLE t\nDROP TABLE t\n")
        self.assertIn("Warning\t1266\tUsing storage engine NDBCLUSTER", out)
        self.assertIn("ok affected=2 insert_id=1 warnings=0 info=Records: 2  Duplicates: 0  Warnings: 0", out)
        self.assertIn("1\t5\tx'y\n2\t6\tb\n", out)
        self.assertIn("ok affected=1 insert_id=3", out)
        self.assertIn("cols: LAST_INSERT_ID()\n3\n", out)
        self.assertIn("info=Rows matched: 1  Changed: 1  Warnings: 0", out)
        self.assertIn("ok affected=0 insert_id=0 warnings=0 info=Rows matched: 1  Changed: 0  Warnings: 0", out)
        self.assertIn("cols: SUM(k)\n19\n", out)
        self.assertIn("error 1062 (23000): Duplicate entry '1' for key 'PRIMARY'", out)
        self.assertIn("error 1406 (22001): Data too long for column 'c' at row 1", out)
        self.assertIn("cols: id\n2\n", out)
        self.assertIn("2.5\t1\n", out)
        self.assertIn("error 1146 (42S02): Table 'sb.nope' doesn't exist", out)
        self.assertIn("error 1051 (42S02): Unknown table 'sb.t'", out)

    def test_catalog_is_shared_between_sql_nodes(self):
        self.sql("CREATE DATABASE shared\nCREATE TABLE shared.a (id INT PRIMARY KEY, v VARCHAR(8))\n"
                 "INSERT INTO shared.a VALUES (1, 'one')\n")
        # A second engine (another API node id) sees database, table and row.
        out = self.sql("SHOW DATABASES\nUSE shared\nSHOW TABLES\nSELECT v FROM a\nSHOW CREATE TABLE a\n")
        self.assertIn("shared\n", out)
        self.assertIn("cols: Tables_in_shared\na\n", out)
        self.assertIn("cols: v\none\n", out)
        self.assertIn("`v` varchar(8) DEFAULT NULL", out)

    def test_transactions_and_statement_undo(self):
        out = self.in_database("tx", "CREATE TABLE t (id INT PRIMARY KEY, v INT)\n"
                       "INSERT INTO t VALUES (1, 1), (2, 2)\n"
                       "@0 USE tx\n@1 USE tx\n"
                       "@0 BEGIN\n@0 !status\n"
                       "@0 UPDATE t SET v = 10 WHERE id = 1\n"
                       "@0 INSERT INTO t VALUES (2, 0)\n"
                       "@0 DELETE FROM t WHERE id = 2\n"
                       "@0 INSERT INTO t VALUES (2, 20)\n"
                       "@1 SELECT v FROM t WHERE id = 1\n"
                       "@0 COMMIT\n@0 !status\n"
                       "@1 SELECT id, v FROM t ORDER BY id\n"
                       "@0 SET autocommit = 0\n@0 UPDATE t SET v = 99 WHERE id = 1\n@0 !status\n@0 ROLLBACK\n"
                       "@0 SET autocommit = 1\n@1 SELECT v FROM t WHERE id = 1\n"
                       "@0 BEGIN\n@0 UPDATE t SET v = 5 WHERE id = 1\n@0 BEGIN\n@1 SELECT v FROM t WHERE id = 1\n")
        self.assertIn("status 3\n", out)
        self.assertIn("error 1062 (23000): Duplicate entry '2' for key 'PRIMARY'", out)
        self.assertIn("cols: id\tv\n1\t10\n2\t20\n", out)   # the failed INSERT left the rest intact
        self.assertIn("status 1\n", out)                    # autocommit off, in a transaction
        self.assertTrue(out.rstrip().endswith("cols: v\n5\nrows: 1"), out)  # BEGIN committed the open one
        self.assertEqual(out.count("cols: v\n10\n"), 1)     # rolled back 99 is never seen

    def test_missing_rows_inside_a_transaction(self):
        # A locking read that finds nothing made the cluster abort the whole
        # transaction; the SQL node used to answer 1213 and lose the
        # transaction's earlier work.
        out = self.in_database("mr", "CREATE TABLE t (id INT PRIMARY KEY, v INT)\n"
                       "INSERT INTO t VALUES (1, 1), (2, 2)\n"
                       "BEGIN\nUPDATE t SET v = 10 WHERE id = 1\n"
                       "UPDATE t SET v = 99 WHERE id = 999\n"
                       "DELETE FROM t WHERE id = 998\n"
                       "UPDATE t SET v = v + 1 WHERE id IN (1, 997)\n"
                       "DELETE FROM t WHERE id = 2\n"
                       "UPDATE t SET v = 22 WHERE id = 2\n"
                       "!status\nCOMMIT\n"
                       "UPDATE t SET v = v + 1 WHERE id IN (996, 1)\n"
                       "SELECT id, v FROM t ORDER BY id\n")
        self.assertNotIn("error", out)
        self.assertEqual(out.count("info=Rows matched: 0  Changed: 0  Warnings: 0"), 2, out)
        self.assertIn("status 3\n", out)  # still in the transaction after the no-ops
        self.assertIn("cols: id\tv\n1\t12\nrows: 1", out)

    def test_lock_wait_timeout_ends_the_transaction(self):
        # The cluster aborts a transaction whose lock wait times out (266):
        # all of it is gone, the session is out of it (no SERVER_STATUS_IN_TRANS),
        # and the next statement starts afresh instead of committing half of it.
        out = self.in_database("lw", "CREATE TABLE t (id INT PRIMARY KEY, v INT)\n"
                       "INSERT INTO t VALUES (1, 1), (2, 2)\n"
                       "@0 USE lw\n@1 USE lw\n"
                       "@0 BEGIN\n@0 UPDATE t SET v = 10 WHERE id = 1\n"
                       "@1 BEGIN\n@1 UPDATE t SET v = 20 WHERE id = 2\n"
                       "@1 UPDATE t SET v = 30 WHERE id = 1\n"
                       "@1 !status\n"
                       "@1 INSERT INTO t VALUES (3, 3)\n@1 ROLLBACK\n@0 COMMIT\n"
                       "@1 SELECT id, v FROM t ORDER BY id\n")
        self.assertIn("error 1205 (HY000): Lock wait timeout exceeded; try restarting transaction", out)
        self.assertIn("status 2\n", out)
        self.assertIn("cols: id\tv\n1\t10\n2\t2\n3\t3\nrows: 3", out)

    def test_a_transaction_reads_its_own_writes(self):
        out = self.in_database("own", ""
                       "CREATE TABLE t (id INT PRIMARY KEY, v INT, u INT, UNIQUE KEY (u), KEY (v))\n"
                       "INSERT INTO t VALUES (1, 1, 10), (2, 2, 20), (3, 3, 30)\n"
                       "BEGIN\n"
                       "INSERT INTO t VALUES (4, 4, 40)\n"
                       "SELECT v FROM t WHERE id = 4\n"                      # point read: own insert
                       "UPDATE t SET v = 44 WHERE id = 4\n"
                       "SELECT v, u FROM t WHERE id = 4\n"                   # own update of own insert
                       "UPDATE t SET v = 11, u = 11 WHERE id = 1\n"
                       "SELECT id FROM t WHERE u = 10\n"                     # unique index: moved away
                       "SELECT id, v FROM t WHERE u = 11\n"                  # unique index: moved here
                       "DELETE FROM t WHERE id = 2\n"
                       "SELECT v FROM t WHERE id = 2\n"                      # own delete
                       "SELECT id, v FROM t WHERE id BETWEEN 1 AND 10 ORDER BY id\n"  # range scan merged
                       "SELECT id FROM t WHERE v > 10 ORDER BY id\n"         # full scan merged
                       "SELECT COUNT(*), SUM(v) FROM t\n"
                       "INSERT INTO t VALUES (2, 5, 50)\n"                   # own delete frees the key
                       "INSERT INTO t VALUES (6, 6, 60), (4, 5, 51)\n"       # own insert holds 4
                       "SELECT u FROM t WHERE id = 6\n"                      # the failed statement undone
                       "SELECT id, v FROM t WHERE id >= 2 ORDER BY id FOR UPDATE\n"
                       "ROLLBACK\n"
                       "SELECT id, v, u FROM t ORDER BY id\n")
        self.assertIn("cols: v\n4\nrows: 1", out)
        self.assertIn("cols: v\tu\n44\t40\nrows: 1", out)
        self.assertIn("cols: id\nrows: 0", out)
        self.assertIn("cols: id\tv\n1\t11\nrows: 1", out)
        self.assertIn("cols: v\nrows: 0", out)
        self.assertIn("cols: id\tv\n1\t11\n3\t3\n4\t44\nrows: 3", out)
        self.assertIn("cols: id\n1\n4\nrows: 2", out)
        self.assertIn("cols: COUNT(*)\tSUM(v)\n3\t58\nrows: 1", out)
        self.assertIn("error 1062 (23000): Duplicate entry '4' for key 'PRIMARY'", out)
        self.assertIn("cols: u\nrows: 0", out)
        self.assertIn("cols: id\tv\n2\t5\n3\t3\n4\t44\nrows: 3", out)
        # after ROLLBACK: the committed rows only
        self.assertTrue(out.rstrip().endswith("cols: id\tv\tu\n1\t1\t10\n2\t2\t20\n3\t3\t30\nrows: 3"), out)

    def test_unique_key_duplicates(self):
        # Found before the cluster would abort the whole transaction with
        # 893; the message names the value and the index, as MySQL's does.
        out = self.in_database("uk", ""
                       "CREATE TABLE t (id INT PRIMARY KEY, u INT, UNIQUE KEY uu (u))\n"
                       "INSERT INTO t VALUES (1, 10)\n"
                       "BEGIN\nINSERT INTO t VALUES (5, 50)\n"
                       "INSERT INTO t VALUES (3, 10)\n"                 # committed holder
                       "INSERT INTO t VALUES (6, 60), (7, 60)\n"        # within the statement
                       "UPDATE t SET u = 11 WHERE id = 1\n"
                       "INSERT INTO t VALUES (8, 10), (9, NULL), (10, NULL)\n"  # 10 is free now; NULLs never clash
                       "INSERT INTO t VALUES (11, 11)\n"                # this transaction's holder
                       "!status\nCOMMIT\n"
                       "INSERT IGNORE INTO t VALUES (12, 50), (13, 130)\n"
                       "INSERT INTO t VALUES (14, 50)\n"                # autocommit
                       "SELECT id, u FROM t ORDER BY id\n")
        self.assertIn("error 1062 (23000): Duplicate entry '10' for key 'uu'", out)
        self.assertIn("error 1062 (23000): Duplicate entry '60' for key 'uu'", out)
        self.assertIn("error 1062 (23000): Duplicate entry '11' for key 'uu'", out)
        self.assertIn("error 1062 (23000): Duplicate entry '50' for key 'uu'", out)
        self.assertIn("status 3\n", out)
        self.assertIn("ok affected=1 insert_id=0 warnings=1 info=Records: 2  Duplicates: 1  Warnings: 1", out)
        self.assertIn("cols: id\tu\n1\t11\n5\t50\n8\t10\n9\t\\N\n10\t\\N\n13\t130\nrows: 6", out)
        # UPDATEs: a unique value taken by another row, a primary key taken,
        # and a key change that keeps the row's unique value
        out = self.sql("USE uk\nCREATE TABLE w (id INT PRIMARY KEY, u INT, v INT, UNIQUE KEY wu (u))\n"
                       "INSERT INTO w VALUES (1, 10, 0), (2, 20, 0)\n"
                       "BEGIN\nUPDATE w SET v = 5 WHERE id = 1\n"
                       "UPDATE w SET u = 20 WHERE id = 1\n"
                       "UPDATE w SET id = 2 WHERE id = 1\n"
                       "UPDATE w SET id = 3 WHERE id = 1\n"
                       "!status\nCOMMIT\n"
                       "UPDATE w SET id = 4 WHERE id = 3\n"
                       "SELECT id, u, v FROM w ORDER BY id\n")
        self.assertIn("error 1062 (23000): Duplicate entry '20' for key 'wu'", out)
        self.assertIn("error 1062 (23000): Duplicate entry '2' for key 'PRIMARY'", out)
        self.assertIn("status 3\n", out)
        self.assertIn("cols: id\tu\tv\n2\t20\t0\n4\t10\t5\nrows: 2", out)

    def test_prepared_statements_keep_their_metadata(self):
        out = self.in_database("ps", ""
                       "CREATE TABLE s (id INTEGER NOT NULL AUTO_INCREMENT, k INTEGER DEFAULT '0' NOT NULL, "
                       "c CHAR(120) DEFAULT '' NOT NULL, PRIMARY KEY (id))\n"
                       "INSERT INTO s (k, c) VALUES (1, 'a'), (2, 'b'), (3, 'c')\n"
                       "!prepare SELECT c FROM s WHERE id=?\n!execute 1 2\n"
                       "!prepare SELECT SUM(k) FROM s WHERE id BETWEEN ? AND ?\n!execute 2 1 3\n"
                       "!prepare BEGIN\n!prepare COMMIT\n!execute 3\n!execute 4\n"
                       "!prepare SHOW TABLES\n!execute 99\n")
        self.assertIn("stmt 1 params=1 cols=1\ncol c type=254 flags=1 length=480 table=s\ncols: c\nb\n", out)
        self.assertIn("stmt 2 params=2 cols=1\ncol SUM(k) type=246", out)
        self.assertIn("cols: SUM(k)\n6\n", out)
        self.assertIn("stmt 3 params=0 cols=0", out)
        self.assertIn("error 1295 (HY000)", out)
        self.assertIn("error 1243 (HY000)", out)

    def test_prepared_upsert_and_savepoints(self):
        # ON DUPLICATE KEY UPDATE as a prepared statement (parameters on both
        # sides of it), and a savepoint inside a prepared-statement session.
        out = self.in_database("pu", "CREATE TABLE c (id INT PRIMARY KEY, n INT, u INT, UNIQUE KEY cu (u))\n"
                               "!prepare INSERT INTO c (id, n, u) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE n = n + ?\n"
                               "!execute 1 1 5 10 100\n!execute 1 1 5 10 100\n!execute 1 2 0 10 1\n"
                               "!execute 1 3 7 30\n"
                               "SELECT id, n, u FROM c ORDER BY id\n"
                               "BEGIN\nSAVEPOINT s1\n!execute 1 4 1 40 0\nROLLBACK TO SAVEPOINT s1\n"
                               "!execute 1 5 1 50 0\nCOMMIT\nSELECT id FROM c ORDER BY id\n")
        self.assertIn("stmt 1 params=4 cols=0", out)
        self.assertIn("ok affected=1 insert_id=0", out)
        self.assertEqual(out.count("ok affected=2 insert_id=0"), 2, out)
        self.assertIn("error 1210 (HY000)", out)
        self.assertIn("cols: id\tn\tu\n1\t106\t10\nrows: 1", out)
        self.assertIn("cols: id\n1\n5\nrows: 2", out)

    def test_long_rows_in_batches_and_a_node_restart(self):
        # 60 KB rows: one statement writing 40 of them, a locking scan over
        # them, and a node restart copying them, each in batches that fit the
        # transport's 1 MB frames (the links used to close on such batches).
        values = ", ".join(f"({i}, {i}, REPEAT('r', 60000))" for i in range(40))
        out = self.in_database("lr", "CREATE TABLE t (id INT PRIMARY KEY, k INT, x TEXT, KEY (k))\n"
                               f"INSERT INTO t VALUES {values}\n"
                               "UPDATE t SET x = CONCAT(x, 's')\n"
                               "SELECT COUNT(*), SUM(LENGTH(x)) FROM t WHERE k >= 0\n")  # ordered index scan
        self.assertIn("ok affected=40 insert_id=0 warnings=0 info=Records: 40", out)
        self.assertIn("info=Rows matched: 40  Changed: 40", out)
        self.assertIn("cols: COUNT(*)\tSUM(LENGTH(x))\n40\t2400040\n", out)
        # Inside a transaction such a statement cannot be undone alone once
        # part of it went out: failing late, it ends the transaction.
        more = ", ".join(f"({i}, 0, REPEAT('m', 60000))" for i in range(100, 120))
        out = self.sql(f"USE lr\nBEGIN\nINSERT INTO t VALUES (99, 0, 'early')\nINSERT INTO t VALUES {more}, (0, 0, 'dup')\n"
                       "!status\nCOMMIT\nSELECT COUNT(*) FROM t WHERE id >= 99\n")
        self.assertIn("error 1062 (23000): Duplicate entry '0' for key 'PRIMARY'\nstatus 2\n", out)
        self.assertIn("cols: COUNT(*)\n0\n", out)
        self.nodes[3].stop()
        self.start_ndbd(3)
        self.wait_started([3])
        self.assertIn("Node restart completed copying the fragments to Node 3", self.log_text(3))
        self.nodes[2].stop()
        out = self.sql("SELECT COUNT(*), SUM(LENGTH(x)), MIN(RIGHT(x, 2)) FROM lr.t\n")
        self.assertIn("40\t2400040\trs\n", out)

    def test_many_sessions_share_one_connection(self):
        self.sql("CREATE DATABASE cc\nCREATE TABLE cc.acct (id INT PRIMARY KEY, bal BIGINT NOT NULL)\n"
                 "INSERT INTO cc.acct VALUES (1, 1000), (2, 1000)\n"
                 "CREATE TABLE cc.log (id BIGINT AUTO_INCREMENT PRIMARY KEY, t INT, i INT)\n")
        script = ("USE cc\nBEGIN\nUPDATE acct SET bal = bal - 1 WHERE id = 1\n"
                  "UPDATE acct SET bal = bal + 1 WHERE id = 2\nINSERT INTO log (t, i) VALUES ($T, $I)\nCOMMIT\n")
        out = self.sql(script, "--threads", "8", "--repeat", "20", timeout=300)
        self.assertIn("done errors=0", out)
        out = self.sql("SELECT SUM(bal), MIN(bal) FROM cc.acct\nSELECT COUNT(*), COUNT(DISTINCT id) FROM cc.log\n")
        self.assertIn("2000\t840\n", out)
        self.assertIn("160\t160\n", out)

    def test_auto_increment_after_truncate_and_recreate_on_another_sql_node(self):
        """Each SQL node holds a range of AUTO_INCREMENT values. A TRUNCATE or a
        DROP + CREATE through one restarts the shared sequence; the other must
        not go on from the range it held for the old table, or the two hand
        out the same ids (1062 on inserts that name no id)."""
        self.sql("CREATE DATABASE ai\nCREATE TABLE ai.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)\n")

        def run(node, statement):
            self.send(node, statement)
            return self.answer(node)

        with self.sql_nodes("ai") as nodes:
            for reset in ("TRUNCATE TABLE t",
                          "DROP TABLE t\nCREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)"):
                for i, node in enumerate(nodes):  # each takes a range
                    self.assertRegex(run(node, f"INSERT INTO t (v) VALUES ({i})"), r"^ok affected=1 ")
                for line in reset.split("\n"):
                    self.assertRegex(run(nodes[1], line), r"^ok ")
                for i in range(40):
                    self.assertRegex(run(nodes[i % 2], f"INSERT INTO t (v) VALUES ({i})"), r"^ok affected=1 ",
                                     f"insert {i} after {reset!r}")
        out = self.sql("SELECT COUNT(*), COUNT(DISTINCT id) FROM ai.t\n")
        self.assertIn("40\t40\n", out)

    def test_a_sequence_behind_the_table_moves_past_it_after_one_duplicate(self):
        """An UPDATE of the AUTO_INCREMENT column leaves the sequence behind
        the table (MySQL's too). The first insert that meets such a row fails
        with 1062 as in MySQL; halb-sqld then moves the sequence past the
        table's rows, so the next insert works instead of failing once for
        every row in the way."""
        out = self.in_database("behind", ""
                               "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)\n"
                               "INSERT INTO t (v) VALUES (1), (2), (3), (4), (5)\n"
                               "UPDATE t SET id = id + 5\n"
                               "INSERT INTO t (v) VALUES (6)\n"
                               "INSERT INTO t (v) VALUES (7)\n"
                               "SELECT id FROM t WHERE v = 7\n")
        self.assertIn("error 1062 (23000): Duplicate entry '6' for key 'PRIMARY'", out)
        self.assertIn("ok affected=1 insert_id=11", out)
        self.assertIn("cols: id\n11\n", out)

    def test_the_same_create_table_on_two_sql_nodes_at_once(self):
        """Two SQL nodes run CREATE TABLE IF NOT EXISTS for the same table at
        the same moment (two application servers starting together), table
        after table in step. Each table must end up created once and usable
        from both; a node taking the other's fresh cluster table (its catalog
        row not written yet) for a leftover would drop it."""
        self.sql("CREATE DATABASE race\n")
        with self.sql_nodes("race") as nodes:
            def both(statement):  # sent to both before either answer is read: in step
                for node in nodes:
                    self.send(node, statement)
                return [self.answer(node) for node in nodes]

            self.assertEqual([r[:2] for r in both("SELECT 1")], ["co", "co"])  # both engines up
            for node in nodes:
                while not self.answer(node).startswith("rows:"):
                    pass
            for i in range(10):
                for r in both(f"CREATE TABLE IF NOT EXISTS t{i} (id INT PRIMARY KEY, v INT)"):
                    self.assertRegex(r, r"^ok ", f"t{i}")
            for i in range(10):
                for n, node in enumerate(nodes):
                    self.send(node, f"INSERT INTO t{i} VALUES ({n}, {n})")
                    self.assertRegex(self.answer(node), r"^ok affected=1 ", f"t{i} on node {n}")

    # Statements halb-sqld parses itself, each with the first line of its
    # answer: a mistake anywhere in one is an error and does nothing.
    SESSION_STATEMENTS = [
        ("CREATE DATABASE IF NOT EXIST x", "error 1064 "),       # not a database named IF
        ("CREATE DATABASE strict2 garbage here", "error 1064 "),
        ("CREATE DATABASE ``", "error 1102 (42000): Incorrect database name ''"),
        ("CREATE DATABASE `x `", "error 1102 "),
        ("CREATE DATABASE information_schema", "error 1044 "),
        ("CREATE TABLE information_schema.t (i INT PRIMARY KEY)", "error 1044 "),
        ("DROP TABLE information_schema.tables", "error 1044 "),
        ("CREATE TABLE `` (i INT PRIMARY KEY)", "error 1103 "),
        ("CREATE TABLE t2 (`` INT PRIMARY KEY)", "error 1166 "),
        ("CREATE TABLE " + "n" * 65 + " (i INT PRIMARY KEY)", "error 1059 "),
        ("CREATE INDEX ix ON t (a) garbage", "error 1064 "),
        ("CREATE INDEX ix ON t (a) USING BTREE COMMENT 'c' ALGORITHM = INPLACE LOCK NONE", "ok "),
        ("DROP INDEX ix ON t garbage", "error 1064 "),
        ("DROP TABLE IF EXIST t", "error 1064 "),
        ("DROP TABLE t garbage", "error 1064 "),
        ("DROP DATABASE strict garbage", "error 1064 "),
        ("TRUNCATE TABLE t garbage", "error 1064 "),
        ("USE strict garbage", "error 1064 "),
        ("KILL 12345 garbage", "error 1064 "),
        ("BEGIN WORK garbage", "error 1064 "),
        ("START TRANSACTION garbage", "error 1064 "),
        ("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ WRITE", "ok "),
        ("COMMIT garbage", "error 1064 "),
        ("COMMIT AND CHAIN", "ok "),
        ("SELECT @@in_transaction", "cols: @@in_transaction"),
        ("ROLLBACK WORK AND NO CHAIN NO RELEASE", "ok "),
        ("ROLLBACK garbage", "error 1064 "),
        ("COMMIT RELEASE", "error 1235 "),
        ("SET autocommit = 1 garbage", "error 1064 "),
        ("SET @x = 1 garbage", "error 1064 "),
        ("SET @x = 1 + 2, @y = (SELECT 5)", "ok "),
        ("SET NAMES utf8mb4 garbage", "error 1064 "),
        ("SET TRANSACTION garbage", "error 1064 "),
        ("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", "ok "),
        ("DO 1 garbage", "error 1064 "),
        ("DO 1, @x + 1", "ok "),
        ("FLUSH garbage", "error 1064 "),
        ("FLUSH PRIVILEGES garbage", "error 1064 "),
        ("FLUSH LOCAL PRIVILEGES, TABLES t WITH READ LOCK", "ok "),
        ("UNLOCK TABLES garbage", "error 1064 "),
        ("LOCK garbage", "error 1064 "),
        ("ANALYZE TABLE t garbage", "error 1064 "),
        ("ALTER TABLE t ENGINE = InnoDB garbage", "error 1064 "),
        ("ALTER DATABASE strict garbage", "error 1064 "),
        ("ALTER DATABASE strict CHARACTER SET utf8mb4", "ok "),
        ("RENAME TABLE t TO t2", "error 1235 "),
        ("SHOW TABLES garbage", "error 1064 "),
        ("SHOW CREATE TABLE t garbage", "error 1064 "),
        ("SHOW COLUMNS FROM t garbage", "error 1064 "),
        ("SHOW VARIABLES LIKE 'auto%' garbage", "error 1064 "),
        ("SHOW WARNINGS LIMIT 5", "cols: Level"),
        ("SHOW VARIABLES LIKE '" + "%" * 200000 + "commit'", "cols: Variable_name"),  # once a stack overflow
        ("CREATE TABLE t5 (i INT PRIMARY KEY, j VARCHAR(3) DEFAULT 'abcd')", "error 1067 "),
        ("CREATE TABLE t5 (i INT PRIMARY KEY) COMMENT '" + "c" * 2049 + "'", "error 1628 "),
        ("CREATE USER '" + "u" * 33 + "'@'%'", "error 1470 "),
        ("CREATE USER 'u'@'" + "h" * 256 + "'", "error 1470 "),
        # A definition larger than a data node takes in one message is refused
        # before it is sent: sent, it made the data nodes drop the SQL node's
        # link, aborting every transaction on it (see the other session below).
        ("@1 BEGIN", "ok "),
        ("@1 INSERT INTO t VALUES (50, 1)", "ok "),
        ("CREATE TABLE t6 (i INT PRIMARY KEY, e ENUM(" + ",".join(f"'{'e' * 30}{n}'" for n in range(40000)) + "))",
         "error 1296 (HY000): Got error 4275 "),
        ("@1 COMMIT", "ok "),
        ("SELECT COUNT(*) FROM t WHERE id = 50", "cols: COUNT(*)"),
        ("SHOW GRANTS garbage", "error 1064 "),
        ("CREATE USER 'strict1'@'%' IDENTIFIED BY 'a' garbage", "error 1064 "),
        ("CREATE USER 'strict1'@'%' IDENTIFIED BY 'a' ACCOUNT LOCK", "error 1235 "),
        ("CREATE USER 'strict1'@'%' IDENTIFIED BY PASSWORD '*12'", "error 1827 "),
        ("CREATE USER 'strict1'@'%' IDENTIFIED WITH caching_sha2_password BY 'a'", "error 1235 "),
        ("CREATE USER 'strict1'@'%', 'strict2'@'%' IDENTIFIED BY 'a' REQUIRE NONE ACCOUNT UNLOCK", "ok "),
        ("DROP USER 'strict1'@'%', 'strict2'@'%' garbage", "error 1064 "),
        ("ALTER USER 'strict1'@'%' IDENTIFIED BY 'b', 'nobody'@'%' IDENTIFIED BY 'c'", "error 1396 "),
        ("ALTER USER IF EXISTS 'strict1'@'%' IDENTIFIED BY 'b', 'nobody'@'%' IDENTIFIED BY 'c'", "ok "),
        ("DROP USER 'strict1'@'%', 'strict2'@'%'", "ok "),
        # What MySQL 8's SHOW CREATE USER writes for a plain account is taken.
        ("CREATE USER 'strict3'@'%' IDENTIFIED WITH 'mysql_native_password' AS '*" + "0A" * 20 + "' REQUIRE NONE "
         "PASSWORD EXPIRE DEFAULT ACCOUNT UNLOCK PASSWORD HISTORY DEFAULT PASSWORD REUSE INTERVAL DEFAULT "
         "PASSWORD REQUIRE CURRENT DEFAULT", "ok "),
        ("CREATE USER 'strict4'@'%' IDENTIFIED WITH mysql_native_password WITH MAX_QUERIES_PER_HOUR 0 "
         "MAX_USER_CONNECTIONS 0", "ok "),
        ("CREATE USER 'strict5'@'%' WITH MAX_USER_CONNECTIONS 5", "error 1235 "),
        ("DROP USER 'strict3'@'%', 'strict4'@'%'", "ok "),
        ("SET NAMES utf8mb4, autocommit = 1", "ok "),
        ("SET NAMES utf8mb4,", "error 1064 "),
    ]

    def test_session_statements_end_where_their_grammar_ends(self):
        self.sql("CREATE DATABASE strict\nCREATE TABLE strict.t (id INT PRIMARY KEY, a INT)\n")
        with self.sql_nodes("strict", count=1) as (node,):
            for statement, expected in self.SESSION_STATEMENTS:
                self.send(node, statement)
                first = self.answer(node)
                self.assertTrue(first.startswith(expected), f"{statement[:120]}: {first[:300]}")
                if first.startswith("cols:"):
                    while not self.answer(node).startswith("rows:"):
                        pass
            # Nothing the refused statements named was made or dropped.
            self.send(node, "SHOW DATABASES")
            self.assertTrue(self.answer(node).startswith("cols:"))
            databases = []
            while not (line := self.answer(node)).startswith("rows:"):
                databases.append(line)
            self.assertNotIn("IF", databases)
            self.assertNotIn("strict2", databases)
            self.assertNotIn("", databases)
            self.assertEqual(databases.count("information_schema"), 1)
            self.send(node, "SELECT COUNT(*), SUM(id) FROM t")
            self.assertEqual(self.answer(node), "cols: COUNT(*)\tSUM(id)")
            self.assertEqual(self.answer(node), "1\t50")  # the other session's row, committed
            self.assertEqual(self.answer(node), "rows: 1")
            # SHOW WARNINGS LIMIT offset, count; SHOW ... WHERE keeps the rows
            # its condition holds for, column names standing for each row's
            # values (MySQL's comparisons).
            self.send(node, "DROP TABLE IF EXISTS nx1, nx2, nx3")
            self.assertTrue(self.answer(node).startswith("ok "))
            for statement, rows in [
                    ("SHOW WARNINGS LIMIT 1, 1", ["Note\t1051\tUnknown table 'strict.nx2'"]),
                    ("SHOW VARIABLES WHERE Variable_name IN ('AUTOCOMMIT', 'sql_select_limit') AND Value <> ''",
                     ["autocommit\tON", "sql_select_limit\t18446744073709551615"]),
                    ("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE' AND Tables_in_strict LIKE 'T%'", ["t\tBASE TABLE"]),
                    ("SHOW COLUMNS FROM t WHERE `Key` = 'PRI'", ["id\tint(11)\tNO\tPRI\t\\N"]),
                    ("SHOW DATABASES WHERE `Database` = 'nothing'", [])]:
                self.send(node, statement)
                self.assertTrue(self.answer(node).startswith("cols:"), statement)
                got = []
                while not (line := self.answer(node)).startswith("rows:"):
                    got.append(line)
                self.assertEqual(got, rows, statement)
            self.send(node, "SHOW VARIABLES WHERE no_such_column = 1")
            self.assertTrue(self.answer(node).startswith("error 1054 "))
            # A KILL id past 32 bits names no connection (not the one its
            # low bits are).
            self.send(node, "SELECT CONNECTION_ID()")
            self.answer(node)
            own = int(self.answer(node))
            self.answer(node)
            self.send(node, f"KILL QUERY {own + 2 ** 32}")
            self.assertEqual(self.answer(node), f"error 1094 (HY000): Unknown thread id: {own + 2 ** 32}")

if __name__ == "__main__":
    unittest.main()
