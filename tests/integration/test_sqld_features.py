"""halb-sqld's SQL features with real clients on a loopback cluster (1
halb-mgmd, 2 halb-ndbd, 2 halb-sqld): INSERT ... ON DUPLICATE KEY UPDATE,
DROP INDEX / ALTER TABLE ... INDEX, savepoints, privileges enforced on both
SQL nodes, long VARCHAR/TEXT/BLOB values in the text and binary protocols,
and a full table named in error 1114."""
import os
import struct
import subprocess
import threading
import time
import unittest

from halb import program, wait_for
from sqld_cluster import ROOT_PASSWORD, SqldCluster

try:
    import pymysql
    from pymysql.constants import COMMAND
except ImportError:  # python3-pymysql (scripts/install-deps)
    pymysql = None


def have_perl_dbd_mysql():
    return subprocess.run(["perl", "-MDBD::mysql", "-e", "1"], capture_output=True).returncode == 0


def lenenc(data):
    """A MySQL length-encoded string."""
    n = len(data)
    if n < 251:
        return bytes([n]) + data
    if n < 1 << 16:
        return b"\xfc" + struct.pack("<H", n) + data
    if n < 1 << 24:
        return b"\xfd" + struct.pack("<I", n)[:3] + data
    return b"\xfe" + struct.pack("<Q", n) + data


class BinaryStatement:
    """A server-side prepared statement over a PyMySQL connection's socket."""

    def __init__(self, conn, sql):
        self.conn = conn
        conn._execute_command(COMMAND.COM_STMT_PREPARE, sql)
        data = conn._read_packet().get_all_data()
        self.id, self.columns, self.params = struct.unpack("<IHH", data[1:9])
        self._skip_definitions(self.params)
        self._skip_definitions(self.columns)

    def _skip_definitions(self, n):
        for _ in range(n):
            self.conn._read_packet()
        if n:
            self.conn._read_packet()  # EOF

    def send_long_data(self, param, chunk):
        self.conn._execute_command(COMMAND.COM_STMT_SEND_LONG_DATA, struct.pack("<IH", self.id, param) + chunk)

    def execute(self, params):
        """params: (type byte, value bytes or None for long data). Rows as lists
        of bytes: every result column must be a string type (length-encoded)."""
        body = struct.pack("<IBI", self.id, 0, 1) + bytes((len(params) + 7) // 8) + b"\x01"
        body += b"".join(bytes([t, 0]) for t, _ in params) + b"".join(v for _, v in params if v is not None)
        self.conn._execute_command(COMMAND.COM_STMT_EXECUTE, body)
        first = self.conn._read_packet().get_all_data()
        if first[0] == 0:
            return None  # OK
        ncols = first[0]
        self._skip_definitions(ncols)
        rows = []
        while True:
            d = self.conn._read_packet().get_all_data()
            if d[0] == 0xFE and len(d) < 9:
                return rows
            pos = 1 + (ncols + 7 + 2) // 8
            row = []
            for _ in range(ncols):
                if d[pos] == 0xFC:
                    n, pos = struct.unpack("<H", d[pos + 1:pos + 3])[0], pos + 3
                elif d[pos] == 0xFD:
                    n, pos = int.from_bytes(d[pos + 1:pos + 4], "little"), pos + 4
                elif d[pos] == 0xFE:
                    n, pos = struct.unpack("<Q", d[pos + 1:pos + 9])[0], pos + 9
                else:
                    n, pos = d[pos], pos + 1
                row.append(d[pos:pos + n])
                pos += n
            rows.append(row)


@unittest.skipUnless(pymysql, "python3-pymysql is not installed")
class SqlFeatures(SqldCluster):
    def connect(self, node=0, user="root", password=ROOT_PASSWORD, **kw):
        return pymysql.connect(host="127.0.0.1", port=self.sql[node]["port"], user=user, password=password,
                               autocommit=True, **kw)

    def run_sql(self, conn, sql):
        """Rows (a list of tuples) or the affected-row count."""
        with conn.cursor() as cur:
            n = cur.execute(sql)
            return list(cur.fetchall()) if cur.description else n

    def sql_error(self, conn, sql):
        """(code, message) of the error `sql` must end with."""
        with self.assertRaises(pymysql.MySQLError, msg=sql) as e:
            self.run_sql(conn, sql)
        return e.exception.args[0], e.exception.args[1]

    def setup_db(self, name, *statements, node=0):
        c = self.connect(node)
        self.run_sql(c, f"CREATE DATABASE {name}")
        self.run_sql(c, f"USE {name}")
        for s in statements:
            self.run_sql(c, s)
        return c

    # ---- INSERT ... ON DUPLICATE KEY UPDATE --------------------------------

    def test_on_duplicate_key_update(self):
        c = self.setup_db("odku", "CREATE TABLE t (id INT PRIMARY KEY, u INT, n INT NOT NULL DEFAULT 0, "
                                  "s VARCHAR(20), UNIQUE KEY uu (u))")
        q = lambda sql: self.run_sql(c, sql)
        rows = lambda: q("SELECT id, u, n, s FROM t ORDER BY id")
        self.assertEqual(q("INSERT INTO t (id, u, n) VALUES (1, 10, 1) ON DUPLICATE KEY UPDATE n = n + 1"), 1)
        self.assertEqual(q("INSERT INTO t (id, u, n) VALUES (1, 10, 1) ON DUPLICATE KEY UPDATE n = n + 1"), 2)
        # nothing changes: 0 affected rows
        self.assertEqual(q("INSERT INTO t (id, u, n) VALUES (1, 10, 2) ON DUPLICATE KEY UPDATE n = VALUES(n)"), 0)
        # a clash on the unique secondary index updates the row holding it
        self.assertEqual(q("INSERT INTO t (id, u, n) VALUES (2, 10, 5) ON DUPLICATE KEY UPDATE n = VALUES(n) + 100"), 2)
        self.assertEqual(rows(), [(1, 10, 105, None)])
        # several rows: an insert, an update, an insert (and the info line)
        with c.cursor() as cur:
            self.assertEqual(cur.execute("INSERT INTO t (id, u, n) VALUES (3, 30, 3), (1, 11, 0), (4, 40, 4) "
                                         "ON DUPLICATE KEY UPDATE s = 'dup'"), 4)
            self.assertTrue(cur._result.message.endswith(b"Records: 3  Duplicates: 1  Warnings: 0"),
                            cur._result.message)
        # MySQL 8's row alias, with and without column aliases
        self.assertEqual(q("INSERT INTO t (id, u, n) VALUES (3, 30, 7) AS new ON DUPLICATE KEY UPDATE n = new.n * 2"), 2)
        self.assertEqual(q("INSERT INTO t (id, u, n) VALUES (4, 40, 1) AS new(a, b, m) "
                           "ON DUPLICATE KEY UPDATE n = n + m, s = CONCAT('m', new.m)"), 2)
        # INSERT ... SET and INSERT ... SELECT
        self.assertEqual(q("INSERT INTO t SET id = 5, u = 50 ON DUPLICATE KEY UPDATE n = n + 1"), 1)
        self.assertEqual(q("INSERT INTO t SET id = 5, u = 50 ON DUPLICATE KEY UPDATE n = n + 1"), 2)
        self.assertEqual(q("INSERT INTO t (id, u, n) SELECT id + 100, u, n FROM t WHERE id IN (3, 4) "
                           "ON DUPLICATE KEY UPDATE n = 0"), 4)
        self.assertEqual(rows(), [(1, 10, 105, "dup"), (3, 30, 0, None), (4, 40, 0, "m1"), (5, 50, 1, None)])
        # two rows of one statement clash with each other
        self.assertEqual(q("INSERT INTO t (id, u, n) VALUES (6, 60, 1), (6, 61, 1) ON DUPLICATE KEY UPDATE n = n + 10"), 3)
        self.assertEqual(q("SELECT u, n FROM t WHERE id = 6"), [(60, 11)])
        # the UPDATE may itself clash: the statement fails and leaves nothing
        code, msg = self.sql_error(c, "INSERT INTO t (id, u) VALUES (7, 70), (1, 0) ON DUPLICATE KEY UPDATE u = 30")
        self.assertEqual((code, msg), (1062, "Duplicate entry '30' for key 'uu'"))
        self.assertEqual(q("SELECT COUNT(*) FROM t WHERE id = 7"), [(0,)])
        # the UPDATE part is checked even when nothing clashes
        self.assertEqual(self.sql_error(c, "INSERT INTO t (id, u) VALUES (8, 80) ON DUPLICATE KEY UPDATE nope = 1"),
                         (1054, "Unknown column 'nope' in 'field list'"))
        self.assertEqual(self.sql_error(c, "INSERT INTO t (id, u) VALUES (8, 80) ON DUPLICATE KEY UPDATE n = VALUES(zz)"),
                         (1054, "Unknown column 'zz' in 'field list'"))
        self.assertEqual(self.sql_error(c, "INSERT INTO t (id, u) VALUES (8, 80) ON DUPLICATE KEY UPDATE")[0], 1064)
        self.assertEqual(self.sql_error(c, "INSERT INTO t (id, u) VALUES (8, 80, 1) ON DUPLICATE KEY UPDATE n = 1")[0], 1136)
        self.assertEqual(q("SELECT COUNT(*) FROM t WHERE id = 8"), [(0,)])
        # inside a transaction, undone by ROLLBACK
        q("BEGIN")
        self.assertEqual(q("INSERT INTO t (id, u) VALUES (1, 10) ON DUPLICATE KEY UPDATE n = -1"), 2)
        self.assertEqual(q("SELECT n FROM t WHERE id = 1"), [(-1,)])
        q("ROLLBACK")
        self.assertEqual(q("SELECT n FROM t WHERE id = 1"), [(105,)])
        # a table without a primary key: the unique key decides
        q("CREATE TABLE h (u INT, n INT, UNIQUE KEY hu (u))")
        q("INSERT INTO h VALUES (1, 1) ON DUPLICATE KEY UPDATE n = n + 1")
        self.assertEqual(q("INSERT INTO h VALUES (1, 1) ON DUPLICATE KEY UPDATE n = n + 1"), 2)
        self.assertEqual(q("SELECT u, n FROM h"), [(1, 2)])
        # the other SQL node sees the result
        self.assertEqual(self.run_sql(self.connect(1), "SELECT n FROM odku.t WHERE id = 5"), [(1,)])
        # "id = LAST_INSERT_ID(id)" hands the existing row's id to the client
        q("CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(10), UNIQUE KEY an (name))")
        with c.cursor() as cur:
            cur.execute("INSERT INTO a (name) VALUES ('x'), ('y')")
            cur.execute("INSERT INTO a (name) VALUES ('y') ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)")
            self.assertEqual(cur.lastrowid, 2)
            # as with InnoDB, the value generated for the row that clashed is used up
            cur.execute("INSERT INTO a (name) VALUES ('z') ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)")
            self.assertEqual(cur.lastrowid, 4)
        self.assertEqual(q("SELECT LAST_INSERT_ID()"), [(4,)])

    def test_on_duplicate_key_update_found_rows(self):
        # CLIENT_FOUND_ROWS: a row left as it was counts 1
        c = self.setup_db("odkufr", "CREATE TABLE t (id INT PRIMARY KEY, n INT)", "INSERT INTO t VALUES (1, 1)")
        fr = self.connect(database="odkufr", client_flag=pymysql.constants.CLIENT.FOUND_ROWS)
        self.assertEqual(self.run_sql(fr, "INSERT INTO t VALUES (1, 1) ON DUPLICATE KEY UPDATE n = VALUES(n)"), 1)
        self.assertEqual(self.run_sql(c, "INSERT INTO t VALUES (1, 1) ON DUPLICATE KEY UPDATE n = VALUES(n)"), 0)

    # ---- indexes -------------------------------------------------------------

    def test_add_and_drop_indexes(self):
        c = self.setup_db("ix", "CREATE TABLE t (id INT PRIMARY KEY, v INT, u INT)",
                          "INSERT INTO t VALUES (1, 1, 1), (2, 1, 2)")
        other = self.connect(1, database="ix")
        keys = lambda: sorted({(r[2], r[1]) for r in self.run_sql(other, "SHOW INDEX FROM t")})
        self.run_sql(c, "ALTER TABLE t ADD INDEX iv (v)")
        self.run_sql(c, "ALTER TABLE t ADD UNIQUE uq (u)")
        self.run_sql(c, "CREATE INDEX ivu ON t (v, u)")
        self.assertEqual(keys(), [("PRIMARY", 0), ("iv", 1), ("ivu", 1), ("uq", 0)])
        self.assertEqual(self.sql_error(other, "INSERT INTO t VALUES (3, 3, 2)"),
                         (1062, "Duplicate entry '2' for key 'uq'"))
        self.assertEqual(self.sql_error(c, "ALTER TABLE t ADD INDEX iv (u)"), (1061, "Duplicate key name 'iv'"))
        self.run_sql(c, "DROP INDEX iv ON t")
        self.run_sql(c, "ALTER TABLE t DROP INDEX uq")
        self.run_sql(c, "ALTER TABLE ix.t DROP KEY ivu")
        self.assertEqual(keys(), [("PRIMARY", 0)])
        self.assertEqual(self.run_sql(other, "INSERT INTO t VALUES (3, 3, 2)"), 1)  # no unique key any more
        self.assertEqual(self.run_sql(other, "SELECT id, v, u FROM t ORDER BY id"), [(1, 1, 1), (2, 1, 2), (3, 3, 2)])
        self.assertEqual(self.sql_error(c, "DROP INDEX nope ON t"),
                         (1091, "Can't DROP 'nope'; check that column/key exists"))
        self.assertEqual(self.sql_error(c, "ALTER TABLE t ADD UNIQUE uq (u)")[0], 1062)  # duplicates in the rows
        self.assertEqual(keys(), [("PRIMARY", 0)])

    def test_create_table_like(self):
        c = self.setup_db("lk", "CREATE TABLE src (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL "
                                "DEFAULT 'x', k INT, UNIQUE KEY uk (name), KEY ik (k)) COMMENT='kept'",
                          "INSERT INTO src (name, k) VALUES ('a', 1), ('b', 2)")
        self.run_sql(c, "CREATE TABLE dst LIKE src")
        show = lambda conn, t: self.run_sql(conn, f"SHOW CREATE TABLE {t}")[0][1]
        self.assertEqual(show(c, "dst"), show(c, "src").replace("`src`", "`dst`", 1).replace(" AUTO_INCREMENT=3", ""))
        self.assertEqual(self.run_sql(c, "SELECT COUNT(*) FROM dst"), [(0,)])  # no rows, counter from 1
        other = self.connect(1, database="lk")
        self.assertEqual(self.run_sql(other, "INSERT INTO dst (name, k) VALUES ('z', 9)"), 1)
        self.assertEqual(self.run_sql(c, "SELECT id, name, k FROM dst"), [(1, "z", 9)])
        self.assertEqual(self.sql_error(other, "INSERT INTO dst (name) VALUES ('z')")[0], 1062)  # its unique key
        self.run_sql(other, "CREATE TABLE lk.d2 (LIKE lk.src)")
        self.assertEqual(self.run_sql(c, "SHOW INDEX FROM d2")[1][2], "uk")
        self.assertEqual(self.sql_error(c, "CREATE TABLE dst LIKE src"), (1050, "Table 'dst' already exists"))
        self.assertEqual(self.run_sql(c, "CREATE TABLE IF NOT EXISTS dst LIKE src"), 0)
        self.assertEqual(self.sql_error(c, "CREATE TABLE d3 LIKE nosuch"), (1146, "Table 'lk.nosuch' doesn't exist"))
        self.assertEqual(self.sql_error(c, "CREATE TABLE src LIKE src"), (1066, "Not unique table/alias: 'src'"))
        self.assertEqual(self.sql_error(c, "CREATE TABLE d4 AS SELECT 1")[0], 1105)
        self.run_sql(c, "CREATE USER 'lk'@'%' IDENTIFIED BY 'pw'")
        self.run_sql(c, "GRANT CREATE ON lk.* TO 'lk'@'%'")
        u = self.connect(user="lk", password="pw", database="lk")
        self.assertEqual(self.sql_error(u, "CREATE TABLE d5 LIKE src")[0], 1142)  # SELECT on the source needed
        self.run_sql(c, "GRANT SELECT ON lk.src TO 'lk'@'%'")
        self.run_sql(u, "CREATE TABLE d5 LIKE src")
        self.run_sql(c, "DROP USER 'lk'@'%'")

    # ---- savepoints ------------------------------------------------------------

    def test_savepoints(self):
        c = self.setup_db("sp", "CREATE TABLE t (id INT PRIMARY KEY, v INT, u INT, UNIQUE KEY uu (u))",
                          "INSERT INTO t VALUES (1, 1, 10), (2, 2, 20)")
        q = lambda sql: self.run_sql(c, sql)
        rows = lambda: q("SELECT id, v, u FROM t ORDER BY id")
        q("BEGIN")
        q("INSERT INTO t VALUES (3, 3, 30)")
        q("SAVEPOINT a")
        q("UPDATE t SET v = 11 WHERE id = 1")
        q("DELETE FROM t WHERE id = 2")
        q("INSERT INTO t VALUES (4, 4, 20)")  # takes the unique value the deleted row had
        q("SAVEPOINT b")
        q("UPDATE t SET u = 99 WHERE id = 3")
        q("ROLLBACK TO SAVEPOINT b")
        self.assertEqual(rows(), [(1, 11, 10), (3, 3, 30), (4, 4, 20)])
        q("ROLLBACK WORK TO a")
        self.assertEqual(rows(), [(1, 1, 10), (2, 2, 20), (3, 3, 30)])
        self.assertEqual(self.sql_error(c, "ROLLBACK TO b"), (1305, "SAVEPOINT b does not exist"))
        q("INSERT INTO t VALUES (5, 5, 50)")
        q("RELEASE SAVEPOINT a")
        self.assertEqual(self.sql_error(c, "ROLLBACK TO a"), (1305, "SAVEPOINT a does not exist"))
        self.assertEqual(self.sql_error(c, "RELEASE SAVEPOINT a"), (1305, "SAVEPOINT a does not exist"))
        q("COMMIT")
        self.assertEqual(self.run_sql(self.connect(1), "SELECT id, v, u FROM sp.t ORDER BY id"),
                         [(1, 1, 10), (2, 2, 20), (3, 3, 30), (5, 5, 50)])
        # savepoints end with their transaction; outside one there are none
        q("SAVEPOINT x")
        self.assertEqual(self.sql_error(c, "ROLLBACK TO x"), (1305, "SAVEPOINT x does not exist"))
        q("BEGIN")
        q("SAVEPOINT x")
        q("COMMIT")
        self.assertEqual(self.sql_error(c, "ROLLBACK TO x"), (1305, "SAVEPOINT x does not exist"))

    # ---- privileges ------------------------------------------------------------

    def test_privileges(self):
        root = self.setup_db("p1", "CREATE TABLE t (id INT PRIMARY KEY, v INT)", "INSERT INTO t VALUES (1, 1)",
                             "CREATE DATABASE p2", "CREATE TABLE p2.s (id INT PRIMARY KEY)",
                             "CREATE USER 'pu'@'%' IDENTIFIED BY 'pw'",
                             "GRANT SELECT ON p1.* TO 'pu'@'%'",
                             "GRANT INSERT ON p1.t TO 'pu'@'%'")
        u = self.connect(user="pu", password="pw")
        who = "'pu'@'127.0.0.1'"
        self.assertEqual(self.run_sql(u, "SELECT v FROM p1.t"), [(1,)])
        self.assertEqual(self.run_sql(u, "INSERT INTO p1.t VALUES (2, 2)"), 1)
        self.assertEqual(self.sql_error(u, "UPDATE p1.t SET v = 0"),
                         (1142, f"UPDATE command denied to user {who} for table 't'"))
        self.assertEqual(self.sql_error(u, "DELETE FROM p1.t"), (1142, f"DELETE command denied to user {who} for table 't'"))
        self.assertEqual(self.sql_error(u, "SELECT * FROM p2.s"), (1142, f"SELECT command denied to user {who} for table 's'"))
        self.assertEqual(self.sql_error(u, "INSERT INTO p1.t SELECT id + 10, 0 FROM p2.s"),
                         (1142, f"SELECT command denied to user {who} for table 's'"))
        self.assertEqual(self.sql_error(u, "INSERT INTO p1.t VALUES (1, 1) ON DUPLICATE KEY UPDATE v = 9"),
                         (1142, f"UPDATE command denied to user {who} for table 't'"))
        self.assertEqual(self.sql_error(u, "USE p2"), (1044, f"Access denied for user {who} to database 'p2'"))
        with self.assertRaises(pymysql.MySQLError) as e:
            self.connect(user="pu", password="pw", database="p2")
        self.assertEqual(e.exception.args, (1044, f"Access denied for user {who} to database 'p2'"))
        self.assertEqual(self.run_sql(self.connect(user="pu", password="pw", database="p1"), "SELECT DATABASE()"),
                         [("p1",)])
        self.assertEqual(self.sql_error(u, "SHOW TABLES FROM p2")[0], 1044)
        self.assertEqual(self.sql_error(u, f"KILL {root.thread_id()}"),
                         (1095, f"You are not owner of thread {root.thread_id()}"))
        self.assertEqual(self.sql_error(u, "CREATE TABLE p1.x (id INT PRIMARY KEY)"),
                         (1142, f"CREATE command denied to user {who} for table 'x'"))
        self.assertEqual(self.sql_error(u, "DROP TABLE p1.t"), (1142, f"DROP command denied to user {who} for table 't'"))
        self.assertEqual(self.sql_error(u, "ALTER TABLE p1.t ADD INDEX iv (v)"),
                         (1142, f"ALTER command denied to user {who} for table 't'"))
        self.assertEqual(self.sql_error(u, "CREATE INDEX iv ON p1.t (v)"),
                         (1142, f"INDEX command denied to user {who} for table 't'"))
        self.assertEqual(self.sql_error(u, "CREATE DATABASE p3"), (1044, f"Access denied for user {who} to database 'p3'"))
        self.assertEqual(self.sql_error(u, "DROP DATABASE p1"), (1044, f"Access denied for user {who} to database 'p1'"))
        self.assertEqual(self.sql_error(u, "FLUSH PRIVILEGES")[0], 1227)
        self.assertEqual(self.sql_error(u, "SET GLOBAL max_connections = 10")[0], 1227)
        self.assertEqual(self.sql_error(u, "CREATE USER 'x'@'%'")[0], 1227)
        self.assertEqual(self.sql_error(u, "GRANT SELECT ON p1.* TO 'pu'@'%'"),
                         (1044, f"Access denied for user {who} to database 'p1'"))
        self.assertEqual(self.run_sql(u, "SHOW DATABASES"), [("information_schema",), ("p1",)])
        self.assertEqual(self.run_sql(u, "SHOW GRANTS"), [("GRANT USAGE ON *.* TO `pu`@`%`",),
                                                          ("GRANT SELECT ON `p1`.* TO `pu`@`%`",),
                                                          ("GRANT INSERT ON `p1`.`t` TO `pu`@`%`",)])
        # a GRANT on the other SQL node counts at once; so does a REVOKE after FLUSH PRIVILEGES
        other = self.connect(1)
        self.run_sql(other, "GRANT UPDATE, DELETE ON p1.* TO 'pu'@'%'")
        self.assertEqual(self.run_sql(u, "UPDATE p1.t SET v = 5 WHERE id = 1"), 1)
        self.run_sql(other, "REVOKE SELECT, UPDATE ON p1.* FROM 'pu'@'%'")
        self.run_sql(root, "FLUSH PRIVILEGES")
        self.assertEqual(self.sql_error(u, "SELECT v FROM p1.t")[0], 1142)
        self.assertEqual(self.run_sql(u, "DELETE FROM p1.t WHERE id = 2"), 1)
        self.assertEqual(self.run_sql(u, "SHOW GRANTS"), [("GRANT USAGE ON *.* TO `pu`@`%`",),
                                                          ("GRANT DELETE ON `p1`.* TO `pu`@`%`",),
                                                          ("GRANT INSERT ON `p1`.`t` TO `pu`@`%`",)])
        self.assertEqual(self.sql_error(root, "REVOKE SELECT ON p2.* FROM 'pu'@'%'"),
                         (1141, "There is no such grant defined for user 'pu' on host '%'"))
        self.assertEqual(self.sql_error(root, "GRANT SUPER ON p1.* TO 'pu'@'%'"),
                         (1221, "Incorrect usage of DB GRANT and GLOBAL PRIVILEGES"))
        # the seed's GRANT ALL ... IDENTIFIED BY makes an account that may do anything
        self.run_sql(root, "grant all privileges on *.* to 'seed'@'%' identified by 'seedpw'")
        s = self.connect(1, user="seed", password="seedpw")
        self.run_sql(s, "CREATE DATABASE p4")
        self.run_sql(s, "CREATE TABLE p4.t (id INT PRIMARY KEY)")
        self.assertEqual(self.run_sql(s, "SELECT COUNT(*) FROM p2.s"), [(0,)])
        self.assertIn(("p2",), self.run_sql(s, "SHOW DATABASES"))
        # WITH GRANT OPTION lets an account pass on what it holds, and no more
        self.run_sql(root, "GRANT SELECT ON p2.* TO 'pu'@'%' WITH GRANT OPTION")
        self.run_sql(u, "GRANT SELECT ON p2.* TO 'seed'@'%'")
        self.assertEqual(self.sql_error(u, "GRANT INSERT ON p2.* TO 'seed'@'%'"),
                         (1044, f"Access denied for user {who} to database 'p2'"))
        self.run_sql(u, "USE p2")
        # privileges on some tables only: SHOW TABLES lists those
        self.run_sql(root, "CREATE TABLE p2.s2 (id INT PRIMARY KEY)")
        self.run_sql(root, "CREATE USER 'tu'@'%' IDENTIFIED BY 'tpw'")
        self.run_sql(root, "GRANT INSERT ON p2.s2 TO 'tu'@'%'")
        tu = self.connect(user="tu", password="tpw", database="p2")
        self.assertEqual(self.run_sql(tu, "SHOW TABLES"), [("s2",)])
        self.assertEqual(self.run_sql(tu, "SHOW DATABASES"), [("information_schema",), ("p2",)])
        self.assertEqual(self.run_sql(tu, "INSERT INTO s2 VALUES (1)"), 1)
        self.assertEqual(self.sql_error(tu, "SELECT * FROM s2")[0], 1142)
        self.run_sql(root, "REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'tu'@'%'")
        self.assertEqual(self.run_sql(root, "SHOW GRANTS FOR 'tu'@'%'"), [("GRANT USAGE ON *.* TO `tu`@`%`",)])
        self.assertEqual(self.sql_error(tu, "INSERT INTO s2 VALUES (2)")[0], 1142)

    # ---- DEFAULT as a value -------------------------------------------------------

    def test_default_in_values(self):
        c = self.setup_db("dv", "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(10) NOT NULL DEFAULT 'x', "
                                "n INT, m INT NOT NULL)")
        q = lambda sql: self.run_sql(c, sql)
        self.assertEqual(q("INSERT INTO t VALUES (DEFAULT, DEFAULT, DEFAULT, 1)"), 1)
        self.assertEqual(q("INSERT INTO t (id, s, m) VALUES (DEFAULT, 'a', 2), (10, DEFAULT, 3), (default, 'b', 4)"), 3)
        self.assertEqual(q("SELECT LAST_INSERT_ID()"), [(2,)])
        self.assertEqual(self.sql_error(c, "INSERT INTO t (s, m) VALUES ('c', DEFAULT)"),
                         (1364, "Field 'm' doesn't have a default value"))
        self.assertEqual(q("UPDATE t SET s = DEFAULT, n = DEFAULT WHERE id = 2"), 1)
        self.assertEqual(q("INSERT INTO t VALUES (DEFAULT, 'd', 5, 5) ON DUPLICATE KEY UPDATE m = 0"), 1)
        self.assertEqual(q("REPLACE INTO t VALUES (1, DEFAULT, 7, 1)"), 2)
        self.assertEqual(q("SELECT id, s, n, m FROM t WHERE id <= 11 ORDER BY id"),
                         [(1, "x", 7, 1), (2, "x", None, 2), (10, "x", None, 3), (11, "b", None, 4)])
        self.assertEqual(q("SELECT s, n, m FROM t WHERE id > 11"), [("d", 5, 5)])

    def test_default_marker_bytes_are_ordinary_data(self):
        # DEFAULT once travelled through SQLite as these bytes: a client
        # sending them got the column default instead (or error 1364).
        old_default, old_no_default = b"\x01halb-default\x01", b"\x01halb-no-default\x01"
        c = self.setup_db("dm", "CREATE TABLE t (id INT PRIMARY KEY, b VARBINARY(40) DEFAULT 'dflt', "
                                "l BLOB NOT NULL, v VARCHAR(40) NOT NULL DEFAULT 'vd')")
        q = lambda sql, args=None: self.run_sql(c, sql) if args is None else c.cursor().execute(sql, args)
        q("INSERT INTO t (id, b, l) VALUES (1, %s, %s)", (old_default, old_no_default))
        q("INSERT INTO t VALUES (2, %s, %s, %s), (3, DEFAULT, 'x', DEFAULT)",
          (old_no_default, old_default, old_default.decode()))
        q("UPDATE t SET l = %s WHERE id = 3", (old_default,))
        q("INSERT INTO t SET id = 4, b = %s, l = %s ON DUPLICATE KEY UPDATE b = DEFAULT", (old_default, old_default))
        q("INSERT INTO t SET id = 4, b = %s, l = %s ON DUPLICATE KEY UPDATE l = VALUES(b)", (old_default, old_default))
        q("REPLACE INTO t VALUES (5, %s, %s, DEFAULT)", (old_default, old_no_default))
        self.assertEqual(q("SELECT id, b, l, v FROM t ORDER BY id"),
                         [(1, old_default, old_no_default, "vd"), (2, old_no_default, old_default, old_default.decode()),
                          (3, b"dflt", old_default, "vd"), (4, old_default, old_default, "vd"),
                          (5, old_default, old_no_default, "vd")])
        # DEFAULT in SET and ON DUPLICATE KEY UPDATE, and DEFAULT inside an
        # expression refused as MariaDB does (1064)
        q("INSERT INTO t SET id = 6, b = DEFAULT, l = 'y' ON DUPLICATE KEY UPDATE v = 'no'")
        q("INSERT INTO t SET id = 6, b = 'z', l = 'y' ON DUPLICATE KEY UPDATE b = DEFAULT, v = 'yes'")
        self.assertEqual(q("SELECT b, v FROM t WHERE id = 6"), [(b"dflt", "yes")])
        for sql in ("INSERT INTO t VALUES (7, CONCAT(DEFAULT, 'y'), 'l', 'v')", "UPDATE t SET b = DEFAULT || 'x'",
                    "INSERT INTO t VALUES (7, (DEFAULT), 'l', 'v')", "UPDATE t SET v = 'w' WHERE b = DEFAULT"):
            self.assertEqual(self.sql_error(c, sql)[0], 1064, sql)
        self.assertEqual(q("SELECT COUNT(*) FROM t WHERE id = 7"), [(0,)])

    # ---- information_schema and SHOW under privileges -------------------------------

    def test_information_schema_lists_only_what_the_account_may_use(self):
        root = self.setup_db("is1", "CREATE TABLE t1 (id INT PRIMARY KEY, v VARCHAR(20) DEFAULT 'z', UNIQUE KEY uv (v))",
                             "CREATE TABLE t2 (id INT PRIMARY KEY)",
                             "CREATE DATABASE is2", "CREATE TABLE is2.t3 (id INT PRIMARY KEY)",
                             "CREATE USER 'iu'@'%' IDENTIFIED BY 'ipw'",
                             "GRANT SELECT, INSERT ON is1.t1 TO 'iu'@'%'")
        u = self.connect(user="iu", password="ipw")
        q = lambda sql: self.run_sql(u, sql)
        who = "'iu'@'127.0.0.1'"
        self.assertEqual(q("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1"),
                         [("information_schema",), ("is1",)])
        user_tables = ("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.tables "
                       "WHERE table_schema <> 'information_schema' ORDER BY 1, 2")
        self.assertEqual(q(user_tables), [("is1", "t1", "BASE TABLE")])
        self.assertEqual(q("SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, COLUMN_TYPE, "
                           "COLUMN_KEY, PRIVILEGES FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'is1' "
                           "ORDER BY ORDINAL_POSITION"),
                         [("id", 1, None, "NO", "int", "int(11)", "PRI", "select,insert"),
                          ("v", 2, "z", "YES", "varchar", "varchar(20)", "UNI", "select,insert")])
        self.assertEqual(q("SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
                           "WHERE TABLE_SCHEMA LIKE 'is%' ORDER BY 1, 2"),
                         [("t1", "PRIMARY", 0, "id"), ("t1", "uv", 0, "v")])
        self.assertEqual(q("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'is2'"), [(0,)])
        self.assertEqual(q("SHOW DATABASES LIKE 'is%'"), [("is1",)])
        self.assertEqual(q("SHOW TABLES FROM is1"), [("t1",)])
        self.assertEqual(self.sql_error(u, "SHOW COLUMNS FROM is1.t2"),
                         (1142, f"SELECT command denied to user {who} for table 't2'"))
        self.assertEqual(self.sql_error(u, "SHOW CREATE TABLE is2.t3")[0], 1142)
        self.assertEqual(self.sql_error(u, "SHOW INDEX FROM t3 FROM is2")[0], 1142)
        self.assertEqual(self.sql_error(u, "SHOW CREATE DATABASE is2")[0], 1044)
        self.assertEqual(len(q("SHOW COLUMNS FROM is1.t1")), 2)
        q("USE is1")  # COM_FIELD_LIST (the CLI's completion) likewise
        u._execute_command(pymysql.constants.COMMAND.COM_FIELD_LIST, "t2\0")
        with self.assertRaises(pymysql.MySQLError) as e:
            u._read_packet()
        self.assertEqual(e.exception.args, (1142, f"SELECT command denied to user {who} for table 't2'"))
        self.assertEqual(q("SELECT 1"), [(1,)])
        # root sees everything; nobody writes to information_schema
        self.assertIn(("is2", "t3", "BASE TABLE"), self.run_sql(root, user_tables))
        self.assertEqual(self.sql_error(root, "DELETE FROM information_schema.TABLES"),
                         (1044, "Access denied for user 'root'@'127.0.0.1' to database 'information_schema'"))
        q("USE information_schema")
        self.assertEqual(q("SHOW TABLES"), [("COLUMNS",), ("SCHEMATA",), ("STATISTICS",), ("TABLES",)])
        self.assertEqual(q("SELECT TABLE_NAME FROM TABLES WHERE TABLE_SCHEMA = 'is1'"), [("t1",)])
        self.assertEqual(self.sql_error(u, "SELECT * FROM information_schema.ROUTINES"),
                         (1109, "Unknown table 'ROUTINES' in information_schema"))
        # a GRANT on the other SQL node shows at once
        self.run_sql(self.connect(1), "GRANT SELECT ON is2.* TO 'iu'@'%'")
        self.assertEqual(q(user_tables), [("is1", "t1", "BASE TABLE"), ("is2", "t3", "BASE TABLE")])

    @unittest.skipUnless(have_perl_dbd_mysql(), "libdbd-mysql-perl is not installed")
    def test_information_schema_in_the_binary_protocol(self):
        # DBD::mysql with mysql_server_prepare: the listing is built at each execute
        self.setup_db("isb", "CREATE TABLE a (id INT PRIMARY KEY)")
        script = r"""
use strict; use DBI;
my $dbh = DBI->connect("DBI:mysql:database=isb;host=127.0.0.1;port=$ARGV[0];mysql_server_prepare=1",
                       "root", $ARGV[1], {RaiseError => 1, PrintError => 0});
my $st = $dbh->prepare("SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? "
                       . "ORDER BY TABLE_NAME");
$st->execute("isb"); print join(",", map { "$_->[0]:$_->[1]" } @{$st->fetchall_arrayref}), "\n";
$dbh->do("CREATE TABLE b (id INT PRIMARY KEY)");
$st->execute("isb"); print join(",", map { "$_->[0]:$_->[1]" } @{$st->fetchall_arrayref}), "\n";
"""
        r = subprocess.run(["perl", "-e", script, str(self.sql[0]["port"]), ROOT_PASSWORD],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "a:0\na:0,b:0\n")

    # ---- KILL across SQL nodes ---------------------------------------------------

    def test_kill_checks_the_owner_on_the_node_holding_the_connection(self):
        root = self.connect()
        for user in ("ka", "kb"):
            self.run_sql(root, f"CREATE USER '{user}'@'%' IDENTIFIED BY 'kpw'")
        mine = self.connect(1, user="ka", password="kpw")
        theirs = self.connect(1, user="kb", password="kpw")
        killer = self.connect(0, user="ka", password="kpw")
        self.assertNotEqual(mine.thread_id() >> 24, killer.thread_id() >> 24)  # two SQL nodes
        tid = theirs.thread_id()
        for sql in (f"KILL {tid}", f"KILL CONNECTION {tid}", f"KILL QUERY {tid}"):
            self.assertEqual(self.sql_error(killer, sql), (1095, f"You are not owner of thread {tid}"))
        with self.assertRaises(pymysql.MySQLError) as e:
            killer.kill(tid)  # COM_PROCESS_KILL
        self.assertEqual(e.exception.args, (1095, f"You are not owner of thread {tid}"))
        self.assertEqual(self.run_sql(theirs, "SELECT 1"), [(1,)])
        unknown = (tid & 0xFF000000) | 0xFFFFFF
        self.assertEqual(self.sql_error(killer, f"KILL {unknown}"), (1094, f"Unknown thread id: {unknown}"))
        # one's own connection on the other node, and anyone's with SUPER
        self.assertEqual(self.run_sql(killer, f"KILL QUERY {mine.thread_id()}"), 0)
        self.assertEqual(self.run_sql(mine, "SELECT 2"), [(2,)])
        self.run_sql(killer, f"KILL {mine.thread_id()}")
        self.run_sql(root, f"KILL {tid}")
        for gone in (mine, theirs):
            with self.assertRaises(pymysql.MySQLError):
                self.run_sql(gone, "SELECT 1")

    def test_kill_leaves_no_rows_in_the_catalog(self):
        def tool(*args):
            r = subprocess.run([program("halb-ndbapi-tool"), "-c", self.cs] + list(args), capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return r.stdout.split()
        kill_rows = lambda: tool("keys", "halb/def/catalog", "kill")
        root, other = self.connect(0), self.connect(1)
        self.assertNotEqual(root.thread_id() >> 24, other.thread_id() >> 24)
        # answered by the node holding the connection
        self.assertEqual(self.run_sql(root, f"KILL QUERY {other.thread_id()}"), 0)
        self.assertEqual(kill_rows(), [])
        # nobody answers (no SQL node 250): the asker takes its request back
        nobody = (250 << 24) | 1
        self.assertEqual(self.sql_error(root, f"KILL {nobody}")[0], 1094)
        self.assertEqual(kill_rows(), [])
        # What an asker that stopped waiting (or died) leaves: an answer
        # written after it left, requests no node took. Every node removes
        # them once they are old, and the owner does not act on them.
        old = int(time.time() * 1000) - 120_000
        for key, value in ((f"killed:{old}.9.1.1", "0"),
                           (f"kill:{other.thread_id()}:{old}.9.1.2", f"connection\n{old}.9.1.2\n1\nroot"),
                           (f"kill:{nobody}:{old}.9.1.3", f"connection\n{old}.9.1.3\n1\nroot")):
            tool("put", "halb/def/catalog", key, value)
        wait_for(lambda: kill_rows() == [], timeout=10, interval=0.2, what="old kill rows removed")
        self.assertEqual(self.run_sql(other, "SELECT 1"), [(1,)])

    # ---- column privileges ---------------------------------------------------------

    def test_column_privileges(self):
        root = self.setup_db("cp", "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, secret VARCHAR(10))",
                             "INSERT INTO t VALUES (1, 10, 20, 's')",
                             "CREATE USER 'cu'@'%' IDENTIFIED BY 'cpw'",
                             "GRANT SELECT (id, a), INSERT (id, a), UPDATE (a) ON cp.t TO 'cu'@'%'")
        u = self.connect(user="cu", password="cpw", database="cp")
        q = lambda sql: self.run_sql(u, sql)
        err = lambda sql: self.sql_error(u, sql)
        denied = lambda what, col: (1143, f"{what} command denied to user 'cu'@'127.0.0.1' for column '{col}' in table 't'")
        self.assertEqual(q("SELECT id, a FROM t"), [(1, 10)])
        self.assertEqual(q("SELECT a FROM t WHERE id = 1"), [(10,)])
        self.assertEqual(err("SELECT secret FROM t"), denied("SELECT", "secret"))
        self.assertEqual(err("SELECT * FROM t"), (1142, "SELECT command denied to user 'cu'@'127.0.0.1' for table 't'"))
        self.assertEqual(err("SELECT id FROM t WHERE b = 20"), denied("SELECT", "b"))
        self.assertEqual(q("INSERT INTO t (id, a) VALUES (2, 5)"), 1)
        self.assertEqual(err("INSERT INTO t (id, b) VALUES (3, 5)"), denied("INSERT", "b"))
        self.assertEqual(err("INSERT INTO t VALUES (3, 1, 1, 'x')")[0], 1142)
        self.assertEqual(q("UPDATE t SET a = a + 1 WHERE id = 2"), 1)
        self.assertEqual(err("UPDATE t SET b = 0 WHERE id = 2"), denied("UPDATE", "b"))
        self.assertEqual(err("DELETE FROM t")[0], 1142)
        self.assertEqual(q("SHOW TABLES"), [("t",)])
        self.assertEqual(q("SELECT COLUMN_NAME, PRIVILEGES FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'cp' "
                           "ORDER BY ORDINAL_POSITION"), [("id", "select,insert"), ("a", "select,insert,update")])
        self.assertEqual([(r[0], r[7]) for r in q("SHOW FULL COLUMNS FROM t")],
                         [("id", "select,insert"), ("a", "select,insert,update")])
        self.assertEqual(q("SHOW GRANTS"), [("GRANT USAGE ON *.* TO `cu`@`%`",),
                                            ("GRANT SELECT (`a`, `id`), INSERT (`a`, `id`), UPDATE (`a`) "
                                             "ON `cp`.`t` TO `cu`@`%`",)])
        # the other SQL node enforces the same
        self.assertEqual(self.sql_error(self.connect(1, user="cu", password="cpw", database="cp"), "SELECT b FROM t"),
                         denied("SELECT", "b"))
        self.run_sql(root, "REVOKE SELECT (a) ON cp.t FROM 'cu'@'%'")
        self.assertEqual(err("SELECT a FROM t"), denied("SELECT", "a"))
        self.assertEqual(q("SELECT id FROM t ORDER BY id"), [(1,), (2,)])
        self.assertEqual(self.sql_error(root, "GRANT SELECT (nope) ON cp.t TO 'cu'@'%'"),
                         (1054, "Unknown column 'nope' in 't'"))
        self.assertEqual(self.sql_error(root, "GRANT DELETE (a) ON cp.t TO 'cu'@'%'")[0], 1144)
        self.assertEqual(self.sql_error(root, "GRANT SELECT (a) ON cp.* TO 'cu'@'%'")[0], 1144)
        # a table-level grant covers every column again
        self.run_sql(root, "GRANT SELECT ON cp.t TO 'cu'@'%'")
        self.assertEqual(q("SELECT * FROM t WHERE id = 1"), [(1, 10, 20, "s")])

    def test_on_duplicate_key_update_with_column_privileges(self):
        # As MySQL: INSERT on the columns inserted, UPDATE on the columns set,
        # SELECT on the columns read, table-level or per column.
        root = self.setup_db("cpu", "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, secret INT)",
                             "INSERT INTO t VALUES (1, 1, 1, 1)",
                             "CREATE USER 'ou'@'%' IDENTIFIED BY 'opw'",
                             "GRANT INSERT (id, a), UPDATE (a), SELECT (a) ON cpu.t TO 'ou'@'%'")
        u = self.connect(user="ou", password="opw", database="cpu")
        q = lambda sql: self.run_sql(u, sql)
        err = lambda sql: self.sql_error(u, sql)
        denied = lambda what, col: (1143, f"{what} command denied to user 'ou'@'127.0.0.1' for column '{col}' in table 't'")
        self.assertEqual(q("INSERT INTO t (id, a) VALUES (1, 5) ON DUPLICATE KEY UPDATE a = 7"), 2)
        self.assertEqual(q("INSERT INTO t (id, a) VALUES (1, 5) ON DUPLICATE KEY UPDATE a = VALUES(a)"), 2)
        self.assertEqual(q("INSERT INTO t (id, a) VALUES (1, 5) AS n ON DUPLICATE KEY UPDATE a = t.a + n.a"), 2)
        self.assertEqual(q("INSERT INTO t (id, a) VALUES (2, 9) ON DUPLICATE KEY UPDATE a = 0"), 1)
        self.assertEqual(err("INSERT INTO t (id, a) VALUES (1, 5) ON DUPLICATE KEY UPDATE b = 1"), denied("UPDATE", "b"))
        self.assertEqual(err("INSERT INTO t (id, b) VALUES (1, 5) ON DUPLICATE KEY UPDATE a = 1"), denied("INSERT", "b"))
        self.assertEqual(err("INSERT INTO t (id, a) VALUES (1, 5) ON DUPLICATE KEY UPDATE a = secret"),
                         denied("SELECT", "secret"))
        self.assertEqual(err("INSERT INTO t VALUES (1, 5, 1, 1) ON DUPLICATE KEY UPDATE a = 3"),
                         (1142, "INSERT command denied to user 'ou'@'127.0.0.1' for table 't'"))
        self.assertEqual(err("INSERT INTO t SET id = 1, b = 2 ON DUPLICATE KEY UPDATE a = 3"), denied("INSERT", "b"))
        self.assertEqual(self.run_sql(root, "SELECT * FROM t ORDER BY id"), [(1, 10, 1, 1), (2, 9, None, None)])
        # no privilege of a kind at all, on the table or a column: the table-level error
        self.run_sql(root, "REVOKE UPDATE (a) ON cpu.t FROM 'ou'@'%'")
        self.assertEqual(err("INSERT INTO t (id, a) VALUES (1, 5) ON DUPLICATE KEY UPDATE a = 7"),
                         (1142, "UPDATE command denied to user 'ou'@'127.0.0.1' for table 't'"))

    # ---- long values -------------------------------------------------------------

    LONG_TABLE = "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(16000), x TEXT, b BLOB)"

    def test_long_values(self):
        c = self.setup_db("lv", self.LONG_TABLE)
        v = "\U0001F600" * 15000   # 15000 characters, 60000 bytes
        x = "x" * 60000
        b = os.urandom(60000)
        with c.cursor() as cur:
            self.assertEqual(cur.execute("INSERT INTO t VALUES (1, %s, %s, %s)", (v, x, b)), 1)
        self.assertEqual(self.run_sql(self.connect(1), "SELECT v, x, b FROM lv.t WHERE id = 1"), [(v, x, b)])
        self.assertEqual(self.run_sql(c, "SELECT LENGTH(v), CHAR_LENGTH(v), LENGTH(x), LENGTH(b) FROM t"),
                         [(60000, 15000, 60000, 60000)])
        self.assertEqual(self.sql_error(c, "INSERT INTO t (id, x) VALUES (2, REPEAT('y', 70000))"),
                         (1406, "Data too long for column 'x' at row 1"))
        self.assertEqual(self.sql_error(c, "CREATE TABLE w (a VARCHAR(10000), b VARCHAR(10000))")[0], 1118)
        self.assertEqual(self.sql_error(c, "CREATE TABLE w (a VARCHAR(20000))"),
                         (1074, "Column length too big for column 'a' (max = 16383); use BLOB or TEXT instead"))
        # a row whose TEXT values add up to more than a transport frame holds is refused
        self.run_sql(c, "CREATE TABLE many (id INT PRIMARY KEY, " + ", ".join(f"t{i} TEXT" for i in range(8)) + ")")
        code, msg = self.sql_error(c, "INSERT INTO many VALUES (1" + ", REPEAT('m', 60000)" * 8 + ")")
        self.assertEqual(code, 1118, msg)
        self.assertEqual(self.run_sql(c, "INSERT INTO many VALUES (2" + ", REPEAT('m', 40000)" * 8 + ")"), 1)
        self.run_sql(c, "CREATE TABLE w (id INT PRIMARY KEY, a VARBINARY(60000))")
        self.run_sql(c, "INSERT INTO w VALUES (1, REPEAT('z', 60000))")
        self.assertEqual(self.run_sql(c, "SELECT LENGTH(a) FROM w"), [(60000,)])

    # ---- MEDIUM/LONG TEXT/BLOB values past the row limit (parts tables) -----------

    def parts_rows(self, db, table, column):
        """Rows of the hidden parts table of column number `column`."""
        r = subprocess.run([program("halb-ndbapi-tool"), "-c", self.cs, "count", f"{db}/def/NDB$BLOB_{table}_{column}"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return int(r.stdout.split()[1])

    def test_long_blob_and_text_values_keep_their_parts_in_step(self):
        c = self.setup_db("lb", "CREATE TABLE t (id INT PRIMARY KEY, b LONGBLOB, m MEDIUMTEXT, n INT)")
        q = lambda sql, args=None: self.run_sql(c, sql) if args is None else c.cursor().execute(sql, args)
        parts = lambda n: 0 if n < 65535 else -(-(n - 65527) // 60000)  # long_values.h
        one, five = os.urandom(1 << 20), os.urandom(5 << 20)
        text = ("h\u00e9llo w\u00f6rld \U0001F600 " * 80000)[:1100000]
        q("INSERT INTO t VALUES (1, %s, %s, 0)", (one, text))
        q("INSERT INTO t VALUES (2, %s, NULL, 0)", (five,))
        self.assertEqual(self.parts_rows("lb", "t", 1), parts(len(one)) + parts(len(five)))
        self.assertEqual(self.parts_rows("lb", "t", 2), parts(len(text.encode())))
        other = self.connect(1)
        self.assertEqual(self.run_sql(other, "SELECT b, m FROM lb.t WHERE id = 1"), [(one, text)])
        self.assertEqual(self.run_sql(other, "SELECT b FROM lb.t WHERE id = 2"), [(five,)])
        self.assertEqual(q("SELECT id, LENGTH(b), CHAR_LENGTH(m), b = 'x' FROM t ORDER BY id"),
                         [(1, len(one), len(text), 0), (2, len(five), None, 0)])
        self.assertEqual(q("SHOW TABLES"), [("t",)])
        self.assertEqual(q("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'lb'"), [("t",)])
        # an UPDATE of another column leaves the value; a shorter value leaves no stale parts
        self.assertEqual(q("UPDATE t SET n = 1 WHERE id = 2"), 1)
        self.assertEqual(q("SELECT b, n FROM t WHERE id = 2"), [(five, 1)])
        self.assertEqual(q("UPDATE t SET b = %s WHERE id = 2", (five,)), 0)  # the same value: nothing changed
        shorter = five[:200000]
        self.assertEqual(q("UPDATE t SET b = %s WHERE id = 2", (shorter,)), 1)
        self.assertEqual(self.parts_rows("lb", "t", 1), parts(len(one)) + parts(len(shorter)))
        self.assertEqual(q("UPDATE t SET b = 'short' WHERE id = 1"), 1)
        self.assertEqual(self.parts_rows("lb", "t", 1), parts(len(shorter)))
        self.assertEqual(q("SELECT id, b FROM t WHERE id = 1"), [(1, b"short")])
        # a new primary key takes the parts along; REPLACE and upsert keep them in step
        self.assertEqual(q("UPDATE t SET id = 3 WHERE id = 2"), 1)
        self.assertEqual(q("SELECT b FROM t WHERE id = 3"), [(shorter,)])
        self.assertEqual(q("REPLACE INTO t VALUES (3, %s, NULL, 0)", (one,)), 2)
        self.assertEqual(q("INSERT INTO t VALUES (1, %s, NULL, 0) ON DUPLICATE KEY UPDATE b = VALUES(b)", (five,)), 2)
        self.assertEqual(q("SELECT id, b FROM t ORDER BY id"), [(1, five), (3, one)])
        self.assertEqual(self.parts_rows("lb", "t", 1), parts(len(five)) + parts(len(one)))
        # DELETE removes the parts; a rolled back transaction leaves nothing
        self.assertEqual(q("DELETE FROM t WHERE id = 1"), 1)
        self.assertEqual(self.parts_rows("lb", "t", 1), parts(len(one)))
        c.begin()
        q("INSERT INTO t VALUES (4, %s, %s, 0)", (five, text))
        self.assertEqual(q("SELECT LENGTH(b), m = %s FROM t WHERE id = 4".replace("%s", "'?'")), [(len(five), 0)])
        c.rollback()
        self.assertEqual(q("SELECT id FROM t ORDER BY id"), [(3,)])
        self.assertEqual(self.parts_rows("lb", "t", 1), parts(len(one)))
        self.assertEqual(self.parts_rows("lb", "t", 2), 0)
        # ROLLBACK TO SAVEPOINT brings the parts back with the row
        c.begin()
        q("UPDATE t SET b = %s WHERE id = 3", (five,))
        q("SAVEPOINT s")
        q("UPDATE t SET b = 'tiny' WHERE id = 3")
        q("ROLLBACK TO SAVEPOINT s")
        self.assertEqual(q("SELECT b FROM t WHERE id = 3"), [(five,)])
        c.commit()
        self.assertEqual(self.parts_rows("lb", "t", 1), parts(len(five)))
        self.assertEqual(self.run_sql(other, "SELECT b FROM lb.t WHERE id = 3"), [(five,)])
        # ALTER TABLE builds a new cluster table ("t#2") and copies the parts
        # over; TRUNCATE makes fresh ones ("t#3"); DROP drops them
        gone = lambda name: subprocess.run([program("halb-ndbapi-tool"), "-c", self.cs, "count", f"lb/def/{name}"],
                                           capture_output=True, text=True, timeout=60).returncode != 0
        q("ALTER TABLE t ADD INDEX nn (n)")
        self.assertTrue(gone("NDB$BLOB_t_1") and gone("NDB$BLOB_t_2"))
        self.assertEqual(self.parts_rows("lb", "t#2", 1), parts(len(five)))
        self.assertEqual(q("SELECT b FROM t WHERE id = 3"), [(five,)])
        q("TRUNCATE TABLE t")
        self.assertTrue(gone("NDB$BLOB_t#2_1") and gone("NDB$BLOB_t#2_2"))
        self.assertEqual(self.parts_rows("lb", "t#3", 1), 0)
        q("INSERT INTO t VALUES (5, %s, NULL, 0)", (one,))
        self.assertEqual(q("SELECT b FROM t"), [(one,)])
        q("DROP TABLE t")
        self.assertTrue(gone("NDB$BLOB_t#3_1") and gone("NDB$BLOB_t#3_2"))

    def test_long_blob_values_in_the_binary_protocol(self):
        # COM_STMT_PREPARE/SEND_LONG_DATA/EXECUTE and binary result rows,
        # spoken over a PyMySQL connection (which has no prepared statements).
        c = self.setup_db("lbb", "CREATE TABLE t (id BIGINT PRIMARY KEY, b LONGBLOB)")
        one, five = os.urandom(1 << 20), os.urandom(5 << 20)
        insert = BinaryStatement(c, "INSERT INTO t VALUES (?, ?)")
        insert.execute([(0x08, struct.pack("<q", 1)), (0xFC, lenenc(one))])
        for k in range(0, len(five), 1 << 20):
            insert.send_long_data(1, five[k:k + (1 << 20)])
        insert.execute([(0x08, struct.pack("<q", 2)), (0xFC, None)])  # the long data
        select = BinaryStatement(c, "SELECT b FROM t WHERE id = ?")
        self.assertEqual(select.execute([(0x08, struct.pack("<q", 1))]), [[one]])
        self.assertEqual(select.execute([(0x08, struct.pack("<q", 2))]), [[five]])
        self.assertEqual(self.run_sql(c, "SELECT id, LENGTH(b) FROM t ORDER BY id"), [(1, len(one)), (2, len(five))])

    def test_long_value_read_in_a_transaction_that_locked_its_row(self):
        # The shared lock a committed read of a long value takes must come
        # from the session's own transaction: one of its own would wait for
        # the row this transaction locked FOR UPDATE.
        c = self.setup_db("lbl", "CREATE TABLE t (id INT PRIMARY KEY, b LONGBLOB)")
        value = os.urandom(300000)
        c.cursor().execute("INSERT INTO t VALUES (1, %s)", (value,))
        c.begin()
        self.assertEqual(self.run_sql(c, "SELECT id FROM t WHERE id = 1 FOR UPDATE"), [(1,)])
        self.assertTrue(self.run_sql(c, "SELECT b FROM t WHERE id = 1") == [(value,)])
        c.commit()

    def test_long_value_read_while_another_connection_rewrites_it(self):
        # Two values of one length and the same first 64 KB, differing only
        # in their parts: a committed read that took the row from one commit
        # and parts from the next would return a mix.
        c = self.setup_db("lbc", "CREATE TABLE t (id INT PRIMARY KEY, b LONGBLOB)")
        head = os.urandom(70000)
        values = [head + bytes([k]) * 200000 for k in (1, 2)]
        c.cursor().execute("INSERT INTO t VALUES (1, %s)", (values[0],))
        stop = threading.Event()
        writes, errors = [0], []

        def writer():
            w = self.connect(1)
            try:
                while not stop.is_set():
                    w.cursor().execute("UPDATE lbc.t SET b = %s WHERE id = 1", (values[(writes[0] + 1) % 2],))
                    writes[0] += 1
            except Exception as e:  # noqa: BLE001 - reported by the test
                errors.append(e)

        t = threading.Thread(target=writer)
        t.start()
        reads = 0
        try:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline or (writes[0] < 5 and time.monotonic() < deadline + 20):
                cur = c.cursor()
                cur.execute("SELECT b FROM t WHERE id = 1")
                got = cur.fetchone()[0]
                self.assertTrue(got in values, f"read {reads}: {len(got)} bytes mixing the parts of two values")
                reads += 1
        finally:
            stop.set()
            t.join(30)
        self.assertEqual(errors, [])
        self.assertGreater(writes[0], 4)
        self.assertGreater(reads, 4)

    @unittest.skipUnless(have_perl_dbd_mysql(), "libdbd-mysql-perl is not installed")
    def test_long_values_and_upsert_in_the_binary_protocol(self):
        # DBD::mysql with mysql_server_prepare: COM_STMT_PREPARE/EXECUTE and
        # binary result rows.
        self.setup_db("lvb", self.LONG_TABLE, "CREATE TABLE c (id INT PRIMARY KEY, n INT)")
        script = r"""
use strict; use DBI; use Digest::MD5 qw(md5_hex);
my $dbh = DBI->connect("DBI:mysql:database=lvb;host=127.0.0.1;port=$ARGV[0];mysql_server_prepare=1",
                       "root", $ARGV[1], {RaiseError => 1, PrintError => 0});
my $x = 'q' x 60000; my $b = join('', map { chr(($_ * 7) % 256) } 0 .. 59999);
my $ins = $dbh->prepare("INSERT INTO t (id, x, b) VALUES (?, ?, ?)");
$ins->bind_param(1, 1); $ins->bind_param(2, $x); $ins->bind_param(3, $b, DBI::SQL_BLOB); $ins->execute;
my $sel = $dbh->prepare("SELECT x, b FROM t WHERE id = ?");
$sel->execute(1);
my ($rx, $rb) = $sel->fetchrow_array;
print "x ", length($rx), " ", ($rx eq $x ? "same" : "differs"), "\n";
print "b ", length($rb), " ", (md5_hex($rb) eq md5_hex($b) ? "same" : "differs"), "\n";
my $up = $dbh->prepare("INSERT INTO c VALUES (?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)");
for my $i (1 .. 3) { print "upsert ", $up->execute(7, $i) + 0, "\n"; }
my ($n) = $dbh->selectrow_array("SELECT n FROM c WHERE id = 7");
print "n $n\n";
"""
        r = subprocess.run(["perl", "-e", script, str(self.sql[0]["port"]), ROOT_PASSWORD],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "x 60000 same\nb 60000 same\nupsert 1\nupsert 2\nupsert 2\nn 6\n")


@unittest.skipUnless(pymysql, "python3-pymysql is not installed")
class TableFull(SqldCluster):
    """A cluster with little DataMemory and room for few tables: error 1114
    names the table and the cluster's own error comes as a warning."""
    SQL_NODES = 1
    DATA_MEMORY = "4M"
    MAX_TABLES = 16

    def test_table_full_names_the_table(self):
        c = pymysql.connect(host="127.0.0.1", port=self.sql[0]["port"], user="root", password=ROOT_PASSWORD,
                            autocommit=True)
        with c.cursor() as cur:
            cur.execute("CREATE DATABASE tf")
            cur.execute("CREATE TABLE tf.big (id INT PRIMARY KEY, x TEXT)")
            with self.assertRaises(pymysql.MySQLError) as e:
                for i in range(1000):
                    cur.execute("INSERT INTO tf.big VALUES (%s, REPEAT('f', 60000))", (i,))
            self.assertEqual(e.exception.args[:2], (1114, "The table 'big' is full"))
            cur.execute("SHOW WARNINGS")
            warnings = cur.fetchall()
            self.assertTrue(any(w[1] == 1296 and "827" in w[2] for w in warnings), warnings)
            # inside a transaction the statement that hits the limit names it as well
            cur.execute("CREATE TABLE tf.small (id INT PRIMARY KEY)")
            cur.execute("DELETE FROM tf.big WHERE id < 3")
            cur.execute("BEGIN")
            cur.execute("INSERT INTO tf.small VALUES (1)")
            with self.assertRaises(pymysql.MySQLError) as e:
                for i in range(1000, 1010):
                    cur.execute("INSERT INTO tf.big VALUES (%s, REPEAT('g', 60000))", (i,))
            self.assertEqual(e.exception.args[:2], (1114, "The table 'big' is full"))

    def test_too_many_tables_names_the_limit(self):
        c = pymysql.connect(host="127.0.0.1", port=self.sql[0]["port"], user="root", password=ROOT_PASSWORD,
                            autocommit=True)
        with c.cursor() as cur:
            cur.execute("CREATE DATABASE many")
            with self.assertRaises(pymysql.MySQLError) as e:
                for i in range(20):
                    cur.execute(f"CREATE TABLE many.t{i} (id INT PRIMARY KEY)")
            self.assertEqual(e.exception.args[:2], (1114, f"The table 't{i}' is full"))
            cur.execute("SHOW WARNINGS")
            self.assertIn("increase MaxNoOfAttributes or MaxNoOfTables", str(cur.fetchall()))
            cur.execute("DROP DATABASE many")


if __name__ == "__main__":
    unittest.main()
