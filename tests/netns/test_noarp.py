"""halb-noarp on a real server (root, namespaces).

Topology, nothing reaching the machine's own interfaces:
    <p>-lan     bridge br0
    <p>-real    real server, eth0 192.168.131.101/24
    <p>-client  client, eth0 192.168.131.50/24
The VIP 192.168.131.105 lives on the real's lo. Without suppression the
real answers ARP for it (arp_ignore=0 answers for any local address), so a
client would bypass the director; with halb-noarp it must not, by each
method, and the real's own ARP must never name the VIP as its sender.
"""
import os
import subprocess
import sys
import tempfile
import shutil
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))
import netns  # noqa: E402

BUILD_DIR = os.environ.get("HALB_BUILD_DIR", os.getcwd())
NOARP = os.path.join(BUILD_DIR, "halb-noarp")

OK, WHY = netns.can_run()
if OK and not os.access(NOARP, os.X_OK):
    OK, WHY = False, f"halb-noarp is not built under {BUILD_DIR}"
if OK and not shutil.which("nft"):
    OK, WHY = False, "nft is not installed (scripts/install-deps installs nftables)"

LAN = "192.168.131"
VIP = f"{LAN}.105"
RIP = f"{LAN}.101"
CLIENT = f"{LAN}.50"


@unittest.skipUnless(OK, WHY)
class NoArpInNamespaces(unittest.TestCase):
    def setUp(self):
        self.lab = netns.Lab("noarp")
        self.addCleanup(self.lab.destroy)
        self.dir = tempfile.mkdtemp(prefix="halb-noarp-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.lab.add_bridge("lan")
        for host, addr in (("real", RIP), ("client", CLIENT)):
            self.lab.add_host(host)
            self.lab.plug(host, "lan", "eth0", [f"{addr}/24"])

    def noarp(self, *args):
        argv = [NOARP, "--config-dir", os.path.join(self.dir, "etc"), "--run-dir", os.path.join(self.dir, "run"),
                *args]
        return self.lab.run("real", argv)

    def client_reaches_vip(self):
        """Whether the real answers the client's ARP for the VIP."""
        self.lab.ip("client", "neigh", "flush", "dev", "eth0")
        self.lab.run("client", ["ping", "-c", "1", "-W", "1", VIP])
        n = self.lab.neighbour("client", VIP)
        return bool(n and n[0] and not any(s in ("FAILED", "INCOMPLETE") for s in n[1]))

    def lo_has_vip(self):
        return any(a.get("local") == VIP for a in self.lab.addresses("real", "lo"))

    def test_baseline_a_vip_on_lo_is_answered_without_suppression(self):
        # Proves the check below can fail: the kernel does answer for lo addresses.
        self.lab.ip("real", "addr", "add", f"{VIP}/32", "dev", "lo")
        self.assertTrue(self.client_reaches_vip())

    def check_method(self, method):
        r = self.noarp("--method", method, VIP, "start")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(self.lo_has_vip())
        labels = [a.get("label") for a in self.lab.addresses("real", "lo") if a.get("local") == VIP]
        self.assertEqual(labels, ["lo:0"])
        self.assertFalse(self.client_reaches_vip(), f"{method}: the real answered ARP for the VIP")
        st = self.noarp("status")
        self.assertEqual(st.returncode, 0, st.stdout + st.stderr)
        self.assertIn("running", st.stdout)
        # A second start changes nothing and still succeeds.
        self.assertEqual(self.noarp("--method", method, VIP, "start").returncode, 0)
        r = self.noarp("stop")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(self.lo_has_vip())
        self.assertEqual(self.noarp("status").returncode, 3)

    def test_nft_method(self):
        self.check_method("nft")
        out = self.lab.run("real", ["nft", "list", "tables"]).stdout
        self.assertNotIn("halb_noarp", out)

    def test_arptables_method_lists_like_the_seed(self):
        if not shutil.which("arptables"):
            self.skipTest("arptables is not installed")
        self.assertEqual(self.noarp("--method", "arptables", VIP, "start").returncode, 0)
        listing = self.lab.run("real", ["arptables", "-L", "-n"]).stdout
        self.assertIn(f"-d {VIP}", listing)
        self.assertIn(f"--mangle-ip-s {RIP}", listing)
        self.noarp("stop")
        self.assertNotIn(VIP, self.lab.run("real", ["arptables", "-L", "-n"]).stdout)
        self.check_method("arptables")

    def test_sysctl_method_and_restore(self):
        before = self.lab.run("real", ["sysctl", "-n", "net.ipv4.conf.all.arp_ignore"]).stdout.strip()
        self.check_method("sysctl")
        after = self.lab.run("real", ["sysctl", "-n", "net.ipv4.conf.all.arp_ignore"]).stdout.strip()
        self.assertEqual(before, after)

    def test_outgoing_arp_never_names_the_vip(self):
        self.assertEqual(self.noarp(VIP, "start").returncode, 0)
        self.lab.ip("client", "neigh", "flush", "dev", "eth0")
        self.lab.ip("real", "neigh", "flush", "dev", "eth0")
        # The real's ARP request for the client, from a packet sourced at the VIP.
        self.lab.run("real", ["ping", "-c", "1", "-W", "1", "-I", VIP, CLIENT])
        # (An INCOMPLETE entry is the client failing to resolve the VIP when it
        # answers the ping: that is the suppression working, not a leak.)
        n = self.lab.neighbour("client", VIP)
        self.assertTrue(n is None or n[0] is None, f"the client learnt the VIP from the real's ARP: {n}")
        self.assertIsNotNone(self.lab.neighbour("client", RIP))
        out = self.lab.run("real", ["nft", "list", "table", "arp", "halb_noarp"]).stdout
        self.assertRegex(out, r"counter packets [1-9]\d* bytes \d+ arp saddr ip set " + RIP.replace(".", r"\."))

    def test_save_then_start_without_vips(self):
        self.assertEqual(self.noarp("--method", "sysctl", VIP, "save").returncode, 0)
        with open(os.path.join(self.dir, "etc", "noarp.conf")) as f:
            saved = f.read()
        self.assertIn(f"vip {VIP}", saved)
        self.assertIn("method sysctl", saved)
        r = self.noarp("start")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("sysctl", r.stdout)
        self.assertFalse(self.client_reaches_vip())
        self.noarp("stop")

    def test_a_vip_already_on_lo_is_left_there(self):
        self.lab.ip("real", "addr", "add", f"{VIP}/32", "dev", "lo")
        self.assertEqual(self.noarp(VIP, "start").returncode, 0)
        self.assertEqual(self.noarp("stop").returncode, 0)
        self.assertTrue(self.lo_has_vip())

    def test_bad_input(self):
        r = self.noarp("192.168.131.x", "start")
        self.assertEqual(r.returncode, 2)
        self.assertIn("not an IP address", r.stderr)
        self.assertEqual(self.noarp(VIP, "dance").returncode, 2)
        r = self.noarp("start")
        self.assertEqual(r.returncode, 6)
        self.assertIn("no VIP given and none saved", r.stderr)
        os.makedirs(os.path.join(self.dir, "etc"), exist_ok=True)
        with open(os.path.join(self.dir, "etc", "noarp.conf"), "w") as f:
            f.write("vip 1.2.3\n")
        r = self.noarp("start")
        self.assertEqual(r.returncode, 6)
        self.assertIn("noarp.conf:1:", r.stderr)


if __name__ == "__main__":
    unittest.main()
