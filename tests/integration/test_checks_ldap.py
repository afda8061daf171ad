"""halb-director's ldap check (libcurl's OpenLDAP backend) through
tests/tools/halb-check-once, against a minimal LDAPv3 server written here
in BER: simple bind (anonymous or cn=monitor/pw), base-scope search that
finds exactly one entry, unbind."""
import socketserver
import subprocess
import threading
import unittest

from halb import program

ENTRY = "cn=status,dc=example,dc=com"


def ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, value):
    return bytes([tag]) + ber_len(len(value)) + value


def integer(n, tag=0x02):
    return tlv(tag, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big"))


def octets(s, tag=0x04):
    return tlv(tag, s.encode() if isinstance(s, str) else s)


def result(app_tag, code, msg=""):
    return tlv(app_tag, integer(code, 0x0A) + octets("") + octets(msg))


def read_tlv(data, at):
    tag = data[at]
    n = data[at + 1]
    at += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(data[at:at + k], "big")
        at += k
    return tag, data[at:at + n], at + n


def children(value):
    out, at = [], 0
    while at < len(value):
        tag, v, at = read_tlv(value, at)
        out.append((tag, v))
    return out


class LdapServer:
    def __init__(self):
        self.searches = []
        self.binds = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                buf = b""
                try:
                    while True:
                        chunk = self.request.recv(65536)
                        if not chunk:
                            return
                        buf += chunk
                        while len(buf) >= 2:
                            try:
                                _, msg, end = read_tlv(buf, 0)
                            except IndexError:
                                break
                            if end > len(buf):
                                break
                            buf = buf[end:]
                            parts = children(msg)
                            msgid = int.from_bytes(parts[0][1], "big")
                            op, body = parts[1]
                            reply = outer.answer(op, body)
                            if reply is None:
                                return
                            for r in reply:
                                self.request.sendall(tlv(0x30, integer(msgid) + r))
                except (OSError, IndexError, ValueError):
                    pass

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, op, body):
        if op == 0x60:  # BindRequest
            _, name, auth = children(body)
            name, password = name[1].decode(), auth[1].decode()
            self.binds.append(name)
            ok = name == "" or (name == "cn=monitor" and password == "pw")
            return [result(0x61, 0 if ok else 49, "" if ok else "invalid credentials")]
        if op == 0x63:  # SearchRequest
            base = children(body)[0][1].decode()
            self.searches.append(base)
            if base.lower() == ENTRY:
                return [tlv(0x64, octets(ENTRY) + tlv(0x30, b"")), result(0x65, 0)]
            return [result(0x65, 32, "no such object")]
        if op == 0x42:  # UnbindRequest
            return None
        return [result(0x65, 53, "unwilling")]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def check_once(port, *directives):
    v = f"127.0.0.1:{port}"
    r = subprocess.run([program("halb-check-once"), v, v, "service=ldap", "negotiatetimeout=5", *directives],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout.strip() + r.stderr.strip()


class LdapCheck(unittest.TestCase):
    def setUp(self):
        self.ldap = LdapServer()

    def tearDown(self):
        self.ldap.stop()

    def test_anonymous_search_finds_the_entry(self):
        rc, out = check_once(self.ldap.port, f'request="{ENTRY}"', 'receive="^cn=status"')
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.ldap.searches, [ENTRY])

    def test_receive_must_match_the_dn(self):
        rc, out = check_once(self.ldap.port, f'request="{ENTRY}"', 'receive="^cn=other"')
        self.assertEqual(rc, 1, out)

    def test_missing_entry_is_down(self):
        rc, out = check_once(self.ldap.port, 'request="cn=gone,dc=example,dc=com"')
        self.assertEqual(rc, 1, out)

    def test_bind_with_login(self):
        rc, out = check_once(self.ldap.port, f'request="{ENTRY}"', 'login="cn=monitor"', 'passwd="pw"')
        self.assertEqual(rc, 0, out)
        self.assertIn("cn=monitor", self.ldap.binds)
        rc, out = check_once(self.ldap.port, f'request="{ENTRY}"', 'login="cn=monitor"', 'passwd="bad"')
        self.assertEqual(rc, 1, out)


if __name__ == "__main__":
    unittest.main()
