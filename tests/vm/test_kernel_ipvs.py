"""KernelIpvsBackend against a real kernel IPVS, checked with Debian's ipvsadm.

Runs inside the suite's VM (rig.py). Every test gets its own network
namespace, so each starts from an empty IPVS table and leaves nothing
behind. halb-ipvs-probe (tests/tools) drives KernelIpvsBackend; ipvsadm
1.31 is the anchor: what the probe sets, ipvsadm must list, save and report
byte for byte as it would for a table it had built itself, and a table
ipvsadm builds must read back through the probe with every attribute.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import halb  # noqa: E402
import rig  # noqa: E402

_ns_seq = [0]


def in_netns(body, timeout=120):
    """Runs shell `body` in a fresh network namespace of the VM, with
    $P set to halb-ipvs-probe. Returns (rc, output)."""
    _ns_seq[0] += 1
    ns = f"halbt{_ns_seq[0]}"
    script = f"""
ip netns add {ns} || exit 99
ip netns exec {ns} /bin/sh -c 'ip link set lo up; exec /bin/sh' <<'HALB_BODY'
P=$HALB_BUILD_DIR/tests/tools/halb-ipvs-probe
{body}
HALB_BODY
rc=$?
for n in $(ip netns list 2>/dev/null | awk '{{print $1}}' | grep '^{ns}'); do ip netns del $n; done
exit $rc
"""
    return rig.run_in_vm(script, timeout)


def sections(output):
    """Splits output at lines '== NAME' into {NAME: text}."""
    out, name = {}, None
    for line in output.splitlines(keepends=True):
        m = re.match(r"== (\S+)\n", line)
        if m:
            name = m.group(1)
            out[name] = ""
        elif name:
            out[name] += line
    return out


HEADER = ("IP Virtual Server version 1.2.1 (size=4096)\n"
          "Prot LocalAddress:Port Scheduler Flags\n"
          "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")


class KernelIpvsTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        reason = rig.unavailable_reason()
        if reason:
            raise unittest.SkipTest(reason)
        halb.program("halb-ipvs-probe")  # fails (not skips) when not built

    def run_ns(self, body, timeout=120):
        rc, out = in_netns(body, timeout)
        return rc, out

    def test_probe_table_listed_and_saved_by_ipvsadm(self):
        rc, out = self.run_ns("""
$P <<EOF
info
add-service tcp:192.168.6.240:80 sched=wrr persistent=300 netmask=255.255.255.0
add-dest tcp:192.168.6.240:80 192.168.6.2:80 fwd=route weight=1
add-dest tcp:192.168.6.240:80 192.168.6.3:80 fwd=route weight=0
add-service tcp:10.0.0.1:3306 sched=wlc
add-dest tcp:10.0.0.1:3306 10.0.0.12:3307 fwd=masq weight=5 u=200 l=100
add-service udp:[2001:db8::1]:53 sched=rr persistent=60 netmask=64
add-dest udp:[2001:db8::1]:53 [2001:db8::2]:53 fwd=tunnel weight=2
add-service fwm:7 sched=sh flags=0x18
add-dest fwm:7 192.168.6.4:0 fwd=route weight=1
add-service fwm6:8 sched=none
add-service tcp:192.168.6.241:443 sched=rr flags=0x4
EOF
echo "== list"; ipvsadm -L -n
echo "== save"; ipvsadm -S -n
echo "== thresholds"; ipvsadm -L -n --thresholds -t 10.0.0.1:3306
""")
        self.assertEqual(rc, 0, out)
        s = sections(out)
        self.assertEqual(out.splitlines()[0], "version 1.2.1 size 4096")
        # ipvsadm's sort subtracts addresses into an int: 192.x sorts
        # before 10.x (reference/director-ipvs.md section 4).
        self.assertEqual(s["list"], HEADER + (
            "TCP  192.168.6.240:80 wrr persistent 300 mask 255.255.255.0\n"
            "  -> 192.168.6.2:80               Route   1      0          0         \n"
            "  -> 192.168.6.3:80               Route   0      0          0         \n"
            "TCP  192.168.6.241:443 rr ops\n"
            "TCP  10.0.0.1:3306 wlc\n"
            "  -> 10.0.0.12:3307               Masq    5      0          0         \n"
            "UDP  [2001:db8::1]:53 rr persistent 60 mask 64\n"
            "  -> [2001:db8::2]:53             Tunnel  2      0          0         \n"
            "FWM  7 sh (sh-fallback,sh-port)\n"
            "  -> 192.168.6.4:0                Route   1      0          0         \n"
            "FWM  8 IPv6 none\n"))
        # -S keeps the same order and leaves thresholds out (ipvsadm 1.31).
        self.assertEqual(s["save"], (
            "-A -t 192.168.6.240:80 -s wrr -p 300 -M 255.255.255.0\n"
            "-a -t 192.168.6.240:80 -r 192.168.6.2:80 -g -w 1\n"
            "-a -t 192.168.6.240:80 -r 192.168.6.3:80 -g -w 0\n"
            "-A -t 192.168.6.241:443 -s rr -o\n"
            "-A -t 10.0.0.1:3306 -s wlc\n"
            "-a -t 10.0.0.1:3306 -r 10.0.0.12:3307 -m -w 5\n"
            "-A -u [2001:db8::1]:53 -s rr -p 60 -M 64\n"
            "-a -u [2001:db8::1]:53 -r [2001:db8::2]:53 -i -w 2 --tun-type ipip\n"
            "-A -f 7 -s sh -b sh-fallback,sh-port\n"
            "-a -f 7 -r 192.168.6.4:0 -g -w 1\n"
            "-A -f 8 -6 -s none\n"))
        self.assertEqual(s["thresholds"], (
            "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n"
            "  -> RemoteAddress:Port\n"
            "TCP  10.0.0.1:3306 wlc\n"
            "  -> 10.0.0.12:3307               200        100        0          0         \n"))

    def test_ipvsadm_table_read_by_probe(self):
        rc, out = self.run_ns("""
ipvsadm -A -t 192.168.131.105:3306 -s wrr -p 600 -M 255.255.0.0
ipvsadm -a -t 192.168.131.105:3306 -r 192.168.131.77:3306 -g -w 3
ipvsadm -a -t 192.168.131.105:3306 -r 192.168.131.101:3306 -g -w 0
ipvsadm -A -u 10.1.1.1:53 -s lc -o
ipvsadm -a -u 10.1.1.1:53 -r 10.1.1.2:5353 -m -w 7 -x 50 -y 10
ipvsadm -A -t [fd00::1]:80 -s mh -b mh-port -p 120 -M 96
ipvsadm -a -t [fd00::1]:80 -r [fd00::2]:80 -i -w 1
ipvsadm -A -f 21 -s rr
ipvsadm -A -f 22 -6 -s wlc
ipvsadm -A -u 10.1.1.5:5060 -s rr -p 30 --pe sip
echo "== probe"; printf 'list\\n' | $P
""")
        self.assertEqual(rc, 0, out)
        self.assertEqual(sections(out)["probe"], (
            "service TCP 192.168.131.105:3306 sched=wrr flags=0x1 timeout=600 netmask=255.255.0.0 pe=-\n"
            "  dest 192.168.131.77:3306 fwd=Route weight=3 u=0 l=0 active=0 inact=0 persist=0\n"
            "  dest 192.168.131.101:3306 fwd=Route weight=0 u=0 l=0 active=0 inact=0 persist=0\n"
            "service TCP [fd00::1]:80 sched=mh flags=0x11 timeout=120 netmask=96 pe=-\n"
            "  dest [fd00::2]:80 fwd=Tunnel weight=1 u=0 l=0 active=0 inact=0 persist=0\n"
            "service UDP 10.1.1.1:53 sched=lc flags=0x4 timeout=0 netmask=255.255.255.255 pe=-\n"
            "  dest 10.1.1.2:5353 fwd=Masq weight=7 u=50 l=10 active=0 inact=0 persist=0\n"
            "service UDP 10.1.1.5:5060 sched=rr flags=0x1 timeout=30 netmask=255.255.255.255 pe=sip\n"
            "service FWM 21 sched=rr flags=0x0 timeout=0 netmask=255.255.255.255 pe=-\n"
            "service FWM 22 IPv6 sched=wlc flags=0x0 timeout=0 netmask=128 pe=-\n"))

    def test_edit_delete_and_errors(self):
        rc, out = self.run_ns("""
$P <<EOF
add-service tcp:10.2.0.1:80 sched=rr
add-service tcp:10.2.0.1:80 sched=rr
add-dest tcp:10.2.0.1:80 10.2.0.2:80 weight=4
add-dest tcp:10.2.0.1:80 10.2.0.2:80 weight=4
add-dest tcp:10.2.0.1:80 10.2.0.3:80 weight=4
add-dest tcp:10.9.9.9:80 10.2.0.2:80
edit-service tcp:10.2.0.1:80 sched=wrr persistent=900
edit-service tcp:10.2.0.9:80 sched=wrr
edit-dest tcp:10.2.0.1:80 10.2.0.2:80 fwd=masq weight=0
edit-dest tcp:10.2.0.1:80 10.2.0.7:80 weight=1
del-dest tcp:10.2.0.1:80 10.2.0.3:80
del-dest tcp:10.2.0.1:80 10.2.0.3:80
add-dest tcp:10.2.0.1:80 10.2.0.4:80 u=10 l=20
add-service tcp:10.2.0.5:80 sched=nosuch
add-service udp:10.2.0.6:53 sched=rr
del-service udp:10.2.0.6:53
del-service udp:10.2.0.6:53
add-dest tcp:10.2.0.1:80 [fd00::7]:80 fwd=route
EOF
echo "rc $?"
echo "== unprivileged"
printf 'list\nadd-service tcp:10.2.0.8:80\n' | setpriv --reuid=65534 --regid=65534 --clear-groups $P
echo "== mixed"
$P <<EOF
add-service tcp:10.3.0.1:80 sched=rr
add-dest tcp:10.3.0.1:80 [fd00::9]:80 fwd=tunnel weight=2
list
EOF
ipvsadm -L -n -t 10.3.0.1:80
ipvsadm -D -t 10.3.0.1:80
echo "== list"; ipvsadm -L -n
echo "== flush"
$P <<EOF
flush
list
EOF
ipvsadm -L -n | tail -n +4
""")
        self.assertEqual(rc, 0, out)
        lines = out.split("== unprivileged")[0].splitlines()
        errors = [l.split(":")[0] for l in lines if l.startswith("error ")]
        self.assertEqual(errors, [
            "error EEXIST",   # the same service twice
            "error EEXIST",   # the same dest twice
            "error ESRCH",    # a dest for a missing service
            "error ESRCH",    # editing a missing service
            "error ENOENT",   # editing a missing dest
            "error ENOENT",   # deleting a dest twice
            "error ERANGE",   # lower threshold above the upper one
            "error ENOENT",   # an unknown scheduler
            "error ESRCH",    # deleting a service twice
            "error EINVAL",   # an IPv6 dest behind an IPv4 service, not tunnelled
        ], out)
        self.assertIn("rc 1", lines)
        s = sections(out)
        self.assertEqual(s["list"], HEADER + (
            "TCP  10.2.0.1:80 wrr persistent 900\n"
            "  -> 10.2.0.2:80                  Masq    0      0          0         \n"))
        self.assertEqual(s["flush"], "")
        # Every IPVS command, reads too, needs CAP_NET_ADMIN.
        self.assertEqual([l.split(":")[0] for l in s["unprivileged"].splitlines()], ["error EPERM", "error EPERM"])
        # A tunnelled dest may have the other family; it reads back as such.
        self.assertEqual(s["mixed"], (
            "service TCP 10.2.0.1:80 sched=wrr flags=0x1 timeout=900 netmask=255.255.255.255 pe=-\n"
            "  dest 10.2.0.2:80 fwd=Masq weight=0 u=0 l=0 active=0 inact=0 persist=0\n"
            "service TCP 10.3.0.1:80 sched=rr flags=0x0 timeout=0 netmask=255.255.255.255 pe=-\n"
            "  dest [fd00::9]:80 fwd=Tunnel weight=2 u=0 l=0 active=0 inact=0 persist=0\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  10.3.0.1:80 rr\n"
            "  -> [fd00::9]:80                 Tunnel  2      0          0         \n"))

    def test_timeouts_both_ways(self):
        rc, out = self.run_ns("""
$P <<EOF
timeouts
set-timeouts 1000 0 60
EOF
echo "== ipvsadm"; ipvsadm -L --timeout
ipvsadm --set 0 30 0
echo "== probe"; echo timeouts | $P
""")
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.splitlines()[0], "timeouts 900 120 300")
        s = sections(out)
        self.assertEqual(s["ipvsadm"], "Timeout (tcp tcpfin udp): 1000 120 60\n")
        self.assertEqual(s["probe"], "timeouts 1000 30 60\n")

    def test_sync_daemons_both_ways(self):
        rc, out = self.run_ns("""
ip link add sync0 type dummy
ip addr add 10.5.0.1/24 dev sync0
ip link set sync0 multicast on up
$P <<EOF
start-daemon master sync0 syncid=5
start-daemon master sync0 syncid=6
EOF
echo "== ipvsadm"; ipvsadm -L --daemon
ipvsadm --start-daemon backup --mcast-interface sync0 --syncid 9 --sync-maxlen 1200 --mcast-group 224.0.0.82 --mcast-port 8850 --mcast-ttl 2
echo "== probe"; echo daemons | $P
echo "stop-daemon master" | $P
echo "== after"; ipvsadm -L --daemon
echo "== stop"
echo "stop-daemon backup" | $P
echo "stop-daemon backup" | $P
echo "== none"; ipvsadm -L --daemon; echo daemons | $P
""", timeout=180)
        self.assertEqual(rc, 0, out)
        self.assertTrue(out.startswith("error EEXIST:"), out)
        s = sections(out)
        self.assertEqual(s["ipvsadm"],
                         "master sync daemon (mcast=sync0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n")
        self.assertEqual(s["probe"], (
            "daemon master ifn=sync0 syncid=5 maxlen=1472 group=224.0.0.81 port=8848 ttl=1\n"
            "daemon backup ifn=sync0 syncid=9 maxlen=1200 group=224.0.0.82 port=8850 ttl=2\n"))
        self.assertEqual(s["after"],
                         "backup sync daemon (mcast=sync0, syncid=9, maxlen=1200, group=224.0.0.82, port=8850, ttl=2)\n")
        # Stopping a role that is not running is refused.
        self.assertRegex(s["stop"], r"^error ESRCH: [^\n]*\n$")
        self.assertEqual(s["none"], "")

    def test_counters_connections_and_zero(self):
        # client ns -> this ns (director, VIP 10.7.2.100) -> real server ns,
        # NAT to 10.7.0.2:8080; three TCP connections through a persistent
        # service, so the connection table also holds one template.
        rc, out = self.run_ns("""
me=$(ip netns identify $$)
ip netns add ${me}c; ip netns add ${me}r
ip link add dc type veth peer name cd netns ${me}c
ip link add dr type veth peer name rd netns ${me}r
ip addr add 10.7.2.1/24 dev dc; ip link set dc up
ip addr add 10.7.0.1/24 dev dr; ip link set dr up
ip addr add 10.7.2.100/32 dev lo
sysctl -qw net.ipv4.ip_forward=1
ip -n ${me}c addr add 10.7.2.2/24 dev cd; ip -n ${me}c link set cd up; ip -n ${me}c link set lo up
ip -n ${me}c route add default via 10.7.2.1
ip -n ${me}r addr add 10.7.0.2/24 dev rd; ip -n ${me}r link set rd up; ip -n ${me}r link set lo up
ip -n ${me}r route add default via 10.7.0.1
$P <<EOF
add-service tcp:10.7.2.100:80 sched=rr persistent=120
add-dest tcp:10.7.2.100:80 10.7.0.2:8080 fwd=masq weight=1
EOF
ip netns exec ${me}r python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.7.0.2", 8080)); s.listen(8)
open("/tmp/rs-ready", "w").close()
for _ in range(3):
    c, _ = s.accept(); c.recv(100); c.sendall(b"hello from rs"); c.close()
' &
rs=$!
for i in $(seq 100); do [ -e /tmp/rs-ready ] && break; sleep 0.1; done
ip netns exec ${me}c python3 -c '
import socket
for i in range(3):
    c = socket.create_connection(("10.7.2.100", 80), timeout=20)
    c.sendall(b"hi"); print("reply", c.recv(100).decode()); c.close()
'
wait $rs
# The kernel folds per-cpu counters into what it reports every 2 s: wait
# until two reads 3 s apart agree, so probe and ipvsadm see final values.
prev=""
for i in $(seq 20); do
  cur=$(ipvsadm -L -n --stats --exact | tail -n +4)
  [ -n "$prev" ] && [ "$cur" = "$prev" ] && break
  prev=$cur; sleep 3
done
echo "== probe-stats"; echo stats | $P
echo "== ipvsadm-stats"; ipvsadm -L -n --stats --exact
echo "== probe-conns"; echo conns | $P
echo "== ipvsadm-conns"; ipvsadm -L -n -c
echo "zero tcp:10.7.2.100:80" | $P
echo "== zeroed"; echo stats | $P
echo "== zeroed-all"; printf 'zero\nstats\n' | $P
rm -f /tmp/rs-ready
""", timeout=240)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.count("reply hello from rs"), 3, out)
        s = sections(out)

        # "service TCP 10.7.2.100:80 conns=..." / "  dest 10.7.0.2:8080 conns=..."
        probe = {}
        for line in s["probe-stats"].splitlines():
            words = line.split()
            key = words[2] if words[0] == "service" else "->" + words[1]
            probe[key] = {k: int(v) for k, v in (w.split("=") for w in words if "=" in w)}
        # "TCP  10.7.2.100:80  3  ..." / "  -> 10.7.0.2:8080  3  ..."
        ipvsadm = {}
        for line in s["ipvsadm-stats"].splitlines()[3:]:
            words = line.split()
            key = words[1] if words[0] == "TCP" else "->" + words[1]
            ipvsadm[key] = dict(zip(["conns", "inpkts", "outpkts", "inbytes", "outbytes"], map(int, words[2:7])))
        self.assertEqual(set(ipvsadm), {"10.7.2.100:80", "->10.7.0.2:8080"}, s["ipvsadm-stats"])
        self.assertEqual(probe, ipvsadm)
        self.assertEqual(ipvsadm["10.7.2.100:80"]["conns"], 3)
        self.assertGreaterEqual(ipvsadm["10.7.2.100:80"]["inpkts"], 9)

        want = set()
        for line in s["ipvsadm-conns"].splitlines()[2:]:
            pro, _expire, state, src, vip, dst = line.split()
            want.add((pro, src, vip, dst, state))
        got, templates = set(), []
        for line in s["probe-conns"].splitlines():
            _, pro, src, vip, dst, state = line.split()[:6]
            got.add((pro, src, vip, dst, state))
            if line.endswith(" template"):
                templates.append((src, vip, dst))
        self.assertEqual(len(want), 4, s["ipvsadm-conns"])
        self.assertEqual(got, want)
        self.assertEqual(templates, [("10.7.2.2:0", "10.7.2.100:80", "10.7.0.2:8080")], s["probe-conns"])
        for name in ("zeroed", "zeroed-all"):
            lines = s[name].splitlines()
            self.assertEqual(len(lines), 2, s[name])
            for line in lines:
                self.assertIn("conns=0 inpkts=0 outpkts=0 inbytes=0 outbytes=0", line)


if __name__ == "__main__":
    unittest.main()
