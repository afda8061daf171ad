"""halb-lvsd for the Python suites: a daemon on loopback, its control
socket, and tiny TCP backend servers that answer with their name."""
import json
import os
import socket
import socketserver
import threading

from halb import Proc, program, wait_for


class NamedServer:
    """A threaded TCP server on 127.0.0.1: every line it receives is
    answered with "<name> <line>"; at the client's EOF it sends "<name> bye"
    and closes (so half-close can be observed)."""

    def __init__(self, name, host="127.0.0.1", port=0):
        self.name = name
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                outer.accepted += 1
                while True:
                    try:
                        line = self.rfile.readline()
                    except OSError:
                        return
                    if not line:
                        try:
                            self.wfile.write(f"{outer.name} bye\n".encode())
                        except OSError:
                            pass
                        return
                    self.wfile.write(f"{outer.name} {line.decode().strip()}\n".encode())

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True
            request_queue_size = 512

        self.accepted = 0
        self.server = Server((host, port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Lvsd:
    """A halb-lvsd we started, with its own run directory."""

    def __init__(self, tmp, threads=2, extra=()):
        self.run_dir = os.path.join(tmp, "run")
        self.log_path = os.path.join(tmp, "halb-lvsd.log")
        self.sock = os.path.join(self.run_dir, "halb-lvsd.sock")
        self.proc = Proc([program("halb-lvsd"), "--foreground", "--run-dir", self.run_dir,
                          "--logfacility", "none", "--threads", str(threads), *extra], self.log_path)
        wait_for(lambda: os.path.exists(self.sock) or not self.proc.alive(), 10, what="control socket")
        if not self.proc.alive():
            raise AssertionError("halb-lvsd exited:\n" + self.log_text())

    def call(self, request):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.sock)
        s.sendall((json.dumps(request) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        s.close()
        return json.loads(buf)

    def ok(self, request):
        r = self.call(request)
        if not r.get("ok"):
            raise AssertionError(f"{request} -> {r}")
        return r

    def log_text(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        return self.proc.stop()


def svc(addr, port, proto="tcp", **kw):
    d = {"protocol": proto, "addr": addr, "port": port}
    d.update(kw)
    return d


def dest(port, weight=1, addr="127.0.0.1", **kw):
    d = {"addr": addr, "port": port, "weight": weight, "forward": "masq"}
    d.update(kw)
    return d
