"""halb-sqld as a daemon: my.cnf [mysqld] options with command-line options
of the same names winning, -s/-k through the pid file, a bad option file
(exit 6, file:line), and no cluster to reach (exit 1 after
--ndb-wait-connected)."""
import os
import subprocess
import time
import unittest

from halb import Proc, TempDir, program, wait_for
from sqld_cluster import ROOT_PASSWORD, SqldCluster, free_tcp_port, port_open


class OptionErrors(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir(prefix="halb-sqld-opts-")

    def tearDown(self):
        self.tmp.cleanup()

    def run_sqld(self, cnf_text, *args, timeout=30):
        cnf = os.path.join(self.tmp.path, "my.cnf")
        with open(cnf, "w") as f:
            f.write(cnf_text)
        return subprocess.run([program("halb-sqld"), f"--defaults-file={cnf}", "--foreground", "--run-dir",
                               os.path.join(self.tmp.path, "run"), *args], capture_output=True, text=True,
                              timeout=timeout)

    def test_bad_value_names_file_and_line(self):
        r = self.run_sqld("[mysqld]\nndbcluster\nmax_allowed_packet = lots\n")
        self.assertEqual(r.returncode, 6, r.stderr)
        self.assertIn("my.cnf:3: max-allowed-packet", r.stderr)
        r = self.run_sqld("[mysqld]\nport = 3306\n", "--port=70000")
        self.assertEqual(r.returncode, 6)
        self.assertIn("--port: '70000' is not a number from 0 to 65535", r.stderr)
        r = self.run_sqld("[mysqld]\nssl-cert = /nonexistent.pem\n")
        self.assertEqual(r.returncode, 6)
        self.assertIn("ssl-cert and ssl-key go together", r.stderr)

    def test_no_cluster_exits_1(self):
        port = free_tcp_port()
        started = time.monotonic()
        r = self.run_sqld(f"[mysqld]\nndb-connectstring = 127.0.0.1:{port}\n", "--ndb-wait-connected=2",
                          f"--socket={self.tmp.path}/s.sock", "--port=0")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertLess(time.monotonic() - started, 25)


class CommandLineWins(SqldCluster):
    SQL_NODES = 0

    def test_port_from_command_line_and_pid_file_control(self):
        path = self.tmp.path
        cnf_port, cli_port = free_tcp_port(), free_tcp_port()
        cnf = os.path.join(path, "override.cnf")
        with open(cnf, "w") as f:
            f.write(f"[mysql_cluster]\nndb-connectstring = {self.cs}\n[mysqld]\nport = {cnf_port}\n"
                    f"socket = {path}/override.sock\nbind-address = 127.0.0.1\n")
        run = os.path.join(path, "run2")
        argv = [program("halb-sqld"), f"--defaults-file={cnf}", "--run-dir", run]
        p = self._proc("override", argv + [f"--port={cli_port}", "--foreground",
                                           "--initial-root-password-file", os.path.join(path, "rootpw")])
        wait_for(lambda: port_open(cli_port) or not p.alive(), 90, interval=0.2, what="halb-sqld listening")
        self.assertTrue(p.alive(), self.log("override"))
        self.assertFalse(port_open(cnf_port))
        self.assertTrue(os.path.exists(f"{path}/override.sock"))
        self.assertEqual(subprocess.run(argv + ["-s"], capture_output=True).returncode, 0)
        self.assertEqual(subprocess.run(argv + ["-k"], capture_output=True).returncode, 0)
        wait_for(lambda: not p.alive(), 30, what="halb-sqld stopped")
        self.assertEqual(p.p.returncode, 0)
        self.assertFalse(os.path.exists(f"{path}/override.sock"))
        self.assertEqual(subprocess.run(argv + ["-s"], capture_output=True).returncode, 3)

    def test_pid_file_from_my_cnf_and_the_command_line(self):
        """my.cnf's [mysqld] pid_file (MySQL's spelling) is where the server
        writes its pid and where -s and -k look; --pid-file wins over it."""
        path = self.tmp.path
        port = free_tcp_port()
        cnf = os.path.join(path, "pidfile.cnf")
        cnf_pid = os.path.join(path, "cnf-dir", "sqld.pid")
        os.makedirs(os.path.dirname(cnf_pid))
        with open(cnf, "w") as f:
            f.write(f"[mysql_cluster]\nndb-connectstring = {self.cs}\n[mysqld]\nport = {port}\n"
                    f"socket = {path}/pidfile.sock\nbind-address = 127.0.0.1\npid_file = {cnf_pid}\n")
        run = os.path.join(path, "run4")  # where the default pid file would be
        argv = [program("halb-sqld"), f"--defaults-file={cnf}", "--run-dir", run]
        p = self._proc("pidfile", argv + ["--foreground", "--initial-root-password-file", os.path.join(path, "rootpw")])
        wait_for(lambda: port_open(port) or not p.alive(), 90, interval=0.2, what="halb-sqld listening")
        self.assertTrue(p.alive(), self.log("pidfile"))
        wait_for(lambda: os.path.exists(cnf_pid), 10, what="the pid file my.cnf names")
        with open(cnf_pid) as f:
            self.assertEqual(int(f.read().split()[0]), p.p.pid)
        self.assertFalse(os.path.exists(os.path.join(run, "halb-sqld.pid")))
        r = subprocess.run(argv + ["-s"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"(pid {p.p.pid})", r.stdout)
        # --pid-file names another file: nothing runs by that one.
        other = argv + ["--pid-file", os.path.join(path, "other.pid")]
        self.assertEqual(subprocess.run(other + ["-s"], capture_output=True).returncode, 3)
        self.assertEqual(subprocess.run(other + ["-k"], capture_output=True).returncode, 0)
        self.assertTrue(p.alive())
        self.assertEqual(subprocess.run(argv + ["-k"], capture_output=True).returncode, 0)
        wait_for(lambda: not p.alive(), 30, what="halb-sqld stopped by the pid file my.cnf names")
        self.assertEqual(subprocess.run(argv + ["-s"], capture_output=True).returncode, 3)


    def test_daemonizes_and_reports_ready(self):
        path = self.tmp.path
        port = free_tcp_port()
        run = os.path.join(path, "run3")
        argv = [program("halb-sqld"), f"--ndb-connectstring={self.cs}", f"--port={port}", "--bind-address=127.0.0.1",
                f"--socket={path}/bg.sock", "--run-dir", run, "--log-file", os.path.join(path, "bg.log")]
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr + self.log("bg"))
            self.assertTrue(port_open(port), "the parent returned before the port was open")
            with open(os.path.join(run, "halb-sqld.pid")) as f:
                pid = int(f.read().split()[0])
            self.assertNotEqual(pid, os.getpid())
            os.kill(pid, 0)
            self.assertEqual(subprocess.run(argv + ["-k"], capture_output=True).returncode, 0)
            wait_for(lambda: not port_open(port), 30, what="the daemon stopped")
        finally:
            try:  # only a daemon still serving is ours to end
                if not port_open(port):
                    raise ValueError("stopped")
                with open(os.path.join(run, "halb-sqld.pid")) as f:
                    os.kill(int(f.read().split()[0]), 9)
            except (OSError, ValueError):
                pass


if __name__ == "__main__":
    unittest.main()
