#!/usr/bin/env python3
"""A MySQL-protocol stub server for tests: enough of the server side of the
client/server protocol for health checks and simple clients.

- greeting: protocol 10, mysql_native_password, a fresh 20-byte scramble;
- authentication: HandshakeResponse41 checked against one user/password
  (mysql_native_password); a client naming another plugin is switched to
  native (AuthSwitchRequest), as is every client with --auth-switch;
  a wrong user/password gets ERR 1045, an unknown database ERR 1049;
- COM_QUERY: any query answers a one-column result with --rows rows
  (default 1; the value is "1"); COM_PING and COM_INIT_DB: OK;
  COM_QUIT: closes. Anything else: ERR 1047.

Use it from Python (MysqlStub(...).start(), .port, .queries, .stop()) or as
a program: mysql_stub.py --port 0 --user monitor --password secret prints
"ready PORT" on stdout once listening, and one line per query on stderr.
Stops on SIGTERM/SIGINT.
"""
import argparse
import hashlib
import os
import signal
import socket
import socketserver
import struct
import sys
import threading

NATIVE = b"mysql_native_password"
CAPS = 0x003FA20F | (1 << 19)  # PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH, ...
CONNECT_WITH_DB = 1 << 3
PLUGIN_AUTH = 1 << 19
PLUGIN_AUTH_LENENC = 1 << 21


def sha1(b):
    return hashlib.sha1(b).digest()


def native_token(password, scramble):
    if not password:
        return b""
    h1 = sha1(password.encode())
    x = sha1(scramble + sha1(h1))
    return bytes(a ^ b for a, b in zip(h1, x))


def lenenc_int(n):
    if n < 251:
        return bytes([n])
    if n < 1 << 16:
        return b"\xfc" + struct.pack("<H", n)
    if n < 1 << 24:
        return b"\xfd" + struct.pack("<I", n)[:3]
    return b"\xfe" + struct.pack("<Q", n)


def lenenc_str(b):
    return lenenc_int(len(b)) + b


def read_lenenc(data, at):
    first = data[at]
    if first < 0xFB:
        return first, at + 1
    size = {0xFC: 2, 0xFD: 3, 0xFE: 8}[first]
    return int.from_bytes(data[at + 1:at + 1 + size], "little"), at + 1 + size


class Conn:
    def __init__(self, sock, stub):
        self.sock = sock
        self.stub = stub
        self.buf = b""

    def read_packet(self):
        while True:
            if len(self.buf) >= 4:
                n = int.from_bytes(self.buf[:3], "little")
                if len(self.buf) >= 4 + n:
                    seq, payload = self.buf[3], self.buf[4:4 + n]
                    self.buf = self.buf[4 + n:]
                    return seq, payload
            chunk = self.sock.recv(65536)
            if not chunk:
                return None, None
            self.buf += chunk

    def send(self, seq, payload):
        self.sock.sendall(len(payload).to_bytes(3, "little") + bytes([seq & 0xFF]) + payload)

    def ok(self, seq):
        self.send(seq, b"\x00\x00\x00\x02\x00\x00\x00")

    def err(self, seq, code, state, msg):
        self.send(seq, b"\xff" + struct.pack("<H", code) + b"#" + state.encode() + msg.encode())

    def eof(self, seq):
        self.send(seq, b"\xfe\x00\x00\x02\x00")

    def serve(self):
        scramble = bytes(0x21 + b % 90 for b in os.urandom(20))  # printable, no NUL
        greeting = (b"\x0a" + self.stub.version.encode() + b"\x00" + struct.pack("<I", self.stub.next_id())
                    + scramble[:8] + b"\x00" + struct.pack("<H", CAPS & 0xFFFF) + bytes([33])
                    + struct.pack("<H", 2) + struct.pack("<H", CAPS >> 16) + bytes([21]) + b"\x00" * 10
                    + scramble[8:] + b"\x00" + NATIVE + b"\x00")
        self.send(0, greeting)
        seq, resp = self.read_packet()
        if resp is None or len(resp) < 32:
            return
        caps = struct.unpack("<I", resp[:4])[0]
        at = 32
        end = resp.index(b"\x00", at)
        user = resp[at:end].decode(errors="replace")
        at = end + 1
        if caps & PLUGIN_AUTH_LENENC:
            tlen, at = read_lenenc(resp, at)
        else:
            tlen, at = resp[at], at + 1
        token = resp[at:at + tlen]
        at += tlen
        database = ""
        if caps & CONNECT_WITH_DB and at < len(resp):
            end = resp.index(b"\x00", at)
            database = resp[at:end].decode(errors="replace")
            at = end + 1
        plugin = NATIVE
        if caps & PLUGIN_AUTH and at < len(resp):
            end = resp.find(b"\x00", at)
            plugin = resp[at:end if end >= 0 else len(resp)]
        if plugin != NATIVE or self.stub.auth_switch:
            scramble = bytes(0x21 + b % 90 for b in os.urandom(20))
            seq += 1
            self.send(seq, b"\xfe" + NATIVE + b"\x00" + scramble + b"\x00")
            seq, token = self.read_packet()
            if token is None:
                return
        if user != self.stub.user or token != native_token(self.stub.password, scramble):
            self.stub.auth_failures += 1
            self.err(seq + 1, 1045, "28000",
                     f"Access denied for user '{user}'@'localhost' (using password: {'YES' if token else 'NO'})")
            return
        if self.stub.database and database and database != self.stub.database:
            self.err(seq + 1, 1049, "42000", f"Unknown database '{database}'")
            return
        self.ok(seq + 1)
        while True:
            seq, cmd = self.read_packet()
            if cmd is None or not cmd or cmd[0] == 0x01:
                return
            if cmd[0] == 0x03:
                query = cmd[1:].decode(errors="replace")
                self.stub.record(query)
                self.result(query)
            elif cmd[0] in (0x0E, 0x02):
                self.ok(1)
            else:
                self.err(1, 1047, "08S01", "Unknown command")

    def result(self, query):
        self.send(1, lenenc_int(1))
        coldef = (lenenc_str(b"def") + lenenc_str(b"") + lenenc_str(b"") + lenenc_str(b"")
                  + lenenc_str(b"1") + lenenc_str(b"") + b"\x0c" + struct.pack("<HIBHB", 63, 1, 8, 0x81, 0)
                  + b"\x00\x00")
        self.send(2, coldef)
        self.eof(3)
        seq = 4
        for _ in range(self.stub.rows):
            self.send(seq, lenenc_str(b"1"))
            seq += 1
        self.eof(seq)


class MysqlStub:
    def __init__(self, host="127.0.0.1", port=0, user="monitor", password="secret", database="",
                 rows=1, auth_switch=False, version="8.0.99-halb-stub"):
        self.user, self.password, self.database = user, password, database
        self.rows, self.auth_switch, self.version = rows, auth_switch, version
        self.queries = []
        self.auth_failures = 0
        self.on_query = None
        self._lock = threading.Lock()
        self._ids = 0
        stub = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                try:
                    Conn(self.request, stub).serve()
                except (OSError, ValueError, IndexError, struct.error):
                    pass  # a client that hangs up or sends garbage only ends its own session

        family = socket.AF_INET6 if ":" in host else socket.AF_INET

        class Server(socketserver.ThreadingTCPServer):
            address_family = family
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server((host, port), Handler)
        self.port = self.server.server_address[1]
        self.thread = None

    def next_id(self):
        with self._lock:
            self._ids += 1
            return self._ids

    def record(self, query):
        with self._lock:
            self.queries.append(query)
        if self.on_query:
            self.on_query(query)

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user", default="monitor")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--database", default="")
    ap.add_argument("--rows", type=int, default=1)
    ap.add_argument("--auth-switch", action="store_true")
    a = ap.parse_args()
    stub = MysqlStub(a.host, a.port, a.user, a.password, a.database, a.rows, a.auth_switch)
    stub.on_query = lambda q: print(f"query: {q}", file=sys.stderr, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    stub.start()
    print(f"ready {stub.port}", flush=True)
    done.wait()
    stub.stop()


if __name__ == "__main__":
    main()
