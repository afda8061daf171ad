"""halb-sqld with real MySQL clients on a loopback cluster (1 halb-mgmd,
2 halb-ndbd, 2 halb-sqld): the mariadb CLI replaying the seed sessions,
PyMySQL, Perl DBI as ldirectord's check_sql runs it, KILL QUERY, login
errors, and two SQL nodes sharing tables and accounts."""
import os
import shutil
import subprocess
import threading
import time
import unittest

from halb import wait_for
from sqld_cluster import ROOT_PASSWORD, SqldCluster

try:
    import pymysql
except ImportError:  # python3-pymysql (scripts/install-deps)
    pymysql = None

MARIADB = shutil.which("mariadb") or shutil.which("mysql")


def have_perl_dbd_mysql():
    return subprocess.run(["perl", "-MDBD::mysql", "-e", "1"], capture_output=True).returncode == 0


@unittest.skipUnless(MARIADB, "mariadb-client is not installed")
class MariadbCli(SqldCluster):
    def cli(self, sql, node=0, user="root", password=ROOT_PASSWORD, db=None, extra=(), via_socket=False):
        n = self.sql[node]
        argv = [MARIADB, "--batch", f"-u{user}", f"-p{password}"]
        argv += [f"--socket={n['socket']}"] if via_socket else ["-h127.0.0.1", "-P", str(n["port"])]
        argv += list(extra)
        if db:
            argv.append(db)
        r = subprocess.run(argv, input=sql, capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout, r.stderr

    def ok(self, sql, **kw):
        rc, out, err = self.cli(sql, **kw)
        if rc != 0:
            self.dump_logs()
        self.assertEqual(rc, 0, err)
        return out

    def test_seed_session_000(self):
        # Seed 000: show databases, create database, use, create table
        # ENGINE=NDBCLUSTER, insert, select, autocommit off + commit.
        out = self.ok("show databases;")
        self.assertEqual(out.splitlines()[0], "Database")
        self.ok("create database ejemplo;")
        out = self.ok("use ejemplo;\ncreate table usuarios (id int) ENGINE=NDBCLUSTER;\n"
                      "insert into usuarios values (555);\nselect * from usuarios;")
        self.assertEqual(out, "id\n555\n")
        self.ok("set autocommit=0;\ninsert into usuarios values(455);\ncommit;", db="ejemplo")
        out = self.ok("select * from usuarios order by id;", db="ejemplo", node=1)
        self.assertEqual(out, "id\n455\n555\n")
        out = self.ok("show tables;", db="ejemplo")
        self.assertEqual(out, "Tables_in_ejemplo\nusuarios\n")

    def test_seed_session_002(self):
        # Seed 002: create database, a table, a row; the other SQL node reads it.
        self.ok("create database testdatabase;\n"
                "grant all on testdatabase.* to web@'127.0.0.%' identified by 'webpw';\nflush privileges;")
        self.ok("create table test(i int(1));\ninsert into test values(1);", db="testdatabase")
        out = self.ok("use testdatabase;\nselect * from test;", node=1, user="web", password="webpw")
        self.assertEqual(out, "i\n1\n")

    def test_errors_as_the_cli_prints_them(self):
        rc, _, err = self.cli("select 1;", password="wrong")
        self.assertNotEqual(rc, 0)
        self.assertIn("ERROR 1045 (28000): Access denied for user 'root'@'127.0.0.1' (using password: YES)", err)
        rc, _, err = self.cli("select 1;", db="no_such_db")
        self.assertIn("ERROR 1049 (42000): Unknown database 'no_such_db'", err)
        rc, _, err = self.cli("select * from nowhere;", db="test")
        self.assertIn("ERROR 1146 (42S02)", err)

    def test_status_and_statistics(self):
        out = self.ok("status", extra=["-t"])
        self.assertIn("Server version:\t\t8.0.36-halb", out)
        self.assertRegex(out, r"Uptime:\s+\d+")
        self.assertRegex(out, r"Threads: \d+  Questions: \d+  Slow queries: 0  Opens: 0  Open tables: 0  "
                              r"Queries per second avg: [0-9.]+")

    def test_unix_socket_and_version_comment(self):
        out = self.ok("select @@version_comment limit 1;", via_socket=True)
        self.assertEqual(out.splitlines()[0], "@@version_comment")
        self.assertEqual(len(out.splitlines()), 2)

    def test_multi_statements_and_prepared_from_cli(self):
        out = self.ok("select 1; select 2;")
        self.assertEqual(out, "1\n1\n2\n2\n")

    @unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
    def test_interactive_start_up_reads_tables(self):
        # Without -A the CLI runs show databases, show tables and a
        # COM_FIELD_LIST per table before printing its banner.
        self.ok("create database if not exists inter;")
        self.ok("create table if not exists t1 (id int primary key, v varchar(10));", db="inter")
        n = self.sql[0]
        session = f"halb-sqld-{os.getpid()}"
        cmd = f"{MARIADB} -h127.0.0.1 -P{n['port']} -uroot -p{ROOT_PASSWORD} inter"
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "50", cmd], check=True)
        try:
            def screen():
                return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                      text=True).stdout
            wait_for(lambda: "MariaDB [inter]>" in screen() or "MySQL [inter]>" in screen(), 20,
                     what="the CLI prompt")
            text = screen()
            self.assertIn("Reading table information for completion", text)
            self.assertIn("Server version: 8.0.36-halb", text)
            def type_line(text):  # -l: literally (a trailing ';' would end the tmux command)
                subprocess.run(["tmux", "send-keys", "-t", session, "-l", text], check=True)
                subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)
            type_line("select count(*) from t1 \\g")
            try:
                wait_for(lambda: "1 row in set" in screen(), 20, what="the query's answer")
            except AssertionError:
                raise AssertionError("the CLI did not answer; screen:\n" + screen())
            # Ctrl-C: the CLI opens a second connection and sends KILL QUERY.
            type_line("select sleep(60) \\g")
            wait_for(lambda: "sleep(60)" in screen(), 10, what="the statement echoed")
            time.sleep(0.5)
            subprocess.run(["tmux", "send-keys", "-t", session, "C-c"], check=True)
            try:
                wait_for(lambda: "ERROR 1317 (70100): Query execution was interrupted" in screen(), 20,
                         what="the query killed by Ctrl-C")
            except AssertionError:
                raise AssertionError("Ctrl-C did not end the query; screen:\n" + screen())
            type_line("status")
            wait_for(lambda: "Queries per second avg" in screen(), 20, what="status output")
            type_line("quit")
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


@unittest.skipUnless(pymysql, "python3-pymysql is not installed")
class PyMySQL(SqldCluster):
    def connect(self, node=0, **kw):
        args = dict(host="127.0.0.1", port=self.sql[node]["port"], user="root", password=ROOT_PASSWORD)
        args.update(kw)
        return pymysql.connect(**args)

    def setUp(self):
        c = self.connect(autocommit=True)
        with c.cursor() as cur:
            cur.execute("create database if not exists py")
            cur.execute("create table if not exists py.t1 (id int primary key, v varchar(40))")
            cur.execute("delete from py.t1")
        c.close()

    def test_transactions_commit_and_rollback(self):
        c = self.connect(database="py")  # PyMySQL sends SET AUTOCOMMIT = 0
        with c.cursor() as cur:
            cur.execute("insert into t1 values (1, 'one')")
            c.rollback()
            cur.execute("select count(*) from t1")
            self.assertEqual(cur.fetchone()[0], 0)
            cur.execute("insert into t1 values (2, 'two')")
            c.commit()
        other = self.connect(node=1, database="py")
        with other.cursor() as cur:
            cur.execute("select id, v from t1")
            self.assertEqual(cur.fetchall(), ((2, "two"),))
        c.close()
        other.close()

    def test_backslash_escapes_and_parameters(self):
        c = self.connect(database="py", autocommit=True)
        with c.cursor() as cur:
            value = "it's a \"quote\" and a back\\slash"
            cur.execute("insert into t1 values (%s, %s)", (3, value))
            cur.execute("select v from t1 where id = %s", (3,))
            self.assertEqual(cur.fetchone()[0], value)
            self.assertEqual(cur.execute("update t1 set v = 'x' where id = 3"), 1)
        c.close()

    def test_errors_map_to_exception_classes(self):
        c = self.connect(database="py", autocommit=True)
        with c.cursor() as cur:
            cur.execute("insert into t1 values (4, 'a')")
            with self.assertRaises(pymysql.err.IntegrityError) as e:
                cur.execute("insert into t1 values (4, 'b')")
            self.assertEqual(e.exception.args[0], 1062)
            with self.assertRaises(pymysql.err.ProgrammingError) as e:
                cur.execute("selec nonsense")
            self.assertEqual(e.exception.args[0], 1064)
            with self.assertRaises(pymysql.err.ProgrammingError) as e:
                cur.execute("select * from no_such_table")
            self.assertEqual(e.exception.args[0], 1146)
        c.ping()
        c.select_db("py")
        c.close()
        with self.assertRaises(pymysql.err.OperationalError) as e:
            self.connect(password="wrong")
        self.assertEqual(e.exception.args[0], 1045)
        with self.assertRaises(pymysql.err.OperationalError) as e:
            self.connect(database="no_such_db")
        self.assertEqual(e.exception.args[0], 1049)

    def test_deadlock_is_1213_at_once_and_the_other_goes_on(self):
        setup = self.connect(database="py", autocommit=True)
        with setup.cursor() as cur:
            cur.execute("insert into t1 values (1, 'a'), (2, 'b')")
        setup.close()
        first, second = self.connect(database="py"), self.connect(node=1, database="py")
        c1, c2 = first.cursor(), second.cursor()
        c1.execute("update t1 set v = 'first' where id = 1")
        c2.execute("update t1 set v = 'second' where id = 2")
        outcome = {}

        def wait_for_row_2():
            try:
                c1.execute("update t1 set v = 'first' where id = 2")
                outcome["first"] = "ok"
            except pymysql.err.MySQLError as e:
                outcome["first"] = e.args[0]

        t = threading.Thread(target=wait_for_row_2)
        t.start()
        time.sleep(0.2)  # the first session waits for row 2 now
        started = time.monotonic()
        try:
            c2.execute("update t1 set v = 'second' where id = 1")
            outcome["second"] = "ok"
        except pymysql.err.MySQLError as e:
            outcome["second"] = e.args[0]
            second.rollback()
        t.join(10)
        if outcome.get("first") != "ok":
            first.rollback()
        # Broken by the data nodes' wait graph, well before the 1200 ms
        # TransactionDeadlockDetectionTimeout, and reported as a deadlock.
        self.assertLess(time.monotonic() - started, 1.0, outcome)
        self.assertEqual(sorted(map(str, outcome.values())), ["1213", "ok"], outcome)
        winner, conn = ("first", first) if outcome["first"] == "ok" else ("second", second)
        conn.commit()
        check = self.connect(database="py", autocommit=True)
        with check.cursor() as cur:
            cur.execute("select id, v from t1 order by id")
            self.assertEqual(cur.fetchall(), ((1, winner), (2, winner)))
        for c in (check, first, second):
            c.close()

    def test_kill_query_from_a_second_connection(self):
        busy = self.connect(autocommit=True)
        busy_id = busy.thread_id()
        errors = []

        def run():
            try:
                with busy.cursor() as cur:
                    cur.execute("select sleep(20)")
                    errors.append(("no error", cur.fetchall()))
            except pymysql.err.MySQLError as e:
                errors.append(e.args)

        t = threading.Thread(target=run)
        started = time.monotonic()
        t.start()
        killer = self.connect(autocommit=True)
        with killer.cursor() as cur:
            wait_for(lambda: cur.execute("show processlist") and any(
                r[0] == busy_id and "sleep" in (r[7] or "") for r in cur.fetchall()), 10, what="the query running")
            cur.execute(f"KILL QUERY {busy_id}")
        t.join(30)
        self.assertLess(time.monotonic() - started, 15)
        self.assertEqual(errors and errors[0][0], 1317, errors)
        with busy.cursor() as cur:  # the connection survives KILL QUERY
            cur.execute("select 1")
            self.assertEqual(cur.fetchone()[0], 1)
        with killer.cursor() as cur:
            cur.execute(f"KILL {busy_id}")
        with self.assertRaises(pymysql.err.OperationalError):
            with busy.cursor() as cur:
                cur.execute("select 1")
        killer.close()

    def test_user_and_table_made_on_one_node_work_on_the_other(self):
        c = self.connect(autocommit=True)
        with c.cursor() as cur:
            cur.execute("create user if not exists 'app'@'%' identified by 'apppw'")
            cur.execute("grant all on py.* to 'app'@'%'")
            cur.execute("create table if not exists py.shared (id int primary key)")
            cur.execute("insert into py.shared values (10)")
        c.close()
        other = self.connect(node=1, user="app", password="apppw", database="py")
        with other.cursor() as cur:
            cur.execute("select id from shared")
            self.assertEqual(cur.fetchall(), ((10,),))
        other.close()


@unittest.skipUnless(have_perl_dbd_mysql(), "libdbd-mysql-perl is not installed")
class PerlDbiCheckSql(SqldCluster):
    SQL_NODES = 1

    def test_ldirectord_check_sql(self):
        # ldirectord's check_sql: connect, execute the request twice, up if rows > 0.
        setup = ("use DBI; my $d = DBI->connect('dbi:mysql:host=127.0.0.1;port=%d', 'root', '%s', {RaiseError=>1});"
                 "$d->do('create database if not exists ld'); $d->do('create table if not exists ld.c (i int)');"
                 "$d->do('insert into ld.c values (1)');" % (self.sql[0]["port"], ROOT_PASSWORD))
        r = subprocess.run(["perl", "-e", setup], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        check = ("use DBI; my $dbh = DBI->connect('dbi:mysql:database=ld;host=127.0.0.1;port=%d', 'root', '%s')"
                 " or die 'connect'; my $sth = $dbh->prepare('select * from c') or die 'prepare';"
                 "$sth->execute() or die 'execute1'; $sth->execute() or die 'execute2';"
                 "print 'rows=' . $sth->rows . \"\\n\"; $dbh->disconnect;" % (self.sql[0]["port"], ROOT_PASSWORD))
        r = subprocess.run(["perl", "-e", check], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"rows=[1-9]")
        # The same with server-side prepared statements (mysql_server_prepare=1).
        server_ps = check.replace("port=%d'" % self.sql[0]["port"],
                                  "port=%d;mysql_server_prepare=1'" % self.sql[0]["port"])
        r = subprocess.run(["perl", "-e", server_ps], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"rows=[1-9]")

    def test_server_side_placeholders(self):
        # DBD::mysql with mysql_server_prepare=1: COM_STMT_PREPARE/EXECUTE with
        # bound parameters (and their types sent once), binary result rows.
        script = ("use DBI; use DBI qw(:sql_types); my $d = DBI->connect("
                  "'dbi:mysql:host=127.0.0.1;port=%d;mysql_server_prepare=1', 'root', '%s', {RaiseError=>1});"
                  "$d->do('create database if not exists ph'); $d->do('create table if not exists ph.t "
                  "(id int primary key, v varchar(20), n int)');"
                  "my $i = $d->prepare('insert into ph.t values (?, ?, ?)');"
                  "$i->bind_param(1, 1, SQL_INTEGER); $i->bind_param(2, 'one'); $i->bind_param(3, undef); $i->execute;"
                  "$i->execute(2, 'two', 22);"
                  "my $s = $d->prepare('select id, v, n from ph.t where id >= ? order by id'); $s->execute(1);"
                  "while (my @r = $s->fetchrow_array) { print join(',', map { defined $_ ? $_ : 'NULL' } @r), \"\\n\"; }"
                  % (self.sql[0]["port"], ROOT_PASSWORD))
        r = subprocess.run(["perl", "-e", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "1,one,NULL\n2,two,22\n")


if __name__ == "__main__":
    unittest.main()
