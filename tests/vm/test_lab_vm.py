"""halb-lab in the VM rig: the lab's netns mode inside Debian's kernel, where
halb-director drives the kernel's IPVS in direct-routing mode and the
seed's whole haresources line runs (ldirectord, LVSSyncDaemonSwap, IPAddr2).
The director failover drill must move the VIP and bring the virtual
service up on the new holder's kernel table with Route (DR) forwarding;
the graceful stop hands it back; with halb-sqld built, the workload's
writes through the VIP all survive. (`halb-lab demo --mode vm` does the same
from the command line with a VM of its own.)"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import halb  # noqa: E402
import rig  # noqa: E402


class LabInVm(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = rig.unavailable_reason()
        if reason:
            raise unittest.SkipTest(reason)
        for p in ("halb-heartbeat", "halb-director", "halb-syncswap", "halb-noarp", "halb-mgmd", "halb-ndbd"):
            halb.program(p)  # fails (not skips) when not built

    def test_director_drills_on_kernel_ipvs_in_direct_routing(self):
        rc, out = rig.run_in_vm(
            "/usr/bin/python3 lab/halb-lab --state-dir /tmp/halb-lab-vmtest --build-dir \"$HALB_BUILD_DIR\" "
            "demo --mode netns --backend kernel --svg /tmp/halb-lab-vmtest.svg --drills director-kill director-stop; "
            "echo \"LEFT $(ip netns list | grep -c halblab) $(test -e /tmp/halb-lab-vmtest && echo dir)\"",
            timeout=900)
        self.assertEqual(rc, 0, out[-6000:])
        self.assertIn("lab: netns (kernel IPVS)", out)
        outage = r"(n/a|\d+\.\d\d s)"  # n/a until halb-sqld is built
        self.assertRegex(out, rf"director-kill\s+{outage}.*ndb1 -> ndb2")
        self.assertRegex(out, rf"director-stop\s+{outage}.*ndb2 -> ndb1")
        if os.access(os.path.join(halb.BUILD_DIR, "halb-sqld"), os.X_OK):
            # The workload through the kernel's IPVS, answered by the reals directly.
            self.assertIn("checker: VALID; lost 0, duplicated 0", out)
        # The new holder's kernel table: the VIP's service, both reals by Route (DR).
        self.assertRegex(out, r"ndb2's table: TCP 192\.168\.131\.105:3306 wrr \| -> 192\.168\.131\.\d+:3306 Route")
        self.assertIn("LVSSyncDaemonSwap::master", out)
        self.assertIn("halb-syncswap master start", out)
        self.assertRegex(out, r"LEFT 0 *\n", "namespaces or state dir left in the guest")


if __name__ == "__main__":
    unittest.main()
