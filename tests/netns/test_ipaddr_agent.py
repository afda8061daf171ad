"""The built-in IPaddr2 agent against a real kernel (root, namespaces).

Topology (tests/harness/netns.py), nothing reaching the machine's own
interfaces and no default route anywhere:
    <p>-lan     bridge br0
    <p>-d1      director 1, eth0 192.168.131.164/24 (+ 2001:db8:131::164/64)
    <p>-d2      director 2, eth0 192.168.131.26/24
    <p>-client  client, eth0 192.168.131.50/24
The agent runs in-process in tests/tools/halb-agent-run (one op per run,
the program exits once its gratuitous ARPs are all out).
"""
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))
import netns  # noqa: E402

# Only what this suite needs from the environment run-all sets, so it does
# not depend on the daemon-oriented helpers of halb.py.
BUILD_DIR = os.environ.get("HALB_BUILD_DIR", os.getcwd())
TOOL = os.path.join(BUILD_DIR, "tests", "tools", "halb-agent-run")

OK, WHY = netns.can_run()
if OK and not os.access(TOOL, os.X_OK):
    OK, WHY = False, f"tests/tools/halb-agent-run is not built under {BUILD_DIR}"


def wait_for(predicate, timeout, interval=0.01, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
    return True

LAN = "192.168.131"
VIP = f"{LAN}.105"
SEED_ARG = f"{VIP}/24/eth0/{LAN}.255"  # the seed's haresources argument
HOSTS = {"d1": f"{LAN}.164", "d2": f"{LAN}.26", "client": f"{LAN}.50"}
V6_NET = "2001:db8:131::"


@unittest.skipUnless(OK, WHY)
class IpAddrAgentInNamespaces(unittest.TestCase):
    def setUp(self):
        self.lab = netns.Lab("ipa")
        self.addCleanup(self.lab.destroy)  # registered first: runs even if setUp fails below
        self.tmp = tempfile.TemporaryDirectory(prefix="halb-ipaddr-")
        self.addCleanup(self.tmp.cleanup)
        lan = self.lab.add_bridge("lan")
        for host, addr in HOSTS.items():
            self.lab.add_host(host)
            extra = [f"{V6_NET}164/64"] if host == "d1" else []
            self.lab.plug(host, lan, "eth0", addrs=[f"{addr}/24"] + extra)
        self.tool = TOOL

    def tearDown(self):
        self.lab.destroy()
        leftovers = [n for n in netns.list_namespaces() if n.startswith(self.lab.prefix + "-")]
        self.assertEqual(leftovers, [], "namespaces left behind")

    # ---- helpers ------------------------------------------------------------
    def agent(self, host, arg, op, *options):
        r = self.lab.run(host, [self.tool, "--state-dir", self.tmp.name, *options, "IPaddr2", arg, op], timeout=20)
        return r.returncode, r.stdout, r.stderr

    def vip_lines(self, host, ifname="eth0"):
        return [a for a in self.lab.addresses(host, ifname) if a.get("local") == VIP]

    # ---- tests ----------------------------------------------------------------
    def test_start_status_stop_with_label_and_broadcast(self):
        # The start answer comes at once; the process lives on ~0.9 s for the ARPs.
        t0 = time.monotonic()
        p = self.lab.popen("d1", [self.tool, "IPaddr2", f"{VIP}/24/eth0:0/{LAN}.255", "start"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = p.stdout.readline()
        answered = time.monotonic() - t0
        out, err = p.communicate(timeout=10)
        lived = time.monotonic() - t0
        self.assertEqual(first, "INFO:  Success\n")
        self.assertEqual(p.returncode, 0, err)
        self.assertLess(answered, 0.5, "start must not wait for the gratuitous ARPs")
        self.assertGreater(lived, 0.85, "the ARPs go on in the background for ~0.9 s")
        print(f"\n    start answered after {answered * 1000:.0f} ms, ARPs done after {lived * 1000:.0f} ms")

        text = self.lab.ip("d1", "-o", "-4", "addr", "show", "dev", "eth0")
        self.assertIn(f"inet {VIP}/24 brd {LAN}.255 scope global secondary eth0:0", text)
        for line in (f"IPaddr2: INFO: ip -f inet addr add {VIP}/24 brd {LAN}.255 dev eth0 label eth0:0",
                     "IPaddr2: INFO: ip link set eth0 up",
                     f"IPaddr2: INFO: send_arp -i 200 -r 5 eth0 {VIP} auto not_used not_used"):
            self.assertIn(line, err)

        self.assertEqual(self.agent("d1", SEED_ARG, "status")[:2], (0, "INFO:  Running OK\n"))
        self.assertEqual(self.agent("d2", SEED_ARG, "status")[:2], (7, "INFO:  Resource is stopped\n"))
        # Started again while running: success at once, no second announcement.
        t0 = time.monotonic()
        rc, out, err = self.agent("d1", SEED_ARG, "start")
        self.assertEqual((rc, out), (0, "INFO:  Success\n"))
        self.assertLess(time.monotonic() - t0, 0.5)
        self.assertNotIn("send_arp", err)

        rc, out, err = self.agent("d1", SEED_ARG, "stop")
        self.assertEqual((rc, out), (0, "INFO:  Success\n"), err)
        self.assertIn(f"IPaddr2: INFO: ip -f inet addr delete {VIP}/24 dev eth0", err)
        self.assertEqual(self.vip_lines("d1"), [])
        self.assertEqual(self.agent("d1", SEED_ARG, "status")[:2], (7, "INFO:  Resource is stopped\n"))
        # Stopping what is stopped succeeds (heartbeat stops everything at shutdown).
        self.assertEqual(self.agent("d1", SEED_ARG, "stop")[:2], (0, "INFO:  Success\n"))

    def test_findif_forms_and_errors(self):
        # Bare IP: nic and prefix from the connected route, broadcast computed.
        rc, out, err = self.agent("d1", VIP, "start", "--arp-count", "1")
        self.assertEqual((rc, out), (0, "INFO:  Success\n"), err)
        [a] = self.vip_lines("d1")
        self.assertEqual((a["prefixlen"], a.get("broadcast"), a.get("label")), (24, f"{LAN}.255", "eth0"))
        self.assertEqual(self.agent("d1", VIP, "status")[0], 0)
        self.assertEqual(self.agent("d1", VIP, "stop")[0], 0)
        self.assertEqual(self.vip_lines("d1"), [])

        # Third field starting with a digit: the broadcast, nic by findif.
        rc, out, err = self.agent("d1", f"{VIP}/25/{LAN}.127", "start", "--arp-count", "1")
        self.assertEqual(rc, 0, err)
        [a] = self.vip_lines("d1")
        self.assertEqual((a["prefixlen"], a.get("broadcast")), (25, f"{LAN}.127"))
        self.assertEqual(self.agent("d1", f"{VIP}/25/{LAN}.127", "stop")[0], 0)

        # No route covers it: generic error. Bad argument: exit 2. Missing nic: generic.
        rc, out, _ = self.agent("d1", "10.77.0.1", "start")
        self.assertEqual(rc, 1)
        self.assertTrue(out.startswith("ERROR: "), out)
        rc, out, _ = self.agent("d1", "10.77.0.300/24", "start")
        self.assertEqual((rc, out), (2, "ERROR: IP address [10.77.0.300] not valid.\n"))
        rc, out, _ = self.agent("d1", f"{VIP}/24/eth7", "start")
        self.assertEqual((rc, out), (1, "ERROR: Unknown interface [eth7] No such device.\n"))
        self.assertEqual(self.agent("d1", "10.77.0.1", "status")[:2], (7, "INFO:  Resource is stopped\n"))

    def test_gratuitous_arp_frames_on_the_wire(self):
        d1_mac = self.lab.mac("d1", "eth0")
        cap = netns.PacketCapture(self.lab, "client", "eth0", netns.ETH_P_ARP)
        rc, out, err = self.agent("d1", SEED_ARG, "start")
        self.assertEqual(rc, 0, err)
        frames = cap.stop()
        arps = [(t, netns.parse_arp(f)) for t, f in frames]
        arps = [(t, a) for t, a in arps if a and a["spa"] == VIP]
        self.assertEqual(len(arps), 10, arps)
        for i, (_, a) in enumerate(arps):
            request = i % 2 == 0  # request then reply, five times
            self.assertEqual(a["op"], 1 if request else 2, f"frame {i}")
            self.assertEqual(a["dst"], "ff:ff:ff:ff:ff:ff")
            self.assertEqual(a["src"], d1_mac)
            self.assertEqual((a["htype"], a["ptype"], a["hlen"], a["plen"]), (1, 0x0800, 6, 4))
            self.assertEqual(a["sha"], d1_mac)
            self.assertEqual(a["tpa"], VIP)
            self.assertEqual(a["tha"], "00:00:00:00:00:00" if request else d1_mac)
        times = [t for t, _ in arps]
        gaps = [(b - a) * 1000 for a, b in zip(times, times[1:])]
        print(f"\n    ARP gaps ms: {' '.join(f'{g:.1f}' for g in gaps)}; span {(times[-1] - times[0]) * 1000:.1f} ms")
        for g in gaps:
            self.assertGreater(g, 75)
            self.assertLess(g, 125)
        self.assertAlmostEqual(times[-1] - times[0], 0.9, delta=0.06)

    def test_takeover_moves_the_clients_neighbour_entry(self):
        self.assertEqual(self.agent("d1", SEED_ARG, "start")[0], 0)
        # The client learns the VIP at d1 the ordinary way.
        r = self.lab.run("client", ["ping", "-c", "1", "-W", "1", VIP])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        d1_mac, d2_mac = self.lab.mac("d1", "eth0"), self.lab.mac("d2", "eth0")
        self.assertEqual(self.lab.neighbour("client", VIP)[0], d1_mac)
        # d1 lets go, d2 takes over; only d2's gratuitous ARP can move the
        # client's cached entry (the client sends nothing meanwhile).
        self.assertEqual(self.agent("d1", SEED_ARG, "stop")[0], 0)
        cap = netns.PacketCapture(self.lab, "client", "eth0", netns.ETH_P_ARP)
        t0 = time.monotonic()
        p = self.lab.popen("d2", [self.tool, "IPaddr2", SEED_ARG, "start"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        moved = wait_for(lambda: (self.lab.neighbour("client", VIP) or [None])[0] == d2_mac, 2, interval=0.01,
                         what="client neighbour entry moving to d2")
        took = time.monotonic() - t0
        self.assertTrue(moved)
        p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0)
        sent_by_client = [f for _, f in cap.stop(include_outgoing=True) if f[6:12] == bytes.fromhex(
            self.lab.mac("client", "eth0").replace(":", ""))]
        self.assertEqual(sent_by_client, [], "the client resolved the VIP itself instead of learning it")
        print(f"\n    client neighbour entry moved to d2 {took * 1000:.0f} ms after d2's start began")
        r = self.lab.run("client", ["ping", "-c", "1", "-W", "1", VIP])
        self.assertEqual(r.returncode, 0)

    def test_lvs_support_moves_the_lo_copy_and_restores_it(self):
        self.lab.ip("d2", "addr", "add", f"{VIP}/32", "dev", "lo", "label", "lo:0")
        rc, out, err = self.agent("d2", SEED_ARG, "start", "--arp-count", "1")
        self.assertEqual((rc, out), (0, "INFO:  Success\n"), err)
        self.assertIn("IPaddr2: INFO: Removing conflicting loopback lo.", err)
        self.assertEqual(self.vip_lines("d2", "lo"), [])
        self.assertEqual(len(self.vip_lines("d2", "eth0")), 1)
        # stop runs as another process: the lo copy comes back from the state dir.
        rc, out, err = self.agent("d2", SEED_ARG, "stop")
        self.assertEqual((rc, out), (0, "INFO:  Success\n"), err)
        self.assertIn(f"IPaddr2: INFO: Restoring loopback IP Address {VIP} on lo.", err)
        [lo] = self.vip_lines("d2", "lo")
        self.assertEqual((lo["prefixlen"], lo.get("label")), (32, "lo:0"))
        self.assertEqual(self.vip_lines("d2", "eth0"), [])
        self.assertEqual(os.listdir(self.tmp.name), [])
        # A second stop must not add a second copy or fail.
        self.assertEqual(self.agent("d2", SEED_ARG, "stop")[0], 0)
        self.assertEqual(len(self.vip_lines("d2", "lo")), 1)

    def test_without_lvs_support_lo_is_left_alone(self):
        self.lab.ip("d2", "addr", "add", f"{VIP}/32", "dev", "lo", "label", "lo:0")
        self.assertEqual(self.agent("d2", SEED_ARG, "start", "--no-lvs-support", "--arp-count", "1")[0], 0)
        self.assertEqual(len(self.vip_lines("d2", "lo")), 1)
        self.assertEqual(self.agent("d2", SEED_ARG, "stop", "--no-lvs-support")[0], 0)
        self.assertEqual(len(self.vip_lines("d2", "lo")), 1)

    def test_ipv6_vip_and_vip_on_lo_send_no_arp(self):
        arg6 = f"{V6_NET}105/64/eth0"
        cap = netns.PacketCapture(self.lab, "client", "eth0", netns.ETH_P_ARP)
        t0 = time.monotonic()
        rc, out, err = self.agent("d1", arg6, "start")
        self.assertEqual((rc, out), (0, "INFO:  Success\n"), err)
        self.assertIn(f"IPaddr2: INFO: ip -f inet6 addr add {V6_NET}105/64 dev eth0", err)
        rc, out, err = self.agent("d1", "10.255.0.1/32/lo", "start")
        self.assertEqual(rc, 0, err)
        self.assertLess(time.monotonic() - t0, 0.5, "nothing to announce, nothing to wait for")
        self.assertEqual([f for _, f in cap.stop()], [])
        self.assertEqual(self.agent("d1", arg6, "status")[:2], (0, "INFO:  Running OK\n"))
        self.assertEqual(self.agent("d1", f"{V6_NET}105", "status")[0], 0)  # findif for IPv6
        self.assertEqual(self.agent("d1", arg6, "stop")[0], 0)
        self.assertEqual(self.agent("d1", arg6, "status")[0], 7)
        self.assertEqual(self.agent("d1", "10.255.0.1/32/lo", "stop")[0], 0)


if __name__ == "__main__":
    unittest.main()
