"""A halb-heartbeat pair on loopback (no root): two real daemons talking
ucast over 127.0.0.2/127.0.0.3 with a marker resource. Checks the
failover paths an operator relies on and what halb-hbctl reports."""
import os
import subprocess
import time
import unittest

from halb import TempDir, free_udp_port, program, wait_for
from hbnode import HbNode

A, B = "127.0.0.2", "127.0.0.3"


def ha_cf(port, bind, auto_failback="off", deadtime="1", extra=""):
    return f"""# loopback pair
udpport {port}
keepalive 100ms
warntime 500ms
deadtime {deadtime}
initdead 3
ucast lo {A}
ucast lo {B}
bind_address {bind}
auto_failback {auto_failback}
node ndb1
node ndb2
respawn hacluster /usr/lib/heartbeat/ipfail
apiauth ipfail gid=haclient uid=hacluster
{extra}
"""


class HeartbeatPair(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.nodes = []

    def tearDown(self):
        for n in self.nodes:
            n.stop()
        if any(not n.proc or n.proc.p.returncode not in (0, None, -9) for n in self.nodes):
            for n in self.nodes:
                print(f"--- {n.name} log ---\n{n.log_text()[-3000:]}")
        self.tmp.cleanup()

    def pair(self, auto_failback="off", keys=None, haresources="ndb1 Marker::vip\n"):
        port = free_udp_port()
        for name, bind in (("ndb1", A), ("ndb2", B)):
            kw = {}
            if keys and name in keys:
                kw["authkeys"] = keys[name]
            self.nodes.append(HbNode(self.tmp.path, name, ha_cf(port, bind, auto_failback), haresources, **kw))
        return self.nodes

    def holders(self):
        return [n.name for n in self.nodes if n.holds("vip")]

    def test_preferred_node_takes_its_group_and_hbctl_reports(self):
        a, b = self.pair()
        a.start()
        b.start()
        wait_for(lambda: self.holders() == ["ndb1"], 8, what="ndb1 holding vip")
        wait_for(lambda: a.hbctl("nodestatus", "ndb2") == (0, "active\n"), 5, what="ndb2 active")
        self.assertEqual(a.hbctl("hbstatus"), (0, "Heartbeat is running on this machine.\n"))
        wait_for(lambda: a.hbctl("rscstatus") == (0, "all\n"), 5, what="rscstatus all")
        self.assertEqual(b.hbctl("rscstatus"), (0, "none\n"))
        self.assertEqual(a.hbctl("listhblinks", "ndb2"), (0, "\tlo\n"))
        self.assertEqual(a.hbctl("hblinkstatus", "ndb2", "lo"), (0, "up\n"))
        self.assertEqual(a.hbctl("hbparameter", "-p", "deadtime"), (0, "1000ms\n"))
        self.assertEqual(sorted(a.hbctl("listnodes")[1].split()), ["ndb1", "ndb2"])
        self.assertEqual(a.hbctl("bogus")[0], 11)
        self.assertIn("ipfail is built in", a.log_text())
        time.sleep(0.5)
        self.assertEqual(self.holders(), ["ndb1"], "exactly one holder")

    def test_kill9_of_active_moves_resource_within_deadtime(self):
        a, b = self.pair()
        a.start()
        b.start()
        wait_for(lambda: self.holders() == ["ndb1"], 8, what="ndb1 holding vip")
        wait_for(lambda: b.hbctl("nodestatus", "ndb1")[1] == "active\n", 5, what="ndb1 active at ndb2")
        t0 = time.monotonic()
        a.kill9()
        os.remove(os.path.join(a.state, "held-vip"))  # the machine "died" with it
        wait_for(lambda: b.holds("vip"), 1.0 + 1.5, what="ndb2 taking over")
        took = time.monotonic() - t0
        self.assertLess(took, 2.5)
        b.wait_log("node ndb1: is dead", 2)
        b.wait_log("mach_down takeover complete for node ndb1.", 2)
        self.assertEqual(b.hbctl("nodestatus", "ndb1"), (1, "dead\n"))
        self.assertEqual(b.hbctl("hblinkstatus", "ndb1", "lo"), (1, "dead\n"))

    def test_graceful_stop_hands_over_at_once(self):
        a, b = self.pair()
        a.start()
        b.start()
        wait_for(lambda: self.holders() == ["ndb1"], 8, what="ndb1 holding vip")
        wait_for(lambda: b.hbctl("nodestatus", "ndb1")[1] == "active\n", 5, what="ndb1 active at ndb2")
        t0 = time.monotonic()
        a.stop()
        wait_for(lambda: b.holds("vip"), 1.0, what="ndb2 taking over in under 1 s")
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertFalse(a.holds("vip"))
        b.wait_log("Received shutdown notice from 'ndb1'.", 2)
        self.assertIn("ndb1 Heartbeat shutdown complete.", a.log_text())

    def test_auto_failback_on_returns_group_to_preferred_node(self):
        a, b = self.pair(auto_failback="on")
        b.start()
        wait_for(lambda: self.holders() == ["ndb2"], 8, what="lone ndb2 taking everything after initdead")
        a.start()
        wait_for(lambda: self.holders() == ["ndb1"], 8, what="vip back on ndb1")
        time.sleep(0.5)
        self.assertEqual(self.holders(), ["ndb1"])

    def test_auto_failback_off_keeps_group_where_it_is(self):
        a, b = self.pair(auto_failback="off")
        b.start()
        wait_for(lambda: self.holders() == ["ndb2"], 8, what="lone ndb2 taking everything after initdead")
        a.start()
        a.wait_log("Local Resource acquisition completed. (none)", 8)
        time.sleep(0.5)
        self.assertEqual(self.holders(), ["ndb2"])

    def test_standby_and_takeover(self):
        a, b = self.pair(auto_failback="off")
        a.start()
        b.start()
        wait_for(lambda: self.holders() == ["ndb1"], 8, what="ndb1 holding vip")
        wait_for(lambda: a.hbctl("rscstatus")[1] == "all\n", 5, what="ndb1 stable")
        self.assertEqual(a.hbctl("standby")[0], 0)
        wait_for(lambda: self.holders() == ["ndb2"], 5, what="standby moving vip to ndb2")
        wait_for(lambda: a.hbctl("rscstatus")[1] == "none\n" and b.hbctl("rscstatus")[1] == "all\n", 5,
                 what="both stable after standby")
        self.assertEqual(a.hbctl("takeover", "all")[0], 0)
        wait_for(lambda: self.holders() == ["ndb1"], 5, what="takeover bringing vip back")

    def test_wrong_key_means_no_membership_and_counted_rejections(self):
        a, b = self.pair(keys={"ndb2": "auth 1\n1 sha1 another-secret\n"})
        a.start()
        b.start()
        time.sleep(1.5)
        self.assertNotEqual(a.hbctl("nodestatus", "ndb2")[1], "active\n")
        code, out = a.hbctl("counters")
        counters = dict(line.split() for line in out.splitlines())
        self.assertGreater(int(counters["bad_auth"]), 5)
        a.wait_log("Invalid authentication", 2)

    def test_config_error_exits_6_with_file_and_line(self):
        port = free_udp_port()
        n = HbNode(self.tmp.path, "ndb1", ha_cf(port, A) + "bogus_directive 1\n", "ndb1 Marker::vip\n")
        r = subprocess.run(n.argv(), capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 6)
        self.assertRegex(r.stderr, r"ha\.cf:\d+: ")
        os.chmod(os.path.join(n.conf, "authkeys"), 0o644)
        n.write("ha.cf", ha_cf(port, A))
        r = subprocess.run(n.argv(), capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 6)
        self.assertIn("Bad permissions on keyfile", r.stderr)


if __name__ == "__main__":
    unittest.main()
