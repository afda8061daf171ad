"""halb-lvsd on loopback: a 127.0.0.x VIP in front of three TCP backends
that answer with their names. Checks what an operator relies on: wrr's
exact split, quiescent weight 0 keeping open connections, half-close,
dest removal, "no destination available", the connection limit, UDP, and
LvsdBackend round-tripping a table through the control socket."""
import hashlib
import os
import socket
import socketserver
import threading
import subprocess
import time
import unittest

from halb import TempDir, program, wait_for
from lvsd_support import Lvsd, NamedServer, dest, svc

VIP = "127.0.0.31"


def free_port(host):
    s = socket.socket()
    s.bind((host, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def ask(port, line="hello", host=VIP, timeout=5):
    """One connection: send a line, return the reply line."""
    with socket.create_connection((host, port), timeout=timeout) as c:
        c.sendall(line.encode() + b"\n")
        return c.makefile().readline().strip()


def closed_by_director(port, host=VIP):
    """True when the connection is reset or closed without an answer
    (the reset may arrive before connect() returns on loopback)."""
    try:
        with socket.create_connection((host, port), timeout=5) as c:
            c.sendall(b"anyone\n")
            return c.recv(100) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


class LvsdForwarding(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.servers = []
        self.lvsd = None
        try:
            self.lvsd = Lvsd(self.tmp.path, threads=2)
            self.port = free_port(VIP)
        except Exception:
            self.tearDown()
            raise

    def tearDown(self):
        failed = self._outcome and any(e for _, e in getattr(self._outcome, "errors", []) if e)
        if self.lvsd:
            self.lvsd.stop()
            if failed:
                print("--- halb-lvsd log ---\n" + self.lvsd.log_text()[-3000:])
        for s in self.servers:
            s.stop()
        self.tmp.cleanup()

    def backends(self, *names):
        out = [NamedServer(n) for n in names]
        self.servers += out
        return out

    def service(self, weights, sched="wrr", **kw):
        servers = self.backends(*[chr(ord("A") + i) for i in range(len(weights))])
        self.lvsd.ok({"cmd": "add-service", "service": svc(VIP, self.port, scheduler=sched, **kw)})
        for s, w in zip(servers, weights):
            self.lvsd.ok({"cmd": "add-dest", "service": svc(VIP, self.port), "dest": dest(s.port, w)})
        return servers

    def dest_status(self):
        r = self.lvsd.ok({"cmd": "get-services"})
        return {d["port"]: d for d in r["services"][0]["dests"]}

    def test_wrr_3_2_1_splits_3000_connections_exactly(self):
        a, b, c = self.service([3, 2, 1])
        counts = {}
        for i in range(3000):
            name = ask(self.port, f"n{i}").split()[0]
            counts[name] = counts.get(name, 0) + 1
        self.assertEqual(counts, {"A": 1500, "B": 1000, "C": 500})
        st = self.dest_status()
        self.assertEqual([st[s.port]["stats"]["conns"] for s in (a, b, c)], [1500, 1000, 500])
        total = self.lvsd.ok({"cmd": "get-services"})["services"][0]["stats"]
        self.assertEqual(total["conns"], 3000)
        # Every request byte counts as InBytes, also when it was read before
        # the connection to the real server was opened (the data-first connect).
        self.assertEqual(total["inbytes"], sum(len(f"n{i}\n") for i in range(3000)))
        self.assertGreater(total["outbytes"], 0)

    def test_weight_zero_is_quiescent_but_open_connections_keep_working(self):
        a, b = self.service([1, 1], sched="rr")
        # Open connections until one goes to A, and keep it.
        held = None
        others = []
        for _ in range(4):
            c = socket.create_connection((VIP, self.port), timeout=5)
            c.sendall(b"first\n")
            f = c.makefile()
            if f.readline().startswith("A ") and held is None:
                held = (c, f)
            else:
                others.append(c)
        self.assertIsNotNone(held)
        wait_for(lambda: self.dest_status()[a.port]["active_conns"] >= 1, 5, what="ActiveConn on A")
        self.lvsd.ok({"cmd": "edit-dest", "service": svc(VIP, self.port), "dest": dest(a.port, 0)})
        for i in range(20):
            self.assertTrue(ask(self.port, f"x{i}").startswith("B "))
        c, f = held
        c.sendall(b"after\n")
        self.assertEqual(f.readline().strip(), "A after")
        self.assertEqual(self.dest_status()[a.port]["weight"], 0)
        c.close()
        for o in others:
            o.close()

    def test_long_connections_are_balanced_over_the_threads(self):
        # One client thread: its connections all arrive on one CPU (SO_INCOMING_CPU
        # steering), or SO_REUSEPORT's hash splits them 6/2 about as often as 4/4;
        # the busier thread moves idle sessions to the other.
        self.service([1, 1], sched="rr")
        held = []
        try:
            for i in range(8):
                c = socket.create_connection((VIP, self.port), timeout=5)
                c.sendall(f"c{i}\n".encode())
                f = c.makefile()
                self.assertTrue(f.readline().endswith(f" c{i}\n"))
                held.append((c, f))
            wait_for(lambda: [w["sessions"] for w in self.lvsd.ok({"cmd": "get-workers"})["workers"]] == [4, 4],
                     2, what="four sessions on each thread")
            workers = self.lvsd.ok({"cmd": "get-workers"})["workers"]
            self.assertEqual(sum(w["handed_over"] for w in workers), sum(w["taken_over"] for w in workers))
            # A moved session is served like any other, half-close included.
            for i, (c, f) in enumerate(held):
                c.sendall(f"again{i}\n".encode())
                self.assertTrue(f.readline().endswith(f" again{i}\n"))
            c, f = held[0]
            c.sendall(b"last\n")
            c.shutdown(socket.SHUT_WR)
            self.assertTrue(f.readline().endswith(" last\n"))
        finally:
            for c, f in held:
                f.close()
                c.close()
        wait_for(lambda: [w["sessions"] for w in self.lvsd.ok({"cmd": "get-workers"})["workers"]] == [0, 0], 5,
                 what="sessions released on both threads")

    def test_half_close_propagates(self):
        (a,) = self.service([1])
        with socket.create_connection((VIP, self.port), timeout=5) as c:
            c.sendall(b"one\n")
            c.shutdown(socket.SHUT_WR)
            f = c.makefile()
            self.assertEqual(f.readline().strip(), "A one")
            # The server saw our FIN (it says bye), and its reply still arrived.
            self.assertEqual(f.readline().strip(), "A bye")
            self.assertEqual(f.readline(), "")

    def test_small_then_bulk_bytes_arrive_intact_under_backpressure(self):
        """Short exchanges go through a buffer, bulk through splice(); a
        stream that starts small, turns bulk while the reader is slow, and
        ends with a half-close must come back byte for byte."""

        class Echo(socketserver.BaseRequestHandler):
            def handle(self):
                while True:
                    b = self.request.recv(1 << 16)
                    if not b:
                        return
                    self.request.sendall(b)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        echo = Server(("127.0.0.1", 0), Echo)
        threading.Thread(target=echo.serve_forever, daemon=True).start()
        try:
            self.lvsd.ok({"cmd": "add-service", "service": svc(VIP, self.port)})
            self.lvsd.ok({"cmd": "add-dest", "service": svc(VIP, self.port),
                          "dest": dest(echo.server_address[1])})
            payload = os.urandom(8 << 20)
            with socket.create_connection((VIP, self.port), timeout=20) as c:
                for small in (b"x", b"hello\n", b"y" * 1000):
                    c.sendall(small)
                    got = b""
                    while len(got) < len(small):
                        got += c.recv(4096)
                    self.assertEqual(got, small)

                def send_all():
                    c.sendall(payload)
                    c.shutdown(socket.SHUT_WR)

                sender = threading.Thread(target=send_all)
                sender.start()
                time.sleep(0.5)  # let every buffer on the way fill up
                digest, n = hashlib.sha256(), 0
                while True:
                    b = c.recv(1 << 16)
                    if not b:
                        break
                    digest.update(b)
                    n += len(b)
                sender.join(20)
            self.assertEqual(n, len(payload))
            self.assertEqual(digest.hexdigest(), hashlib.sha256(payload).hexdigest())
            st = self.lvsd.ok({"cmd": "get-services"})["services"][0]["stats"]
            self.assertEqual(st["inbytes"], len(payload) + 1007)
            self.assertEqual(st["outbytes"], len(payload) + 1007)
        finally:
            echo.shutdown()
            echo.server_close()

    def test_deleted_dest_others_serve_and_no_dest_closes(self):
        a, b = self.service([1, 1])
        self.lvsd.ok({"cmd": "del-dest", "service": svc(VIP, self.port), "dest": dest(a.port)})
        for i in range(10):
            self.assertTrue(ask(self.port, f"d{i}").startswith("B "))
        self.lvsd.ok({"cmd": "del-dest", "service": svc(VIP, self.port), "dest": dest(b.port)})
        self.assertTrue(closed_by_director(self.port))
        wait_for(lambda: "no destination available" in self.lvsd.log_text(), 5, what="log line")
        self.assertIn(f"IPVS: wrr: TCP {VIP}:{self.port} - no destination available", self.lvsd.log_text())

    def test_reset_by_the_real_server_reaches_the_client(self):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        self.lvsd.ok({"cmd": "add-service", "service": svc(VIP, self.port, scheduler="rr")})
        self.lvsd.ok({"cmd": "add-dest", "service": svc(VIP, self.port), "dest": dest(srv.getsockname()[1])})
        try:
            c = socket.create_connection((VIP, self.port), timeout=5)
            conn, _ = srv.accept()
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()  # RST
            with self.assertRaises((ConnectionResetError, BrokenPipeError)):
                for _ in range(50):
                    c.sendall(b"x" * 1000)
                    if c.recv(10) == b"":
                        break
                    time.sleep(0.05)
            c.close()
        finally:
            srv.close()

    def test_unreachable_real_server_resets_the_client(self):
        dead = free_port("127.0.0.1")  # nothing listens there
        self.lvsd.ok({"cmd": "add-service", "service": svc(VIP, self.port, scheduler="rr")})
        self.lvsd.ok({"cmd": "add-dest", "service": svc(VIP, self.port), "dest": dest(dead)})
        self.assertTrue(closed_by_director(self.port))
        wait_for(lambda: "cannot connect to real server" in self.lvsd.log_text(), 5, what="log line")

    def test_idle_connections_end_after_the_tcp_timeout(self):
        self.service([1])
        self.lvsd.ok({"cmd": "set-timeouts", "timeouts": {"tcp": 1}})
        with socket.create_connection((VIP, self.port), timeout=5) as c:
            c.sendall(b"x\n")
            self.assertEqual(c.makefile().readline().strip(), "A x")
            time.sleep(1.5)
            try:
                self.assertEqual(c.recv(10), b"")
            except ConnectionResetError:
                pass
        self.assertEqual(self.lvsd.ok({"cmd": "get-connections"})["connections"], [])

    def test_ipv6_service(self):
        try:
            probe = socket.socket(socket.AF_INET6)
            probe.bind(("::1", 0))
            probe.close()
        except OSError:
            self.skipTest("no IPv6 loopback")
        (a,) = self.service([1])
        port = free_port("127.0.0.1")
        v6 = {"protocol": "tcp", "addr": "::1", "port": port}
        self.lvsd.ok({"cmd": "add-service", "service": dict(v6, scheduler="rr")})
        # An IPv4 real server behind an IPv6 service needs tunnel (as IPVS).
        r = self.lvsd.call({"cmd": "add-dest", "service": v6, "dest": dest(a.port)})
        self.assertEqual(r["errno"], 22)
        self.lvsd.ok({"cmd": "add-dest", "service": v6, "dest": dest(a.port, forward="tunnel")})
        with socket.create_connection(("::1", port), timeout=5) as c:
            c.sendall(b"six\n")
            self.assertEqual(c.makefile().readline().strip(), "A six")

    def test_service_whose_port_is_taken_listens_once_it_is_free(self):
        (a,) = self.service([1])
        squatter = socket.socket()
        squatter.bind((VIP, 0))
        squatter.listen(1)
        port = squatter.getsockname()[1]
        self.lvsd.ok({"cmd": "add-service", "service": svc(VIP, port, scheduler="rr")})
        self.lvsd.ok({"cmd": "add-dest", "service": svc(VIP, port), "dest": dest(a.port)})
        wait_for(lambda: f"cannot listen on TCP {VIP}:{port}" in self.lvsd.log_text(), 5, what="log line")
        squatter.close()

        def served():
            try:
                return ask(port, "late").startswith("A ")
            except OSError:
                return False
        wait_for(served, 5, interval=0.2, what="service listening after the port was freed")

    def test_errors_carry_ipvs_errno(self):
        self.service([1])
        r = self.lvsd.call({"cmd": "add-service", "service": svc(VIP, self.port, scheduler="wrr")})
        self.assertEqual((r["ok"], r["errno"]), (False, 17))  # EEXIST
        r = self.lvsd.call({"cmd": "edit-dest", "service": svc(VIP, self.port), "dest": dest(1)})
        self.assertEqual(r["errno"], 2)  # ENOENT
        r = self.lvsd.call({"cmd": "del-service", "service": svc(VIP, self.port + 1)})
        self.assertEqual(r["errno"], 3)  # ESRCH
        r = self.lvsd.call({"cmd": "add-service", "service": svc(VIP, 1, scheduler="nope")})
        self.assertEqual(r["errno"], 2)
        r = self.lvsd.call({"cmd": "no-such-command"})
        self.assertEqual(r["errno"], 22)  # EINVAL
        self.assertTrue(self.lvsd.proc.alive())

    def test_persistence_sends_a_client_back_to_its_dest(self):
        self.service([1, 1, 1], sched="rr", flags=1, timeout=300)
        first = ask(self.port, "p").split()[0]
        for i in range(10):
            self.assertEqual(ask(self.port, f"p{i}").split()[0], first)
        conns = self.lvsd.ok({"cmd": "get-connections"})["connections"]
        self.assertTrue(any(c["template"] and c["state"] == "NONE" for c in conns))

    def test_connections_listing_shows_state_and_expiry(self):
        (a,) = self.service([1])
        with socket.create_connection((VIP, self.port), timeout=5) as c:
            c.sendall(b"x\n")
            c.makefile().readline()
            conns = self.lvsd.ok({"cmd": "get-connections"})["connections"]
            self.assertEqual(len(conns), 1)
            self.assertEqual(conns[0]["state"], "ESTABLISHED")
            self.assertEqual(conns[0]["dest_port"], a.port)
            self.assertTrue(890 <= conns[0]["expires"] <= 900)

    def test_udp_service_relays_per_client_flows(self):
        backends = []
        for name in ("U1", "U2"):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.settimeout(0.2)
            backends.append((name, s))
        port = free_port(VIP)
        self.lvsd.ok({"cmd": "add-service", "service": svc(VIP, port, "udp", scheduler="rr")})
        for _, s in backends:
            self.lvsd.ok({"cmd": "add-dest", "service": svc(VIP, port, "udp"),
                          "dest": dest(s.getsockname()[1])})
        import threading
        stop = threading.Event()

        def echo(name, s):
            while not stop.is_set():
                try:
                    data, addr = s.recvfrom(2048)
                except socket.timeout:
                    continue
                s.sendto(name.encode() + b" " + data, addr)

        threads = [threading.Thread(target=echo, args=b, daemon=True) for b in backends]
        for t in threads:
            t.start()
        try:
            seen = set()
            for i in range(4):
                c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                c.settimeout(5)
                c.sendto(b"ping", (VIP, port))
                first, src = c.recvfrom(2048)
                self.assertEqual(src, (VIP, port))
                c.sendto(b"again", (VIP, port))
                second, _ = c.recvfrom(2048)
                # One client, one flow, one backend.
                self.assertEqual(first.split()[0], second.split()[0])
                seen.add(first.split()[0])
                c.close()
            self.assertEqual(seen, {b"U1", b"U2"})
        finally:
            stop.set()
            for t in threads:
                t.join()
            for _, s in backends:
                s.close()


    def test_udp_flow_ends_after_the_udp_timeout(self):
        echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        echo.bind(("127.0.0.1", 0))
        echo.settimeout(5)
        port = free_port(VIP)
        try:
            self.lvsd.ok({"cmd": "set-timeouts", "timeouts": {"udp": 1}})
            self.lvsd.ok({"cmd": "add-service", "service": svc(VIP, port, "udp", scheduler="rr")})
            self.lvsd.ok({"cmd": "add-dest", "service": svc(VIP, port, "udp"), "dest": dest(echo.getsockname()[1])})
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.sendto(b"hi", (VIP, port))
            data, addr = echo.recvfrom(100)
            echo.sendto(b"back", addr)
            c.settimeout(5)
            self.assertEqual(c.recvfrom(100)[0], b"back")
            c.close()
            conns = self.lvsd.ok({"cmd": "get-connections"})["connections"]
            self.assertEqual([x["state"] for x in conns], ["UDP"])
            wait_for(lambda: not self.lvsd.ok({"cmd": "get-connections"})["connections"], 5, interval=0.2,
                     what="UDP flow expired")
        finally:
            echo.close()


class LvsdLimits(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.lvsd = Lvsd(self.tmp.path, threads=1, extra=["--max-connections", "2"])
        self.server = NamedServer("A")

    def tearDown(self):
        self.lvsd.stop()
        self.server.stop()
        self.tmp.cleanup()

    def test_connection_limit_refuses_with_one_log_line(self):
        port = free_port(VIP)
        self.lvsd.ok({"cmd": "add-service", "service": svc(VIP, port, scheduler="rr")})
        self.lvsd.ok({"cmd": "add-dest", "service": svc(VIP, port), "dest": dest(self.server.port)})
        held = [socket.create_connection((VIP, port), timeout=5) for _ in range(2)]
        for h in held:
            h.sendall(b"x\n")
            h.makefile().readline()
        for _ in range(3):
            self.assertTrue(closed_by_director(port))
        self.assertEqual(self.lvsd.log_text().count("connection table full"), 1)
        for h in held:
            h.close()
        wait_for(lambda: not self.lvsd.ok({"cmd": "get-connections"})["connections"], 5, what="table empty")
        self.assertTrue(ask(port, "z").startswith("A "))


class LvsdControl(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.lvsd = Lvsd(self.tmp.path, threads=1)

    def tearDown(self):
        self.lvsd.stop()
        self.tmp.cleanup()

    def test_lvsd_backend_round_trips_a_table(self):
        r = subprocess.run([program("halb-lvsd-roundtrip"), self.lvsd.sock], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("round trip OK", r.stdout)

    def test_info_timeouts_and_sync_daemon_as_the_kernel_reports(self):
        self.assertEqual(self.lvsd.ok({"cmd": "get-info"})["info"], {"version": 0x010201, "conn_tab_size": 4096})
        self.assertEqual(self.lvsd.ok({"cmd": "get-timeouts"})["timeouts"], {"tcp": 900, "tcp_fin": 120, "udp": 300})
        self.lvsd.ok({"cmd": "set-timeouts", "timeouts": {"tcp": 600, "tcp_fin": 0, "udp": 0}})
        self.assertEqual(self.lvsd.ok({"cmd": "get-timeouts"})["timeouts"], {"tcp": 600, "tcp_fin": 120, "udp": 300})
        # lo: the sync master really multicasts now, and tests stay off real interfaces.
        self.lvsd.ok({"cmd": "start-daemon", "daemon": {"role": "master", "mcast_ifn": "lo", "syncid": 5}})
        d = self.lvsd.ok({"cmd": "get-daemons"})["daemons"]
        self.assertEqual(d, [{"role": "master", "mcast_ifn": "lo", "syncid": 5, "maxlen": 1472,
                              "group": "224.0.0.81", "port": 8848, "ttl": 1}])
        r = self.lvsd.call({"cmd": "start-daemon", "daemon": {"role": "master"}})
        self.assertEqual(r["errno"], 17)

    def test_fwmark_and_port_zero_services_are_kept_not_forwarded(self):
        self.lvsd.ok({"cmd": "add-service", "service": {"protocol": "fwmark", "fwmark": 7, "scheduler": "rr"}})
        self.lvsd.ok({"cmd": "add-service", "service": svc(VIP, 0, scheduler="rr", flags=1, timeout=300)})
        self.lvsd.ok({"cmd": "add-dest", "service": {"protocol": "fwmark", "fwmark": 7},
                      "dest": dest(0, forward="route")})
        listed = self.lvsd.ok({"cmd": "get-services"})["services"]
        self.assertEqual(sorted(s.get("fwmark", 0) for s in listed), [0, 7])
        self.assertNotIn("cannot listen", self.lvsd.log_text())
        self.assertTrue(self.lvsd.proc.alive())

    def test_start_status_reload_stop_as_a_daemon(self):
        run = os.path.join(self.tmp.path, "bg")
        base = [program("halb-lvsd"), "--run-dir", run, "--logfacility", "none",
                "--log-file", os.path.join(self.tmp.path, "bg.log")]
        try:
            self.assertEqual(subprocess.run(base, timeout=30).returncode, 0)
            self.assertEqual(subprocess.run(base + ["-s"], capture_output=True, timeout=30).returncode, 0)
            self.assertEqual(subprocess.run(base + ["-r"], timeout=30).returncode, 0)
            self.assertTrue(os.path.exists(os.path.join(run, "halb-lvsd.sock")))
        finally:
            self.assertEqual(subprocess.run(base + ["-k"], timeout=60).returncode, 0)
        self.assertEqual(subprocess.run(base + ["-s"], capture_output=True, timeout=30).returncode, 3)

    def test_sigterm_exits_cleanly_and_bad_input_is_survived(self):
        import socket as s
        c = s.socket(s.AF_UNIX, s.SOCK_STREAM)
        c.connect(self.lvsd.sock)
        c.sendall(b"{not json\n[1,2]\n{\"cmd\": 5}\n")
        c.settimeout(5)
        data = b""
        while data.count(b"\n") < 3:
            data += c.recv(4096)
        c.close()
        self.assertEqual(data.count(b"\"ok\":false"), 3)
        self.assertTrue(self.lvsd.proc.alive())
        self.assertEqual(self.lvsd.stop(), 0)


if __name__ == "__main__":
    unittest.main()
