"""etc/init.d/halb-noarp on a real server in a namespace (root): the VIPs
`halb-noarp save` wrote are put on lo with ARP suppressed at start, status
says so, reload keeps them, stop takes them away.

The script runs as an operator runs it, except that it reads its defaults
from a scratch file (naming the built program and scratch folders) instead
of /etc/default/halb-noarp."""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))
import netns  # noqa: E402

BUILD_DIR = os.environ.get("HALB_BUILD_DIR", os.getcwd())
SRC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
NOARP = os.path.join(BUILD_DIR, "halb-noarp")

OK, WHY = netns.can_run()
if OK and not os.access(NOARP, os.X_OK):
    OK, WHY = False, f"halb-noarp is not built under {BUILD_DIR}"
if OK and not shutil.which("nft"):
    OK, WHY = False, "nft is not installed (scripts/install-deps installs nftables)"

VIP = "192.168.131.105"


@unittest.skipUnless(OK, WHY)
class NoArpInitScript(unittest.TestCase):
    def setUp(self):
        self.lab = netns.Lab("noarpinit")
        self.addCleanup(self.lab.destroy)
        self.dir = tempfile.mkdtemp(prefix="halb-noarp-initd-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.lab.add_bridge("lan")
        self.lab.add_host("real")
        self.lab.plug("real", "lan", "eth0", ["192.168.131.101/24"])
        opts = f"--config-dir {self.dir}/etc --run-dir {self.dir}/run"
        with open(os.path.join(SRC_DIR, "etc", "init.d", "halb-noarp")) as f:
            text = f.read()
        self.script = os.path.join(self.dir, "halb-noarp")
        with open(self.script, "w") as f:
            f.write(text.replace("/etc/default/", self.dir + "/default-"))
        os.chmod(self.script, 0o755)
        with open(os.path.join(self.dir, "default-halb-noarp"), "w") as f:
            f.write(f"DAEMON='{NOARP}'\nHALB_NOARP_OPTS='{opts}'\n")
        self.addCleanup(self.lab.run, "real", [self.script, "stop"])

    def initd(self, action):
        return self.lab.run("real", [self.script, action])

    def lo_has_vip(self):
        return any(a.get("local") == VIP for a in self.lab.addresses("real", "lo"))

    def test_saved_vips_start_status_reload_stop(self):
        self.assertEqual(self.initd("status").returncode, 3)
        r = self.lab.run("real", [NOARP, "--config-dir", f"{self.dir}/etc", "--run-dir", f"{self.dir}/run",
                                  "--method", "nft", VIP, "save"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(self.lo_has_vip(), "save alone changed lo")
        r = self.initd("start")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(self.lo_has_vip())
        self.assertIn("halb_noarp", self.lab.run("real", ["nft", "list", "tables"]).stdout)
        r = self.initd("status")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.initd("reload").returncode, 0)
        self.assertTrue(self.lo_has_vip())
        r = self.initd("stop")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(self.lo_has_vip())
        self.assertNotIn("halb_noarp", self.lab.run("real", ["nft", "list", "tables"]).stdout)
        self.assertEqual(self.initd("status").returncode, 3)
        self.assertEqual(self.initd("stop").returncode, 0, "stopping a stopped service is not an error")


if __name__ == "__main__":
    unittest.main()
