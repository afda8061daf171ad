"""halb-director's mysql check (through tests/tools/halb-check-once) against
tests/harness/mysql_stub.py: a real handshake, native-password scramble,
AuthSwitch, COM_QUERY with and without rows, and the stub run as a program
the way the daemon's integration tests start it."""
import os
import signal
import subprocess
import sys
import unittest

from halb import SRC_DIR, Proc, program, wait_for
from mysql_stub import MysqlStub


def check(port, *directives, host="127.0.0.1"):
    argv = [program("halb-check-once"), f"{host}:3306", f"{host}:{port}", "service=mysql",
            "negotiatetimeout=3", *directives]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout.strip()


LOGIN = ['login="monitor"', 'passwd="secret"', 'request="SELECT 1"']


class MysqlCheck(unittest.TestCase):
    def setUp(self):
        self.stubs = []

    def tearDown(self):
        for s in self.stubs:
            s.stop()

    def stub(self, **kw):
        s = MysqlStub(**kw).start()
        self.stubs.append(s)
        return s

    def test_up_with_login_and_one_row(self):
        s = self.stub()
        rc, out = check(s.port, *LOGIN)
        self.assertEqual(rc, 0, out)
        self.assertTrue(out.startswith("up: "), out)
        self.assertEqual(s.queries, ["SELECT 1"])

    def test_database_and_auth_switch(self):
        s = self.stub(database="app", auth_switch=True)
        rc, out = check(s.port, *LOGIN, 'database="app"')
        self.assertEqual(rc, 0, out)
        rc, out = check(s.port, *LOGIN, 'database="other"')
        self.assertEqual(rc, 1, out)
        self.assertIn("1049", out)

    def test_wrong_password_is_down(self):
        s = self.stub()
        rc, out = check(s.port, 'login="monitor"', 'passwd="nope"', 'request="SELECT 1"')
        self.assertEqual(rc, 1, out)
        self.assertIn("1045 (28000)", out)
        self.assertEqual(s.auth_failures, 1)

    def test_no_rows_is_down(self):
        s = self.stub(rows=0)
        rc, out = check(s.port, *LOGIN)
        self.assertEqual(rc, 1, out)
        self.assertIn("no rows", out)

    def test_missing_login_is_ldirectords_error(self):
        s = self.stub()
        rc, out = check(s.port, 'request="SELECT 1"')
        self.assertEqual(rc, 1, out)
        self.assertIn("Error: Must specify a login and request string", out)
        self.assertEqual(s.queries, [])

    def test_stub_as_a_program(self):
        stub = os.path.join(SRC_DIR, "tests", "harness", "mysql_stub.py")
        p = subprocess.Popen([sys.executable, stub, "--port", "0", "--user", "monitor", "--password", "secret"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline()
            self.assertTrue(line.startswith("ready "), line)
            port = int(line.split()[1])
            rc, out = check(port, *LOGIN)
            self.assertEqual(rc, 0, out)
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        self.assertIn("query: SELECT 1", p.stderr.read())
        self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
