"""halb-adm as an operator runs it: argument errors and the backend choice
on their own, then against a real halb-lvsd on loopback: the table built
with ipvsadm's commands, listed byte for byte, saved and restored, errors
in ipvsadm's words, and counters after real traffic."""
import http.server
import os
import socket
import subprocess
import threading
import unittest

from halb import Proc, TempDir, program, wait_for

HEAD = ("IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")


def adm(*args, stdin=None, env=None):
    e = dict(os.environ)
    e.pop("HALB_ADM_BACKEND", None)
    e.update(env or {})
    return subprocess.run([program("halb-adm"), *args], input=stdin, capture_output=True, text=True,
                          timeout=30, env=e)


class AdmWithoutBackend(unittest.TestCase):
    def test_argument_errors_need_no_backend(self):
        r = adm("-A", "-t", "10.0.0.1", "-s", "rr")
        self.assertEqual((r.returncode, r.stderr), (2, "Zero port specified for non-persistent service\n"))
        r = adm("-a", "-t", "10.0.0.1:80")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "You need to supply the 'real-server' option for the 'add-server' command\n")
        r = adm("-n", "-L")
        self.assertEqual(r.returncode, 255)
        self.assertIn("-h' or '", r.stderr)

    def test_help_and_version(self):
        r = adm("-h")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--backend lvsd|kernel|auto", r.stdout)
        self.assertTrue(adm("-v").stdout.startswith("halb-adm "))

    def test_kernel_backend(self):
        # Without IPVS here (or without CAP_NET_ADMIN) halb-adm says so the
        # way ipvsadm does, exit 2; where it works the table is listed.
        for r in (adm("--backend", "kernel", "-L", "-n"), adm("-L", "-n", env={"HALB_ADM_BACKEND": "kernel"})):
            if r.returncode == 0:
                self.assertTrue(r.stdout.startswith("IP Virtual Server version "), r.stdout)
            else:
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertTrue(r.stderr.startswith("Can't initialize the virtual server table: "), r.stderr)

    def test_bad_backend_name(self):
        r = adm("--backend", "ipvs", "-L")
        self.assertEqual((r.returncode, r.stderr), (2, "--backend must be lvsd, kernel or auto, not `ipvs'\n"))


class Backend(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class AdmWithLvsd(unittest.TestCase):
    def setUp(self):
        lvsd = program("halb-lvsd")
        self.tmp = TempDir()
        self.sock = os.path.join(self.tmp.path, "halb-lvsd.sock")
        self.lvsd = Proc([lvsd, "--foreground", "--threads", "1", "--run-dir", self.tmp.path, "--state-dir",
                          self.tmp.path, "--logfacility", "none"], log_path=os.path.join(self.tmp.path, "lvsd.log"))
        self.addCleanup(self.tmp.cleanup)
        self.addCleanup(self.lvsd.stop)
        wait_for(lambda: os.path.exists(self.sock), 10, what="halb-lvsd's control socket")

    def run_adm(self, *args, stdin=None):
        return adm("--backend", "lvsd", "--lvsd-socket", self.sock, *args, stdin=stdin)

    def ok(self, *args, stdin=None):
        r = self.run_adm(*args, stdin=stdin)
        self.assertEqual((r.returncode, r.stderr), (0, ""), args)
        return r.stdout

    def test_table_listing_save_and_restore(self):
        self.ok("-A", "-t", "127.0.0.1:18080", "-s", "wrr", "-p", "300")
        self.ok("-a", "-t", "127.0.0.1:18080", "-r", "127.0.0.2", "-g", "-w", "1")
        self.ok("-a", "-t", "127.0.0.1:18080", "-r", "127.0.0.3:9000", "-m", "-w", "0", "-x", "10", "-y", "5")
        self.ok("-A", "-u", "127.0.0.1:15353", "-s", "rr")
        self.ok("-A", "-f", "7", "-s", "sh", "-b", "sh-port")
        listing = (HEAD +
                   "TCP  127.0.0.1:18080 wrr persistent 300\n"
                   "  -> 127.0.0.2:18080              Route   1      0          0         \n"
                   "  -> 127.0.0.3:9000               Masq    0      0          0         \n"
                   "UDP  127.0.0.1:15353 rr\n"
                   "FWM  7 sh (sh-port)\n")
        self.assertEqual(self.ok("-L", "-n"), listing)
        saved = self.ok("-S", "-n")
        self.assertEqual(saved,
                         "-A -t 127.0.0.1:18080 -s wrr -p 300\n"
                         "-a -t 127.0.0.1:18080 -r 127.0.0.2:18080 -g -w 1\n"
                         "-a -t 127.0.0.1:18080 -r 127.0.0.3:9000 -m -w 0\n"
                         "-A -u 127.0.0.1:15353 -s rr\n"
                         "-A -f 7 -s sh -b sh-port\n")
        self.ok("-C")
        self.assertEqual(self.ok("-L", "-n"), HEAD)
        self.ok("-R", stdin="# restored\n" + saved)
        self.assertEqual(self.ok("-S", "-n"), saved)

    def test_errors_in_ipvsadm_words(self):
        self.ok("-A", "-t", "127.0.0.1:18081")
        cases = [(("-A", "-t", "127.0.0.1:18081"), "Service already exists\n"),
                 (("-E", "-t", "127.0.0.1:18082"), "No such service\n"),
                 (("-a", "-t", "127.0.0.1:18082", "-r", "127.0.0.2"), "Service not defined\n"),
                 (("-e", "-t", "127.0.0.1:18081", "-r", "127.0.0.9"), "No such destination\n")]
        for args, text in cases:
            r = self.run_adm(*args)
            self.assertEqual((r.returncode, r.stderr), (255, text), args)
        r = self.run_adm("-L", "-n", "-t", "127.0.0.1:18082")
        self.assertEqual((r.returncode, r.stderr), (1, "No such service\n"))

    def test_counters_after_traffic(self):
        server = http.server.HTTPServer(("127.0.0.2", 0), Backend)
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        vport = port  # the service on 127.0.0.1, the real server on 127.0.0.2, same port
        self.ok("-A", "-t", f"127.0.0.1:{vport}", "-s", "rr")
        self.ok("-a", "-t", f"127.0.0.1:{vport}", "-r", f"127.0.0.2:{port}", "-m")

        def get():
            with socket.create_connection(("127.0.0.1", vport), timeout=5) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                return b"".join(iter(lambda: s.recv(4096), b""))

        for _ in range(3):
            self.assertIn(b"hello", get())
        stats = self.ok("-L", "-n", "--stats", "--exact")
        lines = stats.splitlines()
        svc = next(l for l in lines if l.startswith(f"TCP  127.0.0.1:{vport}"))
        self.assertEqual(svc.split()[2], "3")  # Conns
        self.ok("-Z")
        svc = next(l for l in self.ok("-L", "-n", "--stats").splitlines() if l.startswith("TCP  127.0.0.1"))
        self.assertEqual(svc.split()[2], "0")


if __name__ == "__main__":
    unittest.main()
