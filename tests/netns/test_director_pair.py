"""The director pair in network namespaces (root): the seed's ha.cf with a
crossover veth (eth1) and a LAN bridge (eth0), each director's UTS name its
node name, the built-in IPaddr2 holding the VIP, a client on the LAN.
Builds on lab/pairlab.py, the same code the README's drill runs."""
import os
import subprocess
import sys
import time
import unittest

from halb import BUILD_DIR, SRC_DIR, wait_for

sys.path.insert(0, os.path.join(SRC_DIR, "lab"))
import pairlab  # noqa: E402

OK, WHY = pairlab.can_run()


@unittest.skipUnless(OK, WHY)
class DirectorPair(unittest.TestCase):
    extra = ""
    auto_failback = "off"

    def setUp(self):
        self.lab = pairlab.PairLab(BUILD_DIR, tag="pair", ha_cf_extra=self.extra,
                                   auto_failback=self.auto_failback)
        self.probe = None
        try:
            self.lab.up()
            wait_for(lambda: self.lab.vip_holders() == ["ndb1"], 15, interval=0.05, what="VIP on ndb1")
            wait_for(lambda: self.lab.hbctl("ndb2", "nodestatus", "ndb1")[1] == "active\n", 10,
                     what="ndb2 seeing ndb1 active")
            wait_for(lambda: self.lab.hbctl("ndb1", "rscstatus")[1] == "all\n", 10, what="ndb1 stable")
        except Exception:
            self.dump()
            self.lab.teardown()
            raise

    def tearDown(self):
        if self.probe:
            self.probe.stop()
        failed = any(e for e in (getattr(self._outcome, "errors", None) or []) if e[1])
        if failed:
            self.dump()
        self.lab.teardown()
        leftover = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        self.assertNotIn(self.lab.prefix + "-", leftover, "namespaces left behind")

    def dump(self):
        for h in ("ndb1", "ndb2"):
            print(f"--- {h} ---\n{self.lab.node_log(h)[-2500:]}")

    def client_ping(self):
        return pairlab.sh("ping", "-c", "1", "-W", "1", pairlab.VIP, ns=self.lab.ns("client"), check=False) == 0

    def test_vip_on_preferred_node_and_client_arp_resolves_to_it(self):
        self.assertTrue(self.client_ping())
        neigh = self.lab.client_neighbour()
        self.assertIsNotNone(neigh)
        self.assertEqual(neigh[0], self.lab.mac("ndb1"))
        # The label and broadcast of the seed's IPAddr2 line.
        text = pairlab.sh("ip", "-o", "-4", "addr", "show", "dev", "eth0", ns=self.lab.ns("ndb1"), capture=True)
        self.assertIn(f"{pairlab.VIP}/24 brd {pairlab.LAN}.255", text)

    def test_kill9_of_active_director_client_follows_within_deadtime_plus_1s(self):
        self.assertTrue(self.client_ping())  # the client caches ndb1's MAC for the VIP
        self.probe = pairlab.Probe(self.lab)
        time.sleep(0.5)
        self.assertEqual(self.probe.last_answer(), "ndb1")
        t = time.time()
        self.lab.kill_director("ndb1")
        wait_for(lambda: self.probe.outage_after(t, "ndb2") is not None, 2.0 + 1.0 + 1.0, what="client reaching ndb2")
        outage = self.probe.outage_after(t, "ndb2")
        self.assertLess(outage, 3.0, f"outage {outage:.2f}s > deadtime + 1 s")
        self.assertEqual(self.lab.vip_holders(), ["ndb2"])
        self.assertEqual(self.lab.client_neighbour()[0], self.lab.mac("ndb2"), "gratuitous ARP moved the client")
        log = self.lab.node_log("ndb2")
        for line in ("node ndb1: is dead", "Link ndb1:eth1 dead.", "Resources being acquired from ndb1.",
                     "mach_down takeover complete for node ndb1."):
            self.assertIn(line, log)

    def test_graceful_stop_takes_over_in_under_a_second(self):
        self.probe = pairlab.Probe(self.lab)
        time.sleep(0.3)
        t = time.time()
        self.lab.stop_proc("hb-ndb1")
        wait_for(lambda: self.probe.outage_after(t, "ndb2") is not None, 3, what="client reaching ndb2")
        self.assertLess(self.probe.outage_after(t, "ndb2"), 1.0)
        self.assertEqual(self.lab.vip_holders(), ["ndb2"])
        self.assertIn("Received shutdown notice from 'ndb1'.", self.lab.node_log("ndb2"))

    def test_crossover_cut_with_lan_ucast_up_is_no_takeover(self):
        self.lab.set_link("ndb1", "eth1", False)
        time.sleep(2.0 + 1.5)
        self.assertEqual(self.lab.vip_holders(), ["ndb1"])
        wait_for(lambda: self.lab.hbctl("ndb2", "hblinkstatus", "ndb1", "eth1")[1] == "dead\n", 3,
                 what="eth1 link dead")
        self.assertEqual(self.lab.hbctl("ndb2", "hblinkstatus", "ndb1", "eth0"), (0, "up\n"))
        self.assertEqual(self.lab.hbctl("ndb2", "nodestatus", "ndb1"), (0, "active\n"))
        self.assertIn("Link ndb1:eth1 dead.", self.lab.node_log("ndb2"))

    def test_both_media_cut_then_healed_leaves_one_holder(self):
        # Unplugged where ndb2 cannot plug them back (IPaddr2 sets its own eth0 up).
        self.lab.cut_lan("ndb2")
        self.lab.set_link("ndb1", "eth1", False)
        wait_for(lambda: "Resources being acquired from ndb1." in self.lab.node_log("ndb2"), 5, what="split brain")
        wait_for(lambda: self.lab.hbctl("ndb2", "rscstatus")[1] == "all\n", 5, what="ndb2 holding all")
        self.lab.cut_lan("ndb2", cut=False)
        self.lab.set_link("ndb1", "eth1", True)
        wait_for(lambda: self.lab.vip_holders() == ["ndb1"], 10, what="exactly one holder after healing")
        time.sleep(1.0)
        self.assertEqual(self.lab.vip_holders(), ["ndb1"])
        self.assertIn("returning after partition", self.lab.node_log("ndb2") + self.lab.node_log("ndb1"))


    def test_auto_failback_off_vip_stays_when_preferred_node_returns(self):
        self.lab.stop_proc("hb-ndb1")
        wait_for(lambda: self.lab.vip_holders() == ["ndb2"], 3, what="VIP on ndb2")
        self.lab.start_heartbeat("ndb1")
        wait_for(lambda: self.lab.hbctl("ndb1", "rscstatus")[1] == "none\n", 10, what="ndb1 back and stable")
        time.sleep(1.0)
        self.assertEqual(self.lab.vip_holders(), ["ndb2"])
        self.assertIn("Local Resource acquisition completed. (none)", self.lab.node_log("ndb1"))


@unittest.skipUnless(OK, WHY)
class AutoFailbackOn(DirectorPair):
    auto_failback = "on"

    def test_auto_failback_on_vip_returns_to_preferred_node(self):
        self.lab.stop_proc("hb-ndb1")
        wait_for(lambda: self.lab.vip_holders() == ["ndb2"], 3, what="VIP on ndb2")
        self.lab.start_heartbeat("ndb1")
        wait_for(lambda: self.lab.vip_holders() == ["ndb1"], 10, what="VIP back on ndb1")
        time.sleep(1.0)
        self.assertEqual(self.lab.vip_holders(), ["ndb1"])

    test_vip_on_preferred_node_and_client_arp_resolves_to_it = None
    test_kill9_of_active_director_client_follows_within_deadtime_plus_1s = None
    test_graceful_stop_takes_over_in_under_a_second = None
    test_crossover_cut_with_lan_ucast_up_is_no_takeover = None
    test_both_media_cut_then_healed_leaves_one_holder = None
    test_auto_failback_off_vip_stays_when_preferred_node_returns = None


@unittest.skipUnless(OK, WHY)
class WrongKey(unittest.TestCase):
    """ndb2 signs with another secret: no membership, every packet refused
    and counted; each node then holds the VIP alone (what a wrong key costs)."""

    def test_wrong_key_gives_no_membership_and_counted_rejections(self):
        lab = pairlab.PairLab(BUILD_DIR, tag="key", authkeys={"ndb2": "auth 1\n1 sha1 another-secret\n"})
        try:
            lab.up()
            wait_for(lambda: lab.hbctl("ndb1", "nodestatus", "ndb2")[1] == "dead\n", 15, what="initdead passing")
            counters = dict(l.split() for l in lab.hbctl("ndb1", "counters")[1].splitlines())
            self.assertGreater(int(counters["bad_auth"]), 10)
            self.assertNotIn("Link ndb2:", lab.node_log("ndb1"))
            self.assertIn("Invalid authentication", lab.node_log("ndb1"))
        finally:
            lab.teardown()


@unittest.skipUnless(OK, WHY)
class PingNodeLoss(DirectorPair):
    """ping 192.168.131.50 (the client) in ha.cf: when only the active
    director loses it, the groups move to the node that still sees it."""
    extra = f"ping {pairlab.HOSTS['client']}\n"

    def test_ping_node_unreachable_from_active_moves_resources(self):
        wait_for(lambda: self.lab.hbctl("ndb1", "nodestatus", pairlab.HOSTS["client"])[1] == "ping\n", 10,
                 what="ping node up")
        pairlab.sh("ip", "route", "add", "blackhole", f"{pairlab.HOSTS['client']}/32", ns=self.lab.ns("ndb1"))
        wait_for(lambda: self.lab.vip_holders() == ["ndb2"], 15, what="VIP moving to ndb2")
        self.assertIn("ping nodes", self.lab.node_log("ndb1"))

    # The inherited cases run once, in DirectorPair.
    test_vip_on_preferred_node_and_client_arp_resolves_to_it = None
    test_kill9_of_active_director_client_follows_within_deadtime_plus_1s = None
    test_graceful_stop_takes_over_in_under_a_second = None
    test_crossover_cut_with_lan_ucast_up_is_no_takeover = None
    test_both_media_cut_then_healed_leaves_one_holder = None
    test_auto_failback_off_vip_stays_when_preferred_node_returns = None


if __name__ == "__main__":
    unittest.main()
