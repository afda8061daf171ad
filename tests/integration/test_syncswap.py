"""halb-syncswap against a real halb-lvsd (no root): the seed's
LVSSyncDaemonSwap words, LSB status codes, and the role swap."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from halb import TempDir, program  # noqa: E402
from lvsd_support import Lvsd  # noqa: E402


class SyncSwapWithLvsd(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir("halb-syncswap-")
        self.addCleanup(self.tmp.cleanup)
        self.lvsd = Lvsd(self.tmp.path)
        self.addCleanup(self.lvsd.stop)

    def swap(self, *args):
        env = dict(os.environ, HALB_RUN_DIR=self.lvsd.run_dir)
        return subprocess.run([program("halb-syncswap"), "--backend", "lvsd", *args], capture_output=True,
                              text=True, env=env)

    def roles(self):
        return sorted(d["role"] if isinstance(d.get("role"), str) else str(d.get("role"))
                      for d in self.lvsd.ok({"cmd": "get-daemons"})["daemons"])

    def test_hold_release_and_status_words(self):
        r = self.swap("master", "status")
        self.assertEqual((r.returncode, r.stdout), (3, "master stopped\n"))
        # lo: halb-lvsd's sync daemons really join the group, and tests stay off real interfaces.
        r = self.swap("master", "lo", "start")
        self.assertEqual(r.returncode, 0, r.stderr)
        daemons = self.lvsd.ok({"cmd": "get-daemons"})["daemons"]
        self.assertEqual(len(daemons), 1)
        self.assertIn("'lo'", str(daemons[0]))
        r = self.swap("master", "status")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^master running\n\(ipvs_syncmaster pid: \d+\)\n$")
        # A second start is a no-op.
        self.assertEqual(self.swap("master", "lo", "start").returncode, 0)
        self.assertEqual(len(self.lvsd.ok({"cmd": "get-daemons"})["daemons"]), 1)
        # Releasing the resource makes this node a sync backup, as in the seed's ndb2.
        self.assertEqual(self.swap("master", "lo", "stop").returncode, 0)
        r = self.swap("master", "status")
        self.assertEqual(r.returncode, 3)
        self.assertRegex(r.stdout, r"^master stopped\n\(ipvs_syncbackup pid: \d+\)\n$")
        self.assertEqual(self.swap("master", "cleanup").returncode, 0)
        self.assertEqual(self.lvsd.ok({"cmd": "get-daemons"})["daemons"], [])

    def test_bad_arguments_and_no_backend(self):
        self.assertEqual(self.swap("primary", "start").returncode, 2)
        self.assertEqual(self.swap("master", "dance").returncode, 2)
        self.assertEqual(self.swap("--syncid", "300", "master", "start").returncode, 2)
        r = subprocess.run([program("halb-syncswap"), "--backend", "lvsd", "--lvsd-socket",
                            os.path.join(self.tmp.path, "none.sock"), "master", "start"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("ERROR", r.stderr)


if __name__ == "__main__":
    unittest.main()
