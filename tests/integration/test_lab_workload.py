"""halb-lab's workload client and checker against a real MySQL server:
MariaDB from Debian, a private instance on a free loopback port (the
workload's own correctness, apart from halb-sqld, which the netns suite
drives through the VIP). A paused server must show as one outage with
unanswered writes, and rows removed or doubled behind the client's back
must be found as lost and duplicated."""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from halb import SRC_DIR, wait_for

LAB = os.path.join(SRC_DIR, "lab")
sys.path.insert(0, LAB)
import checker  # noqa: E402

PY = "/usr/bin/python3"
ME = pwd.getpwuid(os.getuid()).pw_name
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
OK = os.access(MARIADBD, os.X_OK) and shutil.which("mariadb-install-db") and shutil.which("mariadb")
WHY = "MariaDB (mariadb-server) is not installed"
if OK and subprocess.run([PY, "-c", "import pymysql"], capture_output=True).returncode != 0:
    OK, WHY = False, "python3-pymysql is not installed"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


@unittest.skipUnless(OK, WHY)
class WorkloadAgainstMariaDB(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="halb-lab-maria-")
        cls.proc = None
        try:
            data = os.path.join(cls.tmp, "data")
            r = subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}",
                                "--auth-root-authentication-method=normal", f"--user={ME}"],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stdout + r.stderr
            cls.sock = os.path.join(cls.tmp, "sock")
            cls.port = free_port()
            # sql-mode "" lets ENGINE=NDBCLUSTER fall back to the default engine.
            cls.proc = subprocess.Popen([MARIADBD, "--no-defaults", f"--datadir={data}", f"--socket={cls.sock}",
                                         f"--port={cls.port}", "--bind-address=127.0.0.1", f"--user={ME}",
                                         "--sql-mode=", f"--pid-file={cls.tmp}/pid"],
                                        stdout=open(os.path.join(cls.tmp, "log"), "ab"), stderr=subprocess.STDOUT)
            wait_for(lambda: os.path.exists(cls.sock) or cls.proc.poll() is not None, 60, what="mariadbd")
            assert cls.proc.poll() is None, open(os.path.join(cls.tmp, "log")).read()[-2000:]
            cls.sql("DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES;")  # no anonymous users
            out = cls.workload("setup", "--socket", cls.sock, user="root", password="")  # root@localhost, as the lab does
            assert "schema ready" in out, out
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.proc and cls.proc.poll() is None:
            cls.proc.kill()
            cls.proc.wait(30)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def sql(cls, text):
        r = subprocess.run(["mariadb", "-S", cls.sock, "-uroot", "-e", text], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout

    @classmethod
    def workload(cls, command, *extra, user="ldirector", password="pw", timeout=120):
        r = subprocess.run([PY, os.path.join(LAB, "workload.py"), command, "--host", "127.0.0.1", "--port",
                            str(cls.port), "--user", user, "--password", password, "--check-user", "ldirector",
                            "--check-password", "pw"] + list(extra), capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    def history(self, name):
        return os.path.join(self.tmp, f"{name}.jsonl")

    def test_a_paused_server_is_one_outage_and_nothing_is_lost(self):
        h = self.history("pause")
        p = subprocess.Popen([PY, os.path.join(LAB, "workload.py"), "run", "--host", "127.0.0.1", "--port",
                              str(self.port), "--user", "ldirector", "--password", "pw", "--history", h,
                              "--run", "pause", "--duration", "4", "--timeout", "0.5"])
        try:
            time.sleep(1.2)
            self.proc.send_signal(signal.SIGSTOP)
            time.sleep(1.2)
        finally:
            self.proc.send_signal(signal.SIGCONT)
            p.wait(60)
        self.assertEqual(p.returncode, 0)
        hist = checker.load(h)
        v = checker.check(hist)
        self.assertTrue(v["valid"], v["why"])
        self.assertGreater(v["acknowledged"], 10)
        self.assertGreater(v["unanswered"], 0)
        self.assertEqual(len(v["outages"]), 1, v["outages"])
        start, end = v["outages"][0]
        self.assertGreaterEqual(end - start, 1.0)
        self.assertTrue(any(r["type"] == "count" for r in hist), "the seed's count(*) log")

    def test_rows_removed_or_doubled_behind_the_clients_back_are_found(self):
        h = self.history("tamper")
        self.workload("run", "--history", h, "--run", "tamper", "--duration", "1")
        v = checker.check(checker.load(h))
        self.assertTrue(v["valid"], v["why"])
        self.sql("USE kingsoft; DELETE FROM preference WHERE preferenceSerialNumber='tamper-2';"
                 "INSERT INTO preference (preferenceSerialNumber, username) VALUES ('tamper-3', 'tamper');"
                 "INSERT INTO preference (preferenceSerialNumber, username) VALUES ('tamper-999999', 'tamper');")
        self.workload("final", "--history", h, "--run", "tamper")
        v = checker.check(checker.load(h))
        self.assertFalse(v["valid"])
        self.assertEqual((v["lost"], v["duplicated"], v["unexpected"]), (["tamper-2"], ["tamper-3"], ["tamper-999999"]))


if __name__ == "__main__":
    unittest.main()
