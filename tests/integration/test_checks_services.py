"""halb-director's negotiate checks against real servers on loopback,
through tests/tools/halb-check-once: https against `openssl s_server`
(self-signed certificate, not verified, as ldirectord), http against
Python's http.server, imaps/pops against small TLS servers written here,
external with its arguments."""
import http.server
import os
import socketserver
import ssl
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


def make_cert(folder):
    key, cert = os.path.join(folder, "k.pem"), os.path.join(folder, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=not-the-real"], check=True, capture_output=True)
    return key, cert


class TlsMailServer:
    """IMAP (or POP3) over TLS: greeting, CAPABILITY/CAPA, LOGIN/USER+PASS for
    monitor/pw, LOGOUT/QUIT. Records the commands it saw."""

    def __init__(self, key, cert, pop=False):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.commands = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                try:
                    conn = ctx.wrap_socket(self.request, server_side=True)
                    f = conn.makefile("rwb")
                    f.write(b"+OK ready\r\n" if pop else b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
                    f.flush()
                    for raw in f:
                        line = raw.decode().strip()
                        outer.commands.append(line)
                        words = line.split()
                        if pop:
                            cmd = words[0].upper() if words else ""
                            if cmd == "CAPA":
                                f.write(b"+OK\r\nUSER\r\n.\r\n")
                            elif cmd == "USER":
                                f.write(b"+OK\r\n")
                            elif cmd == "PASS":
                                f.write(b"+OK in\r\n" if words[1:] == ["pw"] else b"-ERR denied\r\n")
                            elif cmd == "QUIT":
                                f.write(b"+OK bye\r\n")
                                f.flush()
                                return
                            else:
                                f.write(b"-ERR unknown\r\n")
                        else:
                            tag, cmd = (words + ["", ""])[:2]
                            cmd = cmd.upper()
                            if cmd == "CAPABILITY":
                                f.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag.encode() + b" OK done\r\n")
                            elif cmd in ("LOGIN", "AUTHENTICATE"):
                                ok = "pw" in line or cmd == "AUTHENTICATE"
                                if cmd == "AUTHENTICATE" and len(words) == 3:
                                    f.write(b"+\r\n")
                                    f.flush()
                                    import base64
                                    creds = base64.b64decode(f.readline().strip()).split(b"\0")
                                    ok = creds[-1] == b"pw"
                                f.write(tag.encode() + (b" OK in\r\n" if ok else b" NO denied\r\n"))
                            elif cmd == "LOGOUT":
                                f.write(b"* BYE\r\n" + tag.encode() + b" OK bye\r\n")
                                f.flush()
                                return
                            else:
                                f.write(tag.encode() + b" BAD unknown\r\n")
                        f.flush()
                except (OSError, ssl.SSLError, IndexError, ValueError):
                    pass

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


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
        key, cert = make_cert(self.tmp.path)
        port = free_tcp_port()
        p = Proc(["openssl", "s_server", "-quiet", "-accept", f"127.0.0.1:{port}", "-key", key, "-cert", cert,
                  "-www"], stdin=subprocess.DEVNULL)
        self.procs.append(p)
        wait_for(lambda: port_open(port), 10, what="openssl s_server")
        rc, out = check_once(f"127.0.0.1:{port}", f"127.0.0.1:{port}", "service=https", 'receive="s_server"')
        self.assertEqual(rc, 0, out)
        rc, out = check_once(f"127.0.0.1:{port}", f"127.0.0.1:{port}", "service=https", 'receive="^no such text$"')
        self.assertEqual(rc, 1, out)

    def mail_check(self, service, pop):
        if not shutil.which("openssl"):
            self.skipTest("openssl not installed")
        key, cert = make_cert(self.tmp.path)
        srv = TlsMailServer(key, cert, pop=pop)
        try:
            v = f"127.0.0.1:{srv.port}"
            rc, out = check_once(v, v, f"service={service}")
            self.assertEqual(rc, 0, out)
            rc, out = check_once(v, v, f"service={service}", 'login="monitor"', 'passwd="pw"')
            self.assertEqual(rc, 0, out)
            rc, out = check_once(v, v, f"service={service}", 'login="monitor"', 'passwd="bad"')
            self.assertEqual(rc, 1, out)
        finally:
            srv.stop()
        return srv.commands

    def test_imaps_greeting_and_login(self):
        commands = self.mail_check("imaps", pop=False)
        self.assertTrue(any("CAPABILITY" in c for c in commands), commands)

    def test_pops_greeting_and_login(self):
        commands = self.mail_check("pops", pop=True)
        self.assertIn("PASS pw", commands)

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
