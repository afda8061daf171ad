"""halb-lvsd and the kernel's IPVS sync daemon speak the same protocol
(runs inside the suite's VM, see rig.py).

Two namespaces joined by a veth pair: `lv` runs halb-lvsd, `kb` the
kernel's IPVS (per namespace). First halb-lvsd is the sync master and the
kernel the backup: a client connection through halb-lvsd's persistent
service makes a template, and the kernel's `ipvsadm -L -n -c` lists it
(and the connection). Then the kernel is the master of a persistent
service of its own (Local forwarding to a server in `kb`) and halb-lvsd the
backup: `halb-adm -L -n -c` on halb-lvsd lists the kernel's template.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import halb  # noqa: E402
import rig  # noqa: E402

# A server answering "name\n" to every connection: name port [addr].
SERVER = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[3] if len(sys.argv) > 3 else "0.0.0.0", int(sys.argv[2]))); s.listen(16)
open("/tmp/ready-" + sys.argv[1], "w").close()
while True:
    c, _ = s.accept()
    try:
        c.recv(64); c.sendall((sys.argv[1] + "\n").encode())
    except OSError: pass
    c.close()
"""

# Connect to addr:port, send a line, print the answer. SYN, ACK and the
# line are the three packets after which the kernel master syncs the
# connection (sync_threshold 3) and, with it, its template.
CLIENT = r"""
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
c.sendall(b"hello\n")
print("answer", c.recv(64).decode().strip())
"""

SCRIPT = r"""
set -u
cat > /tmp/server.py <<'PY'
{server}
PY
cat > /tmp/client.py <<'PY'
{client}
PY
ip netns add lv || exit 90
ip netns add kb || exit 91
PIDS=""
cleanup() {{ kill $PIDS 2>/dev/null; wait; ip netns del lv; ip netns del kb; }}
trap cleanup EXIT
ip link add v0 netns lv type veth peer name v1 netns kb
ip -n lv addr add 10.9.9.1/24 dev v0; ip -n lv link set v0 up; ip -n lv link set lo up
ip -n kb addr add 10.9.9.2/24 dev v1; ip -n kb link set v1 up; ip -n kb link set lo up
R=/tmp/lvsd-sync; rm -rf $R /tmp/ready-*; mkdir -p $R
ip netns exec lv $HALB_BUILD_DIR/halb-lvsd --foreground --run-dir $R --logfacility none --threads 1 \
    --log-file $R/lvsd.log &
PIDS="$PIDS $!"
for i in $(seq 100); do [ -S $R/halb-lvsd.sock ] && break; sleep 0.1; done
A="ip netns exec lv $HALB_BUILD_DIR/halb-adm --backend lvsd --lvsd-socket $R/halb-lvsd.sock"
K="ip netns exec kb ipvsadm"
# wait_for COMMAND PATTERN: up to 30 s (the kernel flushes its buffer within 2 s; TCG is slow)
wait_for() {{ for i in $(seq 60); do $1 2>&1 | grep -q "$2" && return 0; sleep 0.5; done; return 1; }}

echo "== lvsd master, kernel backup"
$K --start-daemon backup --mcast-interface v1 --syncid 4 || exit 1
$A --start-daemon master --mcast-interface v0 --syncid 4 || exit 2
$A -A -t 10.9.9.1:8080 -s rr -p 120 || exit 3
$A -a -t 10.9.9.1:8080 -r 127.0.0.1:9000 -m || exit 4
ip netns exec lv python3 /tmp/server.py real1 9000 127.0.0.1 &
PIDS="$PIDS $!"
for i in $(seq 100); do [ -e /tmp/ready-real1 ] && break; sleep 0.2; done
ip netns exec lv python3 /tmp/client.py 10.9.9.1 8080 || exit 5
wait_for "$K -L -n -c" "10.9.9.1:0 " || {{ $K -L -n -c; cat $R/lvsd.log; exit 6; }}
echo "== kernel conns"; $K -L -n -c

echo "== kernel master, lvsd backup"
$A --stop-daemon master || exit 7
$A --start-daemon backup --mcast-interface v0 --syncid 0 || exit 8
$K --stop-daemon backup || exit 9
$K --start-daemon master --mcast-interface v1 --syncid 6 || exit 10
$K -A -t 10.9.9.2:80 -s rr -p 90 || exit 11
$K -a -t 10.9.9.2:80 -r 10.9.9.2:80 -g || exit 12
ip netns exec kb python3 /tmp/server.py kreal 80 &
PIDS="$PIDS $!"
for i in $(seq 100); do [ -e /tmp/ready-kreal ] && break; sleep 0.2; done
ip netns exec lv python3 /tmp/client.py 10.9.9.2 80 || exit 13
wait_for "$A -L -n -c" "10.9.9.2:80" || {{ $A -L -n -c; $K -L -n -c; cat $R/lvsd.log; exit 14; }}
echo "== lvsd conns"; $A -L -n -c
echo "== lvsd log"; cat $R/lvsd.log
exit 0
"""


def sections(output):
    out, name = {}, None
    for line in output.splitlines(keepends=True):
        m = re.match(r"== (.+)\n", line)
        if m:
            name = m.group(1)
            out[name] = ""
        elif name:
            out[name] += line
    return out


class LvsdSyncWithKernel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = rig.unavailable_reason()
        if reason:
            raise unittest.SkipTest(reason)
        halb.program("halb-lvsd")
        halb.program("halb-adm")

    def test_templates_cross_between_halb_lvsd_and_the_kernel(self):
        rc, out = rig.run_in_vm(SCRIPT.format(server=SERVER, client=CLIENT), timeout=240)
        self.assertEqual(rc, 0, out)
        s = sections(out)
        # The kernel backup lists halb-lvsd's template (client port 0,
        # timeout 120 s) and its connection.
        kernel = s["kernel conns"]
        self.assertRegex(kernel, r"TCP\s+0[12]:\d\d\s+NONE\s+10\.9\.9\.1:0\s+10\.9\.9\.1:8080\s+127\.0\.0\.1:9000")
        self.assertRegex(kernel, r"TCP\s+\d\d:\d\d\s+(ESTABLISHED|CLOSE|FIN_WAIT)\s+10\.9\.9\.1:\d+\s+10\.9\.9\.1:8080")
        # halb-lvsd's backup lists the kernel's template (timeout 90 s, state ASSURED once used)
        # and the connection in the state the kernel sent.
        lvsd = s["lvsd conns"]
        self.assertRegex(lvsd, r"TCP\s+0[01]:\d\d\s+(NONE|ASSURED)\s+10\.9\.9\.1:0\s+10\.9\.9\.2:80\s+10\.9\.9\.2:80")
        self.assertRegex(lvsd, r"TCP\s+\d\d:\d\d\s+(ESTABLISHED|FIN_WAIT|CLOSE|TIME_WAIT|CLOSE_WAIT)\s+10\.9\.9\.1:\d+\s+"
                               r"10\.9\.9\.2:80\s+10\.9\.9\.2:80")
        self.assertIn("sync thread started: state = BACKUP, mcast_ifn = v0, syncid = 0", s["lvsd log"])
        self.assertNotIn("dropped a message", s["lvsd log"])


if __name__ == "__main__":
    unittest.main()
