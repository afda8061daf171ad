"""halb-director's negotiate checks against real servers on loopback,
through tests/tools/halb-check-once: https against `openssl s_server`
(self-signed certificate, not verified, as ldirectord), http against
Python's http.server, external with its arguments."""
import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
import unittest

from halb import Proc, TempDir, program, wait_for


def check_once(virtual, real, *directives):
    r = subprocess.run([program("halb-check-once"), virtual, real, *directives],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout.strip()


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"status: healthy\n" if self.path == "/health" else b"nope\n"
        self.send_response(200 if self.path == "/health" else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class ServiceChecks(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.stop()
        self.tmp.cleanup()

    def test_http_against_python_http_server(self):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            port = srv.server_address[1]
            rc, out = check_once(f"127.0.0.1:{port}", f"127.0.0.1:{port}", "service=http",
                                 'request="health"', 'receive="healthy"')
            self.assertEqual(rc, 0, out)
            rc, out = check_once(f"127.0.0.1:{port}", f"127.0.0.1:{port}", "service=http", 'request="other"')
            self.assertEqual(rc, 1, out)
            self.assertIn("status 503", out)
        finally:
            srv.shutdown()
            srv.server_close()

    def test_https_against_openssl_s_server(self):
        if not shutil.which("openssl"):
            self.skipTest("openssl not installed")
        key, cert = os.path.join(self.tmp.path, "k.pem"), os.path.join(self.tmp.path, "c.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=not-the-real"], check=True, capture_output=True)
        port = free_tcp_port()
        p = Proc(["openssl", "s_server", "-quiet", "-accept", f"127.0.0.1:{port}", "-key", key, "-cert", cert,
                  "-www"], stdin=subprocess.DEVNULL)
        self.procs.append(p)
        wait_for(lambda: port_open(port), 10, what="openssl s_server")
        rc, out = check_once(f"127.0.0.1:{port}", f"127.0.0.1:{port}", "service=https", 'receive="s_server"')
        self.assertEqual(rc, 0, out)
        rc, out = check_once(f"127.0.0.1:{port}", f"127.0.0.1:{port}", "service=https", 'receive="^no such text$"')
        self.assertEqual(rc, 1, out)

    def test_external_gets_vip_vport_rip_rport(self):
        script = os.path.join(self.tmp.path, "check.sh")
        args = os.path.join(self.tmp.path, "args")
        with open(script, "w") as f:
            f.write(f'#!/bin/sh\necho "$@" > {args}\n[ "$3" = 127.0.0.7 ]\n')
        os.chmod(script, 0o755)
        rc, out = check_once("127.0.0.1:80", "127.0.0.7:8080", "checktype=external", f"checkcommand={script}")
        self.assertEqual(rc, 0, out)
        with open(args) as f:
            self.assertEqual(f.read(), "127.0.0.1 80 127.0.0.7 8080\n")
        rc, out = check_once("127.0.0.1:80", "127.0.0.8:8080", "checktype=external", f"checkcommand={script}")
        self.assertEqual(rc, 1, out)
        self.assertIn("exited 1", out)


if __name__ == "__main__":
    unittest.main()
