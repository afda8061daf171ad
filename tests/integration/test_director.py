"""halb-director driving halb-lvsd on loopback (no root).

The director reads an ldirectord.cf, checks three real servers (each a
NamedServer on its own 127.0.0.x address, answering with its name) and
keeps halb-lvsd's table equal to what the checks allow; the client talks
to the VIP through halb-lvsd. Timings: checkinterval 1, checktimeout 1,
failurecount 1, so a dead real must be quiescent within about 2 s.
"""
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from halb import Proc, TempDir, program, wait_for  # noqa: E402
from lvsd_support import Lvsd, NamedServer  # noqa: E402
from mysql_stub import MysqlStub  # noqa: E402

VIP = "127.0.0.100"
REALS = {"r1": "127.0.0.11", "r2": "127.0.0.12", "r3": "127.0.0.13"}
FALLBACK = "127.0.0.20"


def free_port(host="127.0.0.1"):
    s = socket.socket()
    s.bind((host, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def ask(port, line="hi", timeout=5):
    """One connection to the VIP: send a line, return the answering server's name."""
    with socket.create_connection((VIP, port), timeout=timeout) as c:
        c.sendall((line + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = c.recv(256)
            if not chunk:
                break
            data += chunk
    return data.decode().split(" ")[0] if data else None


class DirectorWithLvsd(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir("halb-director-")
        self.addCleanup(self.tmp.cleanup)
        self.lvsd = Lvsd(self.tmp.path)
        self.addCleanup(self.lvsd.stop)
        self.vport = free_port(VIP)
        self.servers = {}
        for name, addr in REALS.items():
            self.start_real(name, addr)
        self.fallback = NamedServer("fallback", FALLBACK)
        self.addCleanup(lambda: self.fallback.stop())
        self.cf = os.path.join(self.tmp.path, "ldirectord.cf")
        self.log = os.path.join(self.tmp.path, "director.log")
        self.director = None

    def start_real(self, name, addr, port=0):
        srv = NamedServer(name, addr, port)
        self.servers[name] = srv
        self.addCleanup(self.stop_real, name, srv)
        return srv

    def stop_real(self, name, srv=None):
        srv = srv or self.servers[name]
        try:
            srv.stop()
        except OSError:
            pass

    def write_cf(self, extra_virtual="", weights=(3, 2, 1), fallback=True):
        lines = ["checkinterval=1", "checktimeout=1", "negotiatetimeout=2", "failurecount=1", "quiescent=yes",
                 f"virtual={VIP}:{self.vport}"]
        for (name, addr), w in zip(REALS.items(), weights):
            lines.append(f"\treal={addr}:{self.servers[name].port} masq {w}")
        lines += ["\tchecktype=connect", "\tscheduler=wrr"]
        if fallback:
            lines.append(f"\tfallback={FALLBACK}:{self.fallback.port} masq")
        text = "\n".join(lines) + "\n" + extra_virtual
        with open(self.cf + ".new", "w") as f:
            f.write(text)
        os.replace(self.cf + ".new", self.cf)

    def director_argv(self, *cmd):
        return [program("halb-director"), "--config-dir", self.tmp.path, "--run-dir",
                os.path.join(self.tmp.path, "run"), "--backend", "lvsd", "--lvsd-socket", self.lvsd.sock,
                "--log-file", self.log, *cmd]

    def start_director(self):
        self.director = Proc(self.director_argv("--foreground", "ldirectord.cf", "start"),
                             os.path.join(self.tmp.path, "director.out"))
        self.addCleanup(self.director.stop)

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def dests(self, port=None):
        """{addr: weight} of the VIP service in halb-lvsd."""
        port = port or self.vport
        for s in self.lvsd.ok({"cmd": "get-services"})["services"]:
            if s.get("addr") == VIP and s.get("port") == port:
                return {d["addr"]: d["weight"] for d in s.get("dests", [])}
        return None

    def wait_weights(self, want, timeout=10, port=None):
        wait_for(lambda: self.dests(port) == want, timeout, interval=0.05,
                 what=f"weights {want} (now {self.dests(port)})\n{self.log_text()}")

    def all_up(self):
        return {REALS["r1"]: 3, REALS["r2"]: 2, REALS["r3"]: 1}

    def test_seed_like_config_splits_3000_connections_exactly_by_weight(self):
        self.write_cf()
        self.start_director()
        self.wait_weights(self.all_up())
        self.assertIn(f"Added virtual server: {VIP}:{self.vport}", self.log_text())
        counts = {}
        for _ in range(3000):
            n = ask(self.vport)
            counts[n] = counts.get(n, 0) + 1
        self.assertEqual(counts, {"r1": 1500, "r2": 1000, "r3": 500})

    def test_dead_real_is_quiesced_in_time_keeps_open_connection_and_is_restored(self):
        self.write_cf()
        self.start_director()
        self.wait_weights(self.all_up())
        # An open connection that landed on r3.
        held = None
        for _ in range(12):
            c = socket.create_connection((VIP, self.vport), timeout=5)
            c.sendall(b"first\n")
            if c.recv(256).decode().startswith("r3 "):
                held = c
                break
            c.close()
        self.assertIsNotNone(held, "no connection reached r3")
        self.addCleanup(held.close)
        r3_port = self.servers["r3"].port
        t0 = time.monotonic()
        self.stop_real("r3")
        self.wait_weights({REALS["r1"]: 3, REALS["r2"]: 2, REALS["r3"]: 0})
        took = time.monotonic() - t0
        # checkinterval x failurecount + checktimeout, with room for a loaded machine
        self.assertLess(took, 1 * 1 + 1 + 3, f"quiesced after {took:.2f}s")
        self.assertIn(f"Quiescent real server: {REALS['r3']}:{r3_port} ({VIP}:{self.vport}) (Weight set to 0)",
                      self.log_text())
        names = [ask(self.vport) for _ in range(300)]
        self.assertNotIn("r3", names)
        self.assertEqual(set(names), {"r1", "r2"})
        held.sendall(b"still\n")
        self.assertEqual(held.recv(256).decode(), "r3 still\n")
        # Back on the same port: weight restored.
        self.start_real("r3", REALS["r3"], r3_port)
        self.wait_weights(self.all_up())
        self.assertIn(f"Restored real server: {REALS['r3']}:{r3_port} ({VIP}:{self.vport}) (Weight set to 1)",
                      self.log_text())

    def test_all_reals_down_fallback_serves_then_leaves(self):
        self.write_cf()
        self.start_director()
        self.wait_weights(self.all_up())
        ports = {n: s.port for n, s in self.servers.items()}
        for n in list(self.servers):
            self.stop_real(n)
        wait_for(lambda: (self.dests() or {}).get(FALLBACK) == 1, 10, interval=0.05, what="fallback added")
        self.assertEqual(ask(self.vport), "fallback")
        self.assertIn(f"Added fallback server: {FALLBACK}:{self.fallback.port}", self.log_text())
        self.start_real("r1", REALS["r1"], ports["r1"])
        wait_for(lambda: FALLBACK not in (self.dests() or {FALLBACK: 1}), 10, interval=0.05, what="fallback gone")
        self.assertEqual(ask(self.vport), "r1")
        self.assertIn(f"Deleted fallback server: {FALLBACK}:{self.fallback.port}", self.log_text())

    def test_reload_adds_and_removes_virtuals_without_touching_open_connections(self):
        self.write_cf()
        self.start_director()
        self.wait_weights(self.all_up())
        held = socket.create_connection((VIP, self.vport), timeout=5)
        self.addCleanup(held.close)
        held.sendall(b"a\n")
        first = held.recv(256).decode().split(" ")[0]
        port2 = free_port(VIP)
        extra = srv2 = NamedServer("second", "127.0.0.14")
        self.addCleanup(srv2.stop)
        extra = f"virtual={VIP}:{port2}\n\treal=127.0.0.14:{srv2.port} masq 1\n\tchecktype=connect\n"
        self.write_cf(extra_virtual=extra)
        r = subprocess.run(self.director_argv("ldirectord.cf", "reload"), capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.wait_weights({"127.0.0.14": 1}, port=port2)
        self.assertEqual(ask(port2), "second")
        self.assertIn("Reloading Linux Director Daemon config on signal", self.log_text())
        self.write_cf()
        os.kill(self.director.pid, signal.SIGHUP)
        wait_for(lambda: self.dests(port2) is None, 10, interval=0.05, what="second virtual removed")
        self.assertIn(f"Purged virtual server (start): {VIP}:{port2}", self.log_text())
        held.sendall(b"b\n")
        self.assertEqual(held.recv(256).decode(), f"{first} b\n")
        self.assertEqual(self.dests(), self.all_up())

    def test_status_stop_and_cleanstop(self):
        self.write_cf()
        r = subprocess.run(self.director_argv("ldirectord.cf", "status"), capture_output=True, text=True)
        self.assertEqual(r.returncode, 3)
        self.assertIn("is stopped for", r.stdout)
        self.start_director()
        self.wait_weights(self.all_up())
        r = subprocess.run(self.director_argv("ldirectord.cf", "status"), capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"is running with pid: {self.director.pid}", r.stderr)
        # heartbeat's v1 judgement reads "running" in the output.
        r = subprocess.run(self.director_argv("ldirectord.cf", "stop"), capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        wait_for(lambda: not self.director.alive(), 10, what="director exit")
        self.assertIsNone(self.dests(), "cleanstop=yes must purge the service")
        self.assertIn("Purged virtual server (stop)", self.log_text())
        self.assertIn("Linux Director Daemon terminated on signal: TERM", self.log_text())

    def test_config_error_is_ldirectords_line_and_exit_2(self):
        with open(self.cf, "w") as f:
            f.write("virtual=127.0.0.100:80\n\treal=127.0.0.11:80 gate\n\tquiescent=perhaps\n")
        r = subprocess.run(self.director_argv("ldirectord.cf", "start"), capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"Error \[\d+\] reading file .*ldirectord.cf at line 3: ")
        r = subprocess.run(self.director_argv("ldirectord.cf", "dance"), capture_output=True, text=True)
        self.assertEqual(r.returncode, 255)


class MysqlNegotiateAndHangingReal(unittest.TestCase):
    """service=mysql with a real MySQL handshake, login and query; a real that
    accepts and never speaks must not delay the other real's verdict."""

    def setUp(self):
        self.tmp = TempDir("halb-director-mysql-")
        self.addCleanup(self.tmp.cleanup)
        self.lvsd = Lvsd(self.tmp.path)
        self.addCleanup(self.lvsd.stop)
        self.vport = free_port(VIP)
        self.stub = MysqlStub("127.0.0.31", user="ldirector", password="secret", database="ldirectordb")
        self.stub.start()
        self.addCleanup(self.stub.stop)
        # A real that accepts and says nothing: the handshake hangs until negotiatetimeout.
        self.silent = socket.socket()
        self.silent.bind(("127.0.0.32", 0))
        self.silent.listen(64)
        self.addCleanup(self.silent.close)
        self.log = os.path.join(self.tmp.path, "director.log")
        with open(os.path.join(self.tmp.path, "ldirectord.cf"), "w") as f:
            f.write("checkinterval=1\nchecktimeout=1\nnegotiatetimeout=8\nquiescent=yes\n"
                    f"virtual={VIP}:{self.vport}\n"
                    f"\treal=127.0.0.31:{self.stub.port} masq 2\n"
                    f"\treal=127.0.0.32:{self.silent.getsockname()[1]} masq 1\n"
                    "\tservice=mysql\n\tscheduler=wrr\n\tchecktype=negotiate\n"
                    '\tlogin="ldirector"\n\tpasswd="secret"\n\tdatabase="ldirectordb"\n'
                    '\trequest="SELECT * FROM connectioncheck"\n')
        self.director = Proc([program("halb-director"), "--config-dir", self.tmp.path, "--run-dir",
                              os.path.join(self.tmp.path, "run"), "--backend", "lvsd", "--lvsd-socket",
                              self.lvsd.sock, "--log-file", self.log, "--foreground", "ldirectord.cf", "start"],
                             os.path.join(self.tmp.path, "director.out"))
        self.addCleanup(self.director.stop)

    def weights(self):
        for s in self.lvsd.ok({"cmd": "get-services"})["services"]:
            if s.get("port") == self.vport:
                return {d["addr"]: d["weight"] for d in s.get("dests", [])}
        return None

    def test_mysql_check_logs_in_and_queries_and_a_silent_real_does_not_delay_it(self):
        wait_for(lambda: (self.weights() or {}).get("127.0.0.31") == 2, 10, interval=0.05, what="mysql real up")
        self.assertTrue(any("connectioncheck" in q for q in self.stub.queries), self.stub.queries)
        self.assertEqual(self.weights().get("127.0.0.32"), 0)
        self.stub.stop()
        t0 = time.monotonic()
        wait_for(lambda: (self.weights() or {}).get("127.0.0.31") == 0, 10, interval=0.05, what="mysql real down")
        # Well inside the silent real's 8 s negotiate timeout.
        self.assertLess(time.monotonic() - t0, 5)


if __name__ == "__main__":
    unittest.main()
