"""halb-lvsd connection sync between two directors (root, namespaces).

Topology, nothing reaching the machine's own interfaces:
    <p>-lan     bridge br0 (10.77.0.0/24)
    <p>-d1      director, eth0 .1 on the LAN, eth1 172.16.77.1 crossover to d2
    <p>-d2      director, eth0 .2 on the LAN, eth1 172.16.77.2
    <p>-r1..r3  real servers .11-.13, answering their name on port 80
    <p>-client  .50, with .51-.56 as extra client addresses
Each director runs its own halb-lvsd; the VIP 10.77.0.100 starts on d1.
A persistent virtual service pins each client address to a real through
d1 while d1 is the sync master (IPVS sync messages multicast to
224.0.0.81:8848) and d2 the backup. Then d1's halb-lvsd is killed and the
VIP moves to d2, whose director fills its table only now and in another
order: every client still reaches its real. The second test swaps the
roles with halb-syncswap, as heartbeat's LVSSyncDaemonSwap does, and
checks sync flows the other way after failback.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import netns  # noqa: E402
from halb import wait_for  # noqa: E402

BUILD_DIR = os.environ.get("HALB_BUILD_DIR", os.getcwd())
PROGRAMS = ("halb-lvsd", "halb-adm", "halb-syncswap")

OK, WHY = netns.can_run()
for _p in PROGRAMS:
    if OK and not os.access(os.path.join(BUILD_DIR, _p), os.X_OK):
        OK, WHY = False, f"{_p} is not built under {BUILD_DIR}"

LAN = "10.77.0"
VIP = f"{LAN}.100"
DIRECTORS = {"d1": f"{LAN}.1", "d2": f"{LAN}.2"}
CROSS = {"d1": "172.16.77.1", "d2": "172.16.77.2"}
REALS = {"r1": f"{LAN}.11", "r2": f"{LAN}.12", "r3": f"{LAN}.13"}
CLIENTS = [f"{LAN}.{n}" for n in range(51, 57)]
PORT = 80

NAME_SERVICE = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2]))); s.listen(128)
while True:
    c, _ = s.accept()
    try: c.sendall((sys.argv[1] + "\n").encode())
    except OSError: pass
    c.close()
"""

# Waits (up to 20 s) until every address given answers on port 80.
READY = r"""
import socket, sys, time
end = time.time() + 20
for addr in sys.argv[1:]:
    while True:
        try:
            socket.create_connection((addr, 80), timeout=1).close()
            break
        except OSError:
            if time.time() > end:
                sys.exit(addr + " does not answer")
            time.sleep(0.05)
"""

# Connects to VIP:80 once from each address given; prints "addr name" lines.
ASK = r"""
import socket, sys
for src in sys.argv[2:]:
    try:
        c = socket.create_connection((sys.argv[1], 80), timeout=2, source_address=(src, 0))
        print(src, c.recv(64).decode().strip() or "-")
        c.close()
    except OSError as e:
        print(src, "-")
"""


@unittest.skipUnless(OK, WHY)
class LvsdSyncPair(unittest.TestCase):
    def setUp(self):
        self.lab = netns.Lab("lvsync")
        self.addCleanup(self.lab.destroy)
        self.dir = tempfile.mkdtemp(prefix="halb-lvsd-sync-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.lab.add_bridge("lan")
        for host, addr in {**DIRECTORS, **REALS}.items():
            self.lab.add_host(host)
            self.lab.plug(host, "lan", "eth0", [f"{addr}/24"])
        self.lab.add_host("client")
        self.lab.plug("client", "lan", "eth0", [f"{LAN}.50/24"] + [f"{a}/24" for a in CLIENTS])
        self.lab.link("d1", "d2", addrs_a=[f"{CROSS['d1']}/24"], addrs_b=[f"{CROSS['d2']}/24"])
        self.lab.ip("d1", "addr", "add", f"{VIP}/24", "dev", "eth0")
        for host in REALS:
            self.lab.popen(host, [sys.executable, "-c", NAME_SERVICE, host, str(PORT)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = self.lab.run("client", [sys.executable, "-c", READY, *REALS.values()], timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.lvsd = {}
        for host in DIRECTORS:
            self.start_lvsd(host)

    def run_dir(self, host):
        return os.path.join(self.dir, host, "run")

    def start_lvsd(self, host):
        os.makedirs(self.run_dir(host), exist_ok=True)
        sock = os.path.join(self.run_dir(host), "halb-lvsd.sock")
        if os.path.exists(sock):  # left by a killed instance
            os.unlink(sock)
        self.lvsd[host] = self.lab.popen(host, [os.path.join(BUILD_DIR, "halb-lvsd"), "--foreground", "--run-dir",
                                                self.run_dir(host), "--logfacility", "none", "--threads", "1",
                                                "--log-file", os.path.join(self.dir, host, "lvsd.log")],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(sock) or self.lvsd[host].poll() is not None, 10, what=f"lvsd on {host}")
        self.assertIsNone(self.lvsd[host].poll(), self.log(host))

    def log(self, host):
        try:
            with open(os.path.join(self.dir, host, "lvsd.log")) as f:
                return f.read()
        except OSError:
            return ""

    def adm(self, host, *args, check=True):
        r = self.lab.run(host, [os.path.join(BUILD_DIR, "halb-adm"), "--backend", "lvsd", "--lvsd-socket",
                                os.path.join(self.run_dir(host), "halb-lvsd.sock"), *args])
        if check:
            self.assertEqual(r.returncode, 0, f"halb-adm {' '.join(args)} on {host}: {r.stdout}{r.stderr}")
        return r.stdout

    def control(self, host, req):
        """One request on host's control socket (a path on our own file system)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(os.path.join(self.run_dir(host), "halb-lvsd.sock"))
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        s.close()
        return json.loads(buf)

    def syncswap(self, host, *args):
        r = self.lab.run(host, [os.path.join(BUILD_DIR, "halb-syncswap"), "--backend", "lvsd", "--lvsd-socket",
                                os.path.join(self.run_dir(host), "halb-lvsd.sock"), *args])
        self.assertEqual(r.returncode, 0, f"halb-syncswap {' '.join(args)} on {host}: {r.stdout}{r.stderr}")

    def fill(self, host, reals):
        """What halb-director does on the node holding the VIP."""
        self.adm(host, "-A", "-t", f"{VIP}:{PORT}", "-s", "rr", "-p", "300")
        for name in reals:
            self.adm(host, "-a", "-t", f"{VIP}:{PORT}", "-r", f"{REALS[name]}:{PORT}", "-m")

    def ask(self, clients=CLIENTS):
        r = self.lab.run("client", [sys.executable, "-c", ASK, VIP, *clients], timeout=60)
        return dict(line.split() for line in r.stdout.splitlines())

    def move_vip(self, old, new):
        """The old director is gone: its VIP goes, the new one takes it (the
        client's stale ARP entry flushed, as a gratuitous ARP would)."""
        self.lab.ip(old, "addr", "del", f"{VIP}/24", "dev", "eth0")
        self.lab.ip(new, "addr", "add", f"{VIP}/24", "dev", "eth0")
        self.lab.ip("client", "neigh", "flush", "dev", "eth0")

    def templates(self, host):
        """{client: real address} from `halb-adm -L -n -c` (persistence templates)."""
        out = {}
        for line in self.adm(host, "-L", "-n", "-c").splitlines():
            f = line.split()
            if len(f) == 6 and f[0] == "TCP" and f[3].endswith(":0"):
                out[f[3][:-2]] = f[5].rsplit(":", 1)[0]
        return out

    def pin_clients(self):
        pinned = self.ask()
        self.assertEqual(set(pinned), set(CLIENTS))
        self.assertNotIn("-", pinned.values(), pinned)
        self.assertGreater(len(set(pinned.values())), 1, pinned)  # rr spread them
        self.assertEqual(self.ask(), pinned)  # persistence on the master itself
        return pinned

    def test_backup_keeps_templates_and_clients_stay_on_their_real_after_failover(self):
        self.adm("d1", "--start-daemon", "master", "--mcast-interface", "eth0", "--syncid", "9")
        self.adm("d2", "--start-daemon", "backup", "--mcast-interface", "eth0", "--syncid", "9")
        self.assertIn("backup sync daemon (mcast=eth0, syncid=9", self.adm("d2", "-L", "--daemon"))
        self.fill("d1", ["r1", "r2", "r3"])
        pinned = self.pin_clients()
        by_addr = {a: n for n, a in REALS.items()}
        wait_for(lambda: len(self.templates("d2")) == len(CLIENTS), 10,
                 what="templates on the backup\n" + self.adm("d2", "-L", "-n", "-c") + self.log("d2"))
        self.assertEqual({c: by_addr[r] for c, r in self.templates("d2").items()}, pinned)
        self.assertIn("sync thread started: state = BACKUP, mcast_ifn = eth0, syncid = 9", self.log("d2"))

        # d1 dies; the VIP moves; d2's director fills its table in another order.
        self.lvsd["d1"].send_signal(signal.SIGKILL)
        self.lvsd["d1"].wait(5)
        self.move_vip("d1", "d2")
        self.fill("d2", ["r3", "r1", "r2"])
        for _ in range(2):
            self.assertEqual(self.ask(), pinned)
        # The synced templates count as PersistConn once bound.
        listing = self.adm("d2", "-L", "-n", "--persistent-conn")
        self.assertRegex(listing, r"-> 10\.77\.0\.1[123]:80\s+1\s+[1-9]")

    def test_ipv6_group_on_the_crossover_with_a_small_maxlen(self):
        # An IPv6 group, another port, and a maxlen that fits three IPv4
        # entries: the six templates need at least two datagrams.
        self.lab.ip("d1", "addr", "add", "fd00:77::1/64", "dev", "eth1", "nodad")
        self.lab.ip("d2", "addr", "add", "fd00:77::2/64", "dev", "eth1", "nodad")
        group = ["--mcast-interface", "eth1", "--mcast-group", "ff02::1:81", "--mcast-port", "8850"]
        self.adm("d2", "--start-daemon", "backup", *group)
        self.adm("d1", "--start-daemon", "master", *group, "--sync-maxlen", "116")
        self.assertIn("group=ff02::1:81, port=8850", self.adm("d1", "-L", "--daemon"))
        self.fill("d1", ["r1", "r2", "r3"])
        pinned = self.pin_clients()
        by_addr = {a: n for n, a in REALS.items()}
        wait_for(lambda: len(self.templates("d2")) == len(CLIENTS), 10, what="templates over IPv6")
        self.assertEqual({c: by_addr[r] for c, r in self.templates("d2").items()}, pinned)
        sent = self.control("d1", {"cmd": "get-sync-stats"})["sync"]["master"]
        self.assertGreaterEqual(sent["sent_messages"], 2)
        got = self.control("d2", {"cmd": "get-sync-stats"})["sync"]["backup"]
        self.assertEqual((got["refused"], got["too_long"]), ({}, 0))
        self.assertEqual(got["received_messages"], sent["sent_messages"])

    def test_syncswap_swaps_roles_and_sync_follows_the_vip(self):
        # The seed's haresources: d1 holds LVSSyncDaemonSwap::master (start),
        # d2 runs it released (stop), so d2 is the backup; sync over the crossover.
        self.syncswap("d1", "master", "eth1", "start")
        self.syncswap("d2", "master", "eth1", "stop")
        self.fill("d1", ["r1", "r2", "r3"])
        pinned = self.pin_clients()
        wait_for(lambda: len(self.templates("d2")) == len(CLIENTS), 10, what="templates on d2")

        # Failover to d2: it takes the resource (backup -> master) and the VIP.
        self.lvsd["d1"].send_signal(signal.SIGKILL)
        self.lvsd["d1"].wait(5)
        self.syncswap("d2", "master", "eth1", "start")
        self.assertIn("master sync daemon (mcast=eth1", self.adm("d2", "-L", "--daemon"))
        self.move_vip("d1", "d2")
        self.fill("d2", ["r2", "r3", "r1"])
        self.assertEqual(self.ask(), pinned)

        # d1 comes back empty and releases the resource: it becomes the
        # backup and learns d2's clients, old and new.
        self.start_lvsd("d1")
        self.syncswap("d1", "master", "eth1", "stop")
        newcomer = f"{LAN}.60"
        self.lab.ip("client", "addr", "add", f"{newcomer}/24", "dev", "eth0")
        answer = self.ask([newcomer] + CLIENTS)
        self.assertNotEqual(answer[newcomer], "-")
        # Templates in use are sent again once their 10 s refresh is due;
        # a new client's goes out at once.
        wait_for(lambda: newcomer in self.templates("d1"), 10, what="the newcomer's template on d1")
        self.assertEqual(self.templates("d1")[newcomer], REALS[answer[newcomer]])


if __name__ == "__main__":
    unittest.main()
