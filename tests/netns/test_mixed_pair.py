"""The rolling-upgrade path: one director runs Debian's heartbeat 3.0.6,
the other halb-heartbeat, with the same ha.cf, authkeys and haresources.
Each side is killed in turn and the other must take the VIP over."""
import os
import sys
import time
import unittest

from halb import BUILD_DIR, SRC_DIR, wait_for

sys.path.insert(0, os.path.join(SRC_DIR, "lab"))
import anchors  # noqa: E402
import pairlab  # noqa: E402

OK, WHY = pairlab.can_run()
if OK and not anchors.have_heartbeat():
    OK, WHY = False, "Debian's heartbeat package is not installed (scripts/install-deps installs it)"


@unittest.skipUnless(OK, WHY)
class MixedPair(unittest.TestCase):
    def run_pair(self, debian_host, halb_host):
        lab = pairlab.PairLab(BUILD_DIR, tag="mixed")
        try:
            lab.build_topology()
            lab.write_configs()
            for h in ("ndb1", "ndb2"):
                lab.start_service(h)
            anchors.start_debian_heartbeat(lab, debian_host)
            lab.start_heartbeat(halb_host)
            # ndb1 is the preferred node whichever implementation it runs.
            wait_for(lambda: lab.vip_holders() == ["ndb1"], 30, interval=0.1, what="VIP on ndb1")
            wait_for(lambda: lab.hbctl(halb_host, "nodestatus", debian_host)[1] == "active\n", 15,
                     what="halb seeing the Debian node active")
            time.sleep(6)  # past 3.0.6's first seconds of inflated deadtime
            self.assertEqual(lab.vip_holders(), ["ndb1"], "exactly one holder")
            probe = pairlab.Probe(lab)
            try:
                time.sleep(0.5)
                t = time.time()
                lab.kill_director("ndb1")
                wait_for(lambda: probe.outage_after(t, "ndb2") is not None, 10, what="ndb2 answering on the VIP")
                self.assertEqual(lab.vip_holders(), ["ndb2"])
            finally:
                probe.stop()
        except Exception:
            for h in ("ndb1", "ndb2"):
                print(f"--- {h} halb log ---\n{lab.node_log(h)[-2000:]}")
                p = os.path.join(lab.node_dir(h), "debian-heartbeat.log")
                if os.path.exists(p):
                    print(f"--- {h} heartbeat 3.0.6 log ---\n{open(p, errors='replace').read()[-2500:]}")
            raise
        finally:
            lab.teardown()

    def test_debian_active_killed_halb_takes_over(self):
        self.run_pair(debian_host="ndb1", halb_host="ndb2")

    def test_halb_active_killed_debian_takes_over(self):
        self.run_pair(debian_host="ndb2", halb_host="ndb1")


if __name__ == "__main__":
    unittest.main()
