"""halb-adm against Debian's ipvsadm 1.31 on a real kernel IPVS.

Runs inside the suite's VM (rig.py), one network namespace per test. The
table is built by ipvsadm, then every listing, every error text and exit
status of halb-adm --backend kernel must equal ipvsadm's byte for byte;
and a table halb-adm restores must be the one ipvsadm saved. Tables
halb-director builds read the same through both.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import halb  # noqa: E402
import rig  # noqa: E402

_seq = [0]

# The sync daemons start first: the kernel refuses them (EINVAL) once a
# service has dests of the other address family.
TABLE = """
ip link add v0 type veth peer name v1
ip addr add 10.9.9.1/24 dev v0
ip link set v0 up
ip link set v1 up
ipvsadm --start-daemon master --mcast-interface v0 --syncid 3
ipvsadm --start-daemon backup --mcast-interface v0
ipvsadm -A -t 192.168.6.240:80 -s wrr -p 300 -M 255.255.255.0
ipvsadm -a -t 192.168.6.240:80 -r 192.168.6.2:80 -g -w 1
ipvsadm -a -t 192.168.6.240:80 -r 192.168.6.3:80 -g -w 0
ipvsadm -a -t 192.168.6.240:80 -r 10.0.0.9:8080 -m -w 7 -x 100 -y 20
ipvsadm -A -t 10.0.0.1:3306 -s wlc
ipvsadm -a -t 10.0.0.1:3306 -r 10.0.0.12:3307 -m -w 5 -x 200 -y 100
ipvsadm -A -u 10.1.1.1:53 -s lc -o
ipvsadm -a -u 10.1.1.1:53 -r 10.1.1.2:53 -i -w 2
ipvsadm -A -u 10.1.1.5:5060 -s rr -p 30 --pe sip
ipvsadm -A -t [2001:db8::1]:443 -s mh -b mh-port,mh-fallback -p 120 -M 96
ipvsadm -a -t [2001:db8::1]:443 -r [2001:db8::3]:443 -m -w 3
ipvsadm -a -t [2001:db8::1]:443 -r [2001:db8::2]:443 -i -w 1
ipvsadm -a -t [2001:db8::1]:443 -r 10.0.0.20:443 -i -w 1
ipvsadm -A -f 7 -s sh -b sh-fallback
ipvsadm -a -f 7 -r 192.168.6.4:0 -g -w 1
ipvsadm -A -f 8 -6 -s wlc -p
ipvsadm -a -f 8 -6 -r [2001:db8::9]:0 -g -w 4
ipvsadm --set 100 20 30
"""

# Each command runs under ipvsadm, then halb-adm; their stdout, stderr and
# status must be equal. So they are reads, or changes that fail (or do
# nothing) both times.
COMMANDS = [
    "-L -n", "-L", "-l -n --nosort", "-S -n", "-S", "-L -n --stats", "-L -n --stats --exact", "-L -n --rate",
    "-L -n --thresholds", "-L -n --persistent-conn", "-L -n --tun-info", "-L -n -t 192.168.6.240:80",
    "-L -n -t [2001:db8::1]:443", "-L -n -f 8", "-L -n -u 10.9.9.9:53", "-L --timeout", "-L --daemon",
    "-L -n -c", "-A -t 10.0.0.1:3306", "-E -t 10.0.0.2:3306", "-D -f 99", "-a -t 10.0.0.2:1 -r 10.0.0.3",
    "-a -t 10.0.0.1:3306 -r 10.0.0.12:3307 -m", "-e -t 10.0.0.1:3306 -r 10.0.0.99", "-d -f 7 -r 192.168.6.5",
    "-A -t 10.0.0.50:80 -s nosuchsched", "-A -t 10.0.0.51:80 -s rr --pe nosuchpe -p",
    "--start-daemon master --mcast-interface v0", "--start-daemon backup --mcast-interface v0",
    "-Z -t 10.0.0.77:80", "-Z", "-Z -f 7",
]


def in_netns(body, timeout=300):
    _seq[0] += 1
    ns = f"halbadm{_seq[0]}"
    script = f"""
ip netns add {ns} || exit 99
ip netns exec {ns} /bin/sh -c 'ip link set lo up; exec /bin/sh' <<'HALB_BODY'
A="$HALB_BUILD_DIR/halb-adm --backend kernel"
{body}
HALB_BODY
rc=$?
ip netns del {ns}
exit $rc
"""
    return rig.run_in_vm(script, timeout)


def sections(output):
    out, name = {}, None
    for line in output.splitlines(keepends=True):
        m = re.match(r"== (\S+)\n", line)
        if m:
            name = m.group(1)
            out[name] = ""
        elif name:
            out[name] += line
    return out


class AdmOnKernelIpvs(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        reason = rig.unavailable_reason()
        if reason:
            raise unittest.SkipTest(reason)
        halb.program("halb-adm")  # fails (not skips) when not built

    def test_same_output_as_ipvsadm(self):
        body = TABLE
        for i, cmd in enumerate(COMMANDS):
            body += (f'echo "== ipvsadm{i}"; ipvsadm {cmd} 2>/tmp/e{i}; echo "rc=$?"; cat /tmp/e{i}\n'
                     f'echo "== halb{i}"; $A {cmd} 2>/tmp/e{i}; echo "rc=$?"; cat /tmp/e{i}\n')
        rc, out = in_netns(body)
        self.assertEqual(rc, 0, out)
        s = sections(out)
        for i, cmd in enumerate(COMMANDS):
            with self.subTest(cmd=cmd):
                self.assertIn(f"ipvsadm{i}", s, out)
                self.assertEqual(s[f"halb{i}"], s[f"ipvsadm{i}"])
        # The table had what it should, so the comparisons mean something.
        self.assertIn("FWM  8 IPv6 wlc persistent 360\n", s["ipvsadm0"])
        self.assertIn("pe sip", s["ipvsadm0"])
        self.assertIn("master sync daemon (mcast=v0, syncid=3", s["ipvsadm16"])

    def test_changes_made_by_halb_adm(self):
        rc, out = in_netns(TABLE + """
$A --stop-daemon backup || exit 1
$A --start-daemon backup --mcast-interface v0 --syncid 9 --mcast-port 9000 --mcast-ttl 2 || exit 2
echo "== daemons"; ipvsadm -L --daemon
$A --set 0 0 77 || exit 3
echo "== timeouts"; ipvsadm -L --timeout
$A -e -t 192.168.6.240:80 -r 10.0.0.9:8080 -m -w 0 -x 0 -y 0 || exit 4
$A -d -t 192.168.6.240:80 -r 192.168.6.3 || exit 5
$A -E -f 7 -s rr -p 60 || exit 6
$A -D -t 10.0.0.1:3306 || exit 7
echo "== table"; ipvsadm -L -n --thresholds -t 192.168.6.240:80; ipvsadm -L -n -f 7
""")
        self.assertEqual(rc, 0, out)
        s = sections(out)
        self.assertEqual(s["daemons"], (
            "master sync daemon (mcast=v0, syncid=3, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n"
            "backup sync daemon (mcast=v0, syncid=9, maxlen=1472, group=224.0.0.81, port=9000, ttl=2)\n"))
        self.assertEqual(s["timeouts"], "Timeout (tcp tcpfin udp): 100 20 77\n")
        self.assertEqual(s["table"], (
            "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n"
            "  -> RemoteAddress:Port\n"
            "TCP  192.168.6.240:80 wrr persistent 300 mask 255.255.255.0\n"
            "  -> 192.168.6.2:80               0          0          0          0         \n"
            "  -> 10.0.0.9:8080                0          0          0          0         \n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "FWM  7 rr persistent 60\n"
            "  -> 192.168.6.4:0                Route   1      0          0         \n"))

    def test_restore_of_a_saved_table(self):
        rc, out = in_netns(TABLE + """
ipvsadm -S -n > /tmp/saved
$A -C || exit 1
ipvsadm -L -n | wc -l
echo "# saved by ipvsadm" | cat - /tmp/saved | $A -R || exit 2
echo "== diff"; ipvsadm -S -n | diff /tmp/saved - && echo same
echo "== halb-save"; $A -S -n | diff /tmp/saved - && echo same
""")
        self.assertEqual(rc, 0, out)
        s = sections(out)
        self.assertEqual(s["diff"], "same\n")
        self.assertEqual(s["halb-save"], "same\n")


    def test_table_built_by_halb_director(self):
        # checktype=on keeps every real in, so the table does not depend on
        # servers answering inside the namespace.
        cf = """checkinterval=1
quiescent=yes
virtual=192.168.7.10:3306
    real=192.168.7.77:3306 gate 2
    real=192.168.7.101:3306 gate 1
    service=mysql
    scheduler=wrr
    checktype=on
virtual=192.168.7.10:80
    real=10.0.7.2:8080 masq
    real=10.0.7.3:8080 masq 0
    scheduler=wlc
    persistent=600
    netmask=255.255.255.0
    checktype=on
virtual=192.168.7.10:53
    real=10.0.7.2:53 ipip 3
    protocol=udp
    scheduler=rr
    checktype=on
virtual=17
    real=10.0.7.4 gate
    scheduler=sh
    protocol=fwm
    checktype=on
"""
        cmds = ["-L -n", "-S -n", "-L -n --stats", "-L -n --rate", "-L -n --thresholds", "-L -n --persistent-conn",
                "-L -n -t 192.168.7.10:80", "-L -n -f 17"]
        listings = "".join(f'echo "== ipvsadm{i}"; ipvsadm {c} 2>&1; echo "rc=$?"\n'
                           f'echo "== halb{i}"; $A {c} 2>&1; echo "rc=$?"\n' for i, c in enumerate(cmds))
        rc, out = in_netns(f"""
mkdir -p /tmp/hd && cat > /tmp/hd/l.cf <<'HALB_CF'
{cf}HALB_CF
$HALB_BUILD_DIR/halb-director --foreground --backend kernel --run-dir /tmp/hd --log-file /tmp/hd/log /tmp/hd/l.cf start &
pid=$!
n=0
while [ $n -lt 100 ] && [ "$(ipvsadm -L -n | grep -c -- '->')" -lt 7 ]; do sleep 0.1; n=$((n+1)); done
{listings}kill $pid; wait $pid
echo "== log"; cat /tmp/hd/log
""")
        self.assertEqual(rc, 0, out)
        s = sections(out)
        for i, cmd in enumerate(cmds):
            with self.subTest(cmd=cmd):
                self.assertIn(f"ipvsadm{i}", s, out)
                self.assertEqual(s[f"halb{i}"], s[f"ipvsadm{i}"])
        # What halb-director put there, in ipvsadm's words.
        table = s["ipvsadm1"]
        self.assertIn("-A -t 192.168.7.10:3306 -s wrr\n", table)
        self.assertIn("-a -t 192.168.7.10:3306 -r 192.168.7.77:3306 -g -w 2\n", table)
        self.assertIn("-A -t 192.168.7.10:80 -s wlc -p 600 -M 255.255.255.0\n", table)
        self.assertIn("-a -t 192.168.7.10:80 -r 10.0.7.3:8080 -m -w 0\n", table)
        self.assertIn("-a -u 192.168.7.10:53 -r 10.0.7.2:53 -i -w 3 --tun-type ipip\n", table)
        self.assertIn("-A -f 17 -s sh\n", table)
        self.assertIn("Added real server", s["log"])


if __name__ == "__main__":
    unittest.main()
